import { createHash, createHmac } from 'node:crypto';

/** JSON with sorted keys: jsonb reorders keys on storage, so hashes must not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export const GENESIS_HASH = '0'.repeat(64);

/**
 * Chain versions. 1: the data is hashed as stored (rows written before personal data could be erased).
 * 2: the personal fields of the data (PERSONAL_FIELDS) are hashed as their salted digest, so erasing the value
 * (and the ticket's salt) leaves the hash computable; messages and contacts are committed by digest at write time.
 */
export const CHAIN_VERSION = 2;

/** Text that replaces erased personal data everywhere (messages, fields, ledger). */
export const ERASED_TEXT = '已依申请删除';

/** Free text a customer or agent wrote into an event (the rest of the data is codes, ids, numbers and times). */
export const PERSONAL_FIELDS: Record<string, readonly string[]> = {
  survey_answered: ['comment'],
  resolved: ['summary'],
  escalated: ['reason'],
  // The story of a major complaint (core/story.ts): agents' words about the case, often the customer's details too.
  case_story: ['text'],
};

export interface ChainedEvent {
  ticketId: number;
  seq: number;
  type: string;
  actor: string;
  data: Record<string, unknown>;
  at: Date;
  prevHash: string;
  /** chain version (1 when absent) */
  v?: number;
}

/** sha256(salt ‖ canonical parts): the commitment to one personal value, worthless without the salt. */
export function saltedDigest(salt: string, ...parts: unknown[]): string {
  return createHash('sha256').update(salt).update('\n').update(canonicalJson(parts)).digest('hex');
}

/** Where an erasure keeps the digests of the fields it removed (so the event's hash still computes). */
export const ERASED_DIGESTS = 'erasedDigests';

/**
 * The data as hashed in version 2: each personal field replaced by its salted digest (computed from the value, or
 * kept by the erasure that removed it). A missing salt with a value still present yields a digest that cannot
 * match, so the row reports as changed.
 */
export function committedData(e: Pick<ChainedEvent, 'ticketId' | 'seq' | 'type' | 'data'>, salt: string | null): Record<string, unknown> {
  const fields = PERSONAL_FIELDS[e.type];
  const erased = (e.data[ERASED_DIGESTS] ?? {}) as Record<string, string>;
  if (!fields && !e.data[ERASED_DIGESTS]) return e.data;
  const out: Record<string, unknown> = { ...e.data };
  delete out[ERASED_DIGESTS];
  for (const f of fields ?? []) {
    const value = e.data[f];
    if (typeof erased[f] === 'string') out[f] = { digest: erased[f] };
    else if (typeof value === 'string' && value) out[f] = { digest: saltedDigest(salt ?? 'no-salt', e.ticketId, e.seq, f, value) };
  }
  return out;
}

export function eventHash(e: ChainedEvent, salt: string | null = null): string {
  const v = e.v ?? 1;
  const data = v >= 2 ? committedData(e, salt) : e.data;
  const fields = { ticketId: e.ticketId, seq: e.seq, type: e.type, actor: e.actor, data, at: e.at.toISOString(), ...(v >= 2 ? { v } : {}) };
  return createHash('sha256').update(e.prevHash).update('\n').update(canonicalJson(fields)).digest('hex');
}

export interface ChainCheck {
  intact: boolean;
  /** seq of the first row whose stored hash or link does not match, if any */
  brokenAt: number | null;
  reason: string | null;
  head: string;
}

/** Verifies one ticket's chain, rows in seq order; `salt` is the ticket's evidence salt (version 2 rows). */
export function verifyChain(rows: Array<ChainedEvent & { hash: string }>, salt: string | null = null): ChainCheck {
  let prev = GENESIS_HASH;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (r.seq !== i + 1) return { intact: false, brokenAt: r.seq, reason: `missing event before #${r.seq}`, head: prev };
    if (r.prevHash !== prev) return { intact: false, brokenAt: r.seq, reason: `event #${r.seq} does not link to the previous one`, head: prev };
    if (eventHash(r, salt) !== r.hash) return { intact: false, brokenAt: r.seq, reason: `event #${r.seq} was changed after it was written`, head: prev };
    prev = r.hash;
  }
  return { intact: true, brokenAt: null, reason: null, head: prev };
}

/** A seal's root: the previous root, the seal's own facts, and the head of every chain it covers. */
export function sealRoot(prevRoot: string, seal: { day: string; lastEventId: number; eventCount: number; manifest: Record<string, unknown> }): string {
  return createHash('sha256').update(prevRoot).update('\n').update(canonicalJson(seal)).digest('hex');
}

/** HMAC-SHA256 with EVIDENCE_KEY: without the key, a re-hashed chain cannot carry matching marks. */
export function keyedMark(key: string, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}
