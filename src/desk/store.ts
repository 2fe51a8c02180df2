import { codeCounterKey, formatTicketCode, TICKET_PREFIX } from '../core/ticket-code.ts';
import { randomBytes } from 'node:crypto';
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { outbox, ticketCodeCounters, tickets } from '../db/schema/index.ts';
import { appendChained } from '../records/chain.ts';
import type { TicketEvent, TicketState } from '../core/ticket.ts';
import type { OutboxKind } from './types.ts';
import { routeIncidentItems } from './incident-routing.ts';
import { CONTACT_OUTBOX_CHANNEL, isContactChannel } from '../core/contact.ts';

export type TicketRow = typeof tickets.$inferSelect;
/** The row seen by the pure state machine (status and close reason are stored as text). */
export const stateOf = (row: TicketRow): TicketState => row;

/** NOTIFY channel that wakes outbox workers in other instances (sent by a trigger; PostgreSQL delivers it on commit). */
export const OUTBOX_CHANNEL = 'loopdesk_outbox';

/**
 * Appends events to the ticket's hash chain (through the one chain writer, records/chain.ts). Callers hold the
 * ticket row lock, so seq cannot race. An event may name its own actor (the bot's acknowledgement beside the
 * customer's message).
 */
export async function appendEvents(tx: Tx, ticketId: number, actor: string, at: Date, events: Array<TicketEvent & { actor?: string }>): Promise<number[]> {
  if (events.length === 0) return [];
  const seqs = await appendChained(tx, new Map([[ticketId, events.map((e) => ({ ...e, actor: e.actor ?? actor, at }))]]));
  return seqs.get(ticketId) ?? [];
}

export interface Enqueue {
  channel: string;
  kind: OutboxKind;
  ticketId: number | null;
  payload?: Record<string, unknown>;
  /** Stable per cause (ticket + event seq + kind + target): a retried use case cannot enqueue twice. */
  idemKey: string;
  runAt?: Date;
}

export async function enqueue(tx: Tx, now: Date, items: Enqueue[]): Promise<void> {
  if (items.length === 0) return;
  // Tickets in a burst show on their incident's card: their own card posts and SLA pings are folded into it.
  items = await routeIncidentItems(tx, now, items);
  // A web-form, phone, visit or letter customer is in no chat: their messages go to the contact they left.
  items = items.map((i) => (i.kind.startsWith('customer.') && isContactChannel(i.channel) ? { ...i, channel: CONTACT_OUTBOX_CHANNEL } : i));
  await tx
    .insert(outbox)
    .values(
      items.map((i) => ({
        idemKey: i.idemKey,
        channel: i.channel,
        kind: i.kind,
        ticketId: i.ticketId,
        payload: i.payload ?? {},
        runAt: i.runAt ?? now,
        createdAt: now,
      })),
    )
    .onConflictDoNothing({ target: outbox.idemKey });
  // Other instances are woken by the statement trigger `outbox_notify` (migrations): NOTIFY is sent on commit.
}

/**
 * FB-YYYYMMDD-NNNN (TC- for probes, on their own counter), the day in the company's zone; the counter row serialises
 * concurrent intakes of one day.
 */
export async function nextTicketCode(tx: Tx, localDate: string, prefix = TICKET_PREFIX): Promise<string> {
  const day = localDate.replaceAll('-', '');
  const [row] = await tx
    .insert(ticketCodeCounters)
    .values({ day: codeCounterKey(prefix, day), last: 1 })
    .onConflictDoUpdate({ target: ticketCodeCounters.day, set: { last: sql`${ticketCodeCounters.last} + 1` } })
    .returning({ last: ticketCodeCounters.last });
  return formatTicketCode(prefix, day, row.last);
}

export const newAccessToken = () => randomBytes(18).toString('base64url');

export async function lockTicketByCode(tx: Tx, code: string): Promise<TicketRow | undefined> {
  const [row] = await tx.select().from(tickets).where(eq(tickets.code, code)).for('update');
  return row;
}

export async function lockTicketById(tx: Tx, id: number): Promise<TicketRow | undefined> {
  const [row] = await tx.select().from(tickets).where(eq(tickets.id, id)).for('update');
  return row;
}

export async function lockOpenTicketOf(tx: Tx, customerId: number, channel: string): Promise<TicketRow | undefined> {
  const [row] = await tx
    .select()
    .from(tickets)
    .where(and(eq(tickets.customerId, customerId), eq(tickets.channel, channel), sql`${tickets.status} <> 'closed'`))
    .orderBy(desc(tickets.id))
    .limit(1)
    .for('update');
  return row;
}
