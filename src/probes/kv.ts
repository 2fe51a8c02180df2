import { eq, like, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { kv } from '../db/schema/index.ts';

/**
 * Small durable state in the `kv` table: IMAP UIDs, WeCom cursors, probe results. Values are JSON; writes are
 * upserts, so a restart reads back exactly what the last commit wrote.
 */
export async function kvGet<T>(db: DbOrTx, key: string): Promise<T | undefined> {
  const [row] = await db.select({ value: kv.value }).from(kv).where(eq(kv.key, key));
  return row?.value as T | undefined;
}

export async function kvSet(db: DbOrTx, key: string, value: unknown, now = new Date()): Promise<void> {
  await db
    .insert(kv)
    .values({ key, value, updatedAt: now })
    .onConflictDoUpdate({ target: kv.key, set: { value: sql`excluded.value`, updatedAt: sql`excluded.updated_at` } });
}

export async function kvDelete(db: DbOrTx, key: string): Promise<void> {
  await db.delete(kv).where(eq(kv.key, key));
}

export async function kvList<T>(db: DbOrTx, prefix: string): Promise<Array<{ key: string; value: T }>> {
  const rows = await db
    .select({ key: kv.key, value: kv.value })
    .from(kv)
    .where(like(kv.key, `${prefix.replace(/[\\%_]/g, '\\$&')}%`));
  return rows.map((r) => ({ key: r.key, value: r.value as T }));
}
