/**
 * Statistics of a date range, for /stats, the digest, GET /api/stats and the mechanism description.
 *
 * Speed without a second set of definitions: resolved and closed tickets no longer depend on "now", so their
 * per-day partial aggregates (core/metrics MetricsAcc, per category × channel × handler) are cached in `kv`
 * under `metrics:day:<date>`, each with a fingerprint of that day's tickets (count and the sum of row versions,
 * xmin: any change to any ticket of the day changes it). A stale or missing day is rebuilt from its rows. Tickets
 * still being worked are always computed live. Both halves go through the same ticketFacts/addFacts.
 */
import type { Config } from '../config.ts';
import type { BusinessCalendar } from '../core/calendar.ts';
import {
  addFacts,
  emptyAcc,
  finalizeMetrics,
  matchesFilter,
  mergeAcc,
  mergeCounts,
  METRICS_VERSION,
  ticketFacts,
  type Metrics,
  type MetricsAcc,
  type MetricFilter,
  type TicketFacts,
} from '../core/metrics.ts';
import type { Database } from '../db/client.ts';
import { CHANNEL_LABELS } from '../desk/view.ts';
import { daysOf, rangeOfDays, type DateRange } from './range.ts';
import { IN_RANGE, METRIC_COLUMNS, rangeParams, rawQuery, streamTickets, toMetricTicket } from './source.ts';

export interface StatsDeps {
  database: Database;
  config: Config;
  calendar: BusinessCalendar;
  now: Date;
}

export interface Labelled {
  key: string;
  name: string;
  metrics: Metrics;
}

export interface DailyStats {
  day: string;
  received: number;
  /** received per category id */
  byCategory: Record<string, number>;
  firstResponseMet: number;
  firstResponseBreached: number;
  /** met ÷ (met + breached) that day; null when nothing was decided */
  firstResponseMetRate: number | null;
}

export interface StatsResult {
  range: DateRange;
  filter: MetricFilter;
  generatedAt: Date;
  timeZone: string;
  metrics: Metrics;
  byCategory: Labelled[];
  byChannel: Labelled[];
  byAgent: Labelled[];
  daily: DailyStats[];
  /** The whole open queue right now, whatever the range (same definitions as metrics.backlog). */
  backlogNow: Metrics['backlog'];
}

const SEP = '\u0001';
const partKey = (f: Pick<TicketFacts, 'category' | 'channel' | 'agentId'>) => `${f.category}${SEP}${f.channel}${SEP}${f.agentId ?? ''}`;
function splitKey(key: string): { category: string; channel: string; agentId: number | null } {
  const [category, channel, agent] = key.split(SEP);
  return { category, channel, agentId: agent ? Number(agent) : null };
}

type DayParts = Record<string, MetricsAcc>;
interface StoredDay {
  fp: string;
  version: string;
  parts: DayParts;
  /** All parts merged: the unfiltered path merges one acc per day instead of one per part. */
  total: MetricsAcc;
}
interface Day {
  parts: DayParts;
  total: MetricsAcc;
}

const WORKING = `('new', 'claimed', 'responded', 'reopened')`;
const rollupKey = (day: string) => `metrics:day:${day}`;

function versionOf(config: Config, calendar: BusinessCalendar): string {
  return `${METRICS_VERSION}|${calendar.version}|${config.survey.satisfiedMin}`;
}

/** Cached partial aggregates of the settled tickets of each day of the range, rebuilding stale days first. */
export async function settledDayParts(deps: StatsDeps, range: DateRange): Promise<Map<string, Day>> {
  const { database, config, calendar } = deps;
  const version = versionOf(config, calendar);
  const [fps, stored] = await Promise.all([
    rawQuery<{ day: string; n: number; x: string }>(
      database,
      `select ((t.created_at at time zone $3)::date)::text as day, count(*)::int as n, coalesce(sum((t.xmin::text)::bigint), 0)::text as x
         from tickets t where ${IN_RANGE} group by 1`,
      [...rangeParams(range), calendar.timeZone],
    ),
    rawQuery<{ key: string; value: string }>(database, `select key, value::text as value from kv where key >= $1 and key <= $2`, [
      rollupKey(range.fromDay),
      rollupKey(range.toDay),
    ]),
  ]);
  const cached = new Map<string, StoredDay>(stored.map((r) => [r.key.slice('metrics:day:'.length), JSON.parse(r.value) as StoredDay]));
  const result = new Map<string, Day>();
  const stale: Array<{ day: string; fp: string }> = [];
  for (const { day, n, x } of fps) {
    const fp = `${n}:${x}`;
    const c = cached.get(day);
    if (c && c.fp === fp && c.version === version && c.total) result.set(day, { parts: c.parts, total: c.total });
    else stale.push({ day, fp });
  }
  if (stale.length) {
    const rebuilt = await rebuildDays(
      deps,
      stale.map((s) => s.day),
    );
    for (const { day, fp } of stale) {
      const parts = rebuilt.get(day) ?? {};
      const total = emptyAcc();
      for (const acc of Object.values(parts)) mergeAcc(total, acc);
      result.set(day, { parts, total });
      await rawQuery(
        database,
        `insert into kv (key, value, updated_at) values ($1, $2::jsonb, now()) on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at`,
        [rollupKey(day), JSON.stringify({ fp, version, parts, total } satisfies StoredDay)],
      );
    }
  }
  return result;
}

/** Rebuilds the settled partials of some days; contiguous days are read in one streamed pass. */
async function rebuildDays(deps: StatsDeps, days: string[]): Promise<Map<string, DayParts>> {
  const { database, config, calendar, now } = deps;
  const out = new Map<string, DayParts>();
  const sorted = [...days].sort();
  const spans: Array<[string, string]> = [];
  for (const d of sorted) {
    const last = spans[spans.length - 1];
    if (last && daysOf({ fromDay: last[1], toDay: d }).length === 2) last[1] = d;
    else spans.push([d, d]);
  }
  const opts = { calendar, satisfiedMin: config.survey.satisfiedMin, now };
  for (const [fromDay, toDay] of spans) {
    const span = rangeOfDays(fromDay, toDay, calendar.timeZone);
    for await (const batch of streamTickets(
      database,
      { columns: METRIC_COLUMNS, from: 'tickets t', where: `${IN_RANGE} and t.status in ('resolved', 'closed')`, params: rangeParams(span) },
      5000,
    )) {
      for (const raw of batch) {
        const f = ticketFacts(toMetricTicket(raw), opts);
        if (!f.counted) continue;
        const parts = out.get(f.day) ?? out.set(f.day, {}).get(f.day)!;
        const key = partKey(f);
        addFacts(parts[key] ?? (parts[key] = emptyAcc()), f, opts.satisfiedMin);
      }
    }
  }
  return out;
}

/** Live partials of the tickets still being worked (any date), keyed by day. */
async function openDayParts(deps: StatsDeps): Promise<{ byDay: Map<string, DayParts>; all: MetricsAcc }> {
  const { database, config, calendar, now } = deps;
  const rows = await rawQuery(database, `select ${METRIC_COLUMNS} from tickets t where t.status in ${WORKING} and not t.is_sandbox`);
  const opts = { calendar, satisfiedMin: config.survey.satisfiedMin, now };
  const byDay = new Map<string, DayParts>();
  const all = emptyAcc();
  for (const raw of rows) {
    const f = ticketFacts(toMetricTicket(raw), opts);
    if (!f.counted) continue;
    addFacts(all, f, opts.satisfiedMin);
    const parts = byDay.get(f.day) ?? byDay.set(f.day, {}).get(f.day)!;
    const key = partKey(f);
    addFacts(parts[key] ?? (parts[key] = emptyAcc()), f, opts.satisfiedMin);
  }
  return { byDay, all };
}

export interface StatsOptions {
  /**
   * 'counts' (default, /stats and the digest): the breakdowns per category / channel / handler carry volumes and
   * rates, not duration quantiles (null there); 'full' (the admin API): every metric of every breakdown.
   */
  breakdowns?: 'counts' | 'full';
}

/** Metrics of a range (optionally one category / channel / handler), with daily series and breakdowns. */
export async function computeStats(deps: StatsDeps, range: DateRange, filter: MetricFilter = {}, options: StatsOptions = {}): Promise<StatsResult> {
  const full = options.breakdowns === 'full';
  const [settled, open] = await Promise.all([settledDayParts(deps, range), openDayParts(deps)]);
  const total = emptyAcc();
  const dims = { category: new Map<string, MetricsAcc>(), channel: new Map<string, MetricsAcc>(), agent: new Map<string, MetricsAcc>() };
  const daily: DailyStats[] = [];
  const unfiltered = filter.category === undefined && filter.channel === undefined && filter.agentId === undefined;
  for (const day of daysOf(range)) {
    const dayAcc = emptyAcc();
    const byCategory: Record<string, number> = {};
    const cached = settled.get(day);
    // Without a filter the day's merged total carries the durations; the parts then only add counts.
    if (cached && unfiltered) mergeAcc(total, cached.total);
    for (const [parts, live] of [
      [cached?.parts, false],
      [open.byDay.get(day), true],
    ] as const) {
      if (!parts) continue;
      for (const [key, acc] of Object.entries(parts)) {
        const k = splitKey(key);
        if (!matchesFilter(k, filter)) continue;
        // Daily series and (by default) breakdowns need counts only; durations go into the range total once.
        mergeCounts(dayAcc, acc);
        if (live || !unfiltered) mergeAcc(total, acc);
        byCategory[k.category] = (byCategory[k.category] ?? 0) + acc.received;
        for (const [dim, id] of [
          ['category', k.category],
          ['channel', k.channel],
          ['agent', k.agentId === null ? '' : String(k.agentId)],
        ] as const) {
          const m = dims[dim];
          const target = m.get(id) ?? m.set(id, emptyAcc()).get(id)!;
          if (full) mergeAcc(target, acc);
          else mergeCounts(target, acc);
        }
      }
    }
    daily.push({
      day,
      received: dayAcc.received,
      byCategory,
      firstResponseMet: dayAcc.firstMet,
      firstResponseBreached: dayAcc.firstBreached,
      firstResponseMetRate: dayAcc.firstMet + dayAcc.firstBreached ? dayAcc.firstMet / (dayAcc.firstMet + dayAcc.firstBreached) : null,
    });
  }
  const agentNames = await loadAgentNames(deps.database, [...dims.agent.keys()].filter(Boolean).map(Number));
  const catName = (id: string) => deps.config.categories.find((c) => c.id === id)?.name ?? id;
  const labelled = (m: Map<string, MetricsAcc>, name: (k: string) => string) =>
    [...m]
      .map(([key, acc]) => ({ key, name: name(key), metrics: finalizeMetrics(acc) }))
      .sort((a, b) => b.metrics.received - a.metrics.received || a.key.localeCompare(b.key));
  const metrics = finalizeMetrics(total);
  // Imported earlier records are in no figure above; the range's count of them is shown apart.
  metrics.imported = filter.channel !== undefined || filter.agentId !== undefined ? 0 : await countImported(deps, range, filter.category);
  return {
    range,
    filter,
    generatedAt: deps.now,
    timeZone: deps.calendar.timeZone,
    metrics,
    byCategory: labelled(dims.category, catName),
    byChannel: labelled(dims.channel, (k) => CHANNEL_LABELS[k] ?? k),
    byAgent: labelled(dims.agent, (k) => (k ? (agentNames.get(Number(k)) ?? `#${k}`) : '未分配')),
    daily,
    backlogNow: finalizeMetrics(open.all).backlog,
  };
}

/** Imported earlier records (导入) received in the range, optionally of one category. */
export async function countImported(deps: StatsDeps, range: DateRange, category?: string): Promise<number> {
  const [r] = await rawQuery<{ n: number }>(
    deps.database,
    `select count(*)::int as n from tickets t where ${IN_RANGE} and t.imported is not null and t.close_reason is distinct from 'merged'${category === undefined ? '' : ' and t.category = $3'}`,
    category === undefined ? rangeParams(range) : [...rangeParams(range), category],
  );
  return Number(r?.n ?? 0);
}

export async function loadAgentNames(database: Database, ids: number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await rawQuery<{ id: number; name: string | null; user_id: string }>(
    database,
    `select id::float8 as id, name, user_id from agents where id = any($1::bigint[])`,
    [`{${ids.join(',')}}`],
  );
  return new Map(rows.map((r) => [Number(r.id), r.name ?? r.user_id]));
}

/** Whole-range metrics per calendar month (the mechanism description's table), same cache. */
export async function monthlyMetrics(deps: StatsDeps, range: DateRange): Promise<{ months: Array<{ month: string; metrics: Metrics }>; total: Metrics }> {
  const [settled, open] = await Promise.all([settledDayParts(deps, range), openDayParts(deps)]);
  const months = new Map<string, MetricsAcc>();
  const total = emptyAcc();
  for (const day of daysOf(range)) {
    const m = months.get(day.slice(0, 7)) ?? months.set(day.slice(0, 7), emptyAcc()).get(day.slice(0, 7))!;
    const cached = settled.get(day);
    for (const acc of [...(cached ? [cached.total] : []), ...Object.values(open.byDay.get(day) ?? {})]) {
      mergeAcc(m, acc);
      mergeAcc(total, acc);
    }
  }
  return { months: [...months].map(([month, acc]) => ({ month, metrics: finalizeMetrics(acc) })), total: finalizeMetrics(total) };
}

/** The figures' inputs from the services (database, config, calendar, the clock's now). */
export function statsDeps(services: Pick<StatsDeps, 'database' | 'config' | 'calendar'> & { clock: { now(): Date } }): StatsDeps {
  return { database: services.database, config: services.config, calendar: services.calendar, now: services.clock.now() };
}
