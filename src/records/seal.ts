/**
 * Seals: once a day the events appended since the previous seal are closed under one root. The root links to the
 * previous one and names the head of every ticket chain the day touched, so a deleted ticket, a deleted last event
 * or a deleted day no longer matches it. Sealing holds the chain writer's lock exclusively: every event id up to
 * the seal's last id has committed, and none can commit below it later.
 */
import { desc, eq, sql } from 'drizzle-orm';
import type { BusinessCalendar } from '../core/calendar.ts';
import type { Clock } from '../core/clock.ts';
import { GENESIS_HASH, keyedMark, sealRoot } from '../core/hash.ts';
import { queryRows, type Database } from '../db/client.ts';
import { evidenceSeals } from '../db/schema/index.ts';
import type { Logger } from '../log.ts';
import { addDays } from '../reports/range.ts';
import { SEAL_LOCK } from './chain.ts';

export interface EvidenceDeps {
  database: Database;
  clock: Clock;
  calendar: BusinessCalendar;
  /** EVIDENCE_KEY */
  key?: string | null;
  log?: Logger;
}

export type Seal = typeof evidenceSeals.$inferSelect;

/** The keyed mark of one manifest entry: names the ticket whose chain was re-hashed without the key. */
export const entryMark = (key: string, ticketId: number, seq: number, head: string) => keyedMark(key, `${ticketId} ${seq} ${head}`);

/** Seals the day before `now` (company zone), once; a second call for the same day returns the existing seal. */
export async function sealDay(deps: EvidenceDeps): Promise<{ seal: Seal; created: boolean }> {
  const now = deps.clock.now();
  const day = addDays(deps.calendar.localDate(now), -1);
  const result = await deps.database.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${SEAL_LOCK})`);
    const [existing] = await tx.select().from(evidenceSeals).where(eq(evidenceSeals.day, day));
    if (existing) return { seal: existing, created: false };
    const [prev] = await tx.select().from(evidenceSeals).orderBy(desc(evidenceSeals.id)).limit(1);
    if (prev && prev.day > day) throw new Error(`已封存到 ${prev.day}，不能再封存更早的 ${day}`);
    const after = prev?.lastEventId ?? 0;
    const [totals] = await queryRows<{ n: number | string; last: number | string | null }>(
      tx,
      sql`select count(*) as n, max(id) as last from ticket_events where id > ${after}`,
    );
    const heads = await queryRows<{ ticket_id: number | string; seq: number; hash: string; code: string }>(
      tx,
      sql`select distinct on (e.ticket_id) e.ticket_id, e.seq, e.hash, t.code from ticket_events e join tickets t on t.id = e.ticket_id where e.id > ${after} order by e.ticket_id, e.seq desc`,
    );
    const manifest: Seal['manifest'] = {};
    for (const h of heads) {
      const id = Number(h.ticket_id);
      manifest[id] = [h.code, Number(h.seq), h.hash, deps.key ? entryMark(deps.key, id, Number(h.seq), h.hash) : null];
    }
    const facts = { day, lastEventId: totals.last === null ? after : Number(totals.last), eventCount: Number(totals.n), manifest };
    const prevRoot = prev?.root ?? GENESIS_HASH;
    const root = sealRoot(prevRoot, facts);
    const [seal] = await tx
      .insert(evidenceSeals)
      .values({ ...facts, sealedAt: now, prevRoot, root, mark: deps.key ? keyedMark(deps.key, root) : null })
      .returning();
    return { seal, created: true };
  });
  if (result.created)
    deps.log?.info('evidence root sealed', {
      day,
      root: result.seal.root,
      mark: result.seal.mark,
      events: result.seal.eventCount,
      tickets: Object.keys(result.seal.manifest).length,
    });
  return result;
}

/** The line each root is posted as (daily digest), and how `verify` recognises it among the posted messages. */
export const anchorLine = (s: Pick<Seal, 'day' | 'root' | 'mark'>) => `存证根 ${s.day} ${s.root}${s.mark ? ` 密钥标记 ${s.mark.slice(0, 16)}` : ''}`;
export const ANCHOR_PATTERN = /存证根 (\d{4}-\d{2}-\d{2}) ([0-9a-f]{64})/g;
