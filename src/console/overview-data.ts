/**
 * The figures of the overview page: six months at a glance. Settled tickets come from the day rollup, the backlog
 * is read live; both go through core/metrics, so a figure here equals the one in the ledger for the same range.
 * The assembled figures are kept CACHE_MS per process: a dashboard that is half a minute old is still true, and
 * ten people opening it at once cost one computation.
 */
import { finalizeMetrics, emptyAcc, mergeAcc, type Metrics, type MetricsAcc } from '../core/metrics.ts';
import { addDays, rangeOfDays, reviewWindow, type DateRange } from '../reports/range.ts';
import type { Services } from '../services.ts';
import { channelHealth, type ChannelHealth } from './channel-health.ts';
import { dayAcc, openDays, openTickets, settledDays, type DayParts, type RollupDeps } from './rollup.ts';
import { ticketSla } from './tickets-query.ts';
import { countImported } from '../reports/stats.ts';

export const CACHE_MS = 30_000;
export const WEEKS = 26;
/** The internal target the first-response rate is drawn against (the promise itself is per category). */
export const FIRST_RESPONSE_TARGET = 0.95;

export interface WeekBar {
  start: string;
  total: number;
  byCategory: Record<string, number>;
}
export interface MonthFigures {
  month: string;
  partial: boolean;
  metrics: Metrics;
}
export interface Backlog {
  total: number;
  unclaimed: number;
  byState: Record<'breached' | 'due_soon' | 'paused' | 'on_track' | 'none', number>;
}
export interface OverviewData {
  generatedAt: Date;
  range: DateRange;
  weeks: WeekBar[];
  months: MonthFigures[];
  total: Metrics;
  backlog: Backlog;
  channels: ChannelHealth[];
}

const cache = new WeakMap<Services, { at: number; data: OverviewData }>();

export function rollupDeps(services: Services): RollupDeps {
  return { database: services.database, config: services.config, calendar: services.calendar, now: services.clock.now() };
}

/** Monday of the ISO week of `day`. */
function weekStart(day: string): string {
  const dow = new Date(`${day}T00:00:00Z`).getUTCDay();
  return addDays(day, -((dow + 6) % 7));
}

export async function overviewData(services: Services, opts: { fresh?: boolean } = {}): Promise<OverviewData> {
  const hit = cache.get(services);
  if (!opts.fresh && hit && Date.now() - hit.at < CACHE_MS) return hit.data;
  const deps = rollupDeps(services);
  const { calendar, now } = deps;
  const today = calendar.localDate(now);
  const firstWeek = addDays(weekStart(today), -7 * (WEEKS - 1));
  // The figures are those of the review window (the same dates as the ledger and the audit pack); the weekly
  // volume chart may reach further back, so the rollup is read over the union of both.
  const window = reviewWindow(now, calendar);
  const firstMonth = window.fromDay;
  const fromDay = firstWeek < firstMonth ? firstWeek : firstMonth;
  const span = rangeOfDays(fromDay, today, calendar.timeZone);

  const [settled, open, channels, imported] = await Promise.all([
    settledDays(deps, span),
    openTickets(services.database),
    channelHealth(services),
    countImported(deps, rangeOfDays(firstMonth, today, calendar.timeZone)),
  ]);
  const live = openDays(deps, open);

  const weeks = new Map<string, WeekBar>();
  for (let w = firstWeek; w <= today; w = addDays(w, 7)) weeks.set(w, { start: w, total: 0, byCategory: {} });
  const months = new Map<string, MetricsAcc>();
  const total = emptyAcc();
  for (let d = fromDay; d <= today; d = addDays(d, 1)) {
    const s: DayParts | undefined = settled.get(d);
    const o: DayParts | undefined = live.get(d);
    const week = weeks.get(weekStart(d));
    if (week) {
      for (const parts of [s, o]) {
        for (const [cat, acc] of Object.entries(parts ?? {})) {
          week.byCategory[cat] = (week.byCategory[cat] ?? 0) + acc.received;
          week.total += acc.received;
        }
      }
    }
    if (d >= firstMonth) {
      const acc = dayAcc(s, o);
      const m = d.slice(0, 7);
      mergeAcc(months.get(m) ?? months.set(m, emptyAcc()).get(m)!, acc);
      mergeAcc(total, acc);
    }
  }

  const backlog: Backlog = { total: 0, unclaimed: 0, byState: { breached: 0, due_soon: 0, paused: 0, on_track: 0, none: 0 } };
  for (const t of open) {
    if (t.isProbe) continue;
    backlog.total++;
    if (t.status === 'new') backlog.unclaimed++;
    const st = ticketSla(t, calendar, now).state;
    const key = st === 'breached' || st === 'due_soon' || st === 'paused' || st === 'on_track' ? st : 'none';
    backlog.byState[key]++;
  }

  const data: OverviewData = {
    generatedAt: now,
    range: window,
    weeks: [...weeks.values()],
    months: [...months].map(([month, acc]) => ({ month, partial: month === today.slice(0, 7), metrics: finalizeMetrics(acc) })),
    // Imported earlier records are in no figure; the six months' count of them is shown apart.
    total: { ...finalizeMetrics(total), imported },
    backlog,
    channels,
  };
  cache.set(services, { at: Date.now(), data });
  return data;
}

/** Monthly figures of any range (the ledger page's summary), from the same rollup. */
export async function rangeMonths(services: Services, range: DateRange): Promise<{ months: MonthFigures[]; total: Metrics }> {
  const deps = rollupDeps(services);
  const [settled, open] = await Promise.all([settledDays(deps, range), openTickets(services.database)]);
  const live = openDays(deps, open);
  const months = new Map<string, MetricsAcc>();
  const total = emptyAcc();
  const today = deps.calendar.localDate(deps.now);
  for (let d = range.fromDay; d <= range.toDay; d = addDays(d, 1)) {
    const m = d.slice(0, 7);
    const acc = months.get(m) ?? months.set(m, emptyAcc()).get(m)!;
    const day = dayAcc(settled.get(d), live.get(d));
    mergeAcc(acc, day);
    mergeAcc(total, day);
  }
  return {
    months: [...months].map(([month, acc]) => ({ month, partial: month === today.slice(0, 7), metrics: finalizeMetrics(acc) })),
    total: finalizeMetrics(total),
  };
}

export function forgetOverview(services: Services): void {
  cache.delete(services);
}
