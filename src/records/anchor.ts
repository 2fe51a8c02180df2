/**
 * Anchors outside the database: the roots not yet posted go to every agents' surface with the daily digest (the
 * platform keeps the message), and the scheduler seals each day shortly after midnight (written to the log).
 */
import { asc, inArray, isNull } from 'drizzle-orm';
import { evidenceSeals } from '../db/schema/index.ts';
import type { Job } from '../jobs/scheduler.ts';
import type { Services } from '../services.ts';
import { anchorLine, sealDay, type EvidenceDeps } from './seal.ts';

export const evidenceDeps = (s: Services): EvidenceDeps => ({
  database: s.database,
  clock: s.clock,
  calendar: s.calendar,
  key: s.env.EVIDENCE_KEY ?? null,
  log: s.log,
});

/** Seals yesterday (if not yet) and posts every root not posted before; returns the roots posted. */
export async function postEvidenceRoots(services: Services, idemDay: string): Promise<string[]> {
  await sealDay(evidenceDeps(services));
  const db = services.database.db;
  const pending = await db.select().from(evidenceSeals).where(isNull(evidenceSeals.postedAt)).orderBy(asc(evidenceSeals.id));
  const surfaces = services.desk.deps.agentSurfaces;
  if (pending.length === 0 || surfaces.length === 0) return [];
  const text = [
    `事件日志存证（${services.env.EVIDENCE_KEY ? '已用密钥标记' : '未设置 EVIDENCE_KEY，仅哈希'}）：请勿删除本消息，它是审核时核对记录未被改写的凭据。`,
    ...pending.map(anchorLine),
  ].join('\n');
  for (const surface of surfaces) await services.desk.enqueueReply(surface, { kind: 'text', text }, `evidence:${idemDay}`);
  await db
    .update(evidenceSeals)
    .set({ postedAt: services.clock.now() })
    .where(
      inArray(
        evidenceSeals.id,
        pending.map((p) => p.id),
      ),
    );
  for (const p of pending) services.log.info('evidence root posted', { day: p.day, root: p.root, surfaces });
  return pending.map((p) => p.root);
}

export function evidenceJobs(services: Services): Job[] {
  // Every day (days off too), ten minutes after midnight company time: the root is in the log before any digest.
  return [{ name: 'evidence-seal', schedule: '0 10 0 * * *', timeZone: services.calendar.timeZone, run: () => sealDay(evidenceDeps(services)) }];
}
