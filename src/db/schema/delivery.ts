import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { tickets } from './tickets.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Platform ids already handled: a re-delivered event finds its receipt and changes nothing. */
export const inboundReceipts = pgTable(
  'inbound_receipts',
  {
    source: text('source').notNull(),
    externalId: text('external_id').notNull(),
    ticketId: bigint('ticket_id', { mode: 'number' }),
    receivedAt: ts('received_at').notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.source, t.externalId] })],
);

/**
 * Every platform call is a row written in the same transaction as the state it reports. The worker claims
 * due rows (FOR UPDATE SKIP LOCKED + lease), delivers them with `idemKey` as the idempotency key, retries with
 * jittered backoff and parks them as `dead` after `maxAttempts`.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    idemKey: text('idem_key').notNull(),
    /** Which sender delivers it: a channel name ('feishu', 'web', …). */
    channel: text('channel').notNull(),
    kind: text('kind').notNull(),
    ticketId: bigint('ticket_id', { mode: 'number' }).references(() => tickets.id),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    /** pending | sent | dead */
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    runAt: ts('run_at').notNull(),
    leaseUntil: ts('lease_until'),
    lastError: text('last_error'),
    createdAt: ts('created_at').notNull(),
    sentAt: ts('sent_at'),
  },
  (t) => [
    uniqueIndex('outbox_idem_key').on(t.idemKey),
    index('outbox_due').on(t.runAt).where(sql`status = 'pending'`),
    index('outbox_dead').on(t.channel).where(sql`status = 'dead'`),
  ],
);

/** Durable timers (SLA reminders, breaches, survey reminders…), written with the ticket change that sets them. */
export const timers = pgTable(
  'timers',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    ticketId: bigint('ticket_id', { mode: 'number' })
      .notNull()
      .references(() => tickets.id),
    kind: text('kind').notNull(),
    dueAt: ts('due_at').notNull(),
    /** pending | fired | cancelled */
    status: text('status').notNull().default('pending'),
    /** One row per (ticket, timer, threshold): a re-arm with the same key is a no-op. */
    dedupeKey: text('dedupe_key').notNull(),
    leaseUntil: ts('lease_until'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    firedAt: ts('fired_at'),
  },
  (t) => [uniqueIndex('timers_dedupe').on(t.dedupeKey), index('timers_due').on(t.dueAt).where(sql`status = 'pending'`), index('timers_ticket').on(t.ticketId)],
);

/** Small key/value state that must survive restarts (cursors, model weights, last digest…). */
export const kv = pgTable('kv', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
});
