import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { DbOrTx } from '../db/client.ts';
import { kvGet, kvSet } from './kv.ts';

/**
 * A probe complaint carries `<runId>.<nonce>` (HTTP header, e-mail header, API field). The nonce is random and kept
 * only in our database, so a planted complaint from outside can never pass itself off as a probe and slip out of
 * the KPIs.
 */
export const PROBE_HEADER = 'x-loopdesk-probe';

export interface ProbeRun {
  runId: string;
  marker: string;
}

export async function issueProbeMarker(db: DbOrTx, channel: string, now: Date): Promise<ProbeRun> {
  const runId = randomBytes(5).toString('hex');
  const nonce = randomBytes(16).toString('base64url');
  await kvSet(db, `probe:run:${runId}`, { nonce, channel, at: now.toISOString() }, now);
  return { runId, marker: `${runId}.${nonce}` };
}

export async function isProbeMarker(db: DbOrTx, value: string | undefined | null): Promise<boolean> {
  const m = /^([0-9a-f]{10})\.([\w-]{10,40})$/.exec(value?.trim() ?? '');
  if (!m) return false;
  const run = await kvGet<{ nonce: string }>(db, `probe:run:${m[1]}`);
  if (!run) return false;
  const a = Buffer.from(run.nonce);
  const b = Buffer.from(m[2]);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The complaint text: recognisable to a person who sees it, and carrying the run id the follower looks for. */
export const probeText = (runId: string) => `【拨测 ${runId}】Loopdesk 自动拨测：这是一条模拟投诉，用于确认反馈渠道畅通，请忽略。`;
