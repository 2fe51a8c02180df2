import { and, asc, desc, eq, gte, inArray, isNotNull, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Database, DbOrTx } from '../db/client.ts';
import { customers, inboundReceipts, messages, tickets } from '../db/schema/index.ts';
import { kvDelete, kvGet, kvList, kvSet } from '../probes/kv.ts';
import { isProbeMarker } from '../probes/marker.ts';
import { incidentByCode, loadIncidentView } from './incidents.ts';
import type { Status } from '../core/ticket.ts';

/**
 * What a channel may read or keep in the database, asked through the desk (channels never import the database).
 * Reads of tickets and incidents, small durable channel state (kv), receipts already seen, signatures already
 * used, and shared pacing slots. Every change to a ticket goes through a desk use case instead.
 */
export function createChannelStore(database: Database) {
  const db = database.db;
  const ticketWhere = (where: SQL | undefined) =>
    db.select({ ticket: tickets, customer: customers }).from(tickets).innerJoin(customers, eq(customers.id, tickets.customerId)).where(where);

  return {
    /** Small durable state of a channel (IMAP UIDs, WeCom cursors, helpdesk refs): JSON values, upserts. */
    kv: {
      get: <T>(key: string) => kvGet<T>(db, key),
      set: (key: string, value: unknown, now?: Date) => kvSet(db, key, value, now),
      delete: (key: string) => kvDelete(db, key),
      list: <T>(prefix: string) => kvList<T>(db, prefix),
    },
    /** Only our own probes carry a marker the database knows (probes/marker.ts). */
    isProbeMarker: (value: string | undefined | null) => isProbeMarker(db, value),

    /** One ticket with its customer, by id, code, private-page token or the platform id of its agents' card. */
    async ticket(by: { id: number } | { code: string } | { accessToken: string } | { cardRef: { surface: string; refs: string[] } }) {
      let where: SQL | undefined;
      if ('id' in by) where = eq(tickets.id, by.id);
      else if ('code' in by) where = eq(tickets.code, by.code);
      else if ('accessToken' in by) where = eq(tickets.accessToken, by.accessToken);
      else if (by.cardRef.refs.length === 0) return undefined;
      else where = sql`${tickets.cardRefs}->>${by.cardRef.surface} in ${by.cardRef.refs}`;
      const [row] = await ticketWhere(where).limit(1);
      return row;
    },
    /** The latest ticket of a channel whose reply-to names this platform object (e.g. a Feishu helpdesk ticket). */
    async ticketByReplyTo(channel: string, field: string, value: string) {
      const [row] = await ticketWhere(and(eq(tickets.channel, channel), sql`${tickets.replyTo}->>${field} = ${value}`))
        .orderBy(desc(tickets.id))
        .limit(1);
      return row;
    },
    /** The customer's ticket that waits for a survey answer (a merged ticket's customer got the carrier's survey). */
    async awaitingSurvey(channel: string, customerExternalId: string) {
      const [row] = await ticketWhere(
        and(
          eq(customers.channel, channel),
          eq(customers.externalId, customerExternalId),
          or(eq(tickets.status, 'resolved'), and(eq(tickets.closeReason, 'merged'), isNotNull(tickets.surveySentAt), isNull(tickets.surveyAnsweredAt))),
        ),
      )
        .orderBy(desc(tickets.id))
        .limit(1);
      return row;
    },
    /** Ids of a channel's tickets in these states changed since `since` (status sweeps). */
    async ticketsChangedSince(channel: string, statuses: Status[], since: Date): Promise<number[]> {
      const rows = await db
        .select({ id: tickets.id })
        .from(tickets)
        .where(and(eq(tickets.channel, channel), inArray(tickets.status, statuses), gte(tickets.updatedAt, since)));
      return rows.map((r) => r.id);
    },
    /** What the customer and the company said to each other (internal notes left out). */
    customerThread: (ticketId: number) =>
      db
        .select({ direction: messages.direction, body: messages.body, at: messages.createdAt })
        .from(messages)
        .where(and(eq(messages.ticketId, ticketId), inArray(messages.direction, ['in', 'out'])))
        .orderBy(asc(messages.id)),
    incidentByCode: (code: string) => incidentByCode(db, code),
    incidentView: (id: number) => loadIncidentView(db, id),

    /** True when a delivery with this key was recorded by a use case (desk/receipts.ts). */
    async seen(source: string, key: string): Promise<boolean> {
      const [row] = await db
        .select({ k: inboundReceipts.externalId })
        .from(inboundReceipts)
        .where(and(eq(inboundReceipts.source, source), eq(inboundReceipts.externalId, key)));
      return !!row;
    },
    claimSignature: (source: string, signature: string, bodyDigest: string, windowMs: number) => claimSignature(db, source, signature, bodyDigest, windowMs),
    pacing: sharedSlots(db),
  };
}
export type ChannelStore = ReturnType<typeof createChannelStore>;

/**
 * A callback signature that covers only a timestamp could sign any body: the first body seen with a signature owns
 * it (for the window); the same body again is a redelivery (true), any other body is a forgery (false). Marks older
 * than two windows are dropped on the way.
 */
async function claimSignature(db: DbOrTx, source: string, signature: string, bodyDigest: string, windowMs: number): Promise<boolean> {
  const signatures = `${source}:signature`;
  const bodies = `${source}:signed-body`;
  return db.transaction(async (tx) => {
    const cutoff = sql`now() - make_interval(secs => ${(2 * windowMs) / 1000})`;
    await tx
      .delete(inboundReceipts)
      .where(and(or(eq(inboundReceipts.source, signatures), eq(inboundReceipts.source, bodies)), lt(inboundReceipts.receivedAt, cutoff)));
    // A concurrent claim of the same signature waits here on the primary key until the first one commits.
    const fresh = await tx
      .insert(inboundReceipts)
      .values({ source: signatures, externalId: signature })
      .onConflictDoNothing()
      .returning({ id: inboundReceipts.externalId });
    const body = { source: bodies, externalId: `${signature}:${bodyDigest}` };
    if (fresh.length) {
      await tx.insert(inboundReceipts).values(body).onConflictDoNothing();
      return true;
    }
    const [same] = await tx
      .select({ id: inboundReceipts.externalId })
      .from(inboundReceipts)
      .where(and(eq(inboundReceipts.source, body.source), eq(inboundReceipts.externalId, body.externalId)));
    return !!same;
  });
}

const PACE = 'pace:';

/**
 * Pacing slots shared by every instance on one database: the next free slot of a key lives in `kv` and is taken
 * with one upsert, which the row lock serialises. Times are the database's clock, so instances with skewed clocks
 * still agree. One round trip per call.
 */
function sharedSlots(db: DbOrTx) {
  const rowsOf = <T>(r: unknown): T[] => (r as { rows?: T[] }).rows ?? (r as T[]);
  return {
    /** Takes the next slot of `key` (`gapMs` apart); returns the slot and the database's now, in epoch ms. */
    async take(key: string, gapMs: number): Promise<{ slot: number; now: number }> {
      const rows = await db.execute<{ slot: string; now: string }>(sql`
        with clock as (select floor(extract(epoch from clock_timestamp()) * 1000)::bigint as now)
        insert into kv (key, value, updated_at)
        select ${PACE + key}, jsonb_build_object('next', clock.now + ${gapMs}::bigint), now() from clock
        on conflict (key) do update
          set value = jsonb_build_object('next', greatest((kv.value->>'next')::bigint, (select now from clock)) + ${gapMs}::bigint), updated_at = now()
        returning ((value->>'next')::bigint - ${gapMs}::bigint)::text as slot, (select now from clock)::text as now`);
      const [row] = rowsOf<{ slot: string; now: string }>(rows);
      return { slot: Number(row.slot), now: Number(row.now) };
    },
    /** Nobody takes a slot of `key` for `ms` from now. */
    async holdOff(key: string, ms: number): Promise<void> {
      await db.execute(sql`
        update kv set value = jsonb_build_object('next', greatest((value->>'next')::bigint, floor(extract(epoch from clock_timestamp()) * 1000)::bigint + ${Math.ceil(ms)}::bigint)), updated_at = now()
        where key = ${PACE + key}`);
    },
    /** Keys under `prefix` unused for an hour are dropped. */
    async sweep(prefix: string): Promise<void> {
      await db.execute(sql`delete from kv where key like ${`${PACE}${prefix}%`} and updated_at < now() - interval '1 hour'`);
    },
  };
}
export type SharedSlots = ReturnType<typeof sharedSlots>;
