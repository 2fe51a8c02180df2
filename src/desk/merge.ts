/**
 * Duplicates across customers: an agent merges a ticket into the one that carries the case. The merged ticket closes
 * as `merged` (its own log, SLA record and ledger row stay), its customer is told which ticket carries their case,
 * hears that ticket's replies and gets its survey when it is resolved. Only an admin can undo a merge.
 */
import { and, desc, eq } from 'drizzle-orm';
import type { Status } from '../core/ticket.ts';
import type { AgentRef } from './types.ts';
import { ticketEvents, tickets } from '../db/schema/index.ts';
import { actorRole, applyTransition, cardUpdates, checkVersion, upsertAgent, type ActResult, type Role } from './act.ts';
import { agentActor, type DeskDeps } from './deps.ts';
import { DeskError } from './errors.ts';
import { appendEvents, enqueue, lockTicketByCode, type Enqueue, type TicketRow } from './store.ts';
import { syncTimers } from './timers.ts';
import { recordReceipt, type DeliveryReceipt } from './receipts.ts';

export interface MergeInput {
  ticket: string;
  into: string;
  actor: AgentRef;
  viaAgentGroup: boolean;
  /** See AgentAction: the console's checked role and the version its form was drawn from. */
  role?: Role;
  expectVersion?: number;
  /** The platform delivery (a card click): recorded in the same transaction. */
  receipt?: DeliveryReceipt;
}
export type UnmergeInput = Omit<MergeInput, 'into'>;

export const mergedNotice = (code: string, into: string) =>
  `您反馈的问题与工单 ${into} 是同一问题，已合并到该工单统一处理（原工单 ${code}）。处理进展和满意度回访会继续发到这里。`;

export async function mergeTickets(deps: DeskDeps, input: MergeInput): Promise<ActResult> {
  const role = await actorRole(deps, input.actor, input.viaAgentGroup, input.role);
  if (!role) throw new DeskError('forbidden', '只有客服成员可以处理工单');
  const [from, into] = [input.ticket.toUpperCase(), input.into.toUpperCase()];
  if (from === into) throw new DeskError('invalid', '不能把工单合并到它自己');
  const now = deps.clock.now();
  const result = await deps.database.db.transaction(async (tx) => {
    await recordReceipt(tx, input.receipt);
    // Both rows locked in a fixed order: two agents merging A→B and B→A at once cannot deadlock.
    const [a, b] =
      from < into
        ? [await lockTicketByCode(tx, from), await lockTicketByCode(tx, into)]
        : [await lockTicketByCode(tx, into), await lockTicketByCode(tx, from)].reverse();
    if (!a) throw new DeskError('not_found', `找不到工单 ${from}`);
    if (!b) throw new DeskError('not_found', `找不到工单 ${into}`);
    if (b.status === 'closed') throw new DeskError('closed', `工单 ${into} 已关闭，不能作为合并目标`);
    await checkVersion(tx, a.id, input.expectVersion);
    const agentId = await upsertAgent(tx, input.actor, role);
    const actor = agentActor(input.actor.platform, input.actor.userId);
    const { patch, events } = applyTransition(a, { type: 'merge', agentId, into: b.code }, now);
    const extra: Partial<TicketRow> = { mergedIntoId: b.id, slaPausedSince: null };
    const outbox: Enqueue[] = [];
    let survey: Array<{ type: string; data: Record<string, unknown> }> = [];
    // The case is already resolved: the merged customer gets its survey now.
    if (b.status === 'resolved') {
      const s = applyTransition({ ...a, ...patch } as TicketRow, { type: 'mergedSurveySent', via: b.code }, now);
      Object.assign(extra, s.patch);
      survey = s.events;
    }
    await tx
      .update(tickets)
      .set({ ...patch, ...extra, updatedAt: now })
      .where(eq(tickets.id, a.id));
    const seqs = await appendEvents(tx, a.id, actor, now, [...events, ...survey]);
    const [bSeq] = await appendEvents(tx, b.id, actor, now, [{ type: 'merged_in', data: { agentId, from: a.code } }]);
    const last = seqs[seqs.length - 1];
    outbox.push({
      channel: a.channel,
      kind: 'customer.text',
      ticketId: a.id,
      payload: { text: mergedNotice(a.code, b.code), purpose: 'notice' },
      idemKey: `merged:${a.id}:${last}`,
    });
    if (survey.length) outbox.push({ channel: a.channel, kind: 'customer.survey', ticketId: a.id, idemKey: `survey:${a.id}:${last}` });
    await enqueue(tx, now, [...outbox, ...cardUpdates(deps, a.id, last), ...cardUpdates(deps, b.id, bSeq)]);
    await syncTimers(tx, deps, a.id, now);
    return { ticketId: a.id, code: a.code, message: `已将 ${a.code} 合并到 ${b.code}，已通知客户` };
  });
  deps.wake();
  return result;
}

/** Admin only: the merged ticket is worked on its own again, in the state it had before the merge. */
export async function unmergeTicket(deps: DeskDeps, input: UnmergeInput): Promise<ActResult> {
  const role = await actorRole(deps, input.actor, input.viaAgentGroup, input.role);
  if (role !== 'admin') throw new DeskError('forbidden', '只有管理员可以撤销合并');
  const now = deps.clock.now();
  const result = await deps.database.db.transaction(async (tx) => {
    const t = await lockTicketByCode(tx, input.ticket.toUpperCase());
    if (!t) throw new DeskError('not_found', `找不到工单 ${input.ticket}`);
    await checkVersion(tx, t.id, input.expectVersion);
    const [merged] = await tx
      .select({ data: ticketEvents.data })
      .from(ticketEvents)
      .where(and(eq(ticketEvents.ticketId, t.id), eq(ticketEvents.type, 'merged')))
      .orderBy(desc(ticketEvents.seq))
      .limit(1);
    const agentId = await upsertAgent(tx, input.actor, role);
    const actor = agentActor(input.actor.platform, input.actor.userId);
    const restore = ((merged?.data.previousStatus as Status | undefined) ?? 'reopened') as Status;
    const { patch, events } = applyTransition(t, { type: 'unmerge', agentId, restore }, now);
    Object.assign(events[0].data, { from: merged?.data.into ?? null });
    await tx
      .update(tickets)
      .set({ ...patch, mergedIntoId: null, updatedAt: now })
      .where(eq(tickets.id, t.id));
    const seqs = await appendEvents(tx, t.id, actor, now, events);
    const items: Enqueue[] = [
      {
        channel: t.channel,
        kind: 'customer.text',
        ticketId: t.id,
        payload: { text: `您的反馈（工单 ${t.code}）已恢复单独处理，我们会尽快跟进。`, purpose: 'notice' },
        idemKey: `unmerged:${t.id}:${seqs[0]}`,
      },
      ...cardUpdates(deps, t.id, seqs[0]),
    ];
    if (t.mergedIntoId) {
      const [target] = await tx.select().from(tickets).where(eq(tickets.id, t.mergedIntoId)).for('update');
      if (target) {
        const [s] = await appendEvents(tx, target.id, actor, now, [{ type: 'unmerged_out', data: { agentId, ticket: t.code } }]);
        items.push(...cardUpdates(deps, target.id, s));
      }
    }
    await enqueue(tx, now, items);
    await syncTimers(tx, deps, t.id, now);
    return { ticketId: t.id, code: t.code, message: `已撤销合并，${t.code} 恢复为单独处理` };
  });
  deps.wake();
  return result;
}
