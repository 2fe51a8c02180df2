/**
 * The daily digest: on working days at `digest.time` (calendar zone), the stats since the previous working day
 * (Monday's digest covers Friday to Sunday; the day after a holiday covers the holiday) go to every agents'
 * surface as the same stats card as /stats. The outbox key is per day and surface: several instances, or a
 * re-run, post it once.
 */
import { holidayDataWarning } from '../core/calendar.ts';
import type { Services } from '../services.ts';
import type { Job } from '../jobs/scheduler.ts';
import { addDays, rangeOfDays } from './range.ts';
import { computeStats } from './stats.ts';
import { statsDeps, statsReply } from './commands.ts';
import { isDemoDatabase } from '../demo/marker.ts';
import { postEvidenceRoots } from '../records/anchor.ts';

export async function postDailyDigest(services: Services): Promise<{ posted: number; range?: { from: string; to: string }; roots?: string[] }> {
  const { calendar } = services;
  const today = calendar.localDate(services.clock.now());
  if (!calendar.isWorkingDay(today)) return { posted: 0 };
  const to = addDays(today, -1);
  let from = to;
  // Reach back over days off to the previous working day (at most two weeks: 春节 and 国庆 included).
  for (let i = 0; i < 14 && !calendar.isWorkingDay(from); i++) from = addDays(from, -1);
  const range = rangeOfDays(from, to, calendar.timeZone, from === to ? `昨日（${to}）` : `${from} 至 ${to}`);
  const stats = await computeStats(statsDeps(services), range);
  const reply = statsReply(services, stats, `每日客服数据 · ${range.label}`, await isDemoDatabase(services.database));
  const surfaces = services.desk.deps.agentSurfaces;
  for (const surface of surfaces) await services.desk.enqueueReply(surface, reply, `digest:${today}`);
  const holidays = holidayDataWarning(calendar, services.clock.now());
  if (holidays) for (const surface of surfaces) await services.desk.enqueueReply(surface, { kind: 'text', text: `⚠️ ${holidays}` }, `digest-holidays:${today}`);
  // The event log's daily roots ride with the digest: a copy outside the database (records/anchor.ts).
  const roots = await postEvidenceRoots(services, today);
  return { posted: surfaces.length, range: { from, to }, roots };
}

export function digestJobs(services: Services): Job[] {
  const { digest } = services.config;
  if (!digest.enabled) return [];
  const [hh, mm] = digest.time.split(':').map(Number);
  return [{ name: 'daily-digest', schedule: `0 ${mm} ${hh % 24} * * *`, timeZone: services.calendar.timeZone, run: () => postDailyDigest(services) }];
}
