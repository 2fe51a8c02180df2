import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { categoryOf, parseConfig } from '../../src/config.ts';
import { createCalendar } from '../../src/core/calendar.ts';
import {
  addFacts,
  computeMetrics,
  computeMetricsBy,
  emptyAcc,
  histogramMedian,
  histogramPercentile,
  finalizeMetrics,
  median,
  mergeAcc,
  percentile,
  metricDefinitions,
  REFERENCE_NOTE,
  RESOLUTION_RATE_REFERENCE,
  ticketFacts,
  type MetricTicket,
} from '../../src/core/metrics.ts';
import { policyFor } from '../../src/core/sla.ts';

const config = parseConfig({});
const calendar = createCalendar(config.calendar, () => {});
/** A Shanghai wall time. */
const sh = (local: string) => new Date(`${local.replace(' ', 'T')}:00+08:00`);
const now = sh('2026-03-09 10:00'); // Monday
const opts = { calendar, satisfiedMin: 4, now };

function ticket(category: string, created: string, patch: Partial<MetricTicket> = {}): MetricTicket {
  return {
    channel: 'feishu',
    category,
    assigneeId: 1,
    status: 'new',
    closeReason: null,
    isProbe: false,
    isMajor: false,
    createdAt: sh(created),
    firstResponseAt: null,
    resolvedAt: null,
    closedAt: null,
    surveySentAt: null,
    surveyAnsweredAt: null,
    slaPolicy: policyFor(categoryOf(config, category), config, calendar),
    slaPausedMinutes: 0,
    slaPausedSince: null,
    csatScore: null,
    reopenCount: 0,
    ...patch,
  };
}

/**
 * Hand-built week (business hours 09:00–12:00, 13:30–18:30; 2026-03-02..06 are plain workdays), report at Mon 03-09 10:00.
 */
const T1 = ticket('bug', '2026-03-02 10:00', {
  // first response 60 business min (promise 12:00, stored), resolved 15:00 = 120 + 90 = 210 business min, 5 points
  status: 'closed',
  closeReason: 'satisfied',
  firstResponseDueAt: sh('2026-03-02 12:00'),
  firstResponseAt: sh('2026-03-02 11:00'),
  resolvedAt: sh('2026-03-02 15:00'),
  surveySentAt: sh('2026-03-02 15:00'),
  surveyAnsweredAt: sh('2026-03-02 16:00'),
  closedAt: sh('2026-03-02 16:00'),
  csatScore: 5,
});
const T2 = ticket('complaint', '2026-03-02 11:00', {
  // first response exactly at the promise (60 + 60 = 120); waited on the customer 14:30 → Tue 10:00 (240 + 60 = 300 paused);
  // resolved Tue 11:00: 480 business min elapsed − 300 paused = 180; survey never answered → unrated
  status: 'closed',
  closeReason: 'unrated',
  firstResponseAt: sh('2026-03-02 14:30'),
  slaPausedMinutes: 300,
  resolvedAt: sh('2026-03-03 11:00'),
  surveySentAt: sh('2026-03-03 11:00'),
  closedAt: sh('2026-03-06 11:00'),
  channel: 'web',
  assigneeId: 2,
});
const T3 = ticket('consultation', '2026-03-02 10:00', {
  // first response Fri 10:00 = 4 × 480 = 1920 > 1440 → breached; unsatisfied (2) → reopened; resolved again Fri 15:00, then 4 points
  status: 'closed',
  closeReason: 'satisfied',
  firstResponseAt: sh('2026-03-06 10:00'),
  resolvedAt: sh('2026-03-06 15:00'),
  surveySentAt: sh('2026-03-06 15:00'),
  surveyAnsweredAt: sh('2026-03-06 16:00'),
  closedAt: sh('2026-03-06 16:00'),
  csatScore: 4,
  reopenCount: 1,
  assigneeId: 2,
});
const T4 = ticket('bug', '2026-03-02 10:30', { isProbe: true }); // a planted probe: never answered, never counted
const T5 = ticket('bug', '2026-03-06 16:00', { assigneeId: null }); // unanswered: Fri 150 + Mon 60 = 210 > 120 → breached now
const T6 = ticket('suggestion', '2026-03-09 09:30', { assigneeId: null }); // still inside its 24 h window; no resolution promise
const T7 = ticket('bug', '2026-03-02 09:00', {
  status: 'resolved',
  isMajor: true,
  firstResponseAt: sh('2026-03-02 09:30'),
  resolvedAt: sh('2026-03-02 10:00'),
  surveySentAt: sh('2026-03-02 10:00'),
});
const rows = [T1, T2, T3, T4, T5, T6, T7];

describe('ticketFacts', () => {
  it('measures business and calendar minutes, leaving pauses out of resolution time', () => {
    const f2 = ticketFacts(T2, opts);
    expect(f2.firstResponse).toMatchObject({ outcome: 'met', minutes: 120, calendarMinutes: 210 });
    expect(f2.resolution).toMatchObject({ outcome: 'met', minutes: 180, calendarMinutes: 1440 });
    expect(f2.outcome).toBe('unrated');
    expect(f2.day).toBe('2026-03-02');
    expect(f2.month).toBe('2026-03');
    expect(f2.settled).toBe(true);
  });

  it('judges the first response against the stored promise', () => {
    const late = ticketFacts({ ...T1, firstResponseDueAt: sh('2026-03-02 10:30') }, opts);
    expect(late.firstResponse.outcome).toBe('breached');
    expect(ticketFacts(T1, opts).firstResponse.dueAt).toEqual(sh('2026-03-02 12:00'));
  });

  it('turns an unanswered ticket into a breach once its promise has passed, and reports its age', () => {
    const f5 = ticketFacts(T5, opts);
    expect(f5.firstResponse.outcome).toBe('breached');
    expect(f5.resolution.outcome).toBe('pending');
    expect(f5.openAgeMinutes).toBe(3960);
    expect(f5.settled).toBe(false);
    expect(ticketFacts(T5, { ...opts, now: sh('2026-03-06 17:00') }).firstResponse.outcome).toBe('pending');
  });

  it('marks probes and merged duplicates as not counted', () => {
    expect(ticketFacts(T4, opts).counted).toBe(false);
    expect(ticketFacts({ ...T1, closeReason: 'merged' }, opts).counted).toBe(false);
  });
});

describe('computeMetrics on the hand-built week', () => {
  const m = computeMetrics(rows, opts);

  it('counts received tickets without the probe', () => {
    expect(m.received).toBe(6);
  });

  it('first responses within promise, median and p90', () => {
    expect(m.firstResponse).toEqual({
      met: 3, // T1, T2 (at the due minute), T7
      breached: 2, // T3 late, T5 unanswered past due
      pending: 1, // T6
      metRate: 3 / 5,
      medianMinutes: 90, // [30, 60, 120, 1920]
      p90Minutes: 1920,
      medianCalendarMinutes: 135, // [30, 60, 210, 5760]
      p90CalendarMinutes: 5760,
    });
  });

  it('resolution rate against the 92% reference, satisfied closures, resolution time', () => {
    expect(m.resolution).toEqual({
      resolved: 4, // T1, T2, T3 closed; T7 awaiting the survey
      // 解决率: confirmed by the customer (T1, T3 closed satisfied) ÷ the 5 with a resolution promise (not T6, a suggestion)
      rate: 2 / 5,
      confirmed: 2,
      withTarget: 5,
      excludedNoTarget: 1,
      awaitingSurvey: 1, // T7
      unrated: 1, // T2
      unratedAfterFollowUp: 0,
      closedSatisfied: 2,
      satisfiedRate: 2 / 6,
      reference: 0.92,
      met: 4,
      breached: 0,
      pending: 1, // T5 (T6 has no resolution promise)
      metRate: 1,
      medianMinutes: 195, // [60, 180, 210, 2130]
      p90Minutes: 2130,
      medianCalendarMinutes: 870, // [60, 300, 1440, 6060]
    });
    expect(RESOLUTION_RATE_REFERENCE).toBe(0.92);
  });

  it('解决率 counts a phone-recorded satisfied answer as confirmed, and unrated-after-follow-up apart', () => {
    const byPhone = { ...T2, closeReason: 'satisfied', csatScore: 5, surveyAnsweredAt: sh('2026-03-05 10:00'), csatVia: 'phone' };
    const afterCalls = { ...T2, followUpAttempts: 3 }; // 「未评价（已回访 3 次未果）」
    const phone = computeMetrics([T1, byPhone, T6], opts).resolution;
    expect(phone).toMatchObject({ confirmed: 2, withTarget: 2, rate: 1, excludedNoTarget: 1, unrated: 0, unratedAfterFollowUp: 0 });
    const unrated = computeMetrics([T1, T2, afterCalls], opts).resolution;
    expect(unrated).toMatchObject({ confirmed: 1, withTarget: 3, unrated: 2, unratedAfterFollowUp: 1 });
    expect(unrated.rate).toBeCloseTo(1 / 3);
    // Marked resolved but not confirmed (awaiting the survey) is never in the numerator.
    expect(computeMetrics([T7], opts).resolution).toMatchObject({ resolved: 1, confirmed: 0, awaitingSurvey: 1, rate: 0 });
  });

  it('prints each definition once, with the clock of each category and the 92% footnote', () => {
    const defs = Object.fromEntries(
      metricDefinitions(4, [
        { name: '产品故障', clock: 'business' },
        { name: '投诉', clock: 'calendar' },
      ]).map((d) => [d.name, d.formula]),
    );
    expect(defs['首次响应及时率']).toContain('产品故障按工作时间计，投诉按自然时间计');
    expect(defs['解决率']).toContain('客户确认解决的工单数 ÷ 有解决时限的工单数');
    expect(defs['投诉解决率']).toContain(REFERENCE_NOTE);
    expect(new Set(metricDefinitions(4).map((d) => d.name)).size).toBe(metricDefinitions(4).length);
  });

  it('breaches, reopenings, surveys, unrated, major, backlog', () => {
    expect(m.breaches).toEqual({ tickets: 2, firstResponse: 2, resolution: 0 });
    expect(m.reopened).toEqual({ tickets: 1, count: 1 });
    expect(m.survey).toEqual({
      sent: 4,
      answered: 2,
      answeredByCustomer: 2,
      answeredByAgent: 0,
      responseRate: 0.5,
      awaiting: 1,
      averageScore: 4.5,
      satisfied: 2,
      satisfiedShare: 1,
      unrated: 1,
      unratedAfterFollowUp: 0,
      awaitingFollowUp: 0,
      distribution: [0, 0, 0, 1, 1],
    });
    expect(m.major).toBe(1);
    expect(m.backlog).toEqual({ open: 2, oldestAgeMinutes: 3960, medianAgeMinutes: (30 + 3960) / 2 });
  });

  it('tells an unrated close after the phone follow-up, and a follow-up in progress, apart from the plain ones', () => {
    const failed = { ...T2, followUpSince: sh('2026-03-06 11:00'), followUpAttempts: 3, closedAt: sh('2026-03-09 09:00') };
    const pending = { ...T7, followUpSince: sh('2026-03-05 10:00'), followUpAttempts: 1 };
    expect(ticketFacts(failed, opts)).toMatchObject({ outcome: 'unrated', followUp: 'failed', followUpAttempts: 3 });
    expect(ticketFacts(pending, opts)).toMatchObject({ outcome: 'awaiting_survey', followUp: 'pending' });
    expect(ticketFacts(T2, opts).followUp).toBeNull();
    const s = computeMetrics([T1, failed, T3, pending], opts).survey;
    expect(s).toMatchObject({ unrated: 1, unratedAfterFollowUp: 1, awaiting: 1, awaitingFollowUp: 1, satisfied: 2 });
    expect(computeMetrics([T1, T2, T3, T7], opts).survey).toMatchObject({ unrated: 1, unratedAfterFollowUp: 0, awaitingFollowUp: 0 });
  });

  it('filters and breaks down by category, channel and handler', () => {
    const bugs = computeMetrics(rows, opts, { category: 'bug' });
    expect(bugs.received).toBe(3); // T1, T5, T7 — not the probe
    expect(computeMetrics(rows, opts, { agentId: 2 }).received).toBe(2);
    const byChannel = computeMetricsBy(rows, opts, 'channel');
    expect(byChannel.get('web')?.received).toBe(1);
    expect(byChannel.get('feishu')?.received).toBe(5);
    expect(computeMetricsBy(rows, opts, 'agent').get('')?.received).toBe(2);
  });

  it('gives the same answer whether partials are merged or computed at once', () => {
    const a = emptyAcc();
    const b = emptyAcc();
    rows.forEach((r, i) => addFacts(i % 2 ? a : b, ticketFacts(r, opts), 4));
    const merged = finalizeMetrics(mergeAcc(mergeAcc(emptyAcc(), JSON.parse(JSON.stringify(a))), b));
    expect(merged).toEqual(m);
  });

  it('answers nulls, not NaN, for an empty range', () => {
    const empty = computeMetrics([], opts);
    expect(empty.received).toBe(0);
    expect(empty.resolution.rate).toBeNull();
    expect(empty.firstResponse.medianMinutes).toBeNull();
    expect(empty.survey.averageScore).toBeNull();
  });
});

describe('quantiles', () => {
  it('median: middle value, or the mean of the two middle values', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });
  it('p90: nearest rank ⌈0.9·n⌉', () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9);
    expect(percentile([10, 1], 0.9)).toBe(10);
    expect(percentile([7], 0.9)).toBe(7);
  });
});

describe('histograms (how durations are aggregated)', () => {
  it('give exactly the median and nearest-rank p90 of the values they count', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.integer({ min: 0, max: 5000 }).map((x) => x / 10),
          { maxLength: 200 },
        ),
        (values) => {
          const h: Record<string, number> = {};
          for (const v of values) h[v] = (h[v] ?? 0) + 1;
          expect(histogramMedian(h)).toBe(median(values));
          expect(histogramPercentile(h, 0.9)).toBe(percentile(values, 0.9));
        },
      ),
    );
  });
});
