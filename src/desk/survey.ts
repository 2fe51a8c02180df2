import { eq } from 'drizzle-orm';
import { customers, tickets } from '../db/schema/index.ts';
import { customerActor, SYSTEM, type DeskDeps } from './deps.ts';
import { applyTransition, cardUpdates, fanOut } from './act.ts';
import { DeskError } from './errors.ts';
import { appendEvents, enqueue, lockTicketByCode, lockTicketById, type Enqueue, type TicketRow } from './store.ts';
import type { Tx } from '../db/client.ts';
import { syncTimers } from './timers.ts';
import { cutText } from '../core/text.ts';
import { recordReceipt, type DeliveryReceipt } from './receipts.ts';

export interface SurveyAnswer {
  ticket: string;
  /** Who answered: only the ticket's own customer may. */
  channel: string;
  customerExternalId: string;
  score: number;
  comment?: string;
  /** The platform delivery this answer came in (a card click): recorded in the same transaction. */
  receipt?: DeliveryReceipt;
}

export interface SurveyResult {
  code: string;
  outcome: 'satisfied' | 'reopened';
  message: string;
}

export async function answerSurvey(deps: DeskDeps, input: SurveyAnswer): Promise<SurveyResult> {
  const now = deps.clock.now();
  const result = await deps.database.db.transaction(async (tx) => {
    await recordReceipt(tx, input.receipt);
    const t = await lockTicketByCode(tx, input.ticket);
    if (!t) throw new DeskError('not_found', `找不到工单 ${input.ticket}`);
    const [owner] = await tx.select().from(customers).where(eq(customers.id, t.customerId));
    if (owner.channel !== input.channel || owner.externalId !== input.customerExternalId) {
      throw new DeskError('not_your_ticket', '只有提交该反馈的客户可以评价');
    }
    // A ticket merged into another one got that ticket's survey: the answer is recorded on the customer's own ticket.
    if (t.closeReason === 'merged') return answerMergedSurvey(tx, deps, t, owner.id, input, now);
    const { patch, events } = applyTransition(
      t,
      { type: 'surveyAnswer', score: input.score, comment: input.comment, satisfiedMin: deps.config.survey.satisfiedMin },
      now,
    );
    const [updated] = await tx
      .update(tickets)
      .set({ ...patch, csatVia: 'customer', updatedAt: now })
      .where(eq(tickets.id, t.id))
      .returning();
    const seqs = await appendEvents(tx, t.id, customerActor(owner.id), now, events);
    const seq = seqs[seqs.length - 1];
    const satisfied = patch.status === 'closed';
    const items: Enqueue[] = [
      {
        channel: t.channel,
        kind: 'customer.text',
        ticketId: t.id,
        payload: {
          text: satisfied
            ? `感谢您的评价（${input.score} 分）！工单 ${t.code} 已归档。`
            : `感谢您的反馈（${input.score} 分）。很抱歉没有让您满意，工单 ${t.code} 已重新打开，我们会尽快跟进。`,
          purpose: 'notice',
        },
        idemKey: `survey-thanks:${t.id}:${seq}`,
      },
    ];
    if (!satisfied) {
      items.push({
        channel: 'agents',
        kind: 'agents.text',
        ticketId: t.id,
        payload: {
          text: `客户对工单 ${t.code} 的处理不满意（${input.score} 分）${input.comment ? `：「${cutText(input.comment, 200)}」` : ''}，工单已重开，请负责人跟进。`,
          notify: 'leads',
        },
        idemKey: `reopened:${t.id}:${seq}`,
      });
    }
    await enqueue(tx, now, [...fanOut(deps, items), ...cardUpdates(deps, t.id, seq)]);
    await syncTimers(tx, deps, updated, now);
    return {
      code: t.code,
      outcome: satisfied ? ('satisfied' as const) : ('reopened' as const),
      message: satisfied ? '感谢您的评价，工单已归档' : '感谢反馈，我们会继续跟进',
    };
  });
  deps.wake();
  return result;
}

/** Closes a resolved ticket as "unrated" (never satisfied) at once: records made before the phone follow-up existed. */
export async function closeUnrated(deps: DeskDeps, ticketId: number, now: Date = deps.clock.now()): Promise<boolean> {
  const closed = await deps.database.db.transaction(async (tx) => {
    const t = await lockTicketById(tx, ticketId);
    if (t?.status !== 'resolved') return false;
    const { patch, events } = applyTransition(t, { type: 'surveyTimeout' }, now);
    const [updated] = await tx
      .update(tickets)
      .set({ ...patch, updatedAt: now })
      .where(eq(tickets.id, t.id))
      .returning();
    const seqs = await appendEvents(tx, t.id, SYSTEM, now, events);
    await enqueue(tx, now, cardUpdates(deps, t.id, seqs[seqs.length - 1]));
    await syncTimers(tx, deps, updated, now);
    return true;
  });
  if (closed) deps.wake();
  return closed;
}

/** The survey answer of a customer whose ticket was merged: kept on their ticket; an unhappy one tells the leads. */
async function answerMergedSurvey(tx: Tx, deps: DeskDeps, t: TicketRow, customerId: number, input: SurveyAnswer, now: Date): Promise<SurveyResult> {
  const { patch, events } = applyTransition(t, { type: 'mergedSurveyAnswer', score: input.score, comment: input.comment }, now);
  await tx
    .update(tickets)
    .set({ ...patch, updatedAt: now })
    .where(eq(tickets.id, t.id));
  const [seq] = await appendEvents(tx, t.id, customerActor(customerId), now, events);
  const satisfied = input.score >= deps.config.survey.satisfiedMin;
  const [into] = t.mergedIntoId ? await tx.select({ code: tickets.code }).from(tickets).where(eq(tickets.id, t.mergedIntoId)) : [];
  const items: Enqueue[] = [
    {
      channel: t.channel,
      kind: 'customer.text',
      ticketId: t.id,
      payload: { text: `感谢您的评价（${input.score} 分）！`, purpose: 'notice' },
      idemKey: `survey-thanks:${t.id}:${seq}`,
    },
  ];
  if (!satisfied) {
    items.push({
      channel: 'agents',
      kind: 'agents.text',
      ticketId: t.id,
      payload: {
        text: `工单 ${t.code}（已合并到 ${into?.code ?? '—'}）的客户不满意（${input.score} 分）${input.comment ? `：「${cutText(input.comment, 200)}」` : ''}，请负责人跟进。`,
        notify: 'leads',
      },
      idemKey: `merged-unhappy:${t.id}:${seq}`,
    });
  }
  await enqueue(tx, now, [...fanOut(deps, items), ...cardUpdates(deps, t.id, seq)]);
  return { code: t.code, outcome: satisfied ? 'satisfied' : 'reopened', message: satisfied ? '感谢您的评价' : '感谢反馈，我们会继续跟进' };
}
