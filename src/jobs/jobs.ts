import type { Services } from '../services.ts';
import type { Job } from './scheduler.ts';
import { sweepDueTimers } from './sweep.ts';
import { probeJob } from '../probes/schedule.ts';
import { digestJobs } from '../reports/digest.ts';
import { evidenceJobs } from '../records/anchor.ts';
import { retentionJobs } from '../records/retention.ts';

/**
 * The periodic work, shared by node-cron (Node) and `scheduled()` (Workers). The outbox is normally woken on
 * commit; this tick is the backstop for retries coming due and for rows committed by a crashed instance.
 */
export function nodeJobs(services: Services): Job[] {
  return [
    { name: 'outbox', schedule: '*/5 * * * * *', run: () => services.outbox.wake() },
    // SLA reminders, breaches, the escalation ladder and survey reminders; a due timer waits at most one tick.
    { name: 'sla-sweep', schedule: '*/15 * * * * *', run: () => sweepDueTimers(services.desk.deps) },
    // Planted complaints through each channel (config `probes.schedule`).
    ...probeJob(services),
    // Yesterday's stats card to the agents' group(s), working days at config `digest.time` (default 09:00).
    ...digestJobs(services),
    // The event log's daily seal (root in the log; posted with the next digest) and the retention run.
    ...evidenceJobs(services),
    ...retentionJobs(services),
  ];
}
