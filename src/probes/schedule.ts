import { createHash } from 'node:crypto';
import type { Services } from '../services.ts';
import type { Job } from '../jobs/scheduler.ts';
import { runProbes } from './run.ts';

/**
 * The scheduled probe. Default: daily at one minute inside the first business-hours slot, picked from a hash of
 * the deployment (stable across restarts, different between companies, so reviewers cannot time it).
 */
export function probeSchedule(services: Services): string | null {
  const configured = services.config.probes.schedule;
  if (configured === 'off') return null;
  if (configured) return configured;
  const slot = services.config.calendar.hours[0];
  const [sh, sm] = slot.start.split(':').map(Number);
  const [eh, em] = slot.end.split(':').map(Number);
  const span = Math.max(1, eh * 60 + em - (sh * 60 + sm) - 1);
  const seed = createHash('sha256').update(`${services.config.company.name}|${services.env.PUBLIC_BASE_URL}`).digest().readUInt32BE(0);
  const at = sh * 60 + sm + (seed % span);
  return `${at % 60} ${Math.floor(at / 60)} * * *`;
}

export function probeJob(services: Services): Job[] {
  const schedule = probeSchedule(services);
  if (!schedule) return [];
  return [{ name: 'probes', schedule, timeZone: services.config.calendar.timeZone, run: () => runProbes(services, { trigger: 'schedule' }) }];
}
