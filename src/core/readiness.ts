/**
 * 预审自检: one line per thing the ICP reviewer checks or the seed names as a rejection cause, each pass / warn /
 * fail with a one-line fix. Pure: the facts are gathered elsewhere (reports/readiness.ts) and passed in; an item
 * whose fact could not be established is never a pass.
 */

export type ReadinessStatus = 'pass' | 'warn' | 'fail';

export interface ReadinessItem {
  id: string;
  /** What is checked, e.g. 「公司名称」. */
  label: string;
  status: ReadinessStatus;
  /** What was found. */
  detail: string;
  /** The one-line fix; empty on pass. */
  fix: string;
}

export interface ChannelFact {
  name: string;
  label: string;
  /** A machine can play the customer on this channel. */
  probed: boolean;
  lastProbeAt: Date | null;
  lastProbeOk: boolean | null;
  failedStep: string | null;
}

export interface PageFact {
  /** null = not checked (no way to reach it from here). */
  ok: boolean | null;
  detail: string;
}

export interface ReadinessFacts {
  now: Date;
  companyName: string | null;
  roles: { agents: string[]; leads: string[]; admins: string[] };
  channels: ChannelFact[];
  promisePage: PageFact;
  privacyNotice: PageFact;
  /** First real (non-probe) ticket; null = none. */
  firstTicketAt: Date | null;
  /** Whole months from the first ticket to now. */
  monthsOfRecords: number;
  firstResponse: { metRate: number | null; decided: number; target: number };
  complaints: { rate: number | null; received: number; reference: number };
  survey: { sent: number; unrated: number };
  openBreaches: string[];
  majorCases: { total: number; closed: string[] };
  eventLog: { tickets: number; broken: string[] };
  holidays: { year: number; currentLoaded: boolean; nextYear: number; nextLoaded: boolean; fromNovember: boolean };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
/** Unrated closures above this share read as "nobody followed up" to a reviewer. */
export const UNRATED_SHARE_LIMIT = 0.2;
export const PROBE_MAX_AGE_HOURS = 24;
export const MONTHS_REQUIRED = 6;

type Check = Omit<ReadinessItem, 'id' | 'label'>;
const pass = (detail: string): Check => ({ status: 'pass', detail, fix: '' });
const warn = (detail: string, fix: string): Check => ({ status: 'warn', detail, fix });
const fail = (detail: string, fix: string): Check => ({ status: 'fail', detail, fix });

function channelCheck(c: ChannelFact, now: Date): Check {
  if (!c.probed) return warn('该渠道无法自动拨测，自检无法确认其畅通', `请人工向「${c.label}」发送一条测试反馈并确认收到回复`);
  if (!c.lastProbeAt) return fail('从未拨测', `运行 npx loopdesk probe ${c.name}（或在客服群发送 /probe）`);
  const hours = (now.getTime() - c.lastProbeAt.getTime()) / 3_600_000;
  if (!c.lastProbeOk) return fail(`最近一次拨测失败${c.failedStep ? `（${c.failedStep}）` : ''}`, `排查「${c.label}」后重新运行 npx loopdesk probe ${c.name}`);
  if (hours > PROBE_MAX_AGE_HOURS)
    return fail(
      `最近一次成功拨测在 ${Math.floor(hours)} 小时前（要求 ${PROBE_MAX_AGE_HOURS} 小时内）`,
      `运行 npx loopdesk probe ${c.name}，并保持定时拨测开启`,
    );
  return pass(`${Math.max(0, Math.round(hours))} 小时内拨测成功`);
}

export function evaluateReadiness(f: ReadinessFacts): ReadinessItem[] {
  const items: ReadinessItem[] = [];
  const add = (id: string, label: string, check: Check) => items.push({ id, label, ...check });

  add(
    'company',
    '公司名称',
    f.companyName
      ? pass(f.companyName)
      : fail('未配置，页面和文件上显示的是占位名称', '在配置文件（LOOPDESK_CONFIG）中填写 company.name，与营业执照上的名称一致'),
  );

  const { agents, leads, admins } = f.roles;
  const missing = [!agents.length && '客服（受理人）', !leads.length && '负责人（跟进与回访）', !admins.length && '管理员'].filter(Boolean);
  add(
    'roles',
    '岗位职责（谁受理、谁跟进、谁回访）',
    missing.length
      ? fail(
          `未指定：${missing.join('、')}`,
          '在配置 roles.agents / roles.leads / roles.admins 中写明每个岗位的人员姓名，或用 npx loopdesk user add --role agent|lead|admin 开通控制台账号',
        )
      : pass(`客服 ${agents.join('、')}；负责人 ${leads.join('、')}；管理员 ${admins.join('、')}`),
  );

  if (!f.channels.length) add('channels', '反馈渠道', fail('没有任何对外渠道', '至少开通网页表单以外的一个渠道（飞书、钉钉、邮箱等）'));
  for (const c of f.channels) add(`channel:${c.name}`, `渠道畅通：${c.label}`, channelCheck(c, f.now));

  const page = (p: PageFact, fix: string): Check => (p.ok === true ? pass(p.detail) : p.ok === false ? fail(p.detail, fix) : warn(p.detail, fix));
  add('promise-page', '服务承诺公示页（/promise）', page(f.promisePage, '确认服务可从外网通过 PUBLIC_BASE_URL 访问，并在官网和 App 中链接 /promise'));
  add('privacy', '隐私说明（反馈表单）', page(f.privacyNotice, '确认反馈表单（/feedback）可访问并展示隐私说明（配置 privacy.notice）'));

  if (!f.firstTicketAt)
    add('records', '处理记录时长', fail('还没有任何客户反馈记录', `正式上线并开始受理客户反馈；审核需要最近 ${MONTHS_REQUIRED} 个月的记录`));
  else if (f.monthsOfRecords < MONTHS_REQUIRED) {
    const since = new Date(f.firstTicketAt.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
    add(
      'records',
      '处理记录时长',
      warn(
        `自 ${since} 上线以来共 ${f.monthsOfRecords} 个完整月的记录（审核看最近 ${MONTHS_REQUIRED} 个月）`,
        `如实说明上线时间；满 ${MONTHS_REQUIRED} 个月后再提交，或在说明中注明记录起始日期`,
      ),
    );
  } else add('records', '处理记录时长', pass(`已有 ${f.monthsOfRecords} 个完整月的记录`));

  const fr = f.firstResponse;
  add(
    'first-response',
    '首次响应及时率',
    fr.metRate === null
      ? warn('最近 6 个月没有可判定的工单', '开始受理后再查看；及时率按承诺时限逐单判定')
      : fr.metRate >= fr.target
        ? pass(`${pct(fr.metRate)}（目标 ${pct(fr.target)}，${fr.decided} 件可判定）`)
        : warn(`${pct(fr.metRate)}，低于目标 ${pct(fr.target)}`, '查看超时工单的原因；必要时增加值班客服或调整排班'),
  );

  const c = f.complaints;
  add(
    'complaint-resolution',
    '投诉解决率',
    c.rate === null
      ? warn('最近 6 个月没有投诉类工单，无法计算', `有投诉时按参考值 ${pct(c.reference)} 对照；不要把其他类别改成投诉`)
      : c.rate >= c.reference
        ? pass(`${pct(c.rate)}（${c.received} 件；审核通过企业平均 ${pct(c.reference)}）`)
        : warn(`${pct(c.rate)}（${c.received} 件），低于审核通过企业平均 ${pct(c.reference)}`, '逐件跟进未解决的投诉，解决后发起回访'),
  );

  const s = f.survey;
  const share = s.sent ? s.unrated / s.sent : null;
  add(
    'unrated',
    '未评价占比',
    share === null
      ? warn('最近 6 个月没有发出回访', '工单解决后系统会自动回访；确认回访已开启')
      : share <= UNRATED_SHARE_LIMIT
        ? pass(`${pct(share)}（${s.unrated}/${s.sent}）`)
        : warn(
            `${pct(share)}（${s.unrated}/${s.sent}），超过 ${pct(UNRATED_SHARE_LIMIT)}`,
            '未评价的工单会转为电话回访任务：接通后用 /csat 工单号 分数 录入，未接通用 /visit 工单号 电话 未接通 登记',
          ),
  );

  add(
    'open-breaches',
    '未处理的超时工单',
    f.openBreaches.length
      ? fail(
          `${f.openBreaches.length} 件仍在超时：${f.openBreaches.slice(0, 5).join('、')}${f.openBreaches.length > 5 ? ' 等' : ''}`,
          '立即处理这些工单（客服群 /sla 查看）',
        )
      : pass('没有超时未处理的工单'),
  );

  const m = f.majorCases;
  add(
    'major-case',
    '重大投诉处理案例',
    m.closed.length
      ? pass(`${m.closed.length} 件已闭环，可导出：${m.closed[0]}（/case ${m.closed[0]}）`)
      : m.total
        ? warn(`${m.total} 件重大投诉尚未闭环`, '处理完毕并完成回访后，用 npx loopdesk case 工单号 导出完整记录')
        : warn('最近 6 个月没有重大投诉记录', '审核可能要求讲述一件重大投诉的处理过程：准备一件典型投诉的处理记录（npx loopdesk case 工单号）'),
  );

  const e = f.eventLog;
  add(
    'event-log',
    '事件日志防篡改校验',
    e.broken.length
      ? fail(
          `${e.broken.length} 件工单的哈希链校验失败：${e.broken.slice(0, 5).join('、')}`,
          '不要直接修改数据库；用 npx loopdesk ticket show 工单号 查看断点并说明原因',
        )
      : e.tickets
        ? pass(`${e.tickets} 件工单的哈希链全部完整`)
        : warn('没有可校验的工单', '开始受理后再校验'),
  );

  const h = f.holidays;
  add(
    'holidays',
    '法定节假日数据',
    !h.currentLoaded
      ? fail(
          `缺少 ${h.year} 年的放假安排，当前按普通周末计算时限`,
          `用 npx loopdesk calendar import 文件 导入 ${h.year} 年国务院放假通知（ICS 或 JSON），或升级 Loopdesk`,
        )
      : h.fromNovember && !h.nextLoaded
        ? fail(
            `缺少 ${h.nextYear} 年的放假安排（国务院通常在 11 月发布），1 月 1 日起将按普通周末计算`,
            `通知发布后用 npx loopdesk calendar import 文件 导入 ${h.nextYear} 年的安排，或升级 Loopdesk`,
          )
        : pass(h.nextLoaded ? `${h.year}、${h.nextYear} 年已载入` : `${h.year} 年已载入（${h.nextYear} 年的安排一般在 11 月发布）`),
  );
  return items;
}

export function readinessExitCode(items: readonly ReadinessItem[]): 0 | 1 {
  return items.some((i) => i.status === 'fail') ? 1 : 0;
}

const ICON: Record<ReadinessStatus, string> = { pass: '✅ 通过', warn: '⚠️ 注意', fail: '❌ 未通过' };

/** One line per item: 「❌ 未通过 公司名称：未配置… → 修复：…」. */
/** One line per item; `reviewer: true` leaves out the fixes (operators' instructions, with commands) for the audit pack. */
export function readinessLines(items: readonly ReadinessItem[], opts: { reviewer?: boolean } = {}): string[] {
  return items.map((i) => `${ICON[i.status]} ${i.label}：${i.detail}${i.fix && !opts.reviewer ? ` → 修复：${i.fix}` : ''}`);
}

export function readinessSummary(items: readonly ReadinessItem[]): string {
  const n = (s: ReadinessStatus) => items.filter((i) => i.status === s).length;
  return `预审自检：${n('pass')} 项通过，${n('warn')} 项注意，${n('fail')} 项未通过`;
}

/** Whole months between two instants (calendar months, by day of month). */
export function wholeMonthsBetween(from: Date, to: Date): number {
  if (to <= from) return 0;
  const a = new Date(from.getTime() + 8 * 3_600_000);
  const b = new Date(to.getTime() + 8 * 3_600_000);
  let m = (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + (b.getUTCMonth() - a.getUTCMonth());
  if (b.getUTCDate() < a.getUTCDate()) m--;
  return Math.max(0, m);
}
