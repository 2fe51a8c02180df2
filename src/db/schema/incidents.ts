import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * A burst of similar tickets (an outage) grouped under one card in the agents' group. Each ticket keeps its own
 * row, SLA and ledger entry (`tickets.incident_id`); the incident only saves the group from hundreds of cards.
 */
export const incidents = pgTable(
  'incidents',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** INC-YYYYMMDD-NN (the day in the calendar's zone). */
    code: text('code').notNull(),
    title: text('title').notNull(),
    /** open | resolved */
    status: text('status').notNull().default('open'),
    /** Character-bigram counts of the member tickets (top terms): new tickets are compared with it. */
    centroid: jsonb('centroid').$type<Record<string, number>>().notNull().default({}),
    /** A few member texts for the card. */
    samples: jsonb('samples').$type<string[]>().notNull().default([]),
    ticketCount: integer('ticket_count').notNull().default(0),
    /** Platform references of the incident card per surface (updated in place). */
    cardRefs: jsonb('card_refs').$type<Record<string, string>>().notNull().default({}),
    createdAt: ts('created_at').notNull(),
    lastTicketAt: ts('last_ticket_at').notNull(),
    resolvedAt: ts('resolved_at'),
    updatedAt: ts('updated_at').notNull().default(sql`now()`),
  },
  (t) => [uniqueIndex('incidents_code').on(t.code), index('incidents_open').on(t.lastTicketAt).where(sql`status = 'open'`)],
);
