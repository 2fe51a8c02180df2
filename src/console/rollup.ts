/**
 * Counts per day × category for the console's charts and the ledger page's summary, fast on a million tickets.
 *
 * The definitions are core/metrics' (ticketFacts → addFacts → finalizeMetrics); this module only decides what is
 * recomputed when. It keeps, per local day, the MetricsAcc of that day's *settled* tickets (resolved or closed:
 * nothing about them depends on "now") with the per-ticket value lists dropped, so a day is a few dozen numbers
 * (medians stay in the ledger file, which reads every row). Tickets still being worked are always read live.
 *
 * Freshness: every ticket change sets tickets.updated_at. Each refresh asks the tickets_updated_at index which days
 * have changes since the previous check (minus two minutes, for a transaction that commits after a later one, or
 * instances whose clocks disagree a little) and recomputes a day when its newest change is newer than the one its
 * figures include. Residual: a change committed late with an older timestamp than one already counted for the
 * same day waits for that day's next change. Days are also kept in `kv` (console:day:<date>), so a restart does
 * not recompute six months.
 */
import { and, eq, getTableColumns, inArray } from 'drizzle-orm';
import type { Config } from '../config.ts';
import type { BusinessCalendar } from '../core/calendar.ts';
import { addFacts, emptyAcc, mergeAcc, METRICS_VERSION, ticketFacts, type MetricsAcc, type MetricTicket } from '../core/metrics.ts';
import type { Database } from '../db/client.ts';
import { tickets } from '../db/schema/index.ts';
import { daysOf, rangeOfDays, type DateRange } from '../reports/range.ts';
import { IN_RANGE, METRIC_COLUMNS, rangeParams, rawQuery, streamTickets, toMetricTicket } from '../reports/source.ts';

export const WORKING_STATUSES = ['new', 'claimed', 'responded', 'reopened'] as const;
/** Changes are looked for from a little before the last check: a transaction may commit after a later one. */
const LAG_MS = 2 * 60_000;
const LISTS = ['firstMinutes', 'firstCalendarMinutes', 'resolutionMinutes', 'resolutionCalendarMinutes', 'openAges'] as const;

export type DayParts = Record<string, MetricsAcc>;
interface StoredDay {
  v: string;
  /** The day was last checked against changes up to this instant (ISO). */
  wm: string;
  /** The newest updated_at among the day's tickets when `parts` was computed (ms). */
  last: number;
  parts: DayParts;
}

export interface RollupDeps {
  database: Database;
  config: Config;
  calendar: BusinessCalendar;
  now: Date;
}

interface Memory {
  version: string;
  days: Map<string, StoredDay>;
}
const memory = new WeakMap<Database, Memory>();

const versionOf = (deps: RollupDeps) => `${METRICS_VERSION}|${deps.calendar.version}|${deps.config.survey.satisfiedMin}|c1`;
const dayKey = (day: string) => `console:day:${day}`;

/** Counts only: the duration histograms would make a cached day as large as its tickets. */
function slim(acc: MetricsAcc): MetricsAcc {
  for (const k of LISTS) acc[k] = {};
  return acc;
}

/** Settled-ticket partials of every day of the range, recomputing only the days that changed. */
export async function settledDays(deps: RollupDeps, range: DateRange): Promise<Map<string, DayParts>> {
  const { database, calendar } = deps;
  const version = versionOf(deps);
  let mem = memory.get(database);
  if (!mem || mem.version !== version) memory.set(database, (mem = { version, days: new Map() }));
  const today = calendar.localDate(deps.now);
  const days = daysOf(range).filter((d) => d <= today);

  // Read the high-water mark first: a change that lands while we compute is caught next time.
  const [{ wm }] = await rawQuery<{ wm: string | null }>(database, `select (extract(epoch from max(updated_at)) * 1000)::float8::text as wm from tickets`);
  const newWm = new Date(wm === null ? 0 : Number(wm)).toISOString();

  const unknown = days.filter((d) => !mem.days.has(d));
  if (unknown.length) {
    const rows = await rawQuery<{ key: string; value: string }>(database, `select key, value::text as value from kv where key = any($1::text[])`, [
      `{${unknown.map(dayKey).join(',')}}`,
    ]);
    for (const r of rows) {
      const stored = JSON.parse(r.value) as StoredDay;
      if (stored.v === version) mem.days.set(r.key.slice('console:day:'.length), stored);
    }
  }

  const recompute = new Set(days.filter((d) => !mem.days.has(d)));
  const known = days.filter((d) => mem.days.has(d));
  if (known.length) {
    const oldest = known.reduce((a, d) => (mem.days.get(d)!.wm < a ? mem.days.get(d)!.wm : a), newWm);
    const since = new Date(Date.parse(oldest) - LAG_MS).toISOString();
    const touched = await rawQuery<{ day: string; last: number }>(
      database,
      `select to_char(created_at at time zone $2, 'YYYY-MM-DD') as day, (extract(epoch from max(updated_at)) * 1000)::float8 as last
         from tickets where updated_at > $1::timestamptz group by 1`,
      [since, calendar.timeZone],
    );
    for (const t of touched) {
      const d = mem.days.get(t.day);
      // Strictly newer than what the day already holds: an idle desk recomputes nothing.
      if (d && Number(t.last) > (d.last ?? 0)) recompute.add(t.day);
    }
  }

  if (recompute.size) {
    const list = [...recompute];
    // Newest change first, rows second: a change that lands in between is newer than `last`, so it is seen next time.
    const lasts = await lastUpdates(deps, list);
    const rebuilt = await rebuild(deps, list);
    const rows: Array<[string, string]> = [];
    for (const day of recompute) {
      const stored: StoredDay = { v: version, wm: newWm, last: lasts.get(day) ?? 0, parts: rebuilt.get(day) ?? {} };
      mem.days.set(day, stored);
      rows.push([dayKey(day), JSON.stringify(stored)]);
    }
    for (let i = 0; i < rows.length; i += 200) {
      const chunk = rows.slice(i, i + 200);
      await rawQuery(
        database,
        `insert into kv (key, value, updated_at) select k, v::jsonb, now() from unnest($1::text[], $2::text[]) as x(k, v)
           on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at`,
        [pgArray(chunk.map((r) => r[0])), pgArray(chunk.map((r) => r[1]))],
      );
    }
  }
  // Every day of the range is now known to be current up to newWm.
  const out = new Map<string, DayParts>();
  for (const d of days) {
    const s = mem.days.get(d)!;
    s.wm = newWm;
    out.set(d, s.parts);
  }
  return out;
}

function pgArray(values: string[]): string {
  return `{${values.map((v) => `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`;
}

/** The newest updated_at of each day's tickets, one grouped pass per run of consecutive days. */
async function lastUpdates(deps: RollupDeps, days: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const [fromDay, toDay] of spansOf(days)) {
    const rows = await rawQuery<{ day: string; last: number }>(
      deps.database,
      `select to_char(t.created_at at time zone $3, 'YYYY-MM-DD') as day, (extract(epoch from max(t.updated_at)) * 1000)::float8 as last
         from tickets t where ${IN_RANGE} group by 1`,
      [...rangeParams(rangeOfDays(fromDay, toDay, deps.calendar.timeZone)), deps.calendar.timeZone],
    );
    for (const r of rows) out.set(r.day, Number(r.last));
  }
  return out;
}

function spansOf(days: string[]): Array<[string, string]> {
  const spans: Array<[string, string]> = [];
  for (const d of [...days].sort()) {
    const last = spans[spans.length - 1];
    if (last && daysOf({ fromDay: last[1], toDay: d }).length === 2) last[1] = d;
    else spans.push([d, d]);
  }
  return spans;
}

async function rebuild(deps: RollupDeps, days: string[]): Promise<Map<string, DayParts>> {
  const { database, config, calendar, now } = deps;
  const opts = { calendar, satisfiedMin: config.survey.satisfiedMin, now };
  const out = new Map<string, DayParts>();
  for (const [fromDay, toDay] of spansOf(days)) {
    const span = rangeOfDays(fromDay, toDay, calendar.timeZone);
    const q = { columns: METRIC_COLUMNS, from: 'tickets t', where: `${IN_RANGE} and t.status in ('resolved', 'closed')`, params: rangeParams(span) };
    for await (const batch of streamTickets(database, q, 5000)) {
      for (const raw of batch) {
        const f = ticketFacts(toMetricTicket(raw), opts);
        if (!f.counted) continue;
        const parts = out.get(f.day) ?? out.set(f.day, {}).get(f.day)!;
        slim(addFacts(parts[f.category] ?? (parts[f.category] = emptyAcc()), f, opts.satisfiedMin));
      }
    }
  }
  return out;
}

/** The backlog's columns the metrics and the SLA state read (not the customer's text or platform references). */
const OPEN_COLUMNS = (() => {
  const { replyTo: _r, subject: _s, cardRefs: _c, accessToken: _a, csatComment: _m, ...rest } = getTableColumns(tickets);
  return rest;
})();
export type OpenTicket = typeof tickets.$inferSelect;

/** Every ticket still being worked (the backlog): the live half of every figure. */
export async function openTickets(database: Database): Promise<OpenTicket[]> {
  const rows = await database.db
    .select(OPEN_COLUMNS)
    .from(tickets)
    .where(and(inArray(tickets.status, [...WORKING_STATUSES]), eq(tickets.isSandbox, false)));
  return rows as OpenTicket[];
}

/** Live partials of the open tickets, by day and category. */
export function openDays(deps: RollupDeps, rows: OpenTicket[]): Map<string, DayParts> {
  const opts = { calendar: deps.calendar, satisfiedMin: deps.config.survey.satisfiedMin, now: deps.now };
  const out = new Map<string, DayParts>();
  for (const row of rows) {
    const f = ticketFacts(row as unknown as MetricTicket, opts);
    if (!f.counted) continue;
    const parts = out.get(f.day) ?? out.set(f.day, {}).get(f.day)!;
    addFacts(parts[f.category] ?? (parts[f.category] = emptyAcc()), f, opts.satisfiedMin);
  }
  return out;
}

/** settled + open for one day, optionally one category only. */
export function dayAcc(settled: DayParts | undefined, open: DayParts | undefined, category?: string): MetricsAcc {
  const acc = emptyAcc();
  for (const parts of [settled, open]) {
    if (!parts) continue;
    for (const [cat, a] of Object.entries(parts)) if (!category || cat === category) mergeAcc(acc, a);
  }
  return acc;
}

/** For tests and benchmarks: forget what this process remembers (kv rows stay). */
export function forgetRollup(database: Database): void {
  memory.delete(database);
}
