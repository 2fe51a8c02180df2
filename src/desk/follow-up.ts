import { eq } from 'drizzle-orm';
import { FOLLOW_UP_MEANS, FOLLOW_UP_RESULTS, STATUS_LABELS, type FollowUpMeans, type Status } from '../core/ticket.ts';
import { agents, tickets } from '../db/schema/index.ts';
import type { AgentRef } from './types.ts';
import { actorRole, applyTransition, cardUpdates, checkVersion, fanOut, roleOf, upsertAgent, type Role } from './act.ts';
import { agentActor, SYSTEM, type DeskDeps } from './deps.ts';
import { DeskError } from './errors.ts';
import { appendEvents, enqueue, lockTicketByCode, lockTicketById, type Enqueue, type TicketRow } from './store.ts';
import { syncTimers } from './timers.ts';
import { pingRows } from './pings.ts';
import { recordReceipt, type DeliveryReceipt } from './receipts.ts';
import type { SurveyResult } from './survey.ts';
import type { Tx } from '../db/client.ts';
import { excerpt } from '../core/text.ts';

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
    const [updated] = await tx
      .update(tickets)
      .set({ ...patch, csatVia: 'phone', updatedAt: now })
      .where(eq(tickets.id, t.id))
      .returning();
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
            payload: {
              text: `电话回访：客户对工单 ${t.code} 的处理不满意（${input.score} 分）${comment ? `：「${comment.slice(0, 200)}」` : ''}，工单已重开，请负责人跟进。`,
              notify: 'leads',
            },
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

/** 「张三」: the name on record, else the one in the config's roles, else the platform id. */
export async function agentName(tx: Tx, config: DeskDeps['config'], id: number | null): Promise<string | null> {
  if (id === null) return null;
  const [a] = await tx.select({ name: agents.name, platform: agents.platform, userId: agents.userId }).from(agents).where(eq(agents.id, id));
  if (!a) return null;
  const { agents: list, leads, admins } = config.roles;
  return a.name ?? [...list, ...leads, ...admins].find((p) => p.platform === a.platform && p.userId === a.userId)?.name ?? a.userId;
}

/**
 * Who calls the customer back: the ticket's assignee (who resolved it and knows the case), else the first lead of the
 * config (their agents row is created here, so the task names a person even before the lead ever clicked).
 */
async function followUpPerson(tx: Tx, deps: DeskDeps, t: TicketRow): Promise<number | null> {
  if (t.assigneeId !== null) return t.assigneeId;
  const lead = deps.config.roles.leads[0];
  return lead ? upsertAgent(tx, { platform: lead.platform, userId: lead.userId, name: lead.name ?? null }, 'lead') : null;
}

/**
 * The survey went unanswered through the reminder and the waiting period: the ticket stays 已解决 and becomes a
 * phone follow-up task (电话回访) for a named person, announced in the agents' chat with an @-mention. Idempotent on
 * the ticket's state (a second sweep finds the task started and does nothing). Never closes anything.
 */
export async function startFollowUp(deps: DeskDeps, ticketId: number, now: Date = deps.clock.now()): Promise<boolean> {
  const started = await deps.database.db.transaction(async (tx) => {
    const t = await lockTicketById(tx, ticketId);
    if (!t || t.status !== 'resolved' || t.followUpSince) return false;
    const person = await followUpPerson(tx, deps, t);
    const name = await agentName(tx, deps.config, person);
    const { patch, events } = applyTransition(t, { type: 'followUpStart', agentId: person }, now);
    Object.assign(events[0].data, { agentName: name, attemptsAllowed: deps.config.survey.followUpAttempts });
    const [updated] = await tx
      .update(tickets)
      .set({ ...patch, updatedAt: now })
      .where(eq(tickets.id, t.id))
      .returning();
    const [seq] = await appendEvents(tx, t.id, SYSTEM, now, events);
    const max = deps.config.survey.followUpAttempts;
    const head = `📞 待电话回访：工单 ${t.code}「${excerpt(t.subject, 30)}」的客户未评价满意度回访，`;
    const line = person
      ? `${head}请 ${name} 电话回访。接通后用 /csat ${t.code} 分数 录入评价；未接通用 /visit ${t.code} 电话 未接通 登记（${max} 次未果后按“未评价”归档）。`
      : `${head}且没有处理人，请负责人安排电话回访。`;
    const notify = person ? ('assignee' as const) : ('leads' as const);
    const ping = { ticketId: t.id, code: t.code, assigneeId: person, notify, key: `follow-up:${t.id}:${seq}`, line };
    const rows = await pingRows(tx, deps, [ping]);
    await enqueue(tx, now, [...rows, ...cardUpdates(deps, t.id, seq)]);
    await syncTimers(tx, deps, updated, now);
    return true;
  });
  if (started) deps.wake();
  return started;
}

/** One failed attempt to reach the customer for the follow-up (the answer itself goes through recordFollowUp). */
export interface FollowUpAttemptInput {
  ticket: string;
  actor: AgentRef;
  viaAgentGroup: boolean;
  role?: Role;
  means: string;
  result: string;
  note?: string;
  /** When it was tried (default now); never in the future, never before the task started. */
  at?: Date;
  /** The ticket version the console form was drawn from: a second submit of the same form is refused. */
  expectVersion?: number;
  /** The platform delivery of a typed /visit: a re-delivered command records nothing more. */
  receipt?: DeliveryReceipt;
}

export interface FollowUpAttemptResult {
  code: string;
  attempts: number;
  closed: boolean;
  message: string;
}

export const FOLLOW_UP_NOTE_MAX = 500;

/**
 * Records a failed attempt (time, means, result, note, who). The named person, a lead or an admin may record it,
 * only while the ticket awaits its follow-up. The configured number of failed attempts closes the ticket as
 * 「未评价（已回访 N 次未果）」: unrated, never satisfied, every attempt in the event log with its actor.
 */
export async function recordFollowUpAttempt(deps: DeskDeps, input: FollowUpAttemptInput): Promise<FollowUpAttemptResult> {
  const role = await actorRole(deps, input.actor, input.viaAgentGroup, input.role);
  if (!role) throw new DeskError('forbidden', '只有客服成员可以登记回访');
  if (!(FOLLOW_UP_MEANS as readonly string[]).includes(input.means)) {
    throw new DeskError('invalid', `回访方式须为 ${FOLLOW_UP_MEANS.join(' / ')}，收到「${input.means || '（空）'}」`);
  }
  const result = input.result.trim();
  if (!result) throw new DeskError('invalid', `请写上回访结果，例如 ${FOLLOW_UP_RESULTS.slice(0, 3).join(' / ')}`);
  if (result.length > 40) throw new DeskError('invalid', '回访结果请简短（40 字以内），详细情况写在备注里');
  const note = input.note?.trim() || undefined;
  if (note && note.length > FOLLOW_UP_NOTE_MAX) throw new DeskError('invalid', `备注最多 ${FOLLOW_UP_NOTE_MAX} 个字`);
  const now = deps.clock.now();
  const at = input.at ?? now;
  if (Number.isNaN(at.getTime()) || at > now) throw new DeskError('invalid', '回访时间不能晚于现在');
  const max = deps.config.survey.followUpAttempts;

  const out = await deps.database.db.transaction(async (tx) => {
    await recordReceipt(tx, input.receipt);
    const t = await lockTicketByCode(tx, input.ticket);
    if (!t) throw new DeskError('not_found', `找不到工单 ${input.ticket}`);
    if (t.status !== 'resolved' || !t.followUpSince) {
      const state = t.status === 'resolved' ? '已解决，客户尚在评价期内' : `「${STATUS_LABELS[t.status as Status] ?? t.status}」`;
      throw new DeskError('not_following_up', `工单 ${t.code} 当前${state}，不在待电话回访中，不能登记回访未果。`);
    }
    await checkVersion(tx, t.id, input.expectVersion);
    if (at < t.followUpSince) throw new DeskError('invalid', '回访时间不能早于回访任务开始的时间');
    const agentId = await upsertAgent(tx, input.actor, role);
    if (role === 'agent' && t.followUpAgentId !== null && t.followUpAgentId !== agentId) {
      throw new DeskError(
        'not_your_ticket',
        `工单 ${t.code} 的电话回访由 ${(await agentName(tx, deps.config, t.followUpAgentId)) ?? '其他客服'} 负责，只有回访人或负责人可以登记。`,
      );
    }
    const attempt = { type: 'followUpAttempt' as const, agentId, means: input.means as FollowUpMeans, result, note, at, maxAttempts: max };
    const { patch, events } = applyTransition(t, attempt, now);
    Object.assign(events[0].data, { byName: input.actor.name ?? (await agentName(tx, deps.config, agentId)) });
    const actor = agentActor(input.actor.platform, input.actor.userId);
    const [updated] = await tx
      .update(tickets)
      .set({ ...patch, updatedAt: now })
      .where(eq(tickets.id, t.id))
      .returning();
    const seqs = await appendEvents(tx, t.id, actor, now, events);
    await enqueue(tx, now, cardUpdates(deps, t.id, seqs[seqs.length - 1]));
    await syncTimers(tx, deps, updated, now);
    const closed = patch.status === 'closed';
    const n = patch.followUpAttempts!;
    return {
      code: t.code,
      attempts: n,
      closed,
      message: closed
        ? `已登记第 ${n} 次回访未果（${input.means}·${result}）。已回访 ${n} 次未果，工单按「未评价（已回访 ${n} 次未果）」归档，不计为满意。`
        : `已登记第 ${n} 次回访未果（${input.means}·${result}），还可再尝试 ${max - n} 次；客户接通后请用 /csat 录入评价。`,
    };
  });
  deps.wake();
  return out;
}
