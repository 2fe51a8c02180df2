import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialState, transition, TransitionError, type Command, type TicketState, type Status } from '../../src/core/ticket.ts';

const now = new Date('2026-03-02T02:00:00Z');
const A = 1;
const B = 2;
const state = (over: Partial<TicketState> = {}): TicketState => ({ ...initialState('bug'), ...over });
const apply = (t: TicketState, cmd: Command) => {
  const r = transition(t, cmd, now);
  return { ...t, ...r.patch, events: r.events.map((e) => e.type) };
};
const refused = (t: TicketState, cmd: Command) => {
  try {
    transition(t, cmd, now);
  } catch (e) {
    expect(e).toBeInstanceOf(TransitionError);
    return (e as TransitionError).code;
  }
  throw new Error(`expected ${cmd.type} to be refused in ${t.status}`);
};

describe('legal transitions', () => {
  it('new → claimed → responded → resolved → closed (satisfied)', () => {
    let t = apply(state(), { type: 'claim', agentId: A });
    expect([t.status, t.assigneeId, t.events]).toEqual(['claimed', A, ['claimed']]);
    t = apply(t, { type: 'respond', agentId: A, text: '您好' });
    expect([t.status, t.firstResponseAt, t.events]).toEqual(['responded', now, ['responded']]);
    t = apply(t, { type: 'resolve', agentId: A });
    expect([t.status, t.surveySentAt, t.events]).toEqual(['resolved', now, ['resolved', 'survey_sent']]);
    t = apply(t, { type: 'surveyAnswer', score: 5, satisfiedMin: 4 });
    expect([t.status, t.closeReason, t.csatScore, t.events]).toEqual(['closed', 'satisfied', 5, ['survey_answered', 'closed']]);
  });

  it('an unsatisfied answer reopens, and the loop runs again', () => {
    let t = apply(state({ status: 'resolved', assigneeId: A, firstResponseAt: now, resolvedAt: now, surveySentAt: now }), {
      type: 'surveyAnswer',
      score: 2,
      comment: '没解决',
      satisfiedMin: 4,
    });
    expect([t.status, t.reopenCount, t.csatScore, t.csatComment, t.events]).toEqual(['reopened', 1, 2, '没解决', ['survey_answered', 'reopened']]);
    t = apply(t, { type: 'claim', agentId: A });
    expect(t.status).toBe('claimed');
    t = apply(t, { type: 'respond', agentId: A, text: '已修复' });
    t = apply(t, { type: 'resolve', agentId: A });
    expect(t.status).toBe('resolved');
    t = apply(t, { type: 'surveyAnswer', score: 4, satisfiedMin: 4 });
    expect([t.status, t.closeReason]).toEqual(['closed', 'satisfied']);
  });

  it('responding to an unassigned ticket claims it first, as its own event', () => {
    const t = apply(state(), { type: 'respond', agentId: B, text: '收到' });
    expect([t.status, t.assigneeId, t.events]).toEqual(['responded', B, ['claimed', 'responded']]);
  });

  it('another agent may respond on a claimed ticket; the assignee stays', () => {
    const t = apply(state({ status: 'claimed', assigneeId: A }), { type: 'respond', agentId: B, text: '补充说明' });
    expect([t.assigneeId, t.events]).toEqual([A, ['responded']]);
  });

  it('the unrated timeout closes a resolved ticket as unrated, never satisfied', () => {
    const t = apply(state({ status: 'resolved', firstResponseAt: now }), { type: 'surveyTimeout' });
    expect([t.status, t.closeReason, t.csatScore]).toEqual(['closed', 'unrated', null]);
  });

  it('respond with "waiting for the customer" marks the wait; a customer message ends it', () => {
    let t = apply(state({ status: 'claimed', assigneeId: A }), { type: 'respond', agentId: A, text: '请提供截图', waitForCustomer: true });
    expect(t.waitingOnCustomer).toBe(true);
    t = apply(t, { type: 'customerMessage', text: '截图如下' });
    expect([t.waitingOnCustomer, t.events]).toEqual([false, ['customer_message']]);
  });

  it('reclassify, escalate and the major flag are recorded in any open state', () => {
    for (const status of ['new', 'claimed', 'responded', 'reopened', 'resolved'] as Status[]) {
      expect(apply(state({ status }), { type: 'reclassify', agentId: A, category: 'complaint' }).category).toBe('complaint');
      expect(apply(state({ status }), { type: 'escalate', agentId: A }).escalated).toBe(true);
      expect(apply(state({ status }), { type: 'setMajor', agentId: A, major: true, reason: '提到12315' }).events).toEqual(['major_flagged']);
    }
  });
});

describe('triage transitions', () => {
  it('auto-assignment claims an unassigned ticket for the agent, never a taken one', () => {
    const t = apply(state(), { type: 'assign', agentId: A, rule: 'round_robin' });
    expect([t.status, t.assigneeId, t.events]).toEqual(['claimed', A, ['assigned']]);
    expect(refused(state({ status: 'claimed', assigneeId: B }), { type: 'assign', agentId: A, rule: 'round_robin' })).toBe('already_claimed');
  });

  it('merge closes as merged; unmerge restores the state; the merged customer answers the survey on their own ticket', () => {
    let t = apply(state({ status: 'responded', assigneeId: A, firstResponseAt: now }), { type: 'merge', agentId: A, into: 'FB-20260302-0002' });
    expect([t.status, t.closeReason, t.events]).toEqual(['closed', 'merged', ['merged', 'closed']]);
    expect(refused(t, { type: 'respond', agentId: A, text: 'x' })).toBe('closed');
    expect(refused(t, { type: 'mergedSurveyAnswer', score: 5 })).toBe('not_resolved');
    t = apply(t, { type: 'mergedSurveySent', via: 'FB-20260302-0002' });
    t = apply(t, { type: 'mergedSurveyAnswer', score: 5, comment: '好' });
    expect([t.status, t.csatScore, t.events]).toEqual(['closed', 5, ['survey_answered']]);
    t = apply(t, { type: 'unmerge', agentId: A, restore: 'responded' });
    expect([t.status, t.closeReason, t.csatScore]).toEqual(['responded', null, null]);
    expect(refused(state({ status: 'closed', closeReason: 'satisfied' }), { type: 'unmerge', agentId: A, restore: 'new' })).toBe('not_merged');
    expect(refused(state({ status: 'resolved', firstResponseAt: now }), { type: 'merge', agentId: A, into: 'FB-20260302-0002' })).toBe('closed');
  });
});

describe('refusals', () => {
  const closed = state({ status: 'closed', closeReason: 'satisfied' });
  it.each<[string, TicketState, Command, string]>([
    ['claim by someone else', state({ status: 'claimed', assigneeId: A }), { type: 'claim', agentId: B }, 'already_claimed'],
    ['claim twice', state({ status: 'claimed', assigneeId: A }), { type: 'claim', agentId: A }, 'already_yours'],
    ['resolve before any response', state({ status: 'claimed', assigneeId: A }), { type: 'resolve', agentId: A }, 'not_responded'],
    ['empty reply', state({ status: 'claimed', assigneeId: A }), { type: 'respond', agentId: A, text: '  ' }, 'empty_text'],
    ['survey before resolve', state({ status: 'responded', firstResponseAt: now }), { type: 'surveyAnswer', score: 5, satisfiedMin: 4 }, 'not_resolved'],
    ['score out of range', state({ status: 'resolved', firstResponseAt: now }), { type: 'surveyAnswer', score: 6, satisfiedMin: 4 }, 'bad_score'],
    ['score not an integer', state({ status: 'resolved', firstResponseAt: now }), { type: 'surveyAnswer', score: 4.5, satisfiedMin: 4 }, 'bad_score'],
    ['timeout when not resolved', state({ status: 'responded', firstResponseAt: now }), { type: 'surveyTimeout' }, 'not_resolved'],
    ['claim while the survey is out', state({ status: 'resolved', firstResponseAt: now }), { type: 'claim', agentId: A }, 'closed'],
    ['respond while the survey is out', state({ status: 'resolved', firstResponseAt: now }), { type: 'respond', agentId: A, text: 'x' }, 'closed'],
    ['same category', state(), { type: 'reclassify', agentId: A, category: 'bug' }, 'same_category'],
    ['major flag already set', state({ isMajor: true }), { type: 'setMajor', agentId: A, major: true, reason: '' }, 'no_change'],
    ['answer the survey twice', closed, { type: 'surveyAnswer', score: 1, satisfiedMin: 4 }, 'closed'],
    ['act on a closed ticket', closed, { type: 'respond', agentId: A, text: 'x' }, 'closed'],
    ['message to a closed ticket', closed, { type: 'customerMessage', text: 'x' }, 'closed'],
  ])('%s', (_name, t, cmd, code) => {
    expect(refused(t, cmd)).toBe(code);
  });
});

describe('property: the loop cannot be skipped', () => {
  const command: fc.Arbitrary<Command> = fc.oneof(
    fc.constantFrom(A, B).map((agentId): Command => ({ type: 'claim', agentId })),
    fc
      .record({ agentId: fc.constantFrom(A, B), text: fc.constantFrom('', '好的'), wait: fc.boolean() })
      .map(({ agentId, text, wait }): Command => ({ type: 'respond', agentId, text, waitForCustomer: wait })),
    fc.constantFrom(A, B).map((agentId): Command => ({ type: 'resolve', agentId })),
    fc.constantFrom('bug', 'complaint').map((category): Command => ({ type: 'reclassify', agentId: A, category })),
    fc.constant<Command>({ type: 'escalate', agentId: A }),
    fc.constant<Command>({ type: 'customerMessage', text: '还在吗' }),
    fc.integer({ min: 0, max: 6 }).map((score): Command => ({ type: 'surveyAnswer', score, satisfiedMin: 4 })),
    fc.constant<Command>({ type: 'surveyTimeout' }),
    fc.constantFrom(A, B).map((agentId): Command => ({ type: 'assign', agentId, rule: 'round_robin' })),
    fc.constant<Command>({ type: 'merge', agentId: A, into: 'FB-20260302-0009' }),
    fc.constantFrom<Status>('new', 'claimed', 'responded', 'resolved', 'closed').map((restore): Command => ({ type: 'unmerge', agentId: A, restore })),
    fc.constant<Command>({ type: 'mergedSurveySent', via: 'FB-20260302-0009' }),
    fc.integer({ min: 0, max: 6 }).map((score): Command => ({ type: 'mergedSurveyAnswer', score })),
  );

  it('closed is reached only from resolved, by a survey answer or the unrated timeout, after a response', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), (cmds) => {
        let t = initialState('bug');
        const log: string[] = [];
        for (const cmd of cmds) {
          const before = t.status;
          try {
            const r = transition(t, cmd, now);
            t = { ...t, ...r.patch };
            log.push(...r.events.map((e) => e.type));
          } catch (e) {
            expect(e).toBeInstanceOf(TransitionError);
            continue;
          }
          if (t.status === 'closed' && t.closeReason === 'merged' && before !== 'closed') {
            // The one other way to close: an agent merges a ticket still being worked into another one.
            expect(cmd.type).toBe('merge');
            expect(['new', 'claimed', 'responded', 'reopened']).toContain(before);
            continue;
          }
          if (before === 'closed' && t.status !== 'closed') {
            // Leaving closed: only an admin's unmerge, and only of a merged ticket, back into a workable state.
            expect(cmd.type).toBe('unmerge');
            expect(['new', 'claimed', 'responded', 'reopened']).toContain(t.status);
            expect(t.closeReason).toBeNull();
          }
          if (t.status === 'closed' && before !== 'closed') {
            expect(before).toBe('resolved');
            expect(['surveyAnswer', 'surveyTimeout']).toContain(cmd.type);
            expect(log).toContain('resolved');
            expect(log).toContain('survey_sent');
            expect(t.firstResponseAt).not.toBeNull();
            if (t.closeReason === 'satisfied') expect(t.csatScore).toBeGreaterThanOrEqual(4);
            if (t.closeReason === 'unrated') expect(log.at(-1)).toBe('closed');
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
