/**
 * Records benchmark (issue 15):
 * 1. `loopdesk verify` over BENCH_VERIFY_TICKETS tickets (default 1,000,000; 3 events and 2 messages each, sealed
 *    day by day over 180 days) on PostgreSQL: tickets per second, everything checked (chains, message, subject
 *    and contact commitments, ledger figures, seals). The history is generated with the same commitment
 *    functions the chain writer uses, and bulk-inserted.
 * 2. The cost of the new commitments on intake, same run: the chain writer (records/chain.ts, version 2) against
 *    a replica of the version-1 writer it replaced, appending the same events in their own transactions; and
 *    full web intakes for scale.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { parseConfig, parseEnv } from '../src/config.ts';
import { fixedClock } from '../src/core/clock.ts';
import { createCalendar } from '../src/core/calendar.ts';
import { CHAIN_VERSION, eventHash, GENESIS_HASH } from '../src/core/hash.ts';
import { sql, type Database } from '../src/db/client.ts';
import { openDatabase } from '../src/db/node.ts';
import { ticketEvents } from '../src/db/schema/index.ts';
import { appendChained } from '../src/records/chain.ts';
import { contactDigest, messageDigest, subjectDigest } from '../src/records/commitments.ts';
import { sealDay } from '../src/records/seal.ts';
import { verifyRecords } from '../src/records/verify.ts';
import { rawQuery } from '../src/reports/source.ts';
import { createWebChannel } from '../src/channels/web/index.tsx';
import { silentLogger } from '../src/log.ts';
import { createServices } from '../src/services.ts';
import { table } from './lib.ts';

const TICKETS = Number(process.env.BENCH_VERIFY_TICKETS ?? 1_000_000);
const DAYS = 180;
const CUSTOMERS = Math.max(1, Math.floor(TICKETS / 5));
const APPENDS = Number(process.env.BENCH_APPENDS ?? 1000);
const PG = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = 'loopdesk_bench_verify';
const calendar = createCalendar(parseConfig({}).calendar);
const START = Date.parse('2026-01-01T00:00:00+08:00');

async function openPg(): Promise<{ database: Database; drop(): Promise<void> }> {
  const admin = postgres(PG, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${DB_NAME} with (force)`);
  await admin.unsafe(`create database ${DB_NAME}`);
  await admin.end();
  const url = new URL(PG);
  url.pathname = `/${DB_NAME}`;
  const database = await openDatabase({ databaseUrl: url.toString() });
  return {
    database,
    async drop() {
      await database.close();
      const a = postgres(PG, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${DB_NAME} with (force)`);
      await a.end();
    },
  };
}

const insertJson = (database: Database, table: string, rows: unknown[]) =>
  rawQuery(database, `insert into ${table} select * from json_populate_recordset(null::${table}, $1::json)`, [JSON.stringify(rows)]);

/** Customers, then each day's tickets with their messages and events, then that day's seal. */
async function generate(database: Database): Promise<void> {
  const customers = [];
  for (let c = 1; c <= CUSTOMERS; c++)
    customers.push({
      id: c,
      channel: 'web',
      external_id: `web:bench-${c}`,
      name: `客户${c}`,
      phone: `138${String(c).padStart(8, '0')}`,
      email: null,
      created_at: new Date(START).toISOString(),
      erased_at: null,
    });
  for (let i = 0; i < customers.length; i += 20_000) await insertJson(database, 'customers', customers.slice(i, i + 20_000));
  const perDay = Math.ceil(TICKETS / DAYS);
  const clock = fixedClock(new Date(START));
  let eventId = 0;
  for (let day = 0; day < DAYS; day++) {
    const first = day * perDay;
    const last = Math.min(TICKETS, first + perDay);
    for (let from = first; from < last; from += 5000) {
      const tickets = [];
      const messages = [];
      const events: unknown[] = [];
      for (let i = from; i < Math.min(last, from + 5000); i++) {
        const id = i + 1;
        const customerId = (i % CUSTOMERS) + 1;
        const at = START + day * 86_400_000 + 3_600_000 + (i - first) * 10;
        const salt = randomBytes(16).toString('hex');
        const subject = `第 ${id} 号反馈：登录后闪退`;
        const inBody = `${subject}，报错 500，请尽快处理。`;
        const outBody = '您好，已定位问题，今天下午发布修复。';
        const m1 = 2 * i + 1;
        const m2 = 2 * i + 2;
        const code = `FB-B${String(id).padStart(8, '0')}`;
        tickets.push({
          id,
          code,
          channel: 'web',
          customer_id: customerId,
          reply_to: {},
          subject,
          category: 'bug',
          priority: 'normal',
          status: 'responded',
          assignee_id: null,
          access_token: `tok${id}`,
          is_probe: false,
          is_major: false,
          escalated: false,
          waiting_on_customer: false,
          created_at: new Date(at).toISOString(),
          claimed_at: null,
          first_response_at: new Date(at + 60_000).toISOString(),
          last_response_at: new Date(at + 60_000).toISOString(),
          last_customer_message_at: new Date(at).toISOString(),
          resolved_at: null,
          survey_sent_at: null,
          survey_answered_at: null,
          closed_at: null,
          close_reason: null,
          first_response_due_at: null,
          resolution_due_at: null,
          next_response_since: null,
          sla_policy: { clock: 'business', firstResponseMinutes: 120, resolutionMinutes: 1440 },
          sla_paused_minutes: 0,
          sla_paused_since: null,
          csat_score: null,
          csat_comment: null,
          reopen_count: 0,
          triage: null,
          merged_into_id: null,
          incident_id: null,
          card_refs: {},
          evidence_salt: salt,
          updated_at: new Date(at + 60_000).toISOString(),
        });
        messages.push(
          {
            id: m1,
            ticket_id: id,
            direction: 'in',
            author_kind: 'customer',
            author_id: String(customerId),
            body: inBody,
            attachments: [],
            platform_message_id: null,
            created_at: new Date(at).toISOString(),
            erased_at: null,
          },
          {
            id: m2,
            ticket_id: id,
            direction: 'out',
            author_kind: 'agent',
            author_id: 'agent:feishu:ou_bench',
            body: outBody,
            attachments: [],
            platform_message_id: null,
            created_at: new Date(at + 60_000).toISOString(),
            erased_at: null,
          },
        );
        const contact = contactDigest(salt, { name: `客户${customerId}`, phone: `138${String(customerId).padStart(8, '0')}`, email: null });
        const list = [
          {
            type: 'created',
            actor: `customer:${customerId}`,
            at,
            data: {
              code,
              channel: 'web',
              category: 'bug',
              messageId: m1,
              content: messageDigest(salt, m1, { ticketId: id, direction: 'in', body: inBody, attachments: [] }),
              contact,
              subject: subjectDigest(salt, subject),
            },
          },
          { type: 'acknowledged', actor: 'system', at, data: { text: `您好，我们已收到您的反馈，工单号 ${code}。` } },
          {
            type: 'responded',
            actor: 'agent:feishu:ou_bench',
            at: at + 60_000,
            data: {
              agentId: 1,
              first: true,
              waitForCustomer: false,
              messageId: m2,
              content: messageDigest(salt, m2, { ticketId: id, direction: 'out', body: outBody, attachments: [] }),
            },
          },
        ];
        let prevHash = GENESIS_HASH;
        list.forEach((e, k) => {
          const row = { ticketId: id, seq: k + 1, type: e.type, actor: e.actor, data: e.data, at: new Date(e.at), prevHash, v: CHAIN_VERSION };
          const hash = eventHash(row, salt);
          events.push({
            id: ++eventId,
            ticket_id: id,
            seq: k + 1,
            type: e.type,
            actor: e.actor,
            data: e.data,
            at: row.at.toISOString(),
            prev_hash: prevHash,
            hash,
            v: CHAIN_VERSION,
          });
          prevHash = hash;
        });
      }
      await insertJson(database, 'tickets', tickets);
      await insertJson(database, 'messages', messages);
      await insertJson(database, 'ticket_events', events);
    }
    clock.set(new Date(START + (day + 1) * 86_400_000 + 600_000));
    await sealDay({ database, clock, calendar });
    if (day % 30 === 29) process.stderr.write(`  generated ${last} tickets\n`);
  }
  for (const [t, n] of [
    ['tickets', TICKETS],
    ['messages', 2 * TICKETS],
    ['ticket_events', eventId],
    ['customers', CUSTOMERS],
  ] as const)
    await rawQuery(database, `select setval(pg_get_serial_sequence('${t}', 'id'), ${n})`);
  await rawQuery(database, 'analyze');
}

/** The version-1 writer this change replaced: read the head, hash the data as stored, insert. */
async function appendV1(database: Database, ticketId: number, events: Array<{ type: string; data: Record<string, unknown> }>, at: Date) {
  await database.db.transaction(async (tx) => {
    const [last] = await tx
      .select({ seq: ticketEvents.seq, hash: ticketEvents.hash })
      .from(ticketEvents)
      .where(sql`${ticketEvents.ticketId} = ${ticketId}`)
      .orderBy(sql`seq desc`)
      .limit(1);
    let seq = last?.seq ?? 0;
    let prevHash = last?.hash ?? GENESIS_HASH;
    const rows = events.map((e) => {
      seq += 1;
      const row = { ticketId, seq, type: e.type, actor: 'system', data: e.data, at, prevHash };
      prevHash = eventHash(row);
      return { ...row, hash: prevHash };
    });
    await tx.insert(ticketEvents).values(rows);
  });
}

async function appendV2(database: Database, ticketId: number, events: Array<{ type: string; data: Record<string, unknown> }>, at: Date) {
  await database.db.transaction((tx) => appendChained(tx, new Map([[ticketId, events.map((e) => ({ ...e, actor: 'system', at }))]])));
}

async function intakeCost(database: Database) {
  const services = createServices({
    env: parseEnv({ ADMIN_TOKEN: 'bench-admin-token-0123456789' }),
    config: parseConfig({}),
    database,
    clock: fixedClock('2026-09-01T02:00:00Z'),
    log: silentLogger,
    channels: [createWebChannel],
  });
  // A customer message with its message row, as intake appends it: the commitment reads the message and the contact.
  const [{ id: mId }] = await rawQuery<{ id: number }>(database, "select id::float8 as id from messages where ticket_id = 1 and direction = 'in'");
  const events = [{ type: 'customer_message', data: { messageId: Number(mId) } }];
  const at = new Date('2026-09-01T02:00:00Z');
  const rounds: Record<string, number> = { v1: 0, v2: 0 };
  for (let r = 0; r < 2; r++) {
    for (const [name, fn] of [
      ['v1', appendV1],
      ['v2', appendV2],
    ] as const) {
      const t0 = performance.now();
      for (let i = 0; i < APPENDS; i++) await fn(database, 2 + (i % 1000), events, at);
      if (r === 1) rounds[name] = (performance.now() - t0) / APPENDS;
    }
  }
  const t0 = performance.now();
  const n = Math.min(APPENDS, 500);
  for (let i = 0; i < n; i++)
    await services.desk.intake({
      channel: 'web',
      dedupeKey: `bench-${i}`,
      customer: { externalId: `web:bench-intake-${i}`, name: '客户', phone: '13800000000' },
      replyTo: {},
      text: '登录后闪退，报错 500',
    });
  const intakeMs = (performance.now() - t0) / n;
  await services.stop();
  return { v1: rounds.v1, v2: rounds.v2, intakeMs };
}

async function main() {
  const { database, drop } = await openPg();
  try {
    const g0 = performance.now();
    await generate(database);
    const genS = (performance.now() - g0) / 1000;
    const t0 = performance.now();
    const report = await verifyRecords({ database, clock: fixedClock(new Date(START + DAYS * 86_400_000)), calendar });
    const s = (performance.now() - t0) / 1000;
    if (report.findings.length)
      throw new Error(`verify found ${report.findings.length} problems in generated data: ${JSON.stringify(report.findings.slice(0, 3))}`);
    table(`loopdesk verify on PostgreSQL (generation took ${genS.toFixed(0)} s)`, [
      {
        tickets: report.tickets,
        events: report.events,
        seals: report.seals,
        findings: report.findings.length,
        seconds: s.toFixed(1),
        'tickets/s': Math.round(report.tickets / s),
      },
    ]);
    const c = await intakeCost(database);
    table('cost of the version-2 commitments on intake (same run, same database)', [
      { what: 'append 1 event, v1 writer (before)', 'ms/txn': c.v1.toFixed(2), ratio: '1.00' },
      { what: 'append 1 event, v2 writer (commitments)', 'ms/txn': c.v2.toFixed(2), ratio: (c.v2 / c.v1).toFixed(2) },
      {
        what: 'whole web intake (v2 writer)',
        'ms/txn': c.intakeMs.toFixed(2),
        ratio: `writer delta = ${(((c.v2 - c.v1) / c.intakeMs) * 100).toFixed(1)}% of intake`,
      },
    ]);
  } finally {
    await drop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
