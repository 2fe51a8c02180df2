/**
 * Date ranges of reports: whole local days in the calendar's zone (Asia/Shanghai by default), half-open
 * [from, to). Arguments people type: today, yesterday, week (last 7 days), month (this month so far), YYYY-MM,
 * YYYY-MM-DD.
 */
import type { BusinessCalendar } from '../core/calendar.ts';
import { zoneOffsetMs as offsetMs } from './format.ts';

export interface DateRange {
  from: Date;
  /** Exclusive end. */
  to: Date;
  /** First and last local day, inclusive ('2026-03-01', '2026-03-31'). */
  fromDay: string;
  toDay: string;
  /** Chinese label for titles: '2026-03', '今天（2026-03-02）', '2026-01-01 至 2026-06-30'. */
  label: string;
  /** The month ('2026-12') that is still running when the range ends today: its figures are not final. */
  unfinishedMonth?: string;
  /** With unfinishedMonth: the day the figures are as of (today), which may be before toDay. */
  asOfDay?: string;
}

/** The instant local midnight starts `isoDate` in `timeZone`. */
export function dayStart(isoDate: string, timeZone: string): Date {
  const [y, m, d] = isoDate.split('-').map(Number);
  const guess = Date.UTC(y, m - 1, d);
  let t = guess - offsetMs(guess, timeZone);
  const second = offsetMs(t, timeZone);
  if (guess - second !== t) t = guess - second;
  return new Date(t);
}

export function addDays(isoDate: string, n: number): string {
  const [y, m, d] = isoDate.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

export function daysOf(range: Pick<DateRange, 'fromDay' | 'toDay'>): string[] {
  const out: string[] = [];
  for (let d = range.fromDay; d <= range.toDay; d = addDays(d, 1)) out.push(d);
  return out;
}

export function monthsOf(range: Pick<DateRange, 'fromDay' | 'toDay'>): string[] {
  const out: string[] = [];
  for (let m = range.fromDay.slice(0, 7); m <= range.toDay.slice(0, 7); m = addDays(`${m}-01`, 32).slice(0, 7)) out.push(m);
  return out;
}

function lastDayOfMonth(month: string): string {
  return addDays(`${addDays(`${month}-01`, 32).slice(0, 7)}-01`, -1);
}

export function rangeOfDays(fromDay: string, toDay: string, timeZone: string, label?: string): DateRange {
  return {
    from: dayStart(fromDay, timeZone),
    to: dayStart(addDays(toDay, 1), timeZone),
    fromDay,
    toDay,
    label: label ?? (fromDay === toDay ? fromDay : `${fromDay} 至 ${toDay}`),
  };
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const DAY = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

function validDay(s: string): boolean {
  return DAY.test(s) && addDays(s, 0) === s;
}

/**
 * A range that holds the current month from its first day up to today claims figures of a month that is still
 * running: it says so (unfinishedMonth), whichever way it was asked for.
 */
export function markUnfinished(range: DateRange, today: string): DateRange {
  const month = today.slice(0, 7);
  const first = `${month}-01`;
  return !range.unfinishedMonth && range.fromDay <= first && range.toDay >= today ? { ...range, unfinishedMonth: month, asOfDay: today } : range;
}

/** Typed names of the review window in /stats (近 6 个月). */
const WINDOW_WORDS = new Set(['6m', 'half', '近6个月', '近6月', '半年']);

/** `/stats` periods. Returns null for anything else (the command answers with its usage). */
export function parsePeriod(arg: string | undefined, now: Date, calendar: BusinessCalendar): DateRange | null {
  const range = periodOf(arg, now, calendar);
  return range && markUnfinished(range, calendar.localDate(now));
}

function periodOf(arg: string | undefined, now: Date, calendar: BusinessCalendar): DateRange | null {
  const tz = calendar.timeZone;
  const today = calendar.localDate(now);
  const a = (arg ?? 'today').trim().toLowerCase().replaceAll(' ', '');
  if (WINDOW_WORDS.has(a)) return reviewWindow(now, calendar);
  if (a === 'today' || a === '今天') return rangeOfDays(today, today, tz, `今天（${today}）`);
  if (a === 'yesterday' || a === '昨天') {
    const y = addDays(today, -1);
    return rangeOfDays(y, y, tz, `昨天（${y}）`);
  }
  if (a === 'week' || a === '本周' || a === '近7天') return rangeOfDays(addDays(today, -6), today, tz, `近 7 天（${addDays(today, -6)} 至 ${today}）`);
  if (a === 'month' || a === '本月') return rangeOfDays(`${today.slice(0, 7)}-01`, today, tz, `本月（${today.slice(0, 7)}-01 至 ${today}）`);
  if (MONTH.test(a)) return rangeOfDays(`${a}-01`, lastDayOfMonth(a), tz, a);
  if (validDay(a)) return rangeOfDays(a, a, tz, a);
  return null;
}

/** The last `n` full calendar months before the current one (the ledger's default: 6). */
export function lastFullMonths(n: number, now: Date, calendar: BusinessCalendar): DateRange {
  const thisMonth = calendar.localDate(now).slice(0, 7);
  let first = `${thisMonth}-01`;
  for (let i = 0; i < n; i++) first = `${addDays(first, -1).slice(0, 7)}-01`;
  const last = addDays(`${thisMonth}-01`, -1);
  return rangeOfDays(first, last, calendar.timeZone, `${first.slice(0, 7)} 至 ${last.slice(0, 7)}`);
}

/**
 * The default range of the ledger, the audit pack and the console: the `n` months before this one and this month
 * up to today, so a company that went live this month sees its records on day one; the current month is marked
 * unfinished.
 */
export function lastMonthsToDate(n: number, now: Date, calendar: BusinessCalendar): DateRange {
  const today = calendar.localDate(now);
  let first = `${today.slice(0, 7)}-01`;
  for (let i = 0; i < n; i++) first = `${addDays(first, -1).slice(0, 7)}-01`;
  const range = rangeOfDays(first, today, calendar.timeZone, `${first} 至 ${today}（${today.slice(0, 7)} 未结束）`);
  return { ...range, unfinishedMonth: today.slice(0, 7), asOfDay: today };
}

/** How many full months before this one the review window holds ("近 6 个月"). */
export const REVIEW_MONTHS = 6;

/**
 * THE window of "近 6 个月", the same dates in the console, the ledger, the audit pack, the mechanism description,
 * the self-check and /stats: the 6 full months before this one and this month up to today (marked unfinished).
 */
export function reviewWindow(now: Date, calendar: BusinessCalendar): DateRange {
  const r = lastMonthsToDate(REVIEW_MONTHS, now, calendar);
  return { ...r, label: `近 ${REVIEW_MONTHS} 个月（${r.fromDay} 至 ${r.toDay}，${r.unfinishedMonth} 未结束）` };
}

/** '2026-12（未结束）' for the unfinished month of a range, the month itself otherwise. */
export function monthLabel(month: string, range: Pick<DateRange, 'unfinishedMonth'>): string {
  return range.unfinishedMonth === month ? `${month}（未结束）` : month;
}

/** The line every file of a range with a running month carries (ledger CSV, 说明, 月度汇总, audit pack, stats card). */
export function unfinishedNote(range: Pick<DateRange, 'unfinishedMonth' | 'toDay' | 'asOfDay'>): string | null {
  return range.unfinishedMonth ? `注意：${range.unfinishedMonth} 尚未结束，该月数字截至 ${range.asOfDay ?? range.toDay}，不是最终结果。` : null;
}

export class BadRangeError extends Error {
  override name = 'BadRangeError';
}

/**
 * `from` / `to` as people type them: YYYY-MM-DD or YYYY-MM (a month: from its first day / to its last day), both
 * inclusive. Missing both → `fallback`. Throws BadRangeError with a Chinese message on bad input.
 */
export function parseFromTo(from: string | undefined, to: string | undefined, now: Date, calendar: BusinessCalendar, fallback: () => DateRange): DateRange {
  if (!from && !to) return fallback();
  const start = (s: string) => (MONTH.test(s) ? `${s}-01` : validDay(s) ? s : null);
  const end = (s: string) => (MONTH.test(s) ? lastDayOfMonth(s) : validDay(s) ? s : null);
  const f = from ? start(from) : null;
  if (from && !f) throw new BadRangeError(`起始日期格式不对：${from}（应为 YYYY-MM-DD 或 YYYY-MM）`);
  const today = calendar.localDate(now);
  const t = to ? end(to) : from && MONTH.test(from) ? lastDayOfMonth(from) : today;
  if (to && !t) throw new BadRangeError(`结束日期格式不对：${to}（应为 YYYY-MM-DD 或 YYYY-MM）`);
  const fromDay = f ?? `${t!.slice(0, 7)}-01`;
  if (fromDay > t!) throw new BadRangeError(`起始日期 ${fromDay} 晚于结束日期 ${t}`);
  if (daysBetween(fromDay, t!) > 366 * 3) throw new BadRangeError('区间过长：最多 3 年');
  return markUnfinished(rangeOfDays(fromDay, t!, calendar.timeZone), today);
}

function daysBetween(a: string, b: string): number {
  return (Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000;
}
