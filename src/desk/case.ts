import { asc, eq } from 'drizzle-orm';
import { categoryOf, type Config } from '../config.ts';
import { verifyChain, type ChainCheck } from '../core/hash.ts';
import { STATUS_LABELS, type Status } from '../core/ticket.ts';
import type { DbOrTx } from '../db/client.ts';
import { customers, messages, ticketEvents, tickets } from '../db/schema/index.ts';
import { CHANNEL_LABELS, maskContact, maskName } from './view.ts';
import { TARGET_LABELS, type SlaTarget } from './timers.ts';

export const EVENT_LABELS: Record<string, string> = {
  created: '收到反馈，创建工单',
  acknowledged: '已自动回复客户（工单号与时限承诺）',
  customer_message: '客户追加消息',
  claimed: '认领',
  responded: '回复客户',
  noted: '内部备注',
  resolved: '标记解决',
  survey_sent: '发送满意度回访',
  survey_answered: '客户评价',
  reopened: '重新打开',
  closed: '归档',
  reclassified: '重新分类',
  escalated: '升级',
  major_flagged: '标记为重大投诉',
  major_cleared: '取消重大投诉标记',
  delivery_failed: '消息送达失败',
  sla_due_soon: '即将超时提醒',
  sla_breached: '超出承诺时限',
  sla_escalated: '超时升级通知',
  survey_reminded: '回访提醒',
};

export type EventRow = typeof ticketEvents.$inferSelect;

export interface CaseReport {
  ticket: typeof tickets.$inferSelect;
  events: EventRow[];
  chain: ChainCheck;
  markdown: string;
}

export function formatLocal(d: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('zh-CN', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })
    .format(d)
    .replaceAll('/', '-');
}

/** The story of one ticket from its event log, with the hash chain verified: what an auditor asks to walk through. */
export async function caseReport(db: DbOrTx, config: Config, code: string): Promise<CaseReport | null> {
  const [row] = await db.select({ t: tickets, c: customers }).from(tickets).innerJoin(customers, eq(customers.id, tickets.customerId)).where(eq(tickets.code, code));
  if (!row) return null;
  const { t, c } = row;
  const events = await db.select().from(ticketEvents).where(eq(ticketEvents.ticketId, t.id)).orderBy(asc(ticketEvents.seq));
  const msgs = await db.select().from(messages).where(eq(messages.ticketId, t.id)).orderBy(asc(messages.id));
  const chain = verifyChain(events);
  const tz = config.calendar.timeZone;
  const byId = new Map(msgs.map((m) => [m.id, m]));
  const cat = categoryOf(config, t.category);
  const lines = [
    `**工单** ${t.code}　**状态** ${STATUS_LABELS[t.status as Status] ?? t.status}${t.isMajor ? '　**重大投诉**' : ''}${t.isProbe ? '　（拨测工单，不计入指标）' : ''}`,
    `**渠道** ${CHANNEL_LABELS[t.channel] ?? t.channel}　**分类** ${cat.name}　**客户** ${maskName(c.name)}${maskContact(c.phone, c.email) ? ` ${maskContact(c.phone, c.email)}` : ''}`,
    `**首次响应时限** ${t.firstResponseDueAt ? formatLocal(t.firstResponseDueAt, tz) : '—'}　**实际** ${t.firstResponseAt ? formatLocal(t.firstResponseAt, tz) : '—'}`,
    t.csatScore !== null ? `**满意度** ${t.csatScore} 分${t.csatComment ? `（${t.csatComment}）` : ''}` : '',
    '',
    '| # | 时间 | 操作人 | 事件 | 内容 |',
    '|---|---|---|---|---|',
    ...events.map((e) => {
      const m = typeof e.data.messageId === 'number' ? byId.get(e.data.messageId) : undefined;
      const detail = m ? m.body.replace(/\s+/g, ' ').slice(0, 120) : describeData(e, tz);
      return `| ${e.seq} | ${formatLocal(e.at, tz)} | ${actorLabel(e.actor)} | ${EVENT_LABELS[e.type] ?? e.type} | ${detail.replaceAll('|', '｜')} |`;
    }),
    '',
    chain.intact
      ? `哈希链完整（${events.length} 条事件，链头 \`${chain.head.slice(0, 16)}…\`）。`
      : `⚠️ 哈希链校验失败：第 ${chain.brokenAt} 条事件之后的记录被修改或删除（${chain.reason}）。`,
  ];
  return { ticket: t, events, chain, markdown: lines.filter((l, i) => l !== '' || i > 3).join('\n') };
}

function actorLabel(actor: string): string {
  if (actor === 'system') return '系统';
  if (actor.startsWith('customer:')) return '客户';
  const [, platform, user] = actor.split(':');
  return `${CHANNEL_LABELS[platform] ?? platform} ${user}`;
}

const NOTIFY_LABELS: Record<string, string> = { assignee: '处理人', leads: '负责人', admins: '管理员', duty: '值班客服', all: '全体客服' };

function describeData(e: EventRow, timeZone: string): string {
  const d = e.data as Record<string, unknown>;
  switch (e.type) {
    case 'created':
      return `分类 ${d.category}（${d.reason ?? ''}）`;
    case 'acknowledged':
      return String(d.text ?? '');
    case 'survey_answered':
      return `${d.score} 分${d.comment ? `：${d.comment}` : ''}`;
    case 'closed':
      return d.reason === 'satisfied' ? '客户满意' : d.reason === 'unrated' ? '未评价（超时）' : String(d.reason ?? '');
    case 'reclassified':
      return `${d.from} → ${d.to}`;
    case 'reopened':
      return `客户不满意（${d.score ?? ''} 分）`;
    case 'delivery_failed':
      return String(d.reason ?? '');
    case 'sla_due_soon':
    case 'sla_breached':
    case 'sla_escalated': {
      const target = TARGET_LABELS[d.target as SlaTarget] ?? String(d.target ?? '');
      const due = typeof d.dueAt === 'string' ? `，时限 ${formatLocal(new Date(d.dueAt), timeZone)}` : '';
      return `${target}${due}${d.notified ? `，已通知 ${NOTIFY_LABELS[String(d.notified)] ?? d.notified}` : ''}`;
    }
    default:
      return '';
  }
}
