/**
 * 客户反馈处理机制说明: the written description an ICP application attaches, generated from the live config
 * (channels, categories and promises, roles, survey and escalation rules) and the numbers of the range (default:
 * the last 6 full months), so the text never drifts from what the system does.
 */
import type { Config } from '../config.ts';
import { definitionsMarkdown, REFERENCE_NOTE, type Metrics } from '../core/metrics.ts';
import { NAME_MISSING, zoneLabel } from './wording.ts';
import { policyFor } from '../core/sla.ts';
import { customerPromise, promiseRule, workingHoursText, majorPromiseText } from '../core/promise.ts';
import { CHANNEL_LABELS } from '../desk/view.ts';
import { companyLabel, customerChannels } from '../promise/content.ts';
import { monthLabel, unfinishedNote } from './range.ts';
import { pct } from '../../cards/stats.ts';
import { localTimeFormatter } from './format.ts';
import { recordsClaims } from '../records/claims.ts';
import type { DateRange } from './range.ts';
import { computeStats, monthlyMetrics, type StatsDeps } from './stats.ts';
import { DEMO_LABEL, DEMO_NOTICE, isDemoDatabase } from '../demo/marker.ts';
import { signOffMarkdown, signOffOf } from './sign-off.ts';

export interface MechanismDeps extends StatsDeps {
  /** Names of the channels this deployment runs (services.channels). */
  channels: string[];
  /** Whether EVIDENCE_KEY is set (unknown: the text states both cases). */
  evidenceKeyed?: boolean;
}

function people(list: Config['roles']['agents']): string {
  return list.length ? list.map((p) => p.name ?? NAME_MISSING).join('、') : '';
}

function row(cells: Array<string | number>): string {
  return `| ${cells.map((c) => String(c).replaceAll('|', '｜')).join(' | ')} |`;
}

const avg = (m: Metrics) => (m.survey.averageScore === null ? '—' : m.survey.averageScore.toFixed(2));

export interface MechanismOptions {
  /** 制表人 (who generated it); else config company.preparer, else a line to sign. */
  by?: string | null;
  /** false: leave the sign-off out (the DOCX draws its own, with room for the stamp). */
  signOff?: boolean;
}

export async function mechanismMarkdown(deps: MechanismDeps, range: DateRange, opts: MechanismOptions = {}): Promise<string> {
  const { config, calendar, now } = deps;
  const local = localTimeFormatter(calendar.timeZone);
  const [{ months, total }, stats] = await Promise.all([monthlyMetrics(deps, range), computeStats(deps, range)]);
  const channels = customerChannels(deps.channels);
  const company = companyLabel(config);
  const complaintRow = stats.byCategory.find((c) => c.key === 'complaint');
  const channelCounts = new Map(stats.byChannel.map((c) => [c.key, c.metrics.received]));
  const weekday = ['', '周一', '周二', '周三', '周四', '周五', '周六', '周日'];
  const hours = workingHoursText(config.calendar.hours);
  const workdays = config.calendar.workdays.map((d) => weekday[d]).join('、');
  const agents = people(config.roles.agents);
  const leads = people(config.roles.leads);
  const admins = people(config.roles.admins);
  const example = config.categories.find((c) => c.firstResponseMinutes !== null) ?? config.categories[0];
  const dur = (m: number | null, clock: 'business' | 'calendar', what: string) => promiseRule(m, clock, config.calendar.hours, what);
  const rate = total.resolution.rate;
  const demo = await isDemoDatabase(deps.database);

  return [
    `# ${demo ? `【${DEMO_LABEL}】` : ''}${company} 客户反馈处理机制说明`,
    '',
    ...(demo ? [`> **${DEMO_NOTICE}**`, ''] : []),
    `生成时间：${local(now)}（北京时间）　数据区间：${range.fromDay} 至 ${range.toDay}`,
    '',
    '本文由客户反馈系统根据现行配置和实际处理数据自动生成，所述流程均由系统强制执行，所列数据可通过台账逐条核对。',
    '',
    '## 一、反馈渠道与统一入口',
    '',
    `客户可通过以下渠道提交意见、咨询与投诉，所有渠道的消息进入同一个工单队列，统一编号（FB-日期-序号）、统一跟踪（系统自己的拨测工单另以 TC-日期-序号 编号，不占用客户工单的编号）：`,
    '',
    ...channels.map((c) => `- ${CHANNEL_LABELS[c] ?? c}${channelCounts.has(c) ? `（区间内 ${channelCounts.get(c)} 件）` : ''}`),
    '',
    '系统定时向各渠道发送拨测反馈，检查渠道是否畅通；拨测工单单独标记，不计入任何统计指标。',
    '',
    '## 二、分类响应与时限承诺',
    '',
    '收到反馈后系统自动分类（客服可改分类，改后按新分类重算时限），并立即回复客户工单号和响应时限，例如：',
    '',
    `> ${customerPromise({ categoryName: example.name, policy: policyFor(example, config, calendar), calendar, receivedAt: now, hours: config.calendar.hours }).text}`,
    '',
    '（示例按本文生成时刻计算；实际回复中的“最晚”时间按客户提交的时刻、工作时间和节假日安排计算。）',
    '',
    row(['分类', '首次回复承诺', '解决承诺']),
    row(['---', '---', '---']),
    ...config.categories.map((c) => row([c.name, dur(c.firstResponseMinutes, c.clock, '首次回复'), dur(c.resolutionMinutes, c.clock, '解决')])),
    row(['重大投诉', majorPromiseText(config).firstResponse, majorPromiseText(config).resolution]),
    '',
    majorPromiseText(config).sentence,
    '',
    `工作时间为${workdays} ${hours}（${zoneLabel(calendar.timeZone)}），按国家法定节假日及调休安排自动调整。等待客户补充信息期间暂停计时，客户回复后恢复。每张工单保存受理时的时限快照，规则调整不影响历史工单的判定。`,
    '',
    '## 三、闭环处理流程',
    '',
    '1. **受理**：客户提交反馈，系统生成工单并自动回复工单号与时限承诺；客服群即时收到工单卡片。',
    '2. **认领与跟进**：客服在群内认领工单并回复客户；工单未回复客户前不能标记解决。',
    '3. **解决**：客服标记解决后，系统自动向客户发送满意度回访（1–5 分）。',
    `4. **回访与归档**：客户评价 ${config.survey.satisfiedMin}–5 分视为满意，工单归档；低于 ${config.survey.satisfiedMin} 分视为不满意，工单自动重开并通知负责人继续处理。**只有客户表示满意才归档。**`,
    `5. **未评价的电话回访**：${config.survey.reminderHours} 小时未评价提醒一次；发送回访 ${config.survey.unratedAfterDays} 天后仍未评价的，` +
      `转为处理人（无处理人时为负责人）的电话回访任务，在客服群点名通知。回访人记录客户的评价，或每一次未果的尝试（时间、方式、结果）；` +
      `${config.survey.followUpAttempts} 次未果后才按“未评价（已回访 ${config.survey.followUpAttempts} 次未果）”归档，**不视为满意**。`,
    '6. **记录**：每一步操作都记录操作人和时间，写入哈希链事件日志（能检出什么、不能检出什么见第六节）。',
    '',
    '## 四、岗位职责',
    '',
    `- **受理与处理（客服）**：${agents || '客服群成员'}——认领工单、回复客户、处理并标记解决。`,
    `- **跟进与督办（负责人）**：${leads || '由管理员指定'}——接收超时升级、重大投诉和客户不满意的通知，督促处理。`,
    `- **回访**：系统在工单解决后自动向客户发起满意度回访；客户未评价的，由处理人电话回访并登记每次尝试；客户不满意时由负责人跟进。`,
    `- **管理员**：${admins || '由公司指定'}——维护分类与时限、导出台账与审核材料。`,
    '- 台账逐张工单记录受理人、跟进人（处理人）、回访方式与回访人，升级给负责人时记录负责人姓名，均写姓名而非平台编号。',
    '',
    '## 五、跟进与升级规则',
    '',
    `- 时限过去 ${Math.round(config.sla.dueSoonRatio * 100)}% 时提醒处理人；超时后按以下顺序升级：${config.sla.ladder.map((s) => `超时 ${s.afterMinutes} 分钟通知${s.notify === 'assignee' ? '处理人' : s.notify === 'leads' ? '负责人' : '管理员'}`).join('，')}。`,
    '- 涉及向监管部门（工信部、通管局、12300、12315、消协等）、媒体或律师反映，或造成资金损失的重大投诉，系统立即标记、转为投诉类、按重大投诉时限重新计时并通知负责人。',
    '- 客户评价不满意的工单自动重开，回到原处理人，并通知负责人。',
    '',
    '## 六、记录与追溯',
    '',
    ...recordsClaims({ keyed: deps.evidenceKeyed, retentionMonths: config.privacy.retentionMonths }),
    '- 可随时导出任意区间的处理台账（Excel/CSV），以及任意工单（如重大投诉）的完整处理记录。',
    '',
    '## 七、处理数据',
    '',
    total.received
      ? [
          `区间内共收到反馈 **${total.received}** 件。全部类别解决率 **${pct(rate)}**（客户确认解决 ${total.resolution.confirmed} 件 ÷ 有解决时限的工单 ${total.resolution.withTarget} 件；` +
            `无解决时限的建议等 ${total.resolution.excludedNoTarget} 件不计入）；另有已解决·待回访 ${total.resolution.awaitingSurvey} 件、未评价 ${total.resolution.unrated} 件` +
            `（其中已回访未果 ${total.resolution.unratedAfterFollowUp} 件），均不计为已解决。`,
          '',
          `其中投诉 ${complaintRow?.metrics.received ?? 0} 件、投诉解决率 **${pct(complaintRow?.metrics.resolution.rate ?? null)}**，` +
            `参考值 ${pct(total.resolution.reference, 0)}（注）。`,
          '',
          `首次响应及时率 **${pct(total.firstResponse.metRate)}**（按各类别承诺的计时方式判定，见第二节）。满意归档率 **${pct(total.resolution.satisfiedRate)}**（满意归档 ÷ 收到），` +
            `满意占比 **${pct(total.survey.satisfiedShare)}**（满意 ÷ 已评价），回访应答率 **${pct(total.survey.responseRate)}**（已评价 ÷ 已回访），满意度平均 **${avg(total)}** 分。`,
          '',
          `注：${REFERENCE_NOTE}`,
        ].join('\n')
      : `区间内没有客户反馈记录（${range.fromDay} 至 ${range.toDay}）：可能系统刚上线，或区间早于上线时间；请以实际受理数据为准，不要补录。`,
    // Records imported from the company's old ledger are history, not Loopdesk's handling: said apart, never summed in.
    ...(stats.metrics.imported
      ? ['', `另有上线前从原有台账导入的历史记录 ${stats.metrics.imported} 件：单独列在台账中（标记“导入”，注明来源文件及其 SHA-256），不计入以上数据。`]
      : []),
    ...(range.unfinishedMonth ? ['', unfinishedNote(range)!] : []),
    '',
    '### 各类别解决率',
    '',
    row(['类别', '收到（件）', '客户确认解决（件）', '解决率', '参考值']),
    row(['---', '---:', '---:', '---:', '---:']),
    ...stats.byCategory.map(({ key, name, metrics: { received, resolution: r } }) =>
      row([name, received, r.confirmed, r.withTarget ? pct(r.rate) : '不计入（无解决时限）', key === 'complaint' ? `${pct(r.reference, 0)}（注）` : '—']),
    ),
    row(['全部类别', total.received, total.resolution.confirmed, pct(rate), '—']),
    '',
    row([
      '月份',
      '收到（件）',
      '首次响应及时率',
      '解决率',
      '已解决·待回访（件）',
      '未评价（件）',
      '满意归档率',
      '满意占比',
      '回访应答率',
      '平均满意度',
      '超时工单（件）',
      '重开（件）',
      '重大投诉（件）',
    ]),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...[...months, { month: '合计', metrics: total }].map(({ month, metrics: m }) =>
      row([
        monthLabel(month, range),
        m.received,
        pct(m.firstResponse.metRate),
        pct(m.resolution.rate),
        m.resolution.awaitingSurvey,
        m.resolution.unrated,
        pct(m.resolution.satisfiedRate),
        pct(m.survey.satisfiedShare),
        pct(m.survey.responseRate),
        avg(m),
        m.breaches.tickets,
        m.reopened.tickets,
        m.major,
      ]),
    ),
    '',
    ...definitionsMarkdown(config.survey.satisfiedMin, config.categories),
    '',
    ...(opts.signOff === false ? [] : [signOffMarkdown(signOffOf(deps, opts.by)), '']),
  ].join('\n');
}
