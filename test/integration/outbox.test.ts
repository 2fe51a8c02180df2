import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { openDatabase } from '../../src/db/node.ts';
import { outbox } from '../../src/db/schema/index.ts';
import { enqueue } from '../../src/desk/store.ts';
import { createOutboxWorker } from '../../src/jobs/outbox.ts';
import { RetryLater, Undeliverable, type ChannelSender, type OutboxRow } from '../../src/channels/types.ts';
import { silentLogger } from '../../src/log.ts';
import type { Channel, ChannelFactory } from '../../src/services.ts';
import { dbKinds } from '../helpers/db.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';
import { json } from '../helpers/http.ts';

/** A receiver that drops duplicates by idempotency key, as Feishu does with `uuid`. */
class Receiver {
  raw: string[] = [];
  get unique() {
    return [...new Set(this.raw)];
  }
}

type Behaviour = (row: OutboxRow, receiver: Receiver) => Promise<void>;

function testChannel(name: string, receiver: Receiver, behaviour: { current: Behaviour }): ChannelFactory {
  const sender: ChannelSender = { name, deliver: (row) => behaviour.current(row, receiver) };
  return (): Channel => ({ name, agentSurface: false, sender });
}

const deliverOk: Behaviour = async (row, r) => void r.raw.push(row.idemKey);

async function until(check: () => boolean | Promise<boolean>, ms = 5000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.each(dbKinds)('outbox on %s', (kind) => {
  let t: TestDesk;
  const receiver = new Receiver();
  const behaviour = { current: deliverOk };
  beforeAll(async () => {
    t = await createTestDesk({ kind, channels: [testChannel('rec', receiver, behaviour)], config: { outbox: { maxAttempts: 3, leaseSeconds: 60 } } });
  });
  afterAll(() => t.close());
  afterEach(() => {
    behaviour.current = deliverOk;
    receiver.raw = [];
  });

  const put = (key: string, channel = 'rec') =>
    t.db.transaction((tx) => enqueue(tx, t.clock.now(), [{ channel, kind: 'agents.text', ticketId: null, payload: { text: key }, idemKey: key }]));
  const statusOf = async (key: string) => (await t.db.select().from(outbox).where(eq(outbox.idemKey, key)))[0];

  it('is picked up right after the commit, without waiting for a tick', async () => {
    await put('wake-1');
    t.services.outbox.wake();
    await until(() => receiver.raw.includes('wake-1'));
    await until(async () => (await statusOf('wake-1')).status === 'sent');
  });

  it('retries transient failures with backoff and delivers once', async () => {
    let failures = 0;
    behaviour.current = async (row, r) => {
      if (failures++ < 2) throw new RetryLater('503 from the platform');
      r.raw.push(row.idemKey);
    };
    await put('retry-1');
    for (let i = 0; i < 3; i++) {
      await t.services.outbox.drainOnce();
      t.clock.advance(15); // past any backoff
    }
    expect(receiver.raw).toEqual(['retry-1']);
    const row = await statusOf('retry-1');
    expect([row.status, row.attempts]).toEqual(['sent', 3]);
  });

  it('honours the wait the platform asks for', async () => {
    behaviour.current = async () => {
      throw new RetryLater('rate limited', 120_000);
    };
    await put('ratelimit-1');
    await t.services.outbox.drainOnce();
    const row = await statusOf('ratelimit-1');
    expect(row.runAt.getTime() - t.clock.now().getTime()).toBe(120_000);
    behaviour.current = deliverOk;
    await t.services.outbox.drainOnce();
    expect(receiver.raw).toEqual([]); // not due yet
    t.clock.advance(2);
    await t.services.outbox.drainOnce();
    expect(receiver.raw).toEqual(['ratelimit-1']);
  });

  it('a crash between delivery and mark: the lease expires, another worker delivers, the key drops the duplicate', async () => {
    let release!: () => void;
    const hung = new Promise<void>((r) => (release = r));
    const crashed = createOutboxWorker({
      database: t.database,
      senders: [
        {
          name: 'rec',
          deliver: async (row) => {
            receiver.raw.push(row.idemKey);
            await hung;
          },
        },
      ], // prettier-ignore
      context: t.services.deliveryContext,
      clock: t.clock,
      log: silentLogger,
      maxAttempts: 3,
      leaseSeconds: 60,
    });
    await put('crash-1');
    const stuck = crashed.drainOnce(); // delivers, then "dies" before marking
    await until(() => receiver.raw.length === 1);
    await t.services.outbox.drainOnce();
    expect(receiver.raw).toEqual(['crash-1']); // leased: nobody else touches it
    t.clock.advance(2); // lease (60 s) ran out
    await t.services.outbox.drainOnce();
    expect(receiver.raw).toEqual(['crash-1', 'crash-1']);
    expect(receiver.unique).toEqual(['crash-1']);
    expect((await statusOf('crash-1')).status).toBe('sent');
    release();
    await stuck; // the revived worker's late mark changes nothing
    expect((await statusOf('crash-1')).status).toBe('sent');
  });

  it('gives up after maxAttempts into a visible dead letter', async () => {
    behaviour.current = async () => {
      throw new RetryLater('still failing');
    };
    await put('dead-1');
    for (let i = 0; i < 4; i++) {
      await t.services.outbox.drainOnce();
      t.clock.advance(15);
    }
    const row = await statusOf('dead-1');
    expect([row.status, row.attempts, row.lastError]).toEqual(['dead', 3, 'still failing']);
    const health = await json(await t.app.request('/healthz'));
    expect(health.outbox.dead).toBeGreaterThanOrEqual(1);
  });

  it('a permanent error is dead at once', async () => {
    behaviour.current = async () => {
      throw new Undeliverable('bot not in group');
    };
    await put('perm-1');
    await t.services.outbox.drainOnce();
    const row = await statusOf('perm-1');
    expect([row.status, row.attempts, row.lastError]).toEqual(['dead', 1, 'bot not in group']);
  });

  it('tells the agents when a customer cannot be reached', async () => {
    // A second desk whose agents' surface records notices; the customer's chat channel always refuses. (Web-form
    // customers go through the contact channel: test/integration/reach.*.test.ts.)
    const notices: OutboxRow[] = [];
    const d = await createTestDesk({
      kind,
      channels: [
        (): Channel => ({
          name: 'wecom',
          agentSurface: false,
          sender: {
            name: 'wecom',
            deliver: async () => {
              throw new Undeliverable('用户已退出');
            },
          },
        }), // prettier-ignore
        (): Channel => ({ name: 'agents-rec', agentSurface: true, sender: { name: 'agents-rec', deliver: async (row) => void notices.push(row) } }),
      ],
    });
    try {
      const r = await d.desk.intake({ channel: 'wecom', dedupeKey: 'unreach-1', customer: { externalId: 'c1' }, replyTo: {}, text: '你好' });
      await until(async () => notices.some((n) => n.kind === 'agents.text'));
      const notice = notices.find((n) => n.kind === 'agents.text')!;
      expect(String(notice.payload.text)).toContain(r.code);
      expect(String(notice.payload.text)).toContain('无法送达');
    } finally {
      await d.close();
    }
  });
});

describe.runIf(dbKinds.includes('postgres'))('outbox across instances on PostgreSQL', () => {
  let t: TestDesk;
  beforeAll(async () => {
    t = await createTestDesk({ kind: 'postgres' });
  });
  afterAll(() => t.close());

  it('two workers never deliver the same row, and every row is delivered', async () => {
    const second = await openDatabase({ databaseUrl: t.database.url });
    const delivered: Array<{ key: string; worker: string }> = [];
    const inFlight = new Set<string>();
    let overlap = 0;
    const sender = (worker: string): ChannelSender => ({
      name: 'rec',
      async deliver(row) {
        if (inFlight.has(row.idemKey)) overlap++;
        inFlight.add(row.idemKey);
        await new Promise((r) => setTimeout(r, Math.random() * 3));
        delivered.push({ key: row.idemKey, worker });
        inFlight.delete(row.idemKey);
      },
    });
    const make = (database: typeof t.database, name: string) =>
      createOutboxWorker({
        database,
        senders: [sender(name)],
        context: t.services.deliveryContext,
        clock: t.clock,
        log: silentLogger,
        maxAttempts: 3,
        leaseSeconds: 60,
        batchSize: 10,
      });
    const keys = Array.from({ length: 300 }, (_, i) => `multi-${i}`);
    await t.db.transaction((tx) =>
      enqueue(
        tx,
        t.clock.now(),
        keys.map((k) => ({ channel: 'rec', kind: 'agents.text' as const, ticketId: null, idemKey: k })),
      ),
    );
    await Promise.all([make(t.database, 'a').drainOnce(), make(second, 'b').drainOnce()]);
    await second.close();
    expect(overlap).toBe(0);
    expect(delivered).toHaveLength(300);
    expect(new Set(delivered.map((d) => d.key)).size).toBe(300);
    expect(new Set(delivered.map((d) => d.worker)).size).toBe(2); // both took part
  });

  it('a commit in one instance wakes the worker of another (LISTEN/NOTIFY)', async () => {
    const other = await openDatabase({ databaseUrl: t.database.url });
    const got: string[] = [];
    const worker = createOutboxWorker({
      database: t.database,
      senders: [{ name: 'rec', deliver: async (r) => void got.push(r.idemKey) }],
      context: t.services.deliveryContext,
      clock: t.clock,
      log: silentLogger,
      maxAttempts: 3,
      leaseSeconds: 60,
    });
    await worker.start();
    try {
      await other.db.transaction((tx) => enqueue(tx, t.clock.now(), [{ channel: 'rec', kind: 'agents.text', ticketId: null, idemKey: 'notify-1' }]));
      await until(() => got.includes('notify-1'));
    } finally {
      await worker.stop();
      await other.close();
    }
  });
});
