import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';

/**
 * Spaces calls per key (a chat, a user, a message) to at most `perSecond`: Feishu allows 5 QPS per group
 * (shared by all bots), 5 per user and 5 PATCHes per message; going over costs a 230020 and a retry.
 * In-process only: see `createSharedPacer` for several instances.
 */
export function createPacer(perSecond: number, now: () => number = Date.now) {
  // 10% under the limit: requests spaced at exactly 1/QPS arrive bunched by network and event-loop jitter.
  const gap = 1100 / perSecond;
  const next = new Map<string, number>();
  return {
    async take(key: string): Promise<number> {
      const t = now();
      const slot = Math.max(t, next.get(key) ?? 0);
      next.set(key, slot + gap);
      if (next.size > 10_000) for (const [k, v] of next) if (v < t) next.delete(k);
      if (slot > t) await new Promise((r) => setTimeout(r, slot - t));
      return slot;
    },
    /** Feishu said "too fast" anyway (jitter): nobody sends to this key for `ms`. */
    async holdOff(key: string, ms: number): Promise<void> {
      next.set(key, Math.max(next.get(key) ?? 0, now() + ms));
    },
  };
}
export type Pacer = ReturnType<typeof createPacer>;

const PREFIX = 'pace:feishu:';

/**
 * The same spacing across every instance on one database (Feishu's limit is per chat, not per process): the next
 * free slot of a key lives in `kv` and is taken with one upsert, which the row lock serialises. Times are the
 * database's clock, so instances with skewed clocks still agree. One round trip per call.
 */
export function createSharedPacer(database: Database, perSecond: number): Pacer {
  const gap = Math.ceil(1100 / perSecond);
  let calls = 0;
  return {
    async take(key: string): Promise<number> {
      const rows = await database.db.execute<{ slot: string; now: string }>(sql`
        with clock as (select floor(extract(epoch from clock_timestamp()) * 1000)::bigint as now)
        insert into kv (key, value, updated_at)
        select ${PREFIX + key}, jsonb_build_object('next', clock.now + ${gap}::bigint), now() from clock
        on conflict (key) do update
          set value = jsonb_build_object('next', greatest((kv.value->>'next')::bigint, (select now from clock)) + ${gap}::bigint), updated_at = now()
        returning ((value->>'next')::bigint - ${gap}::bigint)::text as slot, (select now from clock)::text as now`);
      const row = ((rows as { rows?: Array<{ slot: string; now: string }> }).rows ?? (rows as unknown as Array<{ slot: string; now: string }>))[0];
      const wait = Number(row.slot) - Number(row.now);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      // Keys of chats and users gone quiet for an hour are dropped now and then.
      if (++calls % 500 === 0) await database.db.execute(sql`delete from kv where key like ${`${PREFIX}%`} and updated_at < now() - interval '1 hour'`);
      return Number(row.slot);
    },
    async holdOff(key: string, ms: number): Promise<void> {
      await database.db.execute(sql`
        update kv set value = jsonb_build_object('next', greatest((value->>'next')::bigint, floor(extract(epoch from clock_timestamp()) * 1000)::bigint + ${Math.ceil(ms)}::bigint)), updated_at = now()
        where key = ${PREFIX + key}`);
    },
  };
}
