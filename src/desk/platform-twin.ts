import { and, eq, sql } from 'drizzle-orm';
import { tickets } from '../db/schema/index.ts';
import { fanOut } from './act.ts';
import { customerActor, SYSTEM, type DeskDeps } from './deps.ts';
import { recordReceipt, type DeliveryReceipt } from './receipts.ts';
import { appendEvents, enqueue, lockTicketById } from './store.ts';

/**
 * A platform keeps its own ticket beside ours (the Feishu helpdesk). These use cases record what happens to that
 * twin: where the customer now answers, and that it was closed on the platform's side.
 */

/** The customer came back through another platform ticket while ours was still open: answer them there. */
export async function rerouteReplies(deps: DeskDeps, input: { ticketId: number; replyTo: Record<string, unknown>; unlessField: string }): Promise<void> {
  const value = String(input.replyTo[input.unlessField] ?? '');
  await deps.database.db
    .update(tickets)
    .set({ replyTo: sql`${tickets.replyTo} || ${JSON.stringify(input.replyTo)}::jsonb` })
    .where(and(eq(tickets.id, input.ticketId), sql`${tickets.replyTo}->>${input.unlessField} is distinct from ${value}`));
}

export interface TwinClosed {
  ticketId: number;
  helpdeskTicketId: string;
  helpdeskStatus: number;
  /** The platform's id of who closed it; the customer when it equals `customerId`. */
  closedBy: string | undefined;
  byCustomer: boolean;
  receipt?: DeliveryReceipt;
}

/** Their ticket closed and not by us: the event log says so, and the agents are told (once, with the receipt). */
export async function recordTwinClosed(deps: DeskDeps, input: TwinClosed): Promise<void> {
  const now = deps.clock.now();
  await deps.database.db.transaction(async (tx) => {
    await recordReceipt(tx, input.receipt);
    const t = await lockTicketById(tx, input.ticketId);
    if (!t) return;
    const actor = input.byCustomer ? customerActor(t.customerId) : SYSTEM;
    const [seq] = await appendEvents(tx, t.id, actor, now, [
      {
        type: 'helpdesk_closed',
        data: {
          helpdeskTicketId: input.helpdeskTicketId,
          helpdeskStatus: input.helpdeskStatus,
          by: input.byCustomer ? 'customer' : (input.closedBy ?? 'helpdesk'),
        },
      },
    ]);
    if (t.status === 'closed') return;
    const who = input.byCustomer ? '客户' : '服务台';
    const waiting = t.status === 'resolved' ? '满意度回访将按未评价处理，除非客户另行评价。' : '客户可能已看不到后续回复，如仍需跟进请通过其他方式联系客户。';
    await enqueue(
      tx,
      now,
      fanOut(deps, [
        {
          channel: 'agents',
          kind: 'agents.text',
          ticketId: t.id,
          payload: { text: `ℹ️ ${who}已在飞书服务台关闭了工单 ${t.code} 对应的服务台工单。${waiting}`, notify: 'assignee' },
          idemKey: `helpdesk-closed:${t.id}:${seq}`,
        },
      ]),
    );
  });
  deps.wake();
}
