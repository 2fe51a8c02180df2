import type { Services } from '../services.ts';
import type { Job } from './scheduler.ts';

/**
 * The periodic work, shared by node-cron (Node) and `scheduled()` (Workers). The outbox is normally woken on
 * commit; this tick is the backstop for retries coming due and for rows committed by a crashed instance.
 */
export function nodeJobs(services: Services): Job[] {
  return [{ name: 'outbox', schedule: '*/5 * * * * *', run: () => services.outbox.wake() }];
}
