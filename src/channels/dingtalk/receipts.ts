import { and, eq, inArray, lt, or, sql, TransactionRollbackError } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { inboundReceipts } from '../../db/schema/index.ts';

/**
 * Durable "seen" marks for deliveries that are not customer messages (commands, card clicks, survey answers):
 * DingTalk re-sends unacknowledged callbacks and may send duplicates even after an ack, possibly to another
 * instance, so an in-memory set alone is not enough. Customer messages are deduplicated by the desk's intake.
 */
export const RECEIPT_SOURCE = 'dingtalk:seen';
const SOURCE = RECEIPT_SOURCE;

/** True the first time a key is claimed, false for every later delivery. */
export async function claimReceipt(db: Db, keys: string[]): Promise<boolean> {
  const rows = keys.map((k) => ({ source: SOURCE, externalId: k }));
  return db.transaction(async (tx) => {
    const fresh = await tx.insert(inboundReceipts).values(rows).onConflictDoNothing().returning({ id: inboundReceipts.externalId });
    if (fresh.length < rows.length) {
      // Another id of the same delivery was seen: undo our marks so the set stays exact, and report a duplicate.
      tx.rollback();
    }
    return true;
  }).catch((e: unknown) => {
    if (e instanceof TransactionRollbackError) return false;
    throw e;
  });
}

/** After an unexpected failure: the platform's redelivery should be processed, not dropped. */
export async function forgetReceipts(db: Db, keys: string[]): Promise<void> {
  await db.delete(inboundReceipts).where(and(eq(inboundReceipts.source, SOURCE), inArray(inboundReceipts.externalId, keys)));
}

export async function hasReceipt(db: Db, key: string): Promise<boolean> {
  const [row] = await db.select({ id: inboundReceipts.externalId }).from(inboundReceipts).where(and(eq(inboundReceipts.source, SOURCE), eq(inboundReceipts.externalId, key)));
  return !!row;
}

/** A small in-memory TTL set in front of the database: most redeliveries stop here. */
export function recentSet(ttlMs: number, now: () => number = Date.now) {
  const seen = new Map<string, number>();
  return {
    /** True if added (not seen within the TTL). */
    add(key: string): boolean {
      const t = now();
      if (seen.size > 10_000) for (const [k, at] of seen) if (t - at > ttlMs) seen.delete(k);
      const at = seen.get(key);
      if (at !== undefined && t - at <= ttlMs) return false;
      seen.set(key, t);
      return true;
    },
    delete: (key: string) => void seen.delete(key),
  };
}

const SIGNATURES = 'dingtalk:signature';
const SIGNED_BODIES = 'dingtalk:signed-body';

/**
 * An HTTP callback's signature covers only its timestamp, so a captured header pair could sign any body. The first
 * body seen with a signature owns it (for the signature window); the same body again is a redelivery (true), any
 * other body is a forgery (false). Marks older than two windows are dropped on the way.
 */
export async function claimSignature(db: Db, signature: string, bodyDigest: string, windowMs: number): Promise<boolean> {
  return db.transaction(async (tx) => {
    const cutoff = sql`now() - make_interval(secs => ${(2 * windowMs) / 1000})`;
    await tx.delete(inboundReceipts).where(and(or(eq(inboundReceipts.source, SIGNATURES), eq(inboundReceipts.source, SIGNED_BODIES)), lt(inboundReceipts.receivedAt, cutoff)));
    // A concurrent claim of the same signature waits here on the primary key until the first one commits.
    const fresh = await tx.insert(inboundReceipts).values({ source: SIGNATURES, externalId: signature }).onConflictDoNothing().returning({ id: inboundReceipts.externalId });
    const body = { source: SIGNED_BODIES, externalId: `${signature}:${bodyDigest}` };
    if (fresh.length) {
      await tx.insert(inboundReceipts).values(body).onConflictDoNothing();
      return true;
    }
    const [same] = await tx.select({ id: inboundReceipts.externalId }).from(inboundReceipts).where(and(eq(inboundReceipts.source, body.source), eq(inboundReceipts.externalId, body.externalId)));
    return !!same;
  });
}
