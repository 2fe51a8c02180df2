/**
 * SLA arithmetic over a policy snapshot and a business calendar. Pure: every instant is a parameter.
 *
 * Definitions (the README repeats them):
 * - A target of N minutes started at `start` is due when N minutes *in the policy's clock* have elapsed,
 *   not counting paused minutes. Business clock: minutes inside working hours on working days; calendar
 *   clock: wall-clock minutes.
 * - Pauses are measured in the same clock (use `elapsedMinutes(policy, calendar, pausedSince, resumedAt)`),
 *   so due = start + (N + paused) in that clock.
 * - Met when done at or before due; breached as soon as now is past due (a breach is recorded when it
 *   happens, even at night); due soon once `dueSoonRatio` of the target has elapsed.
 */
import type { Category, Config } from '../config.ts';
import type { BusinessCalendar } from './calendar.ts';

export type Clock = 'business' | 'calendar';

/** The snapshot stored on each ticket (JSON-serialisable), so an old ticket keeps the rules it was opened under. */
export interface SlaPolicy {
  category: string;
  clock: Clock;
  firstResponseMinutes: number | null;
  resolutionMinutes: number | null;
  nextResponseMinutes: number | null;
  dueSoonRatio: number;
  calendarVersion: string;
  timeZone: string;
  /** The major-complaint promise (config.major) replaced the category's own targets. */
  major?: boolean;
}

export type SlaState = 'none' | 'on_track' | 'due_soon' | 'breached' | 'met' | 'paused';

export interface SlaStatus {
  state: SlaState;
  dueAt: Date | null;
  /** Whole minutes left in the policy's clock (rounded up); set for on_track, due_soon, paused. */
  remainingMinutes: number | null;
  /** Whole minutes late in the policy's clock (rounded up); set for breached. */
  overdueMinutes: number | null;
}

const MINUTE = 60_000;

export function policyFor(category: Category, config: Config, calendar: BusinessCalendar): SlaPolicy {
  return {
    category: category.id,
    clock: category.clock,
    firstResponseMinutes: category.firstResponseMinutes,
    resolutionMinutes: category.resolutionMinutes,
    nextResponseMinutes: category.nextResponseMinutes,
    dueSoonRatio: config.sla.dueSoonRatio,
    calendarVersion: calendar.version,
    timeZone: calendar.timeZone,
  };
}

/** The major-complaint promise (重大投诉): the category's policy with config.major's targets and clock. */
export function majorPolicyFor(category: Category, config: Config, calendar: BusinessCalendar): SlaPolicy {
  const m = config.major;
  const targets = { clock: m.clock, firstResponseMinutes: m.firstResponseMinutes, resolutionMinutes: m.resolutionMinutes };
  return { ...policyFor(category, config, calendar), ...targets, major: true };
}

function addMinutes(policy: SlaPolicy, calendar: BusinessCalendar, from: Date, minutes: number): Date {
  return policy.clock === 'business' ? calendar.addBusinessMinutes(from, minutes) : new Date(from.getTime() + Math.round(minutes * MINUTE));
}

/** Due instant of a target started at `start`, after `pausedMinutes` (in the policy's clock) of pause. */
export function dueAt(policy: SlaPolicy, calendar: BusinessCalendar, start: Date, targetMinutes: number, pausedMinutes = 0): Date {
  return addMinutes(policy, calendar, start, targetMinutes + Math.max(0, pausedMinutes));
}

/** Minutes between two instants in the policy's clock; 0 when `to` is not after `from`. */
export function elapsedMinutes(policy: SlaPolicy, calendar: BusinessCalendar, from: Date, to: Date): number {
  if (policy.clock === 'business') return calendar.businessMinutesBetween(from, to);
  return Math.max(0, (to.getTime() - from.getTime()) / MINUTE);
}

/** The due-soon reminder instant. With a business clock it falls in business time: no 3 a.m. reminders. */
export function dueSoonAt(policy: SlaPolicy, calendar: BusinessCalendar, start: Date, targetMinutes: number, pausedMinutes = 0): Date {
  return addMinutes(policy, calendar, start, targetMinutes * policy.dueSoonRatio + Math.max(0, pausedMinutes));
}

/**
 * The state of one target at `now`. `pausedMinutes` are the finished pauses; an ongoing pause since
 * `pausedSince` is added here, so the caller passes the ticket's stored fields as they are.
 */
export function slaState(args: {
  policy: SlaPolicy;
  calendar: BusinessCalendar;
  start: Date;
  targetMinutes: number | null;
  pausedMinutes: number;
  pausedSince: Date | null;
  doneAt: Date | null;
  now: Date;
}): SlaStatus {
  const { policy, calendar, start, targetMinutes, pausedMinutes, pausedSince, doneAt, now } = args;
  if (targetMinutes == null) return { state: 'none', dueAt: null, remainingMinutes: null, overdueMinutes: null };
  // Whole minutes, rounded up; the epsilon keeps float noise (90.0000001) from adding a minute.
  const since = (from: Date, to: Date) => Math.max(0, Math.ceil(elapsedMinutes(policy, calendar, from, to) - 1e-9));
  const dueBeforePause = dueAt(policy, calendar, start, targetMinutes, pausedMinutes);
  const end = doneAt ?? now;
  const ongoing = pausedSince ? elapsedMinutes(policy, calendar, pausedSince, end) : 0;
  const due = dueAt(policy, calendar, start, targetMinutes, pausedMinutes + ongoing);

  if (doneAt) {
    return doneAt <= due
      ? { state: 'met', dueAt: due, remainingMinutes: null, overdueMinutes: null }
      : { state: 'breached', dueAt: due, remainingMinutes: null, overdueMinutes: since(due, doneAt) };
  }
  if (pausedSince) {
    // Pausing does not undo a breach that already happened; otherwise the time left is frozen at the pause.
    if (pausedSince > dueBeforePause)
      return { state: 'breached', dueAt: dueBeforePause, remainingMinutes: null, overdueMinutes: since(dueBeforePause, pausedSince) };
    return { state: 'paused', dueAt: due, remainingMinutes: since(pausedSince, dueBeforePause), overdueMinutes: null };
  }
  if (now > due) return { state: 'breached', dueAt: due, remainingMinutes: null, overdueMinutes: since(due, now) };
  const state = now >= dueSoonAt(policy, calendar, start, targetMinutes, pausedMinutes) ? 'due_soon' : 'on_track';
  return { state, dueAt: due, remainingMinutes: since(now, due), overdueMinutes: null };
}

// ── wording ───────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Parts of a duration in whole minutes. Days only for the calendar clock: a "day" of business time would
 * read as 24 h when it is three working days, so business durations stay in hours.
 */
function parts(m: number, clock: Clock): { sign: string; d: number; h: number; min: number } {
  const total = Math.round(Math.abs(m));
  const d = clock === 'calendar' ? Math.floor(total / 1440) : 0;
  const rest = total - d * 1440;
  return { sign: m < 0 && total > 0 ? '-' : '', d, h: Math.floor(rest / 60), min: rest % 60 };
}

/** '2小时5分', '2天', '45分钟'; business durations never roll into days ('24小时'). */
export function formatMinutes(m: number, clock: Clock = 'calendar'): string {
  const { sign, d, h, min } = parts(m, clock);
  if (!d && !h) return `${sign}${min}分钟`;
  return sign + (d ? `${d}天` : '') + (h ? `${h}小时` : '') + (min ? `${min}分` : '');
}

/** '2h 5m', '2d', '45m'; business durations never roll into days ('24h'). */
export function formatMinutesEn(m: number, clock: Clock = 'calendar'): string {
  const { sign, d, h, min } = parts(m, clock);
  const out = [d ? `${d}d` : '', h ? `${h}h` : '', min || (!d && !h) ? `${min}m` : ''].filter(Boolean);
  return sign + out.join(' ');
}
