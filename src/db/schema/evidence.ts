import { bigint, integer, jsonb, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Seals of the event log (records/seal.ts): each covers the events appended since the previous seal, names the head
 * of every chain it touched, and links to the previous seal's root. The root goes out with the daily digest.
 */
export const evidenceSeals = pgTable('evidence_seals', {
  id: serial('id').primaryKey(),
  /** The company-zone day the seal closes (the events appended up to its sealing). */
  day: text('day').notNull().unique(),
  sealedAt: timestamp('sealed_at', { withTimezone: true, mode: 'date' }).notNull(),
  /** Highest event id covered; appenders are excluded while sealing, so no lower id can commit later. */
  lastEventId: bigint('last_event_id', { mode: 'number' }).notNull(),
  eventCount: integer('event_count').notNull(),
  /** ticket id → [code, last seq, head hash, keyed mark or null] */
  manifest: jsonb('manifest').$type<Record<string, [string, number, string, string | null]>>().notNull(),
  prevRoot: text('prev_root').notNull(),
  root: text('root').notNull(),
  /** HMAC of the root with EVIDENCE_KEY (null without a key). */
  mark: text('mark'),
  /** When the root was handed to the agents' groups (daily digest). */
  postedAt: timestamp('posted_at', { withTimezone: true, mode: 'date' }),
});
