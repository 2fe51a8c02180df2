/**
 * The ticket lifecycle as pure functions: (ticket, command, now) → { patch, events } or a typed refusal.
 *
 *   new → claimed → responded → resolved (survey out) → closed (satisfied | unrated)
 *                                    ├─ unsatisfied → reopened → claimed/responded → resolved …
 *                                    └─ no answer after the reminder → 电话回访 task (still resolved) → answer | N failed
 *                                       attempts → closed unrated
 *
 * Decisions (documented in the README):
 * - Any agent action on an unassigned ticket (respond, resolve) claims it for that agent first, recorded as its
 *   own `claimed` event: the loop stays explicit and nobody has to click twice.
 * - A ticket cannot be resolved before the customer has seen a response: "closed loop" means the customer was
 *   answered, not just that a button was pressed.
 * - `closed` is reached only from `resolved`, by a survey answer at or above the satisfied threshold, or by the
 *   unrated close after the configured failed phone follow-up attempts. Silence is never satisfaction, and it is
 *   not the end either: an unanswered survey becomes a named person's follow-up task first. The one exception is a merge: a duplicate
 *   closes as `merged` into the ticket that carries the case (its customer gets that ticket's survey), and only an
 *   admin can undo it.
 */

export const STATUSES = ['new', 'claimed', 'responded', 'resolved', 'reopened', 'closed'] as const;
export type Status = (typeof STATUSES)[number];
/**
 * 'imported': an earlier record brought in from an old ledger without a satisfied answer (desk/import-records.ts);
 * `probe`: a channel probe's own ticket, closed by the probe (never a customer's).
 */
export type CloseReason = 'satisfied' | 'unrated' | 'merged' | 'imported' | 'probe';

export interface TicketState {
  status: Status;
  assigneeId: number | null;
  category: string;
  isMajor: boolean;
  escalated: boolean;
  waitingOnCustomer: boolean;
  claimedAt: Date | null;
  firstResponseAt: Date | null;
  lastResponseAt: Date | null;
  resolvedAt: Date | null;
  surveySentAt: Date | null;
  surveyAnsweredAt: Date | null;
  closedAt: Date | null;
  closeReason: CloseReason | null;
  csatScore: number | null;
  csatComment: string | null;
  reopenCount: number;
  /** The unanswered survey became a follow-up task (电话回访) for followUpAgentId; failed attempts so far. */
  followUpSince: Date | null;
  followUpAgentId: number | null;
  followUpAttempts: number;
}

/** How a follow-up attempt was made, and what came of a failed one (the words agents type in /visit). */
export const FOLLOW_UP_MEANS = ['电话', '短信', '邮件', '上门'] as const;
export const FOLLOW_UP_RESULTS = ['未接通', '拒接', '号码错误', '关机', '无人应答', '未回复', '其他'] as const;
export type FollowUpMeans = (typeof FOLLOW_UP_MEANS)[number];

export type Command =
  | { type: 'claim'; agentId: number }
  | { type: 'respond'; agentId: number; text: string; waitForCustomer?: boolean }
  | { type: 'note'; agentId: number; text: string }
  | { type: 'resolve'; agentId: number; summary?: string }
  | { type: 'reclassify'; agentId: number; category: string }
  | { type: 'escalate'; agentId: number; reason?: string }
  | { type: 'setMajor'; agentId: number | null; major: boolean; reason: string; reasons?: string[]; matches?: string[] }
  | { type: 'assign'; agentId: number; rule: string }
  | { type: 'merge'; agentId: number; into: string }
  | { type: 'unmerge'; agentId: number; restore: Status }
  | { type: 'mergedSurveySent'; via: string }
  | { type: 'mergedSurveyAnswer'; score: number; comment?: string }
  | { type: 'customerMessage'; text: string }
  | { type: 'surveyAnswer'; score: number; comment?: string; satisfiedMin: number }
  | { type: 'surveyTimeout' }
  | { type: 'followUpStart'; agentId: number | null }
  | { type: 'followUpAttempt'; agentId: number; means: FollowUpMeans; result: string; note?: string; at: Date; maxAttempts: number };

export interface TicketEvent {
  type: string;
  data: Record<string, unknown>;
}

export type RefusalCode =
  | 'closed'
  | 'already_claimed'
  | 'already_yours'
  | 'not_responded'
  | 'not_resolved'
  | 'bad_score'
  | 'same_category'
  | 'empty_text'
  | 'no_change'
  | 'not_merged'
  | 'not_following_up';

export class TransitionError extends Error {
  override name = 'TransitionError';
  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    super(message);
  }
}

export interface Transition {
  patch: Partial<TicketState>;
  events: TicketEvent[];
}

const OPEN: ReadonlySet<Status> = new Set(['new', 'claimed', 'responded', 'reopened']);

/** States in which agents work the ticket (the survey has not gone out). */
export const isWorkable = (s: Status) => OPEN.has(s);

function refuse(code: RefusalCode, message: string): never {
  throw new TransitionError(code, message);
}

/** Claims for the agent if nobody holds the ticket; returns the claim's patch and event (or nothing). */
function autoClaim(t: TicketState, agentId: number, now: Date): Transition {
  if (t.assigneeId !== null) return { patch: {}, events: [] };
  return {
    patch: { assigneeId: agentId, claimedAt: t.claimedAt ?? now, status: t.status === 'new' || t.status === 'reopened' ? 'claimed' : t.status },
    events: [{ type: 'claimed', data: { agentId, auto: true } }],
  };
}

function merge(a: Transition, b: Transition): Transition {
  return { patch: { ...a.patch, ...b.patch }, events: [...a.events, ...b.events] };
}

/** Applies a command. Throws TransitionError when the command makes no sense in this state. */
export function transition(t: TicketState, cmd: Command, now: Date): Transition {
  const mergedOnly = cmd.type === 'unmerge' || cmd.type === 'mergedSurveySent' || cmd.type === 'mergedSurveyAnswer';
  if (t.status === 'closed' && cmd.type !== 'customerMessage' && !mergedOnly) refuse('closed', '工单已关闭');
  if (mergedOnly && (t.status !== 'closed' || t.closeReason !== 'merged')) refuse('not_merged', '工单不是已合并状态');

  switch (cmd.type) {
    case 'claim': {
      if (!isWorkable(t.status)) refuse('closed', '工单已解决，等待客户回访');
      if (t.assigneeId === cmd.agentId && t.status !== 'reopened') refuse('already_yours', '你已认领此工单');
      if (t.assigneeId !== null && t.assigneeId !== cmd.agentId) refuse('already_claimed', '工单已被其他人认领');
      return {
        patch: { assigneeId: cmd.agentId, claimedAt: t.claimedAt ?? now, status: 'claimed' },
        events: [{ type: 'claimed', data: { agentId: cmd.agentId } }],
      };
    }
    case 'respond': {
      if (!cmd.text.trim()) refuse('empty_text', '回复内容不能为空');
      if (!isWorkable(t.status)) refuse('closed', '工单已解决，等待客户回访');
      const claim = autoClaim(t, cmd.agentId, now);
      return merge(claim, {
        patch: {
          status: 'responded',
          firstResponseAt: t.firstResponseAt ?? now,
          lastResponseAt: now,
          waitingOnCustomer: cmd.waitForCustomer ?? false,
        },
        events: [{ type: 'responded', data: { agentId: cmd.agentId, first: t.firstResponseAt === null, waitForCustomer: cmd.waitForCustomer ?? false } }],
      });
    }
    case 'note': {
      if (!cmd.text.trim()) refuse('empty_text', '备注内容不能为空');
      return { patch: {}, events: [{ type: 'noted', data: { agentId: cmd.agentId } }] };
    }
    case 'resolve': {
      if (!isWorkable(t.status)) refuse('closed', '工单已解决，等待客户回访');
      if (t.firstResponseAt === null) refuse('not_responded', '请先回复客户，再标记解决');
      const claim = autoClaim(t, cmd.agentId, now);
      return merge(claim, {
        patch: { status: 'resolved', resolvedAt: now, surveySentAt: now, waitingOnCustomer: false },
        events: [
          { type: 'resolved', data: { agentId: cmd.agentId, summary: cmd.summary ?? null } },
          { type: 'survey_sent', data: {} },
        ],
      });
    }
    case 'reclassify': {
      if (t.category === cmd.category) refuse('same_category', '分类未变化');
      return { patch: { category: cmd.category }, events: [{ type: 'reclassified', data: { agentId: cmd.agentId, from: t.category, to: cmd.category } }] };
    }
    case 'escalate': {
      return { patch: { escalated: true }, events: [{ type: 'escalated', data: { agentId: cmd.agentId, reason: cmd.reason ?? null } }] };
    }
    case 'setMajor': {
      if (t.isMajor === cmd.major) refuse('no_change', cmd.major ? '已是重大投诉' : '不是重大投诉');
      const detail = { ...(cmd.reasons ? { reasons: cmd.reasons } : {}), ...(cmd.matches ? { matches: cmd.matches } : {}) };
      return {
        patch: { isMajor: cmd.major },
        events: [{ type: cmd.major ? 'major_flagged' : 'major_cleared', data: { agentId: cmd.agentId, reason: cmd.reason, ...detail } }],
      };
    }
    case 'assign': {
      // Auto-assignment hands an unclaimed ticket to an agent on duty; it counts as that agent's claim.
      if (!isWorkable(t.status)) refuse('closed', '工单已解决，等待客户回访');
      if (t.assigneeId !== null) refuse('already_claimed', '工单已有处理人');
      return {
        patch: { assigneeId: cmd.agentId, claimedAt: t.claimedAt ?? now, status: 'claimed' },
        events: [{ type: 'assigned', data: { agentId: cmd.agentId, rule: cmd.rule } }],
      };
    }
    case 'merge': {
      // Only a ticket agents still work can be merged; one whose survey is out has its own answer coming.
      if (!isWorkable(t.status)) refuse('closed', '工单已解决，等待客户回访，不能合并');
      return {
        patch: { status: 'closed', closedAt: now, closeReason: 'merged', waitingOnCustomer: false },
        events: [
          { type: 'merged', data: { agentId: cmd.agentId, into: cmd.into, previousStatus: t.status } },
          { type: 'closed', data: { reason: 'merged', into: cmd.into } },
        ],
      };
    }
    case 'unmerge': {
      const restore: Status = isWorkable(cmd.restore) ? cmd.restore : 'reopened';
      return {
        patch: { status: restore, closedAt: null, closeReason: null, surveySentAt: null, surveyAnsweredAt: null, csatScore: null, csatComment: null },
        events: [{ type: 'unmerged', data: { agentId: cmd.agentId, restoredStatus: restore } }],
      };
    }
    case 'mergedSurveySent': {
      return {
        patch: { surveySentAt: now, surveyAnsweredAt: null, csatScore: null, csatComment: null },
        events: [{ type: 'survey_sent', data: { via: cmd.via } }],
      };
    }
    case 'mergedSurveyAnswer': {
      if (!t.surveySentAt || t.surveyAnsweredAt) refuse('not_resolved', t.surveyAnsweredAt ? '已收到您的评价，感谢！' : '工单尚未解决');
      if (!Number.isInteger(cmd.score) || cmd.score < 1 || cmd.score > 5) refuse('bad_score', '评分须为 1–5');
      const comment = cmd.comment?.trim() || null;
      return {
        patch: { surveyAnsweredAt: now, csatScore: cmd.score, csatComment: comment },
        events: [{ type: 'survey_answered', data: { score: cmd.score, comment, merged: true } }],
      };
    }
    case 'customerMessage': {
      if (t.status === 'closed') refuse('closed', '工单已关闭');
      // A customer writing resumes a paused clock; the survey (if out) stays out.
      return { patch: { waitingOnCustomer: false }, events: [{ type: 'customer_message', data: {} }] };
    }
    case 'surveyAnswer': {
      if (t.status !== 'resolved') refuse('not_resolved', t.surveyAnsweredAt ? '已收到您的评价，感谢！' : '工单尚未解决');
      if (!Number.isInteger(cmd.score) || cmd.score < 1 || cmd.score > 5) refuse('bad_score', '评分须为 1–5');
      const base: Partial<TicketState> = { surveyAnsweredAt: now, csatScore: cmd.score, csatComment: cmd.comment?.trim() || null };
      const answered: TicketEvent = { type: 'survey_answered', data: { score: cmd.score, comment: cmd.comment?.trim() || null } };
      if (cmd.score >= cmd.satisfiedMin) {
        return {
          patch: { ...base, status: 'closed', closedAt: now, closeReason: 'satisfied' },
          events: [answered, { type: 'closed', data: { reason: 'satisfied' } }],
        };
      }
      return {
        // Reopened tickets go back to their assignee; the lead is told (desk), the next survey (and follow-up) starts fresh.
        patch: {
          ...base,
          status: 'reopened',
          reopenCount: t.reopenCount + 1,
          resolvedAt: null,
          surveySentAt: null,
          followUpSince: null,
          followUpAgentId: null,
          followUpAttempts: 0,
        },
        events: [answered, { type: 'reopened', data: { reason: 'unsatisfied', score: cmd.score } }],
      };
    }
    case 'surveyTimeout': {
      if (t.status !== 'resolved') refuse('not_resolved', '工单不在回访中');
      return { patch: { status: 'closed', closedAt: now, closeReason: 'unrated' }, events: [{ type: 'closed', data: { reason: 'unrated' } }] };
    }
    case 'followUpStart': {
      if (t.status !== 'resolved') refuse('not_resolved', '工单不在回访中');
      if (t.followUpSince) refuse('no_change', '已在待电话回访中');
      return {
        patch: { followUpSince: now, followUpAgentId: cmd.agentId, followUpAttempts: 0 },
        events: [{ type: 'follow_up_started', data: { agentId: cmd.agentId, surveySentAt: t.surveySentAt?.toISOString() ?? null } }],
      };
    }
    case 'followUpAttempt': {
      if (t.status !== 'resolved' || !t.followUpSince) refuse('not_following_up', '工单不在待电话回访中');
      const attempts = t.followUpAttempts + 1;
      const attempt: TicketEvent = {
        type: 'follow_up_attempt',
        data: {
          agentId: cmd.agentId,
          attempt: attempts,
          of: cmd.maxAttempts,
          means: cmd.means,
          result: cmd.result,
          note: cmd.note?.trim() || null,
          at: cmd.at.toISOString(),
        },
      };
      // Only the last allowed failed attempt closes it: unrated, never satisfied, with the count on the record.
      if (attempts < cmd.maxAttempts) return { patch: { followUpAttempts: attempts }, events: [attempt] };
      return {
        patch: { followUpAttempts: attempts, status: 'closed', closedAt: now, closeReason: 'unrated' },
        events: [attempt, { type: 'closed', data: { reason: 'unrated', followUpAttempts: attempts } }],
      };
    }
  }
}

export function initialState(category: string, isMajor = false): TicketState {
  return {
    status: 'new',
    assigneeId: null,
    category,
    isMajor,
    escalated: false,
    waitingOnCustomer: false,
    claimedAt: null,
    firstResponseAt: null,
    lastResponseAt: null,
    resolvedAt: null,
    surveySentAt: null,
    surveyAnsweredAt: null,
    closedAt: null,
    closeReason: null,
    csatScore: null,
    csatComment: null,
    reopenCount: 0,
    followUpSince: null,
    followUpAgentId: null,
    followUpAttempts: 0,
  };
}

export const STATUS_LABELS: Record<Status, string> = {
  new: '待认领',
  claimed: '处理中',
  responded: '已回复',
  resolved: '已解决·待回访',
  reopened: '已重开',
  closed: '已归档',
};
