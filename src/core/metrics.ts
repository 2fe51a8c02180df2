/**
 * The metric definitions: every number in /stats, the daily digest, the ledger, the mechanism description and the
 * auditor's package comes from this module. Pure: rows in, numbers out; the instant "now" is a parameter.
 *
 * Three steps, so large ranges can be streamed and pre-aggregated:
 *   ticketFacts(row)   → the per-ticket numbers (the ledger row shows exactly these)
 *   addFacts(acc, f)   → a JSON-serialisable partial aggregate; mergeAcc() combines partials (days → month)
 *   finalizeMetrics()  → the KPIs
 *
 * Definitions (README "Metric definitions" repeats them for the auditor):
 * - Cohort: a range holds the tickets *received* in it (created_at in [from, to), days in the calendar's zone).
 *   Every KPI of a range is about that cohort, evaluated at `now` (the time of the report).
 * - Probe tickets (planted test complaints) and duplicates merged into another ticket are not counted anywhere.
 * - Earlier records imported from the company's old spreadsheet (导入) are listed but not counted: every rate is about
 *   tickets Loopdesk itself received and followed; the imported ones are only counted apart (`imported`).
 * - Durations: "SLA minutes" are minutes in the ticket's own SLA clock (business minutes for business-clock
 *   categories, wall-clock minutes otherwise); "calendar minutes" are wall-clock minutes. Resolution SLA minutes
 *   leave out the time the clock was paused (waiting on the customer). Per-ticket values are rounded to whole
 *   minutes before aggregation, so anyone can recompute a median from the ledger column.
 * - First response within promise: the first reply the customer could see came at or before the due time of the
 *   ticket's policy snapshot. Rate = met ÷ (met + breached); tickets still inside their window are "pending".
 * - Resolution rate (解决率) = confirmed ÷ tickets with a resolution promise. Confirmed = closed as satisfied: the customer
 *   said so, or an agent recorded the customer's answer on a phone follow-up (csatVia 'phone'). Tickets without a
 *   resolution promise (suggestions by default) are out of both sides. 已解决·待回访 and 未评价 are counted apart and
 *   never as resolved. Satisfied-archive rate (满意归档率) = closed as satisfied ÷ received.
 * - The wording a reviewer reads is in METRIC_TERMS / metricDefinitions() below, printed wherever a figure is.
 * - Median: the middle value (mean of the two middle values for an even count). P90: nearest rank, the value at
 *   position ⌈0.9·n⌉ of the sorted values.
 */
import type { BusinessCalendar } from './calendar.ts';
import { elapsedMinutes, slaState, type SlaPolicy, type SlaState } from './sla.ts';

/** Reference figure of the Lingang trial rules: passing companies resolved 92% of complaints on average. */
export const RESOLUTION_RATE_REFERENCE = 0.92;
/** Bump when a definition changes: cached daily aggregates computed under another version are rebuilt. */
export const METRICS_VERSION = 3;

/** The ticket fields the metrics read (a row of `tickets`, or the ledger's projection of it). */
export interface MetricTicket {
  channel: string;
  category: string;
  assigneeId: number | null;
  status: string;
  closeReason: string | null;
  isProbe: boolean;
  /** An earlier record imported from a spreadsheet (导入). */
  isImported?: boolean;
  isMajor: boolean;
  createdAt: Date;
  firstResponseAt: Date | null;
  resolvedAt: Date | null;
  closedAt: Date | null;
  surveySentAt: Date | null;
  surveyAnsweredAt: Date | null;
  /** The stored promise; when absent the due time is computed from the policy snapshot. */
  firstResponseDueAt?: Date | null;
  slaPolicy: Pick<SlaPolicy, 'clock' | 'firstResponseMinutes' | 'resolutionMinutes'> & Partial<SlaPolicy>;
  slaPausedMinutes: number;
  slaPausedSince: Date | null;
  csatScore: number | null;
  reopenCount: number;
  /** 'phone' when an agent recorded the answer the customer gave by phone (电话回访); else the customer's own. */
  csatVia?: string | null;
  /** The unanswered survey became a phone follow-up task (电话回访) at this instant, and the failed attempts so far. */
  followUpSince?: Date | null;
  followUpAttempts?: number;
}

export interface MetricOptions {
  calendar: BusinessCalendar;
  /** Scores at or above this are "satisfied" (config.survey.satisfiedMin, default 4). */
  satisfiedMin: number;
  now: Date;
}

export type TargetOutcome = 'met' | 'breached' | 'pending' | 'none';
export type TicketOutcome = 'open' | 'awaiting_survey' | 'satisfied' | 'unrated' | 'merged';

export interface TargetFacts {
  outcome: TargetOutcome;
  dueAt: Date | null;
  /** SLA-clock minutes from receipt to the first response / resolution (whole minutes); null while not done. */
  minutes: number | null;
  calendarMinutes: number | null;
}

export interface TicketFacts {
  /** Local day and month of receipt ('2026-03-02', '2026-03'). */
  day: string;
  month: string;
  category: string;
  channel: string;
  agentId: number | null;
  /** False for probes, imported records and merged duplicates: they appear in the ledger but in no KPI. */
  counted: boolean;
  /** An imported earlier record (counted apart, in `MetricsAcc.imported`). */
  imported?: boolean;
  firstResponse: TargetFacts;
  resolution: TargetFacts;
  outcome: TicketOutcome;
  resolved: boolean;
  surveySent: boolean;
  surveyAnswered: boolean;
  /** The answer was recorded by an agent from a phone call, not given by the customer themselves. */
  answeredByAgent?: boolean;
  /**
   * The phone follow-up of an unanswered survey: 'pending' while the named person works it, 'failed' when the ticket
   * closed as unrated after the configured failed attempts (「未评价（已回访 N 次未果）」), null otherwise.
   */
  followUp?: 'pending' | 'failed' | null;
  followUpAttempts?: number;
  score: number | null;
  reopenCount: number;
  isMajor: boolean;
  /** The category promises a resolution time: only such tickets are in the resolution rate (suggestions are not). */
  hasResolutionTarget: boolean;
  /** Closed as satisfied: the customer (or a recorded phone follow-up) confirmed the resolution. */
  confirmed: boolean;
  /** Closed unrated after at least one recorded phone follow-up attempt (「未评价（已回访 N 次未果）」). */
  unratedAfterFollowUp: boolean;
  /** Age of a ticket still being worked (calendar minutes at `now`), else null. */
  openAgeMinutes: number | null;
  /** True when nothing here depends on `now` any more (resolved or closed): safe to cache. */
  settled: boolean;
}

const MINUTE = 60_000;
const round1 = (x: number) => Math.round(x * 10) / 10;
/** Per-ticket durations: whole minutes (the unit of every promise), half up. */
const wholeMinutes = (x: number) => Math.round(x);
const WORKING = new Set(['new', 'claimed', 'responded', 'reopened']);

function targetOutcome(state: SlaState): TargetOutcome {
  if (state === 'met' || state === 'breached' || state === 'none') return state;
  return 'pending';
}

function policyOf(row: MetricTicket, calendar: BusinessCalendar): SlaPolicy {
  const p = row.slaPolicy;
  return {
    category: p.category ?? row.category,
    clock: p.clock === 'calendar' ? 'calendar' : 'business',
    firstResponseMinutes: p.firstResponseMinutes ?? null,
    resolutionMinutes: p.resolutionMinutes ?? null,
    nextResponseMinutes: p.nextResponseMinutes ?? null,
    dueSoonRatio: p.dueSoonRatio ?? 0.75,
    calendarVersion: p.calendarVersion ?? calendar.version,
    timeZone: p.timeZone ?? calendar.timeZone,
  };
}

/** The per-ticket numbers; the ledger's 台账 row and every aggregate are built from these. */
export function ticketFacts(row: MetricTicket, opts: MetricOptions): TicketFacts {
  const { calendar, now } = opts;
  const policy = policyOf(row, calendar);
  const day = calendar.localDate(row.createdAt);
  const resolved = row.status === 'resolved' || row.status === 'closed' ? row.closeReason !== 'merged' && row.resolvedAt !== null : false;

  const first = slaState({
    policy,
    calendar,
    start: row.createdAt,
    targetMinutes: policy.firstResponseMinutes,
    pausedMinutes: 0,
    pausedSince: null,
    doneAt: row.firstResponseAt,
    now,
  });
  const firstDue = row.firstResponseDueAt ?? first.dueAt;
  // The stored promise is what the customer was told; judge against it when it is there.
  const firstOutcome: TargetOutcome =
    policy.firstResponseMinutes == null
      ? 'none'
      : row.firstResponseAt
        ? firstDue && row.firstResponseAt <= firstDue
          ? 'met'
          : 'breached'
        : firstDue && now > firstDue
          ? 'breached'
          : 'pending';
  const res = slaState({
    policy,
    calendar,
    start: row.createdAt,
    targetMinutes: policy.resolutionMinutes,
    pausedMinutes: row.slaPausedMinutes,
    pausedSince: row.slaPausedSince,
    doneAt: resolved ? row.resolvedAt : null,
    now,
  });

  const outcome: TicketOutcome =
    row.closeReason === 'merged'
      ? 'merged'
      : row.status === 'closed'
        ? row.closeReason === 'satisfied'
          ? 'satisfied'
          : 'unrated'
        : row.status === 'resolved'
          ? 'awaiting_survey'
          : 'open';
  const answered = row.surveyAnsweredAt !== null && row.csatScore !== null;
  return {
    day,
    month: day.slice(0, 7),
    category: row.category,
    channel: row.channel,
    agentId: row.assigneeId,
    counted: !row.isProbe && !row.isImported && row.closeReason !== 'merged',
    imported: row.isImported === true,
    firstResponse: {
      outcome: firstOutcome,
      dueAt: policy.firstResponseMinutes == null ? null : firstDue,
      minutes: row.firstResponseAt ? wholeMinutes(elapsedMinutes(policy, calendar, row.createdAt, row.firstResponseAt)) : null,
      calendarMinutes: row.firstResponseAt ? wholeMinutes((row.firstResponseAt.getTime() - row.createdAt.getTime()) / MINUTE) : null,
    },
    resolution: {
      outcome: targetOutcome(res.state),
      dueAt: res.dueAt,
      minutes: resolved ? wholeMinutes(Math.max(0, elapsedMinutes(policy, calendar, row.createdAt, row.resolvedAt!) - row.slaPausedMinutes)) : null,
      calendarMinutes: resolved ? wholeMinutes((row.resolvedAt!.getTime() - row.createdAt.getTime()) / MINUTE) : null,
    },
    outcome,
    resolved,
    surveySent: row.surveySentAt !== null || row.surveyAnsweredAt !== null,
    surveyAnswered: answered,
    answeredByAgent: answered && row.csatVia === 'phone',
    followUp: !row.followUpSince ? null : row.status === 'resolved' ? 'pending' : outcome === 'unrated' ? 'failed' : null,
    followUpAttempts: row.followUpAttempts ?? 0,
    score: answered ? row.csatScore : null,
    reopenCount: row.reopenCount,
    isMajor: row.isMajor,
    hasResolutionTarget: policy.resolutionMinutes != null,
    confirmed: outcome === 'satisfied',
    unratedAfterFollowUp: outcome === 'unrated' && (row.followUpAttempts ?? 0) > 0,
    openAgeMinutes: WORKING.has(row.status) ? wholeMinutes(Math.max(0, now.getTime() - row.createdAt.getTime()) / MINUTE) : null,
    settled: row.status === 'resolved' || row.status === 'closed',
  };
}

// ── aggregation ──────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Durations are kept as histograms of their whole-minute values (value → count): exact medians and percentiles,
 * mergeable, and bounded by the number of distinct values instead of the number of tickets.
 */
export type Histogram = Record<string, number>;

function addTo(h: Histogram, v: number): void {
  h[v] = (h[v] ?? 0) + 1;
}

/** The values of a histogram, ascending, with their counts. */
function sortedEntries(h: Histogram): Array<[number, number]> {
  return Object.entries(h)
    .map(([k, n]): [number, number] => [Number(k), n])
    .sort((a, b) => a[0] - b[0]);
}

export function histogramCount(h: Histogram): number {
  let n = 0;
  for (const k in h) n += h[k];
  return n;
}

/** The value at 0-based rank `rank` of the sorted values. */
function atRank(entries: Array<[number, number]>, rank: number): number {
  let seen = 0;
  for (const [v, n] of entries) {
    seen += n;
    if (rank < seen) return v;
  }
  return entries[entries.length - 1][0];
}

export function histogramMedian(h: Histogram): number | null {
  const n = histogramCount(h);
  if (n === 0) return null;
  const e = sortedEntries(h);
  const mid = n >> 1;
  return n % 2 ? atRank(e, mid) : round1((atRank(e, mid - 1) + atRank(e, mid)) / 2);
}

/** Nearest rank: the value at position ⌈p·n⌉ (1-based) of the sorted values. */
export function histogramPercentile(h: Histogram, p: number): number | null {
  const n = histogramCount(h);
  if (n === 0) return null;
  return atRank(sortedEntries(h), Math.min(n, Math.max(1, Math.ceil(p * n))) - 1);
}

export function histogramMax(h: Histogram): number | null {
  let max: number | null = null;
  for (const k in h) if (max === null || Number(k) > max) max = Number(k);
  return max;
}

/** A partial aggregate: plain JSON (it is cached per day), mergeable without loss. */
export interface MetricsAcc {
  received: number;
  firstMet: number;
  firstBreached: number;
  firstPending: number;
  firstMinutes: Histogram;
  firstCalendarMinutes: Histogram;
  resolved: number;
  closedSatisfied: number;
  resMet: number;
  resBreached: number;
  resPending: number;
  resolutionMinutes: Histogram;
  resolutionCalendarMinutes: Histogram;
  breachedTickets: number;
  reopenedTickets: number;
  reopenCount: number;
  surveysSent: number;
  surveysAnswered: number;
  surveysAnsweredByAgent: number;
  scoreSum: number;
  /** Answers per score 1..5 (index 0 = score 1). */
  scores: number[];
  satisfied: number;
  unrated: number;
  /** Of `unrated`: closed after the configured failed phone follow-up attempts. */
  unratedAfterFollowUp: number;
  awaitingSurvey: number;
  /** Received tickets with a resolution promise (the resolution rate's denominator) and those of them confirmed. */
  withTarget: number;
  confirmed: number;
  /** Of `awaitingSurvey`: the survey went unanswered and a named person follows it up by phone. */
  awaitingFollowUp: number;
  major: number;
  open: number;
  openAges: Histogram;
  /** Imported earlier records (导入): counted here only, in no other figure. */
  imported?: number;
}

export function emptyAcc(): MetricsAcc {
  return {
    received: 0,
    firstMet: 0,
    firstBreached: 0,
    firstPending: 0,
    firstMinutes: {},
    firstCalendarMinutes: {},
    resolved: 0,
    closedSatisfied: 0,
    resMet: 0,
    resBreached: 0,
    resPending: 0,
    resolutionMinutes: {},
    resolutionCalendarMinutes: {},
    breachedTickets: 0,
    reopenedTickets: 0,
    reopenCount: 0,
    surveysSent: 0,
    surveysAnswered: 0,
    surveysAnsweredByAgent: 0,
    scoreSum: 0,
    scores: [0, 0, 0, 0, 0],
    satisfied: 0,
    unrated: 0,
    unratedAfterFollowUp: 0,
    awaitingSurvey: 0,
    withTarget: 0,
    confirmed: 0,
    awaitingFollowUp: 0,
    major: 0,
    open: 0,
    openAges: {},
  };
}

/** Adds one ticket; tickets that do not count (probes, merged) are ignored here, once, for every KPI. */
export function addFacts(acc: MetricsAcc, f: TicketFacts, satisfiedMin: number): MetricsAcc {
  if (!f.counted) {
    if (f.imported && f.outcome !== 'merged') acc.imported = (acc.imported ?? 0) + 1;
    return acc;
  }
  acc.received++;
  const fr = f.firstResponse;
  if (fr.outcome === 'met') acc.firstMet++;
  else if (fr.outcome === 'breached') acc.firstBreached++;
  else if (fr.outcome === 'pending') acc.firstPending++;
  if (fr.minutes !== null) addTo(acc.firstMinutes, fr.minutes);
  if (fr.calendarMinutes !== null) addTo(acc.firstCalendarMinutes, fr.calendarMinutes);
  const rs = f.resolution;
  if (rs.outcome === 'met') acc.resMet++;
  else if (rs.outcome === 'breached') acc.resBreached++;
  else if (rs.outcome === 'pending') acc.resPending++;
  if (f.resolved) {
    acc.resolved++;
    if (rs.minutes !== null) addTo(acc.resolutionMinutes, rs.minutes);
    if (rs.calendarMinutes !== null) addTo(acc.resolutionCalendarMinutes, rs.calendarMinutes);
  }
  if (f.outcome === 'satisfied') acc.closedSatisfied++;
  if (f.outcome === 'unrated') acc.unrated++;
  if (f.outcome === 'awaiting_survey') acc.awaitingSurvey++;
  if (f.hasResolutionTarget) {
    acc.withTarget++;
    if (f.confirmed) acc.confirmed++;
  }
  if (f.unratedAfterFollowUp) acc.unratedAfterFollowUp++;
  if (f.followUp === 'pending') acc.awaitingFollowUp++;
  if (fr.outcome === 'breached' || rs.outcome === 'breached') acc.breachedTickets++;
  if (f.reopenCount > 0) acc.reopenedTickets++;
  acc.reopenCount += f.reopenCount;
  if (f.surveySent) acc.surveysSent++;
  if (f.surveyAnswered && f.score !== null) {
    acc.surveysAnswered++;
    if (f.answeredByAgent) acc.surveysAnsweredByAgent++;
    acc.scoreSum += f.score;
    if (f.score >= 1 && f.score <= 5) acc.scores[f.score - 1]++;
    if (f.score >= satisfiedMin) acc.satisfied++;
  }
  if (f.isMajor) acc.major++;
  if (f.openAgeMinutes !== null) {
    acc.open++;
    addTo(acc.openAges, f.openAgeMinutes);
  }
  return acc;
}

const COUNTS = [
  'received',
  'firstMet',
  'firstBreached',
  'firstPending',
  'resolved',
  'closedSatisfied',
  'resMet',
  'resBreached',
  'resPending',
  'breachedTickets',
  'reopenedTickets',
  'reopenCount',
  'surveysSent',
  'surveysAnswered',
  'surveysAnsweredByAgent',
  'scoreSum',
  'satisfied',
  'unrated',
  'awaitingSurvey',
  'major',
  'open',
  'withTarget',
  'confirmed',
  'unratedAfterFollowUp',
  'awaitingFollowUp',
] as const;
const HISTOGRAMS = ['firstMinutes', 'firstCalendarMinutes', 'resolutionMinutes', 'resolutionCalendarMinutes', 'openAges'] as const;

function mergeHistogram(into: Histogram, from: Histogram): void {
  for (const k in from) into[k] = (into[k] ?? 0) + from[k];
}

/** Adds `from` into `into` (counts and histograms summed). Hot in /stats: a fixed field list, no reflection. */
export function mergeAcc(into: MetricsAcc, from: MetricsAcc): MetricsAcc {
  mergeCounts(into, from);
  for (const key of HISTOGRAMS) mergeHistogram(into[key], from[key]);
  return into;
}

/** Counts only (no durations): enough for volumes and rates, and much cheaper than mergeAcc. */
export function mergeCounts(into: MetricsAcc, from: MetricsAcc): MetricsAcc {
  for (const key of COUNTS) into[key] += from[key] ?? 0;
  if (from.imported) into.imported = (into.imported ?? 0) + from.imported;
  for (let i = 0; i < 5; i++) into.scores[i] += from.scores[i] ?? 0;
  return into;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = Float64Array.from(values).sort();
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : round1((s[mid - 1] + s[mid]) / 2);
}

/** Nearest-rank percentile: the value at position ⌈p·n⌉ (1-based) of the sorted values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = Float64Array.from(values).sort();
  return s[Math.min(s.length, Math.max(1, Math.ceil(p * s.length))) - 1];
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

export interface Metrics {
  received: number;
  firstResponse: {
    met: number;
    breached: number;
    pending: number;
    /** met ÷ (met + breached) */
    metRate: number | null;
    medianMinutes: number | null;
    p90Minutes: number | null;
    medianCalendarMinutes: number | null;
    p90CalendarMinutes: number | null;
  };
  resolution: {
    /** Marked resolved (awaiting the survey, or closed in any way): the work done, not the customer's confirmation. */
    resolved: number;
    /** 解决率: confirmed ÷ withTarget (see the module comment); the figure beside the 92% reference. */
    rate: number | null;
    confirmed: number;
    withTarget: number;
    /** Received without a resolution promise (suggestions): out of the resolution rate, and said so. */
    excludedNoTarget: number;
    /** 已解决·待回访: resolved, the survey not answered yet. */
    awaitingSurvey: number;
    /** 未评价 (closed without an answer), and of them those closed after failed phone follow-up attempts. */
    unrated: number;
    unratedAfterFollowUp: number;
    closedSatisfied: number;
    /** closed as satisfied ÷ received */
    satisfiedRate: number | null;
    /** 0.92: the reference figure shown beside `rate` */
    reference: number;
    met: number;
    breached: number;
    pending: number;
    metRate: number | null;
    medianMinutes: number | null;
    p90Minutes: number | null;
    medianCalendarMinutes: number | null;
  };
  breaches: { tickets: number; firstResponse: number; resolution: number };
  reopened: { tickets: number; count: number };
  survey: {
    sent: number;
    answered: number;
    /** Of the answered: given by the customer (chat, e-mail, private page) and recorded by an agent by phone. */
    answeredByCustomer: number;
    answeredByAgent: number;
    /** answered ÷ sent */
    responseRate: number | null;
    awaiting: number;
    averageScore: number | null;
    satisfied: number;
    /** satisfied (score ≥ satisfiedMin) ÷ answered */
    satisfiedShare: number | null;
    unrated: number;
    /** Of `unrated`: closed only after the configured failed phone follow-up attempts (「未评价（已回访 N 次未果）」). */
    unratedAfterFollowUp: number;
    /** Of `awaiting`: unanswered surveys a named person is following up by phone (待电话回访). */
    awaitingFollowUp: number;
    /** answers per score, index 0 = 1 point … index 4 = 5 points */
    distribution: number[];
  };
  major: number;
  backlog: { open: number; oldestAgeMinutes: number | null; medianAgeMinutes: number | null };
  /** Imported earlier records (导入) of the range: in no figure above, counted apart. */
  imported: number;
}

/** Median and nearest-rank P90 of a histogram with one sort. */
function quantiles(h: Histogram): { median: number | null; p90: number | null } {
  const e = sortedEntries(h);
  let n = 0;
  for (const [, c] of e) n += c;
  if (n === 0) return { median: null, p90: null };
  const mid = n >> 1;
  return {
    median: n % 2 ? atRank(e, mid) : round1((atRank(e, mid - 1) + atRank(e, mid)) / 2),
    p90: atRank(e, Math.min(n, Math.max(1, Math.ceil(0.9 * n))) - 1),
  };
}

export function finalizeMetrics(acc: MetricsAcc): Metrics {
  const first = quantiles(acc.firstMinutes);
  const firstCal = quantiles(acc.firstCalendarMinutes);
  const res = quantiles(acc.resolutionMinutes);
  return {
    received: acc.received,
    firstResponse: {
      met: acc.firstMet,
      breached: acc.firstBreached,
      pending: acc.firstPending,
      metRate: ratio(acc.firstMet, acc.firstMet + acc.firstBreached),
      medianMinutes: first.median,
      p90Minutes: first.p90,
      medianCalendarMinutes: firstCal.median,
      p90CalendarMinutes: firstCal.p90,
    },
    resolution: {
      resolved: acc.resolved,
      rate: ratio(acc.confirmed ?? 0, acc.withTarget ?? 0),
      confirmed: acc.confirmed ?? 0,
      withTarget: acc.withTarget ?? 0,
      excludedNoTarget: acc.received - (acc.withTarget ?? 0),
      awaitingSurvey: acc.awaitingSurvey,
      unrated: acc.unrated,
      unratedAfterFollowUp: acc.unratedAfterFollowUp ?? 0,
      closedSatisfied: acc.closedSatisfied,
      satisfiedRate: ratio(acc.closedSatisfied, acc.received),
      reference: RESOLUTION_RATE_REFERENCE,
      met: acc.resMet,
      breached: acc.resBreached,
      pending: acc.resPending,
      metRate: ratio(acc.resMet, acc.resMet + acc.resBreached),
      medianMinutes: res.median,
      p90Minutes: res.p90,
      medianCalendarMinutes: histogramMedian(acc.resolutionCalendarMinutes),
    },
    breaches: { tickets: acc.breachedTickets, firstResponse: acc.firstBreached, resolution: acc.resBreached },
    reopened: { tickets: acc.reopenedTickets, count: acc.reopenCount },
    survey: {
      sent: acc.surveysSent,
      answered: acc.surveysAnswered,
      answeredByCustomer: acc.surveysAnswered - (acc.surveysAnsweredByAgent ?? 0),
      answeredByAgent: acc.surveysAnsweredByAgent ?? 0,
      responseRate: ratio(acc.surveysAnswered, acc.surveysSent),
      awaiting: acc.awaitingSurvey,
      averageScore: acc.surveysAnswered ? Math.round((acc.scoreSum / acc.surveysAnswered) * 100) / 100 : null,
      satisfied: acc.satisfied,
      satisfiedShare: ratio(acc.satisfied, acc.surveysAnswered),
      unrated: acc.unrated,
      unratedAfterFollowUp: acc.unratedAfterFollowUp ?? 0,
      awaitingFollowUp: acc.awaitingFollowUp ?? 0,
      distribution: [...acc.scores],
    },
    major: acc.major,
    backlog: {
      open: acc.open,
      oldestAgeMinutes: histogramMax(acc.openAges),
      medianAgeMinutes: histogramMedian(acc.openAges),
    },
    imported: acc.imported ?? 0,
  };
}

export type Dimension = 'category' | 'channel' | 'agent';
export interface MetricFilter {
  category?: string;
  channel?: string;
  /** agents.id of the handler */
  agentId?: number;
}

export function matchesFilter(f: Pick<TicketFacts, 'category' | 'channel' | 'agentId'>, filter: MetricFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.category !== undefined && f.category !== filter.category) return false;
  if (filter.channel !== undefined && f.channel !== filter.channel) return false;
  if (filter.agentId !== undefined && f.agentId !== filter.agentId) return false;
  return true;
}

/** The whole pipeline on rows in memory (tests, small ranges): rows → metrics, optionally filtered. */
export function computeMetrics(rows: Iterable<MetricTicket>, opts: MetricOptions, filter?: MetricFilter): Metrics {
  const acc = emptyAcc();
  for (const row of rows) {
    const f = ticketFacts(row, opts);
    if (matchesFilter(f, filter)) addFacts(acc, f, opts.satisfiedMin);
  }
  return finalizeMetrics(acc);
}

/** Rows → metrics per value of one dimension (category id, channel, agent id or '' for unassigned). */
export function computeMetricsBy(rows: Iterable<MetricTicket>, opts: MetricOptions, by: Dimension): Map<string, Metrics> {
  const accs = new Map<string, MetricsAcc>();
  for (const row of rows) {
    const f = ticketFacts(row, opts);
    const key = dimensionKey(f, by);
    addFacts(accs.get(key) ?? accs.set(key, emptyAcc()).get(key)!, f, opts.satisfiedMin);
  }
  return new Map([...accs].map(([k, a]) => [k, finalizeMetrics(a)]));
}

export function dimensionKey(f: Pick<TicketFacts, 'category' | 'channel' | 'agentId'>, by: Dimension): string {
  return by === 'category' ? f.category : by === 'channel' ? f.channel : f.agentId === null ? '' : String(f.agentId);
}

// ── definitions, as shown to the auditor ─────────────────────────────────────────────────────────────────────

export interface MetricDefinition {
  name: string;
  formula: string;
}

/** The 92% reference, footnoted wherever it is printed: a figure reported by the press, not a rule. */
export const REFERENCE_NOTE =
  '参考值 92% 为媒体报道的临港试点审核通过企业平均投诉解决率，仅作行业参考，不是监管规定的达标线；本系统的解决率按口径说明中的定义计算，二者口径可能不同。';

/** One line for cards and short messages; the full 口径说明 is metricDefinitions(). */
export const DEFINITIONS_SHORT =
  '口径：按收到时间统计，不含拨测工单；解决率 = 客户确认解决（含电话回访确认）÷ 有解决时限的工单（建议类不计入），已解决·待回访与未评价另列；参考值 92% 为媒体报道的行业数字，非规定。完整口径见台账“说明”页的“口径说明”。';

/** How a 解决率 is made up, in the reviewer's words (the ledger's 说明 and the audit pack's 说明.md). */
export function resolutionBreakdown(r: Metrics['resolution']): string {
  return (
    `客户确认解决 ${r.confirmed} 件 ÷ 有解决时限的工单 ${r.withTarget} 件；已解决·待回访 ${r.awaitingSurvey} 件、未评价 ${r.unrated} 件另列，不计为已解决；` +
    `无解决时限的 ${r.excludedNoTarget} 件不计入`
  );
}

/** The unit of every count a reviewer reads: one word everywhere. */
export const UNIT = '件';

export interface ClockOfCategory {
  name: string;
  clock: 'business' | 'calendar';
}

/** Which clock each category's promise runs on, in words: 及时率 is judged on it. */
function clockWords(clocks: readonly ClockOfCategory[] | undefined): string {
  if (!clocks?.length) return '按各类别承诺所用的计时方式';
  const business = clocks.filter((c) => c.clock === 'business').map((c) => c.name);
  const calendar = clocks.filter((c) => c.clock === 'calendar').map((c) => c.name);
  return [business.length ? `${business.join('、')}按工作时间计` : '', calendar.length ? `${calendar.join('、')}按自然时间计` : ''].filter(Boolean).join('，');
}

export function metricDefinitions(satisfiedMin: number, clocks?: readonly ClockOfCategory[]): MetricDefinition[] {
  return [
    {
      name: '统计口径',
      formula: '按“收到时间”落在所选区间内的工单统计（北京时间自然日），数值为导出时刻的状态。拨测工单（编号以 TC 开头）与被合并的重复工单不计入任何指标。',
    },
    {
      name: '统计区间',
      formula:
        '默认“近 6 个月”= 前 6 个完整自然月加本月 1 日至今天；控制台、台账、审核材料包、机制说明和统计卡片使用同一区间。本月尚未结束时，其数字标注“未结束”，不是最终结果。',
    },
    { name: '计量单位', formula: '工单数一律以“件”计；比率保留一位小数。' },
    { name: '收到工单数', formula: '区间内收到的工单数（不含拨测、合并）。' },
    {
      name: '首次响应及时率',
      formula: `首次对客户可见的回复时间 ≤ 承诺时限（按工单受理时的时限快照）的工单数 ÷（及时数 + 超时数），尚在时限内未回复的不计入分母。计时方式与承诺一致：${clockWords(clocks)}（工作时间：工作日 09:00–12:00、13:30–18:30，已含法定节假日与调休）。`,
    },
    {
      name: '首次响应时长（中位数、P90）',
      formula:
        '收到 → 首次回复的分钟数；“计时分钟”按工单的计时方式，“自然分钟”为实际经过时间。中位数取排序后居中的值（偶数个取中间两值平均），P90 取第 ⌈0.9×件数⌉ 个值。',
    },
    {
      name: '解决率',
      formula:
        '客户确认解决的工单数 ÷ 有解决时限的工单数。“客户确认解决”= 客户本人评价满意后归档，或客服电话回访时记录客户表示满意（标明“电话回访”及回访人）。' +
        '已标记解决但尚未评价（已解决·待回访）和未评价归档的工单都不算已解决，另行列出。投诉类的解决率与参考值 92% 并列，见“投诉解决率”。',
    },
    {
      name: '不计入解决率的工单',
      formula: '没有解决时限的类别（默认为“建议”）只记录、答复和采纳，不承诺解决时间，因此不进入解决率的分子和分母，数量另行列出。',
    },
    { name: '投诉解决率', formula: `投诉类工单按上述“解决率”口径计算，与参考值 92% 并列。${REFERENCE_NOTE}` },
    { name: '已解决·待回访', formula: '客服已标记解决、客户尚未评价的工单数（不计入解决率）。' },
    {
      name: '未评价',
      formula:
        '客户未评价满意度回访，且电话回访达到规定次数仍未取得评价，按“未评价（已回访若干次未果）”归档（括号内写明实际回访次数）的工单数（不视为满意，不计入已解决）；' +
        '待电话回访的工单计入“已解决·待回访”。',
    },
    { name: '满意归档率', formula: '客户评价满意（含电话回访记录的满意）后归档的工单数 ÷ 收到工单数（含建议类）。' },
    { name: '回访应答率', formula: '客户已评价的工单数 ÷ 已发送满意度回访的工单数。' },
    {
      name: '平均满意度 / 满意占比',
      formula: `已评价工单的最近一次评分（1–5 分）的平均值；满意占比 = 评分 ≥ ${satisfiedMin} 分的工单数 ÷ 已评价工单数（分母只含已评价的，须与回访应答率一并阅读）。`,
    },
    { name: '解决时长（中位数）', formula: '收到 → 最后一次标记解决的分钟数；计时分钟扣除等待客户答复的暂停时间。' },
    { name: '超时工单数', formula: '首次响应或解决任一项超过承诺时限的工单数（已完成但晚于时限，或未完成且当前已过时限）。' },
    { name: '重开', formula: '客户评价不满意后重新打开的工单数，及重开总次数。' },
    { name: '重大投诉', formula: '被标记为重大投诉（扬言向监管部门、媒体、律师等反映）的工单数。' },
    { name: '积压及时长', formula: '尚未解决（待认领、处理中、已回复、已重开）的工单数，及其自收到起的最长、中位等待时长（自然分钟）。' },
  ];
}

/** The 口径说明 block as Markdown lines: the same text in the mechanism description and the audit pack. */
export function definitionsMarkdown(satisfiedMin: number, clocks?: readonly ClockOfCategory[]): string[] {
  return ['### 口径说明', '', ...metricDefinitions(satisfiedMin, clocks).map((d) => `- **${d.name}**：${d.formula}`)];
}
