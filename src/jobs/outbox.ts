import { and, eq, inArray, sql } from 'drizzle-orm';
import { queryRows, sqlTime, type Database } from '../db/client.ts';
import { outbox } from '../db/schema/index.ts';
import { OUTBOX_CHANNEL } from '../desk/store.ts';
import { RetryLater, Undeliverable, type ChannelSender, type DeliveryContext, type OutboxKind, type OutboxRow } from '../channels/types.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../log.ts';
import { cutText } from '../core/text.ts';

export interface OutboxWorkerOptions {
  database: Database;
  senders: ChannelSender[];
  context: DeliveryContext;
  clock: Clock;
  log: Logger;
  maxAttempts: number;
  leaseSeconds: number;
  batchSize?: number;
  /** Rows delivered at once; rows of one ticket always go in order. */
  concurrency?: number;
  /** Base of the jittered exponential backoff. */
  backoffBaseMs?: number;
  /** Called when a row is parked as dead (after the row is marked). */
  onDead?: (row: OutboxRow, reason: string) => Promise<void>;
}

export interface DrainResult {
  claimed: number;
  sent: number;
  retried: number;
  dead: number;
}

/** Full jitter: a random wait in [0, base·2^attempt], capped at 10 minutes (AWS architecture blog's advice). */
export function backoffMs(attempt: number, baseMs: number, random = Math.random): number {
  const cap = Math.min(10 * 60_000, baseMs * 2 ** Math.min(attempt, 20));
  return Math.max(baseMs, Math.round(random() * cap));
}

export function createOutboxWorker(opts: OutboxWorkerOptions) {
  const { database, clock, log } = opts;
  const db = database.db;
  const senders = new Map(opts.senders.map((s) => [s.name, s]));
  const batchSize = opts.batchSize ?? 50;
  const concurrency = opts.concurrency ?? 8;
  const baseMs = opts.backoffBaseMs ?? 1000;
  let running: Promise<DrainResult> | null = null;
  let again = false;
  let stopped = false;
  let unlisten: (() => Promise<void>) | null = null;

  /**
   * Claims due rows: pending, due, and not leased (or the lease ran out: the worker that held it crashed).
   * SKIP LOCKED lets several instances claim side by side without waiting on or double-taking a row.
   */
  async function claim(now: Date): Promise<OutboxRow[]> {
    const leaseUntil = new Date(now.getTime() + opts.leaseSeconds * 1000);
    const rows = await queryRows<{
      id: number;
      idem_key: string;
      channel: string;
      kind: string;
      ticket_id: number | null;
      payload: Record<string, unknown>;
      attempts: number;
    }>(
      db,
      sql`update ${outbox} set lease_until = ${sqlTime(leaseUntil)}, attempts = ${outbox.attempts} + 1
          where ${outbox.id} in (
            select id from ${outbox}
            where status = 'pending' and run_at <= ${sqlTime(now)} and (lease_until is null or lease_until < ${sqlTime(now)})
            order by run_at, id limit ${batchSize}
            for update skip locked)
          returning id, idem_key, channel, kind, ticket_id, payload, attempts`,
    );
    return rows
      .map((r) => ({
        id: Number(r.id),
        idemKey: r.idem_key,
        channel: r.channel,
        kind: r.kind as OutboxKind,
        ticketId: r.ticket_id === null ? null : Number(r.ticket_id),
        payload: r.payload,
        attempts: r.attempts,
      }))
      .sort((a, b) => a.id - b.id);
  }

  /** Delivers one row; a success is marked with its batch (one UPDATE), failures at once. Returns true when sent. */
  async function deliverOne(row: OutboxRow, result: DrainResult): Promise<boolean> {
    const sender = senders.get(row.channel);
    try {
      if (!sender) throw new Undeliverable(`no sender for channel "${row.channel}"`);
      await sender.deliver(row, opts.context);
      result.sent++;
      return true;
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      const permanent = e instanceof Undeliverable || row.attempts >= opts.maxAttempts;
      if (permanent) {
        await db
          .update(outbox)
          .set({ status: 'dead', leaseUntil: null, lastError: cutText(reason, 2000) })
          .where(eq(outbox.id, row.id));
        result.dead++;
        log.warn('outbox row dead', { id: row.id, channel: row.channel, kind: row.kind, attempts: row.attempts, reason });
        await opts.onDead?.(row, reason).catch((err) => log.error('dead-letter notice failed', { id: row.id, err: String(err) }));
        return false;
      }
      const wait = e instanceof RetryLater && e.afterMs !== undefined ? e.afterMs : backoffMs(row.attempts, baseMs);
      await db
        .update(outbox)
        .set({ runAt: new Date(clock.now().getTime() + wait), leaseUntil: null, lastError: cutText(reason, 2000) })
        .where(eq(outbox.id, row.id));
      result.retried++;
      log.info('outbox row retry', { id: row.id, channel: row.channel, kind: row.kind, attempts: row.attempts, waitMs: wait, reason });
      return false;
    }
  }

  /**
   * Marks delivered rows sent. Only rows still pending: a worker that comes back after its lease ran out (and
   * another worker delivered the row again, deduplicated by its key) changes nothing.
   */
  async function markSent(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    await db
      .update(outbox)
      .set({ status: 'sent', sentAt: clock.now(), leaseUntil: null, lastError: null })
      .where(and(inArray(outbox.id, ids), eq(outbox.status, 'pending')));
  }

  /** One pass: claim a batch and deliver it; repeats while full batches keep coming. */
  async function drainOnce(): Promise<DrainResult> {
    const result: DrainResult = { claimed: 0, sent: 0, retried: 0, dead: 0 };
    for (;;) {
      const rows = await claim(clock.now());
      result.claimed += rows.length;
      // Rows of one ticket in id order (ack before reply before survey); tickets side by side.
      const lanes = new Map<string, OutboxRow[]>();
      for (const r of rows) {
        const key = r.ticketId === null ? `row:${r.id}` : `t:${r.ticketId}`;
        lanes.set(key, [...(lanes.get(key) ?? []), r]);
      }
      const queue = [...lanes.values()];
      const sent: number[] = [];
      await Promise.all(
        Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
          for (let lane = queue.shift(); lane; lane = queue.shift()) {
            for (const row of lane) if (await deliverOne(row, result)) sent.push(row.id);
          }
        }),
      );
      await markSent(sent);
      if (rows.length < batchSize || stopped) return result;
    }
  }

  /** Coalesces wake-ups: one drain at a time, and one more if anything arrived while it ran. */
  function wake(): Promise<DrainResult> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      const total: DrainResult = { claimed: 0, sent: 0, retried: 0, dead: 0 };
      do {
        again = false;
        const r = await drainOnce().catch((e) => {
          log.error('outbox drain failed', { err: String(e) });
          return { claimed: 0, sent: 0, retried: 0, dead: 0 };
        });
        total.claimed += r.claimed;
        total.sent += r.sent;
        total.retried += r.retried;
        total.dead += r.dead;
      } while (again && !stopped);
      running = null;
      return total;
    })();
    return running;
  }

  return {
    drainOnce,
    wake,
    /** Listens for commits in other instances; the scheduler's tick is the backstop (retries come due without a commit). */
    async start() {
      stopped = false;
      unlisten = await database.listen(OUTBOX_CHANNEL, () => void wake());
      void wake();
    },
    async stop() {
      stopped = true;
      await unlisten?.().catch(() => {});
      unlisten = null;
      await running;
    },
  };
}
export type OutboxWorker = ReturnType<typeof createOutboxWorker>;

export async function outboxHealth(database: Database, now: Date): Promise<{ backlog: number; due: number; dead: number; oldestDueSeconds: number | null }> {
  const [row] = await queryRows<{ backlog: string; due: string; dead: string; oldest: Date | string | null }>(
    database.db,
    sql`select count(*) filter (where status = 'pending') as backlog,
               count(*) filter (where status = 'pending' and run_at <= ${sqlTime(now)}) as due,
               count(*) filter (where status = 'dead') as dead,
               min(run_at) filter (where status = 'pending' and run_at <= ${sqlTime(now)}) as oldest
        from ${outbox}`,
  );
  const oldest = row.oldest ? new Date(row.oldest) : null;
  return {
    backlog: Number(row.backlog),
    due: Number(row.due),
    dead: Number(row.dead),
    oldestDueSeconds: oldest ? Math.max(0, Math.round((now.getTime() - oldest.getTime()) / 1000)) : null,
  };
}
