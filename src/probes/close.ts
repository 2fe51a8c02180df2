import { and, eq } from 'drizzle-orm';
import { timers, tickets } from '../db/schema/index.ts';
import { cardUpdates } from '../desk/act.ts';
import { SYSTEM, type DeskDeps } from '../desk/deps.ts';
import { appendEvents, enqueue, lockTicketById } from '../desk/store.ts';

/**
 * Closes a probe ticket as "probe" (no survey: nobody is there to answer it). Only tickets the intake marked as
 * probes can be closed this way; the event stays in the hash chain like any other.
 */
export async function closeProbeTicket(deps: DeskDeps, ticketId: number, result: { ok: boolean; failedStep: string | null }): Promise<boolean> {
  const now = deps.clock.now();
  const closed = await deps.database.db.transaction(async (tx) => {
    const t = await lockTicketById(tx, ticketId);
    if (!t?.isProbe || t.status === 'closed') return false;
    await tx
      .update(tickets)
      .set({ status: 'closed', closedAt: now, closeReason: 'probe', waitingOnCustomer: false, updatedAt: now })
      .where(eq(tickets.id, t.id));
    await tx
      .update(timers)
      .set({ status: 'cancelled', leaseUntil: null })
      .where(and(eq(timers.ticketId, t.id), eq(timers.status, 'pending')));
    const [seq] = await appendEvents(tx, t.id, SYSTEM, now, [{ type: 'closed', data: { reason: 'probe', probeOk: result.ok, failedStep: result.failedStep } }]);
    await enqueue(tx, now, cardUpdates(deps, t.id, seq));
    return true;
  });
  if (closed) deps.wake();
  return closed;
}
