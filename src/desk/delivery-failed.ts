import { CALL_THE_CUSTOMER } from '../core/contact.ts';
import { cutText } from '../core/text.ts';
import { SYSTEM, type DeskDeps } from './deps.ts';
import { appendEvents, enqueue, lockTicketById } from './store.ts';
import type { OutboxKind } from './types.ts';

/** The outbox row that could not be delivered, as the outbox worker gives it up. */
export interface DeadDelivery {
  id: number;
  kind: OutboxKind;
  ticketId: number | null;
}

/**
 * A customer we cannot reach is a broken promise: say so in the agents' group and in the ticket's log (one
 * transaction). The card then says 「请电话联系客户」 (desk/view.ts).
 */
export async function deliveryFailed(deps: DeskDeps, row: DeadDelivery, reason: string): Promise<void> {
  if (!row.kind.startsWith('customer.') || row.ticketId === null) return;
  const ticketId = row.ticketId;
  const now = deps.clock.now();
  await deps.database.db.transaction(async (tx) => {
    const t = await lockTicketById(tx, ticketId);
    if (!t) return;
    await appendEvents(tx, t.id, SYSTEM, now, [{ type: 'delivery_failed', data: { outboxId: row.id, kind: row.kind, reason: cutText(reason, 500) } }]);
    await enqueue(
      tx,
      now,
      deps.agentSurfaces.map((s) => ({
        channel: s,
        kind: 'agents.text' as const,
        ticketId: t.id,
        payload: {
          text:
            row.kind === 'customer.survey'
              ? `⚠️ 工单 ${t.code} 的满意度回访无法送达客户（${cutText(reason, 200)}），请电话回访客户，并用 /csat ${t.code} 评分 客户原话 记录结果。`
              : `⚠️ 工单 ${t.code} 的消息无法送达客户（${cutText(reason, 200)}），请通过其他方式联系客户。`,
          notify: 'assignee',
        },
        // No route at all is said once per ticket (and once more for the survey), not for every message.
        idemKey: reason.startsWith(CALL_THE_CUSTOMER) ? `unreachable:${t.id}:${row.kind}:${s}` : `dead:${row.id}:${s}`,
      })),
    );
    await enqueue(
      tx,
      now,
      deps.agentSurfaces.map((s) => ({ channel: s, kind: 'agents.card' as const, ticketId: t.id, idemKey: `dead-card:${row.id}:${s}` })),
    );
  });
}
