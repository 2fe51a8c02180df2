/**
 * The one writer of the hash chain. Every event of every ticket is appended here (desk use cases through
 * `appendEvents`, the SLA sweep in batches), so what a row commits to is decided in one place:
 * - the event data, with personal free text hashed as its salted digest (core/hash.ts, chain version 2);
 * - for an event naming a message (`messageId`): a salted digest of the message's body and attachments;
 * - for `created` (and `imported`) and `customer_message`: salted digests of the subject and of the customer's contact as stored.
 * Salts are per ticket (`tickets.evidence_salt`), apart from the events: erasing values and salt leaves every hash
 * computable. Appenders hold a shared advisory lock that sealing takes exclusively (records/seal.ts).
 */
import { sql } from 'drizzle-orm';
import { CHAIN_VERSION, eventHash, GENESIS_HASH } from '../core/hash.ts';
import type { TicketEvent } from '../core/ticket.ts';
import { queryRows, type Tx } from '../db/client.ts';
import { ticketEvents } from '../db/schema/index.ts';
import { contactDigest, messageDigest, subjectDigest, type ContactValues, type MessageValues } from './commitments.ts';

/** Advisory lock key shared by appenders (shared mode) and sealing (exclusive mode). */
export const SEAL_LOCK = 0x10097d5c;

export type ChainInput = TicketEvent & { actor: string; at: Date };

interface Head extends ContactValues {
  id: number | string;
  salt: string | null;
  subject: string;
  seq: number | null;
  hash: string | null;
}

/** Appends the events of one or many tickets; returns each ticket's new seqs in order. Callers lock the tickets. */
export async function appendChained(tx: Tx, batches: Map<number, ChainInput[]>): Promise<Map<number, number[]>> {
  const seqs = new Map<number, number[]>();
  const ids = [...batches.keys()].filter((id) => batches.get(id)!.length > 0);
  if (ids.length === 0) return seqs;
  const heads = await queryRows<Head>(
    tx,
    sql`select t.id, t.evidence_salt as salt, t.subject, c.name, c.phone, c.email, h.seq, h.hash, (select 1 from pg_advisory_xact_lock_shared(${SEAL_LOCK})) as locked
        from tickets t join customers c on c.id = t.customer_id
        left join lateral (select e.seq, e.hash from ${ticketEvents} e where e.ticket_id = t.id order by e.seq desc limit 1) h on true
        where t.id in ${ids}`,
  );
  const headOf = new Map(heads.map((h) => [Number(h.id), h]));
  const messageIds = ids.flatMap((id) =>
    batches
      .get(id)!
      .map((e) => e.data.messageId)
      .filter((m): m is number => typeof m === 'number'),
  );
  const messages = messageIds.length
    ? new Map(
        (
          await queryRows<MessageValues & { id: number | string }>(
            tx,
            sql`select id, ticket_id as "ticketId", direction, body, attachments from messages where id in ${messageIds}`,
          )
        ).map((m) => [Number(m.id), m]),
      )
    : new Map<number, MessageValues>();

  const rows = [];
  for (const ticketId of ids) {
    const head = headOf.get(ticketId);
    if (!head) throw new Error(`appendChained: no ticket ${ticketId}`);
    const salt = head.salt ?? (await freshSalt(tx, ticketId));
    let seq = head.seq ?? 0;
    let prevHash = head.hash ?? GENESIS_HASH;
    const mine: number[] = [];
    for (const e of batches.get(ticketId)!) {
      seq += 1;
      const data = { ...e.data };
      const message = typeof data.messageId === 'number' ? messages.get(data.messageId) : undefined;
      if (message) data.content = messageDigest(salt, Number(data.messageId), message);
      // An imported earlier record (desk/import-records.ts) opens its chain with `imported` instead of `created`.
      if (e.type === 'created' || e.type === 'imported' || e.type === 'customer_message') {
        data.contact = contactDigest(salt, head);
        if (e.type !== 'customer_message') data.subject = subjectDigest(salt, head.subject);
      }
      const row = { ticketId, seq, type: e.type, actor: e.actor, data, at: e.at, prevHash, v: CHAIN_VERSION };
      prevHash = eventHash(row, salt);
      rows.push({ ...row, hash: prevHash });
      mine.push(seq);
    }
    seqs.set(ticketId, mine);
  }
  await tx.insert(ticketEvents).values(rows);
  return seqs;
}

/** A ticket whose data was erased and that receives new events gets a new salt for what comes after. */
async function freshSalt(tx: Tx, ticketId: number): Promise<string> {
  const [row] = await queryRows<{ salt: string }>(
    tx,
    sql`update tickets set evidence_salt = replace(gen_random_uuid()::text, '-', '') where id = ${ticketId} returning evidence_salt as salt`,
  );
  return row.salt;
}
