/**
 * A major complaint (重大投诉) is a complaint with a promise of its own (config.major). Flagging one — at intake, on a
 * later message, or by an agent (action `major`) — moves it to the complaint category unless an agent chose the
 * category (an agent's reclassify wins, before and after), and puts the major promise on it; clearing the flag
 * restores the category's own promise. The due times move with the promise, the timers follow (syncTimers), and a
 * `promise_changed` event records from what to what.
 */
import { categoryOf, type Config } from '../config.ts';
import type { BusinessCalendar } from '../core/calendar.ts';
import { dueAt, majorPolicyFor, policyFor, type SlaPolicy } from '../core/sla.ts';
import type { TicketEvent } from '../core/ticket.ts';
import type { TicketRow } from './store.ts';

/** The category a major complaint moves to; undefined when the config has no such category (nothing moves). */
export function majorCategoryOf(config: Config): string | undefined {
  return config.categories.some((c) => c.id === config.major.category) ? config.major.category : undefined;
}

/** The promise of a category, or the major-complaint promise when the ticket is major. */
export function promisePolicy(config: Config, calendar: BusinessCalendar, category: string, major: boolean): SlaPolicy {
  const c = categoryOf(config, category);
  return major ? majorPolicyFor(c, config, calendar) : policyFor(c, config, calendar);
}

/** An agent set the category (reclassify): a major flag no longer moves it. */
const agentChoseCategory = (t: Pick<TicketRow, 'triage'>) => t.triage?.source === 'agent';

type Fields = Pick<TicketRow, 'category' | 'slaPolicy' | 'firstResponseDueAt' | 'resolutionDueAt' | 'triage'>;

/**
 * The patch and event that put the ticket under the major promise (`major` true) or back under its category's own.
 * Targets already met keep their due time: the record of a kept or broken promise is not rewritten afterwards.
 */
export function majorPromiseChange(config: Config, calendar: BusinessCalendar, t: TicketRow, major: boolean): { patch: Partial<Fields>; event: TicketEvent } {
  const target = major && !agentChoseCategory(t) ? (majorCategoryOf(config) ?? t.category) : t.category;
  const policy = promisePolicy(config, calendar, target, major);
  const patch: Partial<Fields> = { category: target, slaPolicy: policy };
  const due = (minutes: number | null, paused = 0) => (minutes ? dueAt(policy, calendar, t.createdAt, minutes, paused) : null);
  if (!t.firstResponseAt) patch.firstResponseDueAt = due(policy.firstResponseMinutes);
  if (!t.resolvedAt) patch.resolutionDueAt = due(policy.resolutionMinutes, t.slaPausedMinutes);
  if (target !== t.category) {
    const from = categoryOf(config, t.category).name;
    patch.triage = {
      ...(t.triage ?? { source: 'rules', confidence: 1, reason: '' }),
      reason: `重大投诉，由「${from}」转为「${categoryOf(config, target).name}」`,
    };
  }
  const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;
  const event: TicketEvent = {
    type: 'promise_changed',
    data: {
      reason: major ? 'major' : 'major_cleared',
      ...(target !== t.category ? { category: { from: t.category, to: target } } : {}),
      policy: { clock: policy.clock, firstResponseMinutes: policy.firstResponseMinutes, resolutionMinutes: policy.resolutionMinutes, major: !!policy.major },
      firstResponseDue: { from: iso(t.firstResponseDueAt), to: iso(patch.firstResponseDueAt === undefined ? t.firstResponseDueAt : patch.firstResponseDueAt) },
      resolutionDue: { from: iso(t.resolutionDueAt), to: iso(patch.resolutionDueAt === undefined ? t.resolutionDueAt : patch.resolutionDueAt) },
    },
  };
  return { patch, event };
}
