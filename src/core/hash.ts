import { createHash } from 'node:crypto';

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

export interface ChainedEvent {
  ticketId: number;
  seq: number;
  type: string;
  actor: string;
  data: Record<string, unknown>;
  at: Date;
  prevHash: string;
}

export function eventHash(e: ChainedEvent): string {
  const body = canonicalJson({ ticketId: e.ticketId, seq: e.seq, type: e.type, actor: e.actor, data: e.data, at: e.at.toISOString() });
  return createHash('sha256').update(e.prevHash).update('\n').update(body).digest('hex');
}

export interface ChainCheck {
  intact: boolean;
  /** seq of the first row whose stored hash or link does not match, if any */
  brokenAt: number | null;
  reason: string | null;
  head: string;
}

/** Verifies one ticket's chain, rows in seq order. */
export function verifyChain(rows: Array<ChainedEvent & { hash: string }>): ChainCheck {
  let prev = GENESIS_HASH;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (r.seq !== i + 1) return { intact: false, brokenAt: r.seq, reason: `missing event before #${r.seq}`, head: prev };
    if (r.prevHash !== prev) return { intact: false, brokenAt: r.seq, reason: `event #${r.seq} does not link to the previous one`, head: prev };
    if (eventHash(r) !== r.hash) return { intact: false, brokenAt: r.seq, reason: `event #${r.seq} was changed after it was written`, head: prev };
    prev = r.hash;
  }
  return { intact: true, brokenAt: null, reason: null, head: prev };
}
