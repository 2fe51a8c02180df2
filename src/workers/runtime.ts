import type { Hono } from 'hono';
import { workersChannels } from '../channels/workers.ts';
import { createApp } from '../http/app.ts';
import type { AppEnv } from '../http/env.ts';
import { nodeJobs } from '../jobs/jobs.ts';
import { createLogger, type Logger } from '../log.ts';
import { createServices, type Services } from '../services.ts';
import { cronMatchesMinute } from './cron.ts';
import { scopedDatabase, type ScopedDatabase } from './database.ts';
import { workerSettings, type WorkerBindings } from './env.ts';

/** What one isolate builds once: the same services and Hono app as the Node entry, on a request-scoped database. */
export interface WorkerRuntime {
  services: Services;
  app: Hono<AppEnv>;
  log: Logger;
  scope: ScopedDatabase;
}

export function buildRuntime(bindings: WorkerBindings): WorkerRuntime {
  const settings = workerSettings(bindings);
  // Workers collect console output (wrangler tail, Logs); process.stdout is not where they look.
  const log = createLogger(settings.env.LOG_LEVEL, { runtime: 'workers' }, (line) => console.log(line));
  const scope = scopedDatabase(settings.databaseUrl, (m) => log.debug('postgres notice', { m }));
  // No services.start(): it opens the long connections and LISTEN, which a Worker cannot keep.
  const services = createServices({ env: settings.env, config: settings.config, database: scope.database, log, channels: workersChannels() });
  const app = createApp(services);
  log.info('isolate ready', { database: settings.via, channels: services.channels.map((c) => c.name) });
  return { services, app, log, scope };
}

const runtimes = new WeakMap<object, WorkerRuntime>();

/**
 * One runtime per bindings object (Cloudflare reuses it across an isolate's requests; a deploy or a secret change
 * brings a new one, which is validated again). A bad environment throws a ConfigError on every request until fixed.
 */
export function runtimeFor(bindings: WorkerBindings): WorkerRuntime {
  let rt = runtimes.get(bindings);
  if (!rt) {
    rt = buildRuntime(bindings);
    runtimes.set(bindings, rt);
  }
  return rt;
}

export interface TickResult {
  ran: string[];
  failed: string[];
}

/**
 * A cron tick: the jobs node-cron runs on Node (`nodeJobs`: outbox, SLA sweep, probes, daily digest), each when its
 * schedule matches the tick's minute, side by side and failing alone; then the outbox once more, so what the sweep
 * and the digest queued goes out in the same tick.
 */
export async function runTick(rt: WorkerRuntime, at: Date): Promise<TickResult> {
  const result: TickResult = { ran: [], failed: [] };
  const due = nodeJobs(rt.services).filter((job) => {
    try {
      return cronMatchesMinute(job.schedule, at, job.timeZone);
    } catch (e) {
      rt.log.error('job schedule not understood on Workers', { job: job.name, schedule: job.schedule, err: String(e) });
      return false;
    }
  });
  await Promise.all(
    due.map(async (job) => {
      try {
        await job.run();
        result.ran.push(job.name);
      } catch (e) {
        result.failed.push(job.name);
        rt.log.error('job failed', { job: job.name, err: String(e) });
      }
    }),
  );
  await rt.services.outbox.wake();
  return result;
}
