/**
 * The case report of one ticket — "walk us through one major complaint": the ticket, its promises and how they
 * were kept, and the timeline from the hash-chained event log (every message, action, SLA event and survey,
 * with actors and times), plus the chain check. Markdown for chat, printable HTML (print to PDF from a browser).
 */
import { asc, eq } from 'drizzle-orm';
import { categoryOf, type Config } from '../config.ts';
import type { BusinessCalendar } from '../core/calendar.ts';
import type { ChainCheck } from '../core/hash.ts';
import { CASE_CHAIN_SCOPE } from '../records/claims.ts';
import { ticketFacts, type TicketFacts, type TargetOutcome } from '../core/metrics.ts';
import { formatMinutes } from '../core/sla.ts';
import { STATUS_LABELS, type Status } from '../core/ticket.ts';
import { promiseRule } from '../core/promise.ts';
import type { Database } from '../db/client.ts';
import { agents, customers, messages } from '../db/schema/index.ts';
import { caseReport, EVENT_LABELS, type EventRow } from '../desk/case.ts';
import { CHANNEL_LABELS, maskContact, maskName } from '../desk/view.ts';
import { localTimeFormatter } from './format.ts';
import { DEMO_LABEL, DEMO_NOTICE, isDemoDatabase } from '../demo/marker.ts';
import { excerpt } from '../core/text.ts';
import { leadNames, peopleDirectory, type PeopleDirectory } from '../desk/people.ts';
import { storyLabel, storyOf, type StoryEntry } from '../core/story.ts';
import { signOffHtml, signOffMarkdown, signOffOf, type SignOff } from './sign-off.ts';
import { IMPORTED_GUARANTEE, importedSource } from '../core/imported.ts';

export interface CaseDeps {
  database: Database;
  config: Config;
  calendar: BusinessCalendar;
  now: Date;
}

export interface TimelineEntry {
  seq: number;
  at: Date;
  actor: string;
  event: string;
  type: string;
  detail: string;
}

export interface CaseDocument {
  code: string;
  title: string;
  summary: Array<[string, string]>;
  sla: Array<[string, string]>;
  timeline: TimelineEntry[];
  /** The case's story (事件经过 … 整改措施), printed above the timeline; null for an ordinary ticket nobody wrote one for. */
  story: StoryEntry[] | null;
  signOff: SignOff;
  chain: ChainCheck;
  eventCount: number;
  facts: TicketFacts;
  markdown: string;
  html: string;
}

const MORE_LABELS: Record<string, string> = {
  sla_due_soon: 'SLA 即将超时提醒',
  sla_breached: 'SLA 已超时',
  sla_escalated: 'SLA 超时升级',
  survey_reminded: '回访提醒',
  survey_reminder: '回访提醒',
  probe: '拨测',
};
const TARGETS: Record<string, string> = { first: '首次响应', firstResponse: '首次响应', resolution: '解决', next: '后续响应', nextResponse: '后续响应' };
export const OUTCOME_LABELS: Record<TargetOutcome, string> = { met: '及时', breached: '超时', pending: '进行中', none: '无承诺' };

/** `by`: who prints it (制表人 of the sign-off: console user, chat user, CLI --by). */
export async function buildCase(deps: CaseDeps, code: string, opts: { unmasked?: boolean; by?: string | null } = {}): Promise<CaseDocument | null> {
  const { database, config, calendar, now } = deps;
  const db = database.db;
  const report = await caseReport(db, code);
  if (!report) return null;
  const t = report.ticket;
  const [customer] = await db.select().from(customers).where(eq(customers.id, t.customerId));
  const msgs = await db.select().from(messages).where(eq(messages.ticketId, t.id)).orderBy(asc(messages.id));
  const agentRows = await db.select().from(agents);
  const assignee = agentRows.find((a) => a.id === t.assigneeId);
  const people = peopleDirectory(config, agentRows);
  const byMessage = new Map(msgs.map((m) => [m.id, m]));
  const fmt = localTimeFormatter(calendar.timeZone);
  const customerName = opts.unmasked ? (customer?.name ?? '匿名客户') : maskName(customer?.name);
  const contact = opts.unmasked ? (customer?.phone ?? customer?.email ?? null) : maskContact(customer?.phone, customer?.email);
  const facts = ticketFacts(t, { calendar, satisfiedMin: config.survey.satisfiedMin, now });
  const clock = t.slaPolicy.clock ?? 'business';
  const cat = categoryOf(config, t.category);

  const actorLabel = (actor: string) => {
    if (actor === 'system') return '系统';
    if (actor.startsWith('customer:')) return `客户 ${customerName}`;
    const where = placeOf(actor.split(':')[1] ?? '');
    return `${people(actor) ?? '系统'}${where ? `（${where}）` : ''}`;
  };
  const timeline = report.events.map((e) => ({
    seq: e.seq,
    at: e.at,
    actor: actorLabel(e.actor),
    // An event without a Chinese label yet reads as 其他操作, never as its internal type name; events replayed from an
    // old ledger say so (Loopdesk did not see them happen).
    event: `${EVENT_LABELS[e.type] ?? MORE_LABELS[e.type] ?? '其他操作'}${e.type !== 'imported' && (e.data as Record<string, unknown>).imported ? '（历史台账所记）' : ''}`,
    type: e.type,
    detail: detailOf(e, byMessage, fmt, config, people),
  }));
  const story = storyOf(report.events, (actor) => people(actor) ?? '系统');
  const escalations = report.events.filter((e) => e.type === 'escalated');
  const created = report.events.find((e) => e.type === 'created')?.data as { recordedBy?: { actor?: string; name?: string | null } } | undefined;
  const recordedBy = created?.recordedBy;

  const summary: Array<[string, string]> = [
    ['工单号', t.code],
    ['状态', STATUS_LABELS[t.status as Status] ?? t.status],
    ['渠道', CHANNEL_LABELS[t.channel] ?? t.channel],
    ['分类', cat.name],
    ['客户', contact ? `${customerName}　${contact}` : customerName],
    ['受理人', recordedBy ? (recordedBy.name ?? people(recordedBy.actor) ?? '客服（姓名未登记）') : '系统自动受理（客户自助提交，系统即时生成工单并回复时限）'],
    ['跟进人（处理人）', assignee ? (people(assignee) ?? '未分配') : (t.imported?.handler ?? '未分配')],
    ['收到时间', fmt(t.createdAt)],
    ['内容摘要', t.subject],
    ['重大投诉', t.isMajor ? '是' : '否'],
  ];
  if (escalations.length) summary.push(['升级', escalations.map((e) => `${fmt(e.at)} 由 ${people(e.actor) ?? '系统'} ${escalationTo(e.data)}`).join('；')]);
  if (t.isProbe) summary.push(['拨测', '是（拨测工单，不计入指标）']);
  if (t.imported) summary.push(['记录来源', `${importedSource(t.imported)}。${IMPORTED_GUARANTEE}`]);
  const frMin = facts.firstResponse.minutes;
  const rsMin = facts.resolution.minutes;
  const sla: Array<[string, string]> = [
    ['首次响应承诺', facts.firstResponse.dueAt ? fmt(facts.firstResponse.dueAt) : '无承诺'],
    [
      '首次响应时间',
      t.firstResponseAt ? `${fmt(t.firstResponseAt)}（用时 ${formatMinutes(frMin ?? 0, clock)}${clock === 'business' ? '，工作时间' : ''}）` : '—',
    ],
    ['首次响应结果', OUTCOME_LABELS[facts.firstResponse.outcome]],
    ['解决承诺', facts.resolution.dueAt ? fmt(facts.resolution.dueAt) : '无承诺'],
    [
      '解决时间',
      t.resolvedAt && facts.resolved
        ? `${fmt(t.resolvedAt)}（用时 ${formatMinutes(rsMin ?? 0, clock)}${t.slaPausedMinutes ? `，已扣除等待客户 ${formatMinutes(t.slaPausedMinutes, clock)}` : ''}）`
        : '—',
    ],
    ['解决结果', OUTCOME_LABELS[facts.resolution.outcome]],
    ['满意度回访', t.surveySentAt ? `发送于 ${fmt(t.surveySentAt)}` : facts.surveySent ? '已发送' : '未发送'],
    [
      '客户评价',
      t.csatScore !== null
        ? `${t.csatScore} 分${t.csatComment ? `：${t.csatComment}` : ''}`
        : t.closeReason === 'unrated'
          ? unratedLabel(t.followUpAttempts)
          : t.followUpSince
            ? '待电话回访'
            : '—',
    ],
    ['重开次数', String(t.reopenCount)],
  ];
  // A demo database says so at the top of every case report (chat, console, audit pack).
  const demo = await isDemoDatabase(database);
  if (demo) summary.unshift([DEMO_LABEL, DEMO_NOTICE]);
  const title = `${demo ? `【${DEMO_LABEL}】` : ''}工单 ${t.code} 处理记录`;
  const chainLine = report.chain.intact
    ? `哈希链完整：${report.events.length} 条事件，链头 ${report.chain.head}。${CASE_CHAIN_SCOPE}`
    : `哈希链校验失败：第 ${report.chain.brokenAt} 条事件处断开（${report.chain.reason}），其后的记录可能被修改或删除`;
  const signOff = signOffOf(deps, opts.by);
  const told = t.isMajor || story.some((s) => s.text !== null) ? story : null;
  const doc = { code: t.code, title, summary, sla, timeline, story: told, signOff, chain: report.chain, eventCount: report.events.length, facts };
  return { ...doc, markdown: caseMarkdown(doc, chainLine, fmt), html: caseHtml(doc, chainLine, fmt, config.company.name, fmt(now)) };
}

/** 「未评价（已回访 3 次未果）」; records closed before the phone follow-up existed say only 未评价. */
const unratedLabel = (attempts: number) => (attempts > 0 ? `未评价（已回访 ${attempts} 次未果）` : '未评价（按未评价归档）');

/** A phone call, visit or letter typed in by an agent names them (desk/record-ticket.ts). */
function recorded(d: Record<string, unknown>): string {
  const by = d.recordedBy as { actor?: string; name?: string | null } | undefined;
  return by ? `，客服代登记：${by.name ?? by.actor ?? ''}` : '';
}

/** Where a person acted from, for the timeline's 操作人 column. */
function placeOf(platform: string): string {
  return platform === 'local' || platform === 'console' ? '控制台' : (CHANNEL_LABELS[platform] ?? '');
}

/** 升级给负责人 李组长、王经理 (the names the escalation event recorded; older events have none). */
function escalationTo(d: Record<string, unknown>): string {
  const leads = Array.isArray(d.leads) ? d.leads.filter((x): x is string => typeof x === 'string') : null;
  const to = leads === null ? '升级给负责人' : leads.length ? `升级给负责人 ${leads.join('、')}` : '升级（未配置负责人，已通知客服群）';
  return `${to}${d.reason ? `，原因：${d.reason}` : ''}`;
}

const NOTIFIED: Record<string, string> = { assignee: '处理人', leads: '负责人', admins: '管理员', duty: '值班客服' };

function detailOf(
  e: EventRow,
  byMessage: Map<number, typeof messages.$inferSelect>,
  fmt: (d: Date) => string,
  config: Config,
  people: PeopleDirectory,
): string {
  const d = e.data as Record<string, unknown>;
  const m = typeof d.messageId === 'number' ? byMessage.get(d.messageId) : undefined;
  const body = m ? m.body.replace(/\s+/g, ' ') : '';
  const due = (v: unknown) => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? fmt(new Date(v)) : '');
  switch (e.type) {
    case 'created':
      return `${body}（分类：${categoryOf(config, String(d.category)).name}${d.reason ? `，${d.reason}` : ''}${recorded(d)}）`;
    case 'acknowledged':
      return String(d.text ?? '');
    case 'customer_message':
      return d.recordedBy ? `${body}（${recorded(d).slice(1)}）` : body;
    case 'noted':
      return body;
    case 'responded':
      return `${d.first ? '【首次响应】' : ''}${body}${d.waitForCustomer ? '（等待客户答复，暂停计时）' : ''}`;
    case 'claimed':
      return d.auto ? '回复或解决时自动认领' : '';
    case 'resolved':
      return d.summary ? String(d.summary) : '';
    case 'survey_answered':
      if (d.via === 'import') return `${d.score} 分（历史台账所记的满意度${d.followUp ? `，${String(d.followUp)}` : ''}）`;
      return `${d.score} 分${d.comment ? `：${d.comment}` : ''}${d.via === 'phone' ? `（电话回访，回访人 ${String(d.byName ?? d.by ?? '')}${typeof d.calledAt === 'string' ? `，${due(d.calledAt)}` : ''}）` : ''}`;
    case 'imported':
      return `${body}（来源：${String(d.file)} 第 ${String(d.row)} 行${d.originalCode ? `，原编号 ${String(d.originalCode)}` : ''}；原收到时间 ${due(d.receivedAt)}；文件 SHA-256 ${String(d.sha256)}；导入人 ${String(d.by ?? '')}）`;
    case 'closed':
      if (d.reason === 'imported') return '按历史台账所记办结归档（原台账没有满意的评价，不视为满意）';
      if (d.reason === 'unrated') return `${unratedLabel(Number(d.followUpAttempts ?? 0))}，归档（不视为满意）`;
      return d.reason === 'satisfied' ? '客户满意，归档' : String(d.reason ?? '');
    case 'follow_up_started':
      return `客户未评价满意度回访，回访人：${String(d.agentName ?? '待负责人指派')}（最多尝试 ${String(d.attemptsAllowed ?? '')} 次）`;
    case 'follow_up_attempt':
      return (
        `第 ${String(d.attempt)} 次：${String(d.means)}·${String(d.result)}，回访人 ${String(d.byName ?? '')}` +
        `${due(d.at) ? `，${due(d.at)}` : ''}${d.note ? `；${String(d.note)}` : ''}`
      );
    case 'promise_changed': {
      type Policy = { firstResponseMinutes?: number | null; resolutionMinutes?: number | null; clock?: 'business' | 'calendar' };
      const p = d.policy as Policy | undefined;
      const rule = (m: number | null | undefined, what: string) => promiseRule(m ?? null, p?.clock ?? 'business', config.calendar.hours, what);
      const c = d.category as { from: string; to: string } | undefined;
      const fr = d.firstResponseDue as { to?: string | null } | undefined;
      const rs = d.resolutionDue as { to?: string | null } | undefined;
      return [
        d.reason === 'major' ? '重大投诉，适用重大投诉时限' : '取消重大投诉，恢复分类原有时限',
        c ? `分类 ${categoryOf(config, c.from).name} → ${categoryOf(config, c.to).name}` : '',
        p ? `${rule(p.firstResponseMinutes, '首次回复')}、${rule(p.resolutionMinutes, '解决')}` : '',
        due(fr?.to) ? `首次响应时限 ${due(fr?.to)}` : '',
        due(rs?.to) ? `解决时限 ${due(rs?.to)}` : '',
      ]
        .filter(Boolean)
        .join('；');
    }
    case 'reopened':
      return `客户不满意（${d.score ?? ''} 分），重新处理`;
    case 'reclassified':
      return `${categoryOf(config, String(d.from)).name} → ${categoryOf(config, String(d.to)).name}`;
    case 'escalated':
      return escalationTo(d);
    case 'case_story':
      return `【${storyLabel(String(d.section))}】${String(d.text ?? '')}`;
    case 'major_flagged':
    case 'major_cleared':
      return String(d.reason ?? '');
    case 'delivery_failed':
    case 'erased':
      return String(d.reason ?? '');
    case 'sla_due_soon':
    case 'sla_breached':
    case 'sla_escalated':
      return `${TARGETS[String(d.target)] ?? d.target ?? ''}${due(d.dueAt) ? `，时限 ${due(d.dueAt)}` : ''}${notified(d, config, people)}`;
    default:
      // An event without its own wording shows its label and message only: a reviewer never reads raw event data.
      return body;
  }
}

const notified = (d: Record<string, unknown>, config: Config, people: PeopleDirectory) =>
  d.notified ? `，已通知${notifiedWho(String(d.notified), config, people, d.leads)}` : '';

/** The SLA ladder's audience in words: the leads by name (config roles.leads), the others by role. */
function notifiedWho(notify: string, config: Config, people: PeopleDirectory, recorded?: unknown): string {
  const named = Array.isArray(recorded) ? recorded.filter((x): x is string => typeof x === 'string') : [];
  if (notify === 'leads' && named.length) return `负责人 ${named.join('、')}`;
  if (notify === 'leads' && config.roles.leads.length) return `负责人 ${leadNames(config, people).join('、')}`;
  return NOTIFIED[notify] ?? '相关人员';
}

type DocCore = Pick<CaseDocument, 'title' | 'summary' | 'sla' | 'timeline' | 'eventCount' | 'story' | 'signOff'>;

const writtenBy = (s: StoryEntry, fmt: (d: Date) => string) =>
  `${s.by ?? ''} 填写于 ${s.at ? fmt(s.at) : ''}${s.versions > 1 ? `，第 ${s.versions} 版，历次修改见时间线` : ''}`;

/** 事件经过 … 整改措施, each its latest text, 未填写 when nobody wrote it. */
function storyMarkdown(story: StoryEntry[], fmt: (d: Date) => string): string[] {
  return [
    '## 处理经过与结果',
    '',
    ...story.flatMap((s) => [`### ${s.label}`, '', s.text ?? '未填写', ...(s.text && s.at ? ['', `（${writtenBy(s, fmt)}）`] : []), '']),
  ];
}

function caseMarkdown(doc: DocCore, chainLine: string, fmt: (d: Date) => string): string {
  const cell = (s: string) => s.replaceAll('|', '｜').replaceAll('\n', ' ');
  const short = (s: string) => excerpt(s, 200);
  return [
    doc.summary.map(([k, v]) => `**${k}** ${v}`).join('　'),
    '',
    doc.sla.map(([k, v]) => `- ${k}：${v}`).join('\n'),
    '',
    ...(doc.story ? storyMarkdown(doc.story, fmt) : []),
    '| # | 时间 | 操作人 | 事件 | 内容 |',
    '|---|---|---|---|---|',
    ...doc.timeline.map((e) => `| ${e.seq} | ${fmt(e.at)} | ${cell(e.actor)} | ${cell(e.event)} | ${cell(short(e.detail))} |`),
    '',
    chainLine,
    '',
    signOffMarkdown(doc.signOff),
  ].join('\n');
}

export function escapeHtml(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

function caseHtml(doc: DocCore & { chain: ChainCheck }, chainLine: string, fmt: (d: Date) => string, company: string, printedAt: string): string {
  const rows = (pairs: Array<[string, string]>) => pairs.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>${escapeHtml(doc.title)}</title>
<style>
body{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:2em;color:#222;font-size:14px}
h1{font-size:20px;margin:0 0 .2em}h2{font-size:16px;margin:1.4em 0 .4em;border-bottom:1px solid #ccc}
h3{font-size:14px;margin:1em 0 .3em}.story{white-space:pre-wrap}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f5f5f5;white-space:nowrap}.kv th{width:9em}.muted{color:#777}.ok{color:#1a7f37}.bad{color:#c62828;font-weight:bold}
td.detail{white-space:pre-wrap;word-break:break-all}
@media print{body{margin:1cm}tr{page-break-inside:avoid}}
</style></head><body>
<h1>${escapeHtml(doc.title)}</h1>
<p class="muted">${escapeHtml(company)} · 打印时间 ${escapeHtml(printedAt)} · 时间均为北京时间</p>
<h2>工单概况</h2><table class="kv">${rows(doc.summary)}</table>
<h2>时限承诺与回访</h2><table class="kv">${rows(doc.sla)}</table>
${doc.story ? storyHtml(doc.story, fmt) : ''}
<h2>处理时间线（来自事件日志，共 ${doc.eventCount} 条）</h2>
<table><thead><tr><th>#</th><th>时间</th><th>操作人</th><th>事件</th><th>内容</th></tr></thead><tbody>
${doc.timeline.map((e) => `<tr><td>${e.seq}</td><td>${escapeHtml(fmt(e.at))}</td><td>${escapeHtml(e.actor)}</td><td>${escapeHtml(e.event)}</td><td class="detail">${escapeHtml(e.detail)}</td></tr>`).join('\n')}
</tbody></table>
<h2>防篡改校验</h2><p class="${doc.chain.intact ? 'ok' : 'bad'}">${escapeHtml(chainLine)}</p>
<p class="muted">每条事件的哈希 = SHA-256(上一条哈希 + 本条内容)，修改或删除任一条都会使其后的哈希对不上。</p>
${signOffHtml(doc.signOff)}
</body></html>
`;
}

function storyHtml(story: StoryEntry[], fmt: (d: Date) => string): string {
  const section = (s: StoryEntry) =>
    `<h3>${escapeHtml(s.label)}</h3>` +
    (s.text ? `<p class="story">${escapeHtml(s.text)}</p><p class="muted">${escapeHtml(writtenBy(s, fmt))}</p>` : '<p class="muted">未填写</p>');
  return `<h2>处理经过与结果</h2>\n${story.map(section).join('\n')}`;
}
