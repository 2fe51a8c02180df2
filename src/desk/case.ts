import { asc, eq } from 'drizzle-orm';
import { verifyChain, type ChainCheck } from '../core/hash.ts';
import type { DbOrTx } from '../db/client.ts';
import { ticketEvents, tickets } from '../db/schema/index.ts';

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
  promise_changed: '时限承诺调整',
  follow_up_started: '转为电话回访任务',
  follow_up_attempt: '电话回访未果',
  delivery_failed: '消息送达失败',
  sla_due_soon: '即将超时提醒',
  sla_breached: '超出承诺时限',
  sla_escalated: '超时升级通知',
  survey_reminded: '回访提醒',
  assigned: '自动分配',
  incident_joined: '归入突发事件',
  merged: '合并到其他工单',
  merged_in: '合并进重复工单',
  unmerged: '撤销合并',
  unmerged_out: '撤销合并（移出）',
  survivor_replied: '主工单回复已转告客户',
  helpdesk_closed: '服务台工单已关闭',
  erased: '个人信息已依申请删除',
  case_story: '填写处理记述',
  imported: '从历史台账导入',
};

export type EventRow = typeof ticketEvents.$inferSelect;

export interface CaseReport {
  ticket: typeof tickets.$inferSelect;
  events: EventRow[];
  chain: ChainCheck;
}
/** One ticket's event log with its hash chain verified; `reports/case.ts` renders it (markdown, HTML). */
export async function caseReport(db: DbOrTx, code: string): Promise<CaseReport | null> {
  const [ticket] = await db.select().from(tickets).where(eq(tickets.code, code));
  if (!ticket) return null;
  const events = await db.select().from(ticketEvents).where(eq(ticketEvents.ticketId, ticket.id)).orderBy(asc(ticketEvents.seq));
  return { ticket, events, chain: verifyChain(events, ticket.evidenceSalt) };
}
