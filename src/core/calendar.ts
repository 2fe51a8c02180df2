/**
 * The business calendar: which local days are working days (weekdays, mainland statutory holidays, 调休 make-up
 * days, config overrides) and which instants are business time (working hours with a lunch break).
 *
 * Pure and I/O-free. Time zones go through Intl only; each local day is turned into UTC intervals once and
 * cached, so the arithmetic below walks whole days and intervals and never touches Intl on a warm cache.
 * Business intervals are half-open [start, end): 12:00 is the last instant of the morning, not business time.
 */
import type { Config } from '../config.ts';
import { SHIPPED_HOLIDAYS, type HolidayData } from './holidays.ts';

export type DayKind = 'workday' | 'weekend' | 'holiday' | 'makeup';
export interface DayInfo {
  working: boolean;
  kind: DayKind;
  name?: string;
}
export interface SpecialDay {
  date: string;
  kind: 'holiday' | 'makeup';
  name: string;
}

export interface BusinessCalendar {
  /** Stable identifier of the effective calendar (config + shipped data version); stored on tickets. */
  readonly version: string;
  readonly timeZone: string;
  /** 'YYYY-MM-DD' in the calendar's zone. */
  localDate(at: Date): string;
  isWorkingDay(isoDate: string): boolean;
  dayInfo(isoDate: string): DayInfo;
  isBusinessTime(at: Date): boolean;
  /** The instant `minutes` business minutes after `from`; outside hours, counting starts at the next opening. */
  addBusinessMinutes(from: Date, minutes: number): Date;
  /** Business minutes in [a, b) (fractional when the instants carry seconds); 0 if b <= a. */
  businessMinutesBetween(a: Date, b: Date): number;
  /** The first instant >= at that is business time. */
  nextBusinessTime(at: Date): Date;
  /** Holidays and make-up days of a year (shipped data plus config), sorted, for display. */
  specialDays(year: number): SpecialDay[];
  /** True when the holiday data (shipped or imported) covers this year; false → plain weekdays, and a warning was logged once. */
  hasDataFor(year: number): boolean;
  /** Where a year's holiday data comes from ('chinese-days 1.5.7', an imported file), or null when there is none. */
  holidaySource(year: number): string | null;
}

export type CalendarConfig = Config['calendar'];

const MINUTE = 60_000;
const DAY = 86_400_000;
/** A calendar without any business time in this many days is a configuration error, not a long wait. */
const MAX_SEARCH_DAYS = 3_700;
const CACHE_LIMIT = 20_000;

interface Day {
  /** Local day number: days since 1970-01-01 in the calendar's zone. */
  n: number;
  /** UTC ms of local midnight and of the next local midnight (not always 24 h apart under DST). */
  start: number;
  end: number;
  /** Business intervals as UTC ms, flattened [s0, e0, s1, e1, …]. */
  intervals: number[];
}

export function createCalendar(
  cfg: CalendarConfig,
  warn: (msg: string) => void = (m) => console.warn(m),
  data: HolidayData = SHIPPED_HOLIDAYS,
): BusinessCalendar {
  const zone = createZone(cfg.timeZone);
  const hours = normaliseHours(cfg.hours);
  const workdays = new Set(cfg.workdays);
  const shipped = data.days;
  const extraOff = new Set(cfg.holidays);
  const extraOn = new Set(cfg.workingDays);
  for (const d of extraOff) {
    if (extraOn.has(d)) throw new RangeError(`calendar: ${d} is listed both in holidays and in workingDays`);
  }
  for (const d of [...extraOff, ...extraOn]) isoToDay(d); // fail fast on impossible dates such as 2026-02-30

  const warned = new Set<number>();
  const hasDataFor = (year: number): boolean => {
    if (data.sources.has(year)) return true;
    if (!warned.has(year)) {
      warned.add(year);
      warn(
        `calendar: NO STATUTORY HOLIDAY DATA FOR ${year}; treating ${year} as plain weekdays (holidays count as working days, make-up Saturdays do not). Import the State Council notice with \`npx loopdesk calendar import FILE\`, add the days to calendar.holidays / calendar.workingDays, or upgrade Loopdesk.`,
      );
    }
    return false;
  };

  const dayInfo = (iso: string): DayInfo => {
    const n = isoToDay(iso);
    const data = shipped.get(iso);
    if (extraOff.has(iso)) return { working: false, kind: 'holiday', name: data?.kind === 'holiday' ? data.name : '公司休假' };
    if (extraOn.has(iso)) {
      const regular = workdays.has(isoWeekday(n)) && data?.kind !== 'holiday';
      return regular ? { working: true, kind: 'workday' } : { working: true, kind: 'makeup', name: data?.name ?? '调休上班' };
    }
    if (data) return { working: data.kind === 'makeup', kind: data.kind, name: data.name };
    hasDataFor(Number(iso.slice(0, 4)));
    return workdays.has(isoWeekday(n)) ? { working: true, kind: 'workday' } : { working: false, kind: 'weekend' };
  };

  const cache = new Map<number, Day>();
  const day = (n: number): Day => {
    let d = cache.get(n);
    if (d) return d;
    if (cache.size >= CACHE_LIMIT) cache.clear();
    const midnight = n * DAY;
    const intervals: number[] = [];
    if (dayInfo(dayToIso(n)).working) {
      for (const [s, e] of hours) {
        const us = zone.toUtc(midnight + s * MINUTE);
        const ue = zone.toUtc(midnight + e * MINUTE);
        if (ue > us) intervals.push(us, ue); // an interval swallowed by a DST gap has no business time
      }
    }
    d = { n, start: zone.toUtc(midnight), end: zone.toUtc(midnight + DAY), intervals };
    cache.set(n, d);
    return d;
  };

  // The local day holding an instant: guess with the last known offset, then step (at most one day under DST).
  let offset: number | undefined;
  const dayAt = (ms: number): Day => {
    offset ??= zone.offsetAt(ms);
    let d = day(Math.floor((ms + offset) / DAY));
    while (ms < d.start) d = day(d.n - 1);
    while (ms >= d.end) d = day(d.n + 1);
    offset = d.n * DAY - d.start;
    return d;
  };

  /** Calls visit(s, e) for each business interval ending after `ms`, in order, until it returns true. */
  const walk = (ms: number, visit: (s: number, e: number) => boolean): void => {
    let d = dayAt(ms);
    for (let i = 0; i < MAX_SEARCH_DAYS; i++, d = day(d.n + 1)) {
      const iv = d.intervals;
      for (let k = 0; k < iv.length; k += 2) {
        if (iv[k + 1] > ms && visit(iv[k], iv[k + 1])) return;
      }
    }
    throw new RangeError(`calendar: no business time within ${MAX_SEARCH_DAYS} days after ${new Date(ms).toISOString()}`);
  };

  const addBusinessMinutes = (from: Date, minutes: number): Date => {
    if (!Number.isFinite(minutes) || minutes < 0) throw new RangeError(`addBusinessMinutes: minutes must be a finite number >= 0, got ${minutes}`);
    const t0 = from.getTime();
    let left = Math.round(minutes * MINUTE);
    let result = t0;
    walk(t0, (s, e) => {
      const begin = Math.max(s, t0);
      if (left <= e - begin) {
        result = begin + left;
        return true;
      }
      left -= e - begin;
      return false;
    });
    return new Date(result);
  };

  const businessMinutesBetween = (a: Date, b: Date): number => {
    const ta = a.getTime();
    const tb = b.getTime();
    if (tb <= ta) return 0;
    let total = 0;
    for (let d = dayAt(ta); d.start < tb; d = day(d.n + 1)) {
      const iv = d.intervals;
      for (let k = 0; k < iv.length; k += 2) {
        const s = Math.max(iv[k], ta);
        const e = Math.min(iv[k + 1], tb);
        if (e > s) total += e - s;
      }
    }
    return total / MINUTE;
  };

  const version = `${data.version}+${fnv1a(
    JSON.stringify({
      imported: data === SHIPPED_HOLIDAYS ? undefined : [...shipped].sort(([a], [b]) => (a < b ? -1 : 1)),
      tz: cfg.timeZone,
      workdays: [...workdays].sort(),
      hours,
      holidays: [...extraOff].sort(),
      workingDays: [...extraOn].sort(),
    }),
  )}`;

  return {
    version,
    timeZone: cfg.timeZone,
    localDate: (at) => dayToIso(dayAt(at.getTime()).n),
    isWorkingDay: (iso) => dayInfo(iso).working,
    dayInfo,
    isBusinessTime(at) {
      const ms = at.getTime();
      const iv = dayAt(ms).intervals;
      for (let k = 0; k < iv.length; k += 2) if (iv[k] <= ms && ms < iv[k + 1]) return true;
      return false;
    },
    addBusinessMinutes,
    businessMinutesBetween,
    nextBusinessTime: (at) => addBusinessMinutes(at, 0),
    specialDays(year) {
      const dates = new Set([...shipped.keys(), ...extraOff, ...extraOn].filter((d) => d.startsWith(`${year}-`)));
      const out: SpecialDay[] = [];
      for (const date of [...dates].sort()) {
        const info = dayInfo(date);
        if (info.kind === 'holiday' || info.kind === 'makeup') out.push({ date, kind: info.kind, name: info.name ?? '' });
      }
      return out;
    },
    hasDataFor,
    holidaySource: (year) => data.sources.get(year) ?? null,
  };
}

// ── time zones ────────────────────────────────────────────────────────────────────────────────────────────

interface Zone {
  /** Offset (local − UTC) in ms at a UTC instant. */
  offsetAt(utcMs: number): number;
  /** UTC ms of a local wall time given as "local ms" (the wall time read as if it were UTC). */
  toUtc(localMs: number): number;
}

function createZone(timeZone: string): Zone {
  // Throws RangeError on an unknown zone: a bad config fails at start.
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const offsetAt = (utcMs: number): number => {
    const p: Record<string, number> = {};
    for (const { type, value } of fmt.formatToParts(utcMs)) if (type !== 'literal') p[type] = Number(value);
    const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    return wall - (utcMs - mod(utcMs, 1000));
  };
  return {
    offsetAt,
    // Like Temporal's 'compatible' disambiguation: in a repeated hour take the earlier instant, in a skipped
    // hour move forward by the gap (02:30 on a spring-forward night becomes 03:30).
    toUtc(localMs) {
      const before = offsetAt(localMs - DAY);
      const after = offsetAt(localMs + DAY);
      const candidates = [localMs - before, localMs - after].filter((t) => localMs - offsetAt(t) === t);
      if (candidates.length) return Math.min(...candidates);
      return localMs - before;
    },
  };
}

// ── dates ─────────────────────────────────────────────────────────────────────────────────────────────────

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isoToDay(iso: string): number {
  const m = ISO_DATE.exec(iso);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (Number.isNaN(ms) || dayToIso(ms / DAY) !== iso) throw new RangeError(`calendar: not a date: ${JSON.stringify(iso)}`);
  return ms / DAY;
}

function dayToIso(n: number): string {
  return new Date(n * DAY).toISOString().slice(0, 10);
}

/** 1 = Monday … 7 = Sunday; day 0 (1970-01-01) was a Thursday. */
function isoWeekday(n: number): number {
  return mod(n + 3, 7) + 1;
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

function normaliseHours(hours: CalendarConfig['hours']): Array<[number, number]> {
  const toMin = (hhmm: string) => Math.min(24 * 60, Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5)));
  const list = hours.map((h): [number, number] => [toMin(h.start), toMin(h.end)]);
  for (const [s, e] of list) {
    if (e <= s) throw new RangeError(`calendar: working hours must end after they start (${fmtMin(s)}–${fmtMin(e)}); overnight shifts are not supported`);
  }
  // Sorted and merged, so the walk over a day's intervals is in time order and never counts a minute twice.
  list.sort((x, y) => x[0] - y[0]);
  const merged: Array<[number, number]> = [];
  for (const [s, e] of list) {
    const last = merged[merged.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  return merged;
}

function fmtMin(m: number): string {
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** 32-bit FNV-1a as 8 hex digits: short, stable across runtimes, and enough to tell calendars apart. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * The calendar's own warning, or null: a year without holiday data (counted as plain weekdays), or from
 * November 1 (the State Council publishes next year's arrangement around then) a next year not loaded yet.
 */
export function holidayDataWarning(calendar: BusinessCalendar, now: Date): string | null {
  const today = calendar.localDate(now);
  const year = Number(today.slice(0, 4));
  if (!calendar.hasDataFor(year))
    return `缺少 ${year} 年的法定节假日安排，当前按普通周末计算时限：请用 npx loopdesk calendar import 文件 导入，或升级 Loopdesk。`;
  if (today.slice(5, 7) >= '11' && !calendar.hasDataFor(year + 1))
    return `尚未载入 ${year + 1} 年的法定节假日安排（国务院通常在 11 月发布），1 月 1 日起将按普通周末计算时限：发布后请用 npx loopdesk calendar import 文件 导入，或升级 Loopdesk。`;
  return null;
}
