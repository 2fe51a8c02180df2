import type { BusinessCalendar } from '../core/calendar.ts';
import { customerPromise } from '../core/promise.ts';
import type { SlaPolicy } from '../core/sla.ts';
import { categoryOf, type Config } from '../config.ts';

/**
 * The promise of one ticket in the customer's words (core/promise.ts), from the policy snapshot it was opened
 * under. `dueAt` is the stored first-response due time when there is one (a reclassification moves it).
 */
export function ticketPromise(
  config: Config,
  calendar: BusinessCalendar,
  t: { category: string; slaPolicy: SlaPolicy; createdAt: Date; firstResponseDueAt?: Date | null },
): string {
  const { text } = customerPromise({
    categoryName: categoryOf(config, t.category).name,
    policy: t.slaPolicy,
    calendar,
    receivedAt: t.createdAt,
    hours: config.calendar.hours,
    deadline: t.firstResponseDueAt ?? undefined,
  });
  return text;
}
