import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, eq } from 'drizzle-orm';
import { queryRows, sql } from '../../src/db/client.ts';
import { migrateDatabase, openDatabase } from '../../src/db/node.ts';
import { inboundReceipts, outbox, ticketEvents, tickets } from '../../src/db/schema/index.ts';
import { createPostgresDatabase, dbKinds } from '../helpers/db.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';

describe.each(dbKinds)('storage on %s', (kind) => {
  let t: TestDesk;
  beforeAll(async () => {
    t = await createTestDesk({ kind });
  });
  afterAll(() => t.close());

  it('a second migrate is a no-op', async () => {
    const before = await queryRows<{ n: string }>(t.db, sql`select count(*) as n from drizzle.__drizzle_migrations`);
    await migrateDatabase(t.database);
    const after = await queryRows<{ n: string }>(t.db, sql`select count(*) as n from drizzle.__drizzle_migrations`);
    expect(Number(after[0].n)).toBe(Number(before[0].n));
    expect(Number(after[0].n)).toBeGreaterThan(0);
  });

  const message = (id: string, text = '无法登录') => ({
    channel: 'web',
    dedupeKey: id,
    extraDedupeKeys: [`event:${id}`],
    customer: { externalId: `ou_${id}`, name: '客户' },
    replyTo: { chatId: 'oc_1' },
    text,
  });

  it('intake is idempotent on the platform id: one ticket, one set of events, one outbox row', async () => {
    const counts = async (ticketId: number) => {
      const [{ n: ticketsN }] = await t.db.select({ n: count() }).from(tickets).where(eq(tickets.id, ticketId));
      const [{ n: eventsN }] = await t.db.select({ n: count() }).from(ticketEvents).where(eq(ticketEvents.ticketId, ticketId));
      const [{ n: outboxN }] = await t.db.select({ n: count() }).from(outbox).where(eq(outbox.ticketId, ticketId));
      return [ticketsN, eventsN, outboxN];
    };
    const first = await t.desk.intake(message('om_1'));
    const once = await counts(first.ticketId);
    const again = await t.desk.intake(message('om_1'));
    // Another id of the same delivery (same sender): the same ticket. From someone else, never their ticket.
    const viaEventId = await t.desk.intake({ ...message('om_other'), customer: { externalId: 'ou_om_1', name: '客户' }, extraDedupeKeys: ['event:om_1'] });
    await expect(t.desk.intake({ ...message('om_stranger'), extraDedupeKeys: ['event:om_1'] })).rejects.toThrow('该提交编号已被使用');
    expect(first.created).toBe(true);
    expect([again.duplicate, again.code]).toEqual([true, first.code]);
    expect([viaEventId.duplicate, viaEventId.code]).toEqual([true, first.code]);
    expect(once[0]).toBe(1);
    expect(once[2]).toBe(1); // the acknowledgement (no agents' surface in this test)
    expect(await counts(first.ticketId)).toEqual(once);
    // The rejected delivery left no receipt behind for its own (new) id.
    const [{ n: receipts }] = await t.db.select({ n: count() }).from(inboundReceipts).where(eq(inboundReceipts.externalId, 'om_other'));
    expect(receipts).toBe(0);
  });

  it('concurrent deliveries of the same message make one ticket', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => t.desk.intake(message('om_race'))));
    expect(new Set(results.map((r) => r.code)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('a second message from the same customer joins the open ticket', async () => {
    const a = await t.desk.intake(message('om_a1'));
    const b = await t.desk.intake({ ...message('om_a2', '补充：是 iOS'), customer: { externalId: 'ou_om_a1' } });
    expect(b.created).toBe(false);
    expect(b.code).toBe(a.code);
  });

  it('ticket codes count per day in the company time zone', async () => {
    const a = await t.desk.intake(message('om_code1'));
    t.clock.set('2026-03-02T16:30:00Z'); // 00:30 on 3 March in Shanghai
    const b = await t.desk.intake(message('om_code2'));
    expect(a.code).toMatch(/^FB-20260302-\d{4}$/);
    expect(b.code).toBe('FB-20260303-0001');
    t.clock.set('2026-03-02T02:00:00Z');
  });

  it('concurrent intakes of different customers get gapless codes, even when one fails after taking its number', async () => {
    t.clock.set('2026-03-05T02:00:00Z');
    // A failure at the very end of the transaction (the acknowledgement event), after the code was taken.
    await t.db.execute(sql`create or replace function fail_marked_ack() returns trigger language plpgsql as $$
      begin
        if new.type = 'acknowledged' and exists (select 1 from messages m where m.ticket_id = new.ticket_id and m.body like '%模拟故障%') then
          raise exception 'simulated failure';
        end if;
        return new;
      end $$`);
    await t.db.execute(sql`create trigger fail_marked_ack before insert on ticket_events for each row execute function fail_marked_ack()`);
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 24 }, (_, i) =>
          t.desk.intake({ ...message(`om_gap${i}`, i % 5 === 2 ? `模拟故障 ${i}` : `无法登录 ${i}`), customer: { externalId: `ou_gap${i}` } }),
        ),
      );
      const codes = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.code] : []));
      expect(results.filter((r) => r.status === 'rejected')).toHaveLength(5);
      expect(codes.sort()).toEqual(Array.from({ length: 19 }, (_, i) => `FB-20260305-${String(i + 1).padStart(4, '0')}`));
      // What is stored agrees: every ticket of the day, the failed ones left nothing behind.
      const stored = await t.db.select({ code: tickets.code }).from(tickets).where(sql`${tickets.code} like 'FB-20260305-%'`);
      expect(stored.map((r) => r.code).sort()).toEqual(codes);
    } finally {
      await t.db.execute(sql`drop trigger fail_marked_ack on ticket_events`);
      t.clock.set('2026-03-02T02:00:00Z');
    }
  });

  it('bad input leaves nothing half-written', async () => {
    const before = await t.db.select({ n: count() }).from(tickets);
    await expect(t.desk.intake({ ...message('om_empty'), text: '   ' })).rejects.toThrow('消息内容为空');
    await expect(t.desk.intake({ ...message('om_bad'), customer: { externalId: '' } })).rejects.toThrow();
    expect(await t.db.select({ n: count() }).from(tickets)).toEqual(before);
    const [{ n }] = await t.db.select({ n: count() }).from(inboundReceipts).where(eq(inboundReceipts.externalId, 'om_empty'));
    expect(n).toBe(0);
  });
});

describe.runIf(dbKinds.includes('postgres'))('migrations on PostgreSQL', () => {
  it('two concurrent migrate runs on an empty database both succeed', async () => {
    const { url, drop } = await createPostgresDatabase();
    try {
      const [a, b] = await Promise.all([openDatabase({ databaseUrl: url }), openDatabase({ databaseUrl: url })]);
      const rows = await queryRows<{ n: string }>(a.db, sql`select count(*) as n from drizzle.__drizzle_migrations`);
      expect(Number(rows[0].n)).toBeGreaterThan(0);
      await Promise.all([a.close(), b.close()]);
    } finally {
      await drop();
    }
  });
});

describe('embedded PGlite data directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loopdesk-datadir-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the directory, migrates an empty database, and reopens it without change', async () => {
    const dataDir = join(dir, 'nested', 'data');
    const first = await openDatabase({ dataDir });
    await first.db.execute(sql`insert into kv (key, value) values ('probe', '1'::jsonb)`);
    await first.close();
    const second = await openDatabase({ dataDir });
    const rows = await queryRows<{ key: string }>(second.db, sql`select key from kv`);
    expect(rows.map((r) => r.key)).toEqual(['probe']);
    await second.close();
  });
});
