/**
 * Erasure on request (个人信息保护法 第四十七条) and by retention: one transaction removes a customer's personal data
 * everywhere it is kept — messages (bodies, attachment references), the personal fields of events (their digests
 * stay, so hashes still compute), subjects, survey comments, reply addresses, the customer record, and every
 * outbox payload that quoted them — then drops the tickets' salts, so the digests left cannot be tested against
 * guesses. Ticket rows, times and scores stay: the ledger keeps its numbers, with 「已依申请删除」 in place of data.
 * Each ticket's log gets an `erased` event naming who and why.
 */
import { eq, inArray, sql } from 'drizzle-orm';
import { committedData, ERASED_DIGESTS, ERASED_TEXT, PERSONAL_FIELDS } from '../core/hash.ts';
import { queryRows, type Tx } from '../db/client.ts';
import { customers, messages, outbox, ticketEvents, tickets } from '../db/schema/index.ts';
import { appendEvents } from '../desk/store.ts';
import { DeskError } from '../desk/errors.ts';
import { findCustomer } from './customer.ts';

export interface EraseRequest {
  /** customer id or contact */
  key: string;
  reason: string;
  /** Who asked: 'admin:<name>' from the console/API, 'cli', 'retention'. */
  actor: string;
}

export interface EraseResult {
  customerId: number;
  alreadyErased: boolean;
  tickets: string[];
  messages: number;
  outboxRows: number;
  /** Events written before chain version 2 whose free text cannot be removed without breaking their hash. */
  legacyFieldsKept: number;
}

export async function eraseCustomer(db: { transaction: <T>(f: (tx: Tx) => Promise<T>) => Promise<T> }, now: Date, req: EraseRequest): Promise<EraseResult> {
  const reason = req.reason.trim();
  if (!reason) throw new DeskError('invalid', '删除个人信息须注明原因（--reason，例如「客户 2026-03-10 来电申请删除」）');
  return db.transaction(async (tx) => {
    const c = await findCustomer(tx, req.key, true);
    if (c.erasedAt) return { customerId: c.id, alreadyErased: true, tickets: [], messages: 0, outboxRows: 0, legacyFieldsKept: 0 };
    const own = await tx.select().from(tickets).where(eq(tickets.customerId, c.id)).orderBy(tickets.id).for('update');
    const scrub = new Set<string>([c.name, c.phone, c.email, c.externalId].filter((v): v is string => !!v && v.length >= 2));
    const result: EraseResult = { customerId: c.id, alreadyErased: false, tickets: own.map((t) => t.code), messages: 0, outboxRows: 0, legacyFieldsKept: 0 };
    for (const t of own) {
      for (const v of [t.subject, t.csatComment]) if (v && v.length >= 2) scrub.add(v);
      result.messages += await eraseTicketData(tx, t, { actor: req.actor, reason, customerId: c.id }, now, scrub, result);
    }
    result.outboxRows = await scrubOutbox(
      tx,
      own.map((t) => t.id),
      own.map((t) => t.code),
      scrub,
    );
    await tx
      .update(customers)
      .set({ name: ERASED_TEXT, phone: null, email: null, externalId: `erased:${c.id}`, erasedAt: now })
      .where(eq(customers.id, c.id));
    return result;
  });
}

type TicketRow = typeof tickets.$inferSelect;

/**
 * One ticket's personal data: the `erased` event is appended first, under the ticket's current salt; then the
 * values and the salt go. Returns the messages erased; adds the values removed to `scrub` (for the outbox).
 */
export async function eraseTicketData(
  tx: Tx,
  t: TicketRow,
  why: { actor: string; reason: string; customerId: number },
  now: Date,
  scrub: Set<string>,
  counts: { legacyFieldsKept: number },
): Promise<number> {
  await appendEvents(tx, t.id, why.actor, now, [{ type: 'erased', data: { reason: why.reason, customerId: why.customerId } }]);
  counts.legacyFieldsKept += await erasePersonalFields(tx, t.id, t.evidenceSalt, scrub);
  for (const m of await tx.select({ body: messages.body, attachments: messages.attachments }).from(messages).where(eq(messages.ticketId, t.id))) {
    for (const v of [m.body, ...m.attachments.flatMap((a) => [a.ref, a.name ?? ''])]) if (v.length >= 2 && v !== ERASED_TEXT) scrub.add(v);
  }
  const erased = await tx
    .update(messages)
    .set({ body: ERASED_TEXT, attachments: [], erasedAt: now })
    .where(eq(messages.ticketId, t.id))
    .returning({ id: messages.id });
  await tx
    .update(tickets)
    .set({
      subject: ERASED_TEXT,
      csatComment: t.csatComment ? ERASED_TEXT : null,
      replyTo: {},
      evidenceSalt: null,
      triage: t.triage ? { ...t.triage, reason: ERASED_TEXT, duplicates: undefined } : null,
    })
    .where(eq(tickets.id, t.id));
  return erased.length;
}

/** Replaces the personal fields of version-2 events with 「已依申请删除」, keeping their digests; returns legacy fields kept. */
async function erasePersonalFields(tx: Tx, ticketId: number, salt: string | null, scrub: Set<string>): Promise<number> {
  const types = Object.keys(PERSONAL_FIELDS);
  const rows = await tx
    .select()
    .from(ticketEvents)
    .where(sql`${ticketEvents.ticketId} = ${ticketId} and ${inArray(ticketEvents.type, types)}`);
  let legacy = 0;
  for (const e of rows) {
    const fields = PERSONAL_FIELDS[e.type].filter((f) => typeof e.data[f] === 'string' && e.data[f] && e.data[f] !== ERASED_TEXT);
    if (fields.length === 0) continue;
    for (const f of fields) scrub.add(String(e.data[f]));
    if (e.v < 2) {
      legacy += fields.length;
      continue;
    }
    const committed = committedData(e, salt);
    const digests = { ...((e.data[ERASED_DIGESTS] ?? {}) as Record<string, string>) };
    const data = { ...e.data };
    for (const f of fields) {
      digests[f] = (committed[f] as { digest: string }).digest;
      data[f] = ERASED_TEXT;
    }
    await tx
      .update(ticketEvents)
      .set({ data: { ...data, [ERASED_DIGESTS]: digests } })
      .where(eq(ticketEvents.id, e.id));
  }
  return legacy;
}

/** Every outbox payload of these tickets, or quoting their codes, with the erased values replaced. */
export async function scrubOutbox(tx: Tx, ticketIds: number[], codes: string[], values: Set<string>): Promise<number> {
  if (ticketIds.length === 0 && values.size === 0) return 0;
  const quoted = codes.map((c) => `%${c}%`);
  const rows = await queryRows<{ id: number | string; payload: string }>(
    tx,
    sql`select id, payload::text as payload from ${outbox} where ${ticketIds.length ? sql`ticket_id in ${ticketIds} or ` : sql``}${
      quoted.length
        ? sql`payload::text like any (array[${sql.join(
            quoted.map((q) => sql`${q}`),
            sql`, `,
          )}]::text[])`
        : sql`false`
    }`,
  );
  // Longest first, so a message body is replaced before a name it contains.
  const needles = [...values].sort((a, b) => b.length - a.length).map((v) => JSON.stringify(v).slice(1, -1));
  let changed = 0;
  for (const r of rows) {
    let text = r.payload;
    for (const n of needles) text = text.split(n).join(ERASED_TEXT);
    if (text === r.payload) continue;
    await tx
      .update(outbox)
      .set({ payload: JSON.parse(text) })
      .where(eq(outbox.id, Number(r.id)));
    changed++;
  }
  return changed;
}
