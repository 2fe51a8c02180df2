import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../log.ts';

export interface Job {
  name: string;
  /** node-cron expression (seconds field allowed). */
  schedule: string;
  /** For wall-clock jobs such as the daily digest. */
  timeZone?: string;
  run(): Promise<unknown>;
}

/** The Node scheduler: node-cron ticks with noOverlap, so a slow run is skipped, not stacked. */
export function startScheduler(jobs: Job[], log: Logger): { stop(): Promise<void> } {
  const tasks: ScheduledTask[] = jobs.map((job) =>
    cron.schedule(
      job.schedule,
      async () => {
        try {
          await job.run();
        } catch (e) {
          log.error('job failed', { job: job.name, err: String(e) });
        }
      },
      { name: job.name, noOverlap: true, timezone: job.timeZone },
    ),
  );
  return {
    async stop() {
      for (const t of tasks) await t.stop();
    },
  };
}
