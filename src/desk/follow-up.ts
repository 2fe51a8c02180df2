import { eq } from 'drizzle-orm';
import { STATUS_LABELS } from '../core/ticket.ts';
import { tickets } from '../db/schema/index.ts';
import type { AgentRef } from './types.ts';
import { applyTransition, cardUpdates, fanOut, roleOf, upsertAgent, type Role } from './act.ts';
import { agentActor, type DeskDeps } from './deps.ts';
import { DeskError } from './errors.ts';
import { appendEvents, enqueue, lockTicketByCode, type Enqueue } from './store.ts';
import { syncTimers } from './timers.ts';
import type { SurveyResult } from './survey.ts';

/** The answer a customer gave an agent by phone or in person (电话回访), recorded by that agent. */
export interface FollowUpInput {
  ticket: string;
  actor: AgentRef;
  viaAgentGroup: boolean;
  /** A role the caller already established (the console checks its session against config.roles itself). */
  role?: Role;
  score: number;
  /** The customer's own words. */
  comment?: string;
  /** When the call took place (default now); never in the future, never before the ticket was resolved. */
  calledAt?: Date;
}

const MAX_COMMENT = 1000;

/**
 * Closes or reopens the ticket exactly as the customer's own survey answer would (same transition, same notices),
 * marked `via: phone` with the agent who recorded it. Only the assignee, a lead or an admin may record it, only
 * while the survey is open, and never over an answer the customer gave themselves.
 */
export async function recordFollowUp(deps: DeskDeps, input: FollowUpInput): Promise<SurveyResult> {
  const role = input.role ?? roleOf(deps.config, input.actor, input.viaAgentGroup);
  if (!role) throw new DeskError('forbidden', '只有客服成员可以录入回访');
  if (!Number.isInteger(input.score) || input.score < 1 || input.score > 5) throw new DeskError('bad_score', '评分须为 1–5 的整数');
  const comment = input.comment?.trim() || undefined;
  if (comment && comment.length > MAX_COMMENT) throw new DeskError('invalid', `客户原话最多 ${MAX_COMMENT} 个字`);
  const now = deps.clock.now();
  const calledAt = input.calledAt ?? now;
  if (Number.isNaN(calledAt.getTime()) || calledAt > now) throw new DeskError('invalid', '回访时间不能晚于现在');

  const result = await deps.database.db.transaction(async (tx) => {
    const t = await lockTicketByCode(tx, input.ticket);
    if (!t) throw new DeskError('not_found', `找不到工单 ${input.ticket}`);
    if (t.status !== 'resolved') {
      if (t.surveyAnsweredAt && t.csatScore !== null) throw new DeskError('already_answered', `客户已评价（${t.csatScore} 分），不能再录入回访`);
      throw new DeskError('not_resolved', `工单 ${t.code} 当前为「${STATUS_LABELS[t.status] ?? t.status}」，只有已解决、等待回访的工单可以录入回访`);
    }
    if (t.resolvedAt && calledAt < t.resolvedAt) throw new DeskError('invalid', '回访时间不能早于工单解决时间');
    const agentId = await upsertAgent(tx, input.actor, role);
    if (role === 'agent' && t.assigneeId !== agentId) throw new DeskError('not_your_ticket', `工单 ${t.code} 不是您负责的，只有处理人或负责人可以录入回访`);

    const { patch, events } = applyTransition(t, { type: 'surveyAnswer', score: input.score, comment, satisfiedMin: deps.config.survey.satisfiedMin }, now);
    const actor = agentActor(input.actor.platform, input.actor.userId);
    Object.assign(events[0].data, { via: 'phone', by: actor, byName: input.actor.name ?? null, calledAt: calledAt.toISOString() });
    const [updated] = await tx.update(tickets).set({ ...patch, csatVia: 'phone', updatedAt: now }).where(eq(tickets.id, t.id)).returning();
    const seqs = await appendEvents(tx, t.id, actor, now, events);
    const seq = seqs[seqs.length - 1];
    const satisfied = patch.status === 'closed';
    // The customer heard the outcome on the phone: no thanks message; an unhappy answer still goes to the leads.
    const items: Enqueue[] = satisfied
      ? []
      : [
          {
            channel: 'agents',
            kind: 'agents.text',
            ticketId: t.id,
            payload: { text: `电话回访：客户对工单 ${t.code} 的处理不满意（${input.score} 分）${comment ? `：「${comment.slice(0, 200)}」` : ''}，工单已重开，请负责人跟进。`, notify: 'leads' },
            idemKey: `reopened:${t.id}:${seq}`,
          },
        ];
    await enqueue(tx, now, [...fanOut(deps, items), ...cardUpdates(deps, t.id, seq)]);
    await syncTimers(tx, deps, updated, now);
    return {
      code: t.code,
      outcome: satisfied ? ('satisfied' as const) : ('reopened' as const),
      message: satisfied ? `已录入电话回访（${input.score} 分），工单已归档` : `已录入电话回访（${input.score} 分），客户不满意，工单已重开并通知负责人`,
    };
  });
  deps.wake();
  return result;
}
