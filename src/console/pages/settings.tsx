import type { SignOff } from '../../reports/sign-off.ts';
import { majorPromiseText } from '../../core/promise.ts';
import type { Config } from '../../config.ts';
import type { BusinessCalendar, SpecialDay } from '../../core/calendar.ts';
import { DefinitionRows } from './definitions.tsx';
import { CHANNEL_LABELS } from '../../desk/view.ts';
import type { ChannelHealth } from '../channel-health.ts';
import { roleLabel } from '../layout.tsx';
import { FIRST_RESPONSE_TARGET } from '../overview-data.ts';
import { pct, SignOffBlock, timeFormat } from './common.tsx';
import { calendarVersionLabel, zoneLabel } from '../../reports/wording.ts';

const WEEKDAYS = ['', '周一', '周二', '周三', '周四', '周五', '周六', '周日'];
const PRIORITY: Record<string, string> = { low: '低', normal: '普通', high: '高', urgent: '紧急' };
const NOTIFY: Record<string, string> = { assignee: '处理人', leads: '负责人', admins: '管理员' };
const PLATFORM: Record<string, string> = { ...CHANNEL_LABELS };

/** Consecutive days of one holiday (or one make-up day) as one line: 2026-02-15 至 2026-02-23，共 9 天. */
function ranges(list: SpecialDay[]): Array<{ from: string; to: string; days: number; kind: SpecialDay['kind']; name: string }> {
  const out: Array<{ from: string; to: string; days: number; kind: SpecialDay['kind']; name: string }> = [];
  for (const d of list) {
    const last = out[out.length - 1];
    const next = last ? new Date(Date.parse(`${last.to}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10) : '';
    if (last && last.kind === d.kind && last.name === d.name && next === d.date) {
      last.to = d.date;
      last.days++;
    } else out.push({ from: d.date, to: d.date, days: 1, kind: d.kind, name: d.name });
  }
  return out;
}

function dur(m: number | null): string {
  if (m === null) return '无承诺';
  if (m % 1440 === 0 && m >= 1440) return `${m / 60} 小时`;
  return m % 60 === 0 ? `${m / 60} 小时` : `${m} 分钟`;
}

export function SettingsPage(props: {
  config: Config;
  calendar: BusinessCalendar;
  years: number[];
  channels: ChannelHealth[];
  generatedAt: Date;
  signOff?: SignOff;
}) {
  const { config, calendar } = props;
  const fmt = timeFormat(calendar.timeZone);
  const roles = [
    ...config.roles.admins.map((p) => ({ ...p, role: 'admin' as const })),
    ...config.roles.leads.map((p) => ({ ...p, role: 'lead' as const })),
    ...config.roles.agents.map((p) => ({ ...p, role: 'agent' as const })),
  ];
  const days: Array<{ year: number; list: SpecialDay[]; covered: boolean }> = props.years.map((y) => ({
    year: y,
    list: calendar.specialDays(y),
    covered: calendar.hasDataFor(y),
  }));
  return (
    <div>
      <h1>客户反馈处理机制说明</h1>
      <p class="sub">
        {config.company.name} · 由客户反馈系统按现行配置生成（只读）· 生成时间 {fmt.full(props.generatedAt)}（北京时间）
        <span class="noprint"> · 本页已适配打印，可用浏览器“打印”另存为 PDF 提交。</span>
      </p>

      <section class="card" aria-labelledby="s-flow">
        <h2 id="s-flow" style="margin-top:0">
          一、处理流程
        </h2>
        <ol>
          <li>
            <b>统一收集</b>：{props.channels.map((c) => CHANNEL_LABELS[c.channel] ?? c.channel).join('、') || '各渠道'}
            的反馈进入同一个工单队列，每条反馈生成工单号，并立即向客户回复工单号与时限承诺。
          </li>
          <li>
            <b>分类响应</b>：按下表分类，不同类别承诺不同的首次响应与解决时限。{majorPromiseText(config).sentence}
          </li>
          <li>
            <b>闭环处理</b>：受理 → 跟进 → 解决 → 回访 → 归档，系统不允许跳过任何一步；每一步记录操作人与时间。
          </li>
          <li>
            <b>满意度回访</b>：解决后自动发送回访；客户评价满意才归档，不满意自动重开并通知负责人。
          </li>
          <li>
            <b>未评价的电话回访</b>：{config.survey.reminderHours} 小时未评价提醒一次；发送 {config.survey.unratedAfterDays}{' '}
            天后仍未评价的，转为处理人（无处理人时为负责人）的电话回访任务（工作台“待电话回访”）。
            回访人录入客户评价，或登记每次未果的尝试（时间、方式、结果）；
            {config.survey.followUpAttempts} 次未果后才按“未评价（已回访 {config.survey.followUpAttempts} 次未果）”归档，不视为满意。
          </li>
          <li>
            <b>可追溯</b>：每张工单的事件日志逐条哈希链接（SHA-256），任何事后修改都能被校验发现；台账可随时按任意区间导出。
          </li>
        </ol>
      </section>

      <section class="card" aria-labelledby="s-cat">
        <h2 id="s-cat" style="margin-top:0">
          二、分类与时限承诺
        </h2>
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">分类</th>
                <th scope="col">首次响应</th>
                <th scope="col">解决</th>
                <th scope="col">后续响应</th>
                <th scope="col">计时方式</th>
                <th scope="col">优先级</th>
                <th scope="col" class="noprint">
                  识别关键词（节选）
                </th>
              </tr>
            </thead>
            <tbody>
              {config.categories.map((c) => (
                <tr>
                  <th scope="row">{c.name}</th>
                  <td>{dur(c.firstResponseMinutes)}</td>
                  <td>{dur(c.resolutionMinutes)}</td>
                  <td>{dur(c.nextResponseMinutes)}</td>
                  <td>{c.clock === 'business' ? '工作时间' : '自然时间'}</td>
                  <td>{PRIORITY[c.priority] ?? c.priority}</td>
                  <td class="small noprint">{c.keywords.slice(0, 8).join('、') || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p class="small">
          时限过去 {Math.round(config.sla.dueSoonRatio * 100)}% 时提醒处理人；超时后：
          {config.sla.ladder.map((s) => `${s.afterMinutes ? `超时 ${s.afterMinutes} 分钟` : '超时即'}通知${NOTIFY[s.notify] ?? s.notify}`).join('；')}。
          每张工单受理时保存当时的时限与日历版本（快照），之后修改规则不影响已受理工单的判定。首次响应及时率内部目标 {pct(FIRST_RESPONSE_TARGET)}。
        </p>
      </section>

      <section class="card" aria-labelledby="s-cal">
        <h2 id="s-cal" style="margin-top:0">
          三、工作时间与节假日
        </h2>
        <table class="kv">
          <tbody>
            <tr>
              <th scope="row">工作日</th>
              <td>{config.calendar.workdays.map((d) => WEEKDAYS[d]).join('、')}（遇法定节假日休息，遇调休上班日上班）</td>
            </tr>
            <tr>
              <th scope="row">工作时间</th>
              <td>
                {config.calendar.hours.map((h) => `${h.start}–${h.end}`).join('、')}（{zoneLabel(calendar.timeZone)}，午休不计时）
              </td>
            </tr>
            <tr>
              <th scope="row">日历版本</th>
              <td>{calendarVersionLabel(calendar.version)}</td>
            </tr>
          </tbody>
        </table>
        {days.map((y) => (
          <div>
            <h3 style="font-size:15px;margin:14px 0 6px">{y.year} 年法定节假日与调休上班日</h3>
            {!y.covered ? <p class="err">内置日历尚未包含 {y.year} 年的国务院放假安排，请在配置中补充（calendar.holidays / workingDays）。</p> : null}
            <div class="scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">名称</th>
                    <th scope="col">日期</th>
                    <th scope="col">安排</th>
                  </tr>
                </thead>
                <tbody>
                  {ranges(y.list).map((d) => (
                    <tr>
                      <td>{d.name}</td>
                      <td class="mono">{d.from === d.to ? d.from : `${d.from} 至 ${d.to}`}</td>
                      <td>{d.kind === 'holiday' ? `放假${d.days > 1 ? `，共 ${d.days} 天` : ''}` : <b>调休上班{d.days > 1 ? `（${d.days} 天）` : ''}</b>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
        ))}
      </section>

      <section class="card" aria-labelledby="s-roles">
        <h2 id="s-roles" style="margin-top:0">
          四、责任人
        </h2>
        <p class="small">
          谁受理、谁跟进、谁回访：客服认领并处理工单；负责人接收超时升级、重大投诉与不满意重开的通知；管理员接收最终升级。每个操作都记录操作人。
        </p>
        {roles.length === 0 ? (
          <p class="err">尚未在配置中指定角色：目前客服群中的所有成员都可以处理工单。</p>
        ) : (
          <div class="scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">姓名</th>
                  <th scope="col">角色</th>
                  <th scope="col">平台</th>
                  <th scope="col" class="noprint">
                    平台用户 ID
                  </th>
                </tr>
              </thead>
              <tbody>
                {roles.map((r) => (
                  <tr>
                    <td>{r.name ?? '—'}</td>
                    <td>{roleLabel(r.role)}</td>
                    <td>{PLATFORM[r.platform] ?? r.platform}</td>
                    <td class="mono noprint">{r.userId}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section class="card" aria-labelledby="s-ch">
        <h2 id="s-ch" style="margin-top:0">
          五、反馈渠道与可用性监测
        </h2>
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">渠道</th>
                <th scope="col">用途</th>
                <th scope="col">自动拨测</th>
                <th scope="col">最近拨测</th>
              </tr>
            </thead>
            <tbody>
              {props.channels.map((c) => (
                <tr>
                  <th scope="row">{CHANNEL_LABELS[c.channel] ?? c.channel}</th>
                  <td>{c.agentSurface ? '客户反馈入口 + 客服群' : '客户反馈入口'}</td>
                  <td>{c.probed ? '是（模拟投诉，走完整流程，不计入指标）' : '否'}</td>
                  <td>
                    {c.probed
                      ? c.probe === 'ok'
                        ? `通过，${fmt.short(c.lastProbeAt)}`
                        : c.probe === 'failed'
                          ? `失败（${c.failedStep ?? ''}），${fmt.short(c.lastProbeAt)}`
                          : '尚未拨测'
                      : '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section class="card" aria-labelledby="metrics">
        <h2 id="metrics" style="margin-top:0">
          六、指标定义
        </h2>
        <table class="kv">
          <tbody>
            <DefinitionRows config={config} />
          </tbody>
        </table>
      </section>
      {props.signOff ? <SignOffBlock signOff={props.signOff} /> : null}
    </div>
  );
}
