/**
 * The Workers entry in workerd (wrangler's own bundle and local runtime) on the local PostgreSQL through a
 * Hyperdrive binding, talking to the fake Feishu on 127.0.0.1 in webhook mode. Needs TEST_DATABASE_URL (the Worker
 * has no embedded database); skipped without it.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../src/db/node.ts';
import { messageEvent, webhookRequest } from '../fakes/feishu/events.ts';
import { FAULTS, startFakeFeishu, type FakeFeishu } from '../fakes/feishu/server.ts';
import { AGENT_CHAT, APP_ID, APP_SECRET, buttons, ENCRYPT_KEY, VERIFICATION_TOKEN } from '../fakes/feishu/harness.ts';
import { createPostgresDatabase } from '../helpers/db.ts';
import { startWorker, type TestWorker } from './harness.ts';

const ADMIN_TOKEN = 'test-admin-token-0123456789';

describe.skipIf(!process.env.TEST_DATABASE_URL)('Cloudflare Worker (workerd, Hyperdrive → PostgreSQL, Feishu webhook)', () => {
  let pg: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let sql: postgres.Sql;
  let fake: FakeFeishu;
  let worker: TestWorker;

  beforeAll(async () => {
    pg = await createPostgresDatabase();
    // What `loopdesk migrate` does before a deploy; the Worker never migrates.
    await (await openDatabase({ databaseUrl: pg.url })).close();
    sql = postgres(pg.url, { max: 2, onnotice: () => {} });
    fake = await startFakeFeishu({ appId: APP_ID, appSecret: APP_SECRET, chatQps: 50 });
    worker = await startWorker({
      hyperdrive: pg.url,
      vars: {
        ADMIN_TOKEN,
        PUBLIC_BASE_URL: 'http://loopdesk.test',
        FEISHU_APP_ID: APP_ID,
        FEISHU_APP_SECRET: APP_SECRET,
        FEISHU_VERIFICATION_TOKEN: VERIFICATION_TOKEN,
        FEISHU_ENCRYPT_KEY: ENCRYPT_KEY,
        FEISHU_DOMAIN: fake.url,
        FEISHU_AGENT_CHAT_ID: AGENT_CHAT,
        LOOPDESK_CONFIG_JSON: JSON.stringify({ company: { name: '云端测试', nameEn: 'Edge Test' } }),
      },
    });
  });
  afterAll(async () => {
    await worker?.dispose();
    await fake?.close();
    await sql?.end();
    await pg?.drop();
  });

  /** A customer's message, pushed the way Feishu does in webhook mode: encrypted, signed, now. */
  async function pushMessage(customer: string, text: string) {
    const event = messageEvent({ appId: APP_ID, verificationToken: VERIFICATION_TOKEN }, { openId: customer, chatId: `oc_p2p_${customer}`, text });
    const message = event.event.message as { message_id: string; chat_id: string };
    fake.knowMessage(message.message_id, message.chat_id);
    const req = webhookRequest(event, { encryptKey: ENCRYPT_KEY });
    const res = await worker.fetch('/feishu/webhook', { method: 'POST', headers: req.headers, body: req.body });
    return { res, messageId: message.message_id };
  }

  async function ticketOf(messageId: string) {
    const [row] = await sql<Array<{ id: string; code: string; status: string; channel: string }>>`
      select t.id, t.code, t.status, t.channel from tickets t join messages m on m.ticket_id = t.id where m.platform_message_id = ${messageId}`;
    return row;
  }

  const cardFor = (code: string) => fake.messagesIn(AGENT_CHAT).find((m) => m.msgType === 'interactive' && buttons(m.content).claim?.ticket === code);

  it('serves the shared app: /healthz on PostgreSQL with the Feishu channel in webhook mode', async () => {
    const res = await worker.fetch('/healthz');
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.database).toBe('postgres');
    expect(body.channels.feishu).toEqual({ mode: 'webhook', state: 'ready' });
    expect(body.channels.email).toBeUndefined();
  });

  it('a signed webhook event becomes a ticket; the acknowledgement and the card go out after the answer (waitUntil)', async () => {
    const { res, messageId } = await pushMessage('ou_edge_1', '登录后 APP 闪退，报错 500');
    expect(res.status).toBe(200);
    const ticket = await ticketOf(messageId);
    expect(ticket).toMatchObject({ channel: 'feishu', status: 'new' });
    await vi.waitFor(() => expect(cardFor(ticket.code)).toBeDefined(), { timeout: 10_000, interval: 100 });
    const ack = fake.messages.find((m) => m.parentId === messageId)!;
    expect(JSON.stringify(ack.content)).toContain(ticket.code);
  });

  it('a scheduled run delivers what the request could not: the card reaches the fake Feishu on the cron tick', async () => {
    // Feishu is down while the event comes in: the request's own drain fails and schedules retries.
    fake.fail({ ...FAULTS.serverError(100), method: 'POST', path: /^\/open-apis\/im\/v1\/messages/ });
    const { res, messageId } = await pushMessage('ou_edge_2', '你们的产品怎么导出报表？');
    expect(res.status).toBe(200);
    const ticket = await ticketOf(messageId);
    expect(ticket.channel).toBe('feishu');
    await vi.waitFor(
      async () => {
        const [row] =
          await sql`select count(*)::int as n from outbox where ticket_id = ${ticket.id} and status = 'pending' and attempts > 0 and lease_until is null`;
        expect(row.n).toBeGreaterThan(0);
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(cardFor(ticket.code)).toBeUndefined();

    // Feishu is back and the backoff has run out (moved, not waited for); no request comes in, only the tick.
    fake.clearFaults();
    await sql`update outbox set run_at = now() - interval '1 second' where ticket_id = ${ticket.id} and status = 'pending'`;
    await worker.tick();
    expect(cardFor(ticket.code)).toBeDefined();
    expect(fake.messages.some((m) => m.parentId === messageId)).toBe(true);
    const [left] = await sql`select count(*)::int as n from outbox where ticket_id = ${ticket.id} and status <> 'sent'`;
    expect(left.n).toBe(0);
  });

  it('the cron tick runs the SLA sweep: a due breach timer is recorded and the card is refreshed', async () => {
    const { messageId } = await pushMessage('ou_edge_3', '系统一直报错，无法登录');
    const ticket = await ticketOf(messageId);
    await vi.waitFor(() => expect(cardFor(ticket.code)).toBeDefined(), { timeout: 10_000, interval: 100 });
    const card = cardFor(ticket.code)!;
    await sql`update timers set due_at = now() - interval '1 minute' where ticket_id = ${ticket.id} and kind = 'sla.breach' and dedupe_key like '%first%'`;
    await worker.tick();
    const events = await sql`select type from ticket_events where ticket_id = ${ticket.id} order by seq`;
    expect(events.map((e) => e.type)).toContain('sla_breached');
    expect(fake.calls.some((c) => c.method === 'PATCH' && c.path === `/open-apis/im/v1/messages/${card.messageId}`)).toBe(true);
  });

  it('the admin API answers with the bearer token, as on Node; the ledger streams from the database', async () => {
    expect((await worker.fetch('/api/stats')).status).toBe(401);
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const stats = await worker.fetch('/api/stats', { headers: auth });
    expect(stats.status).toBe(200);
    // The body is written while the rows are read: the request's connection stays open until it is sent.
    const [{ code }] = await sql`select code from tickets order by id limit 1`;
    const day = `${code.slice(3, 7)}-${code.slice(7, 9)}-${code.slice(9, 11)}`; // FB-YYYYMMDD-n, the local day
    const ledger = await worker.fetch(`/api/ledger.csv?from=${day}&to=${day}`, { headers: auth });
    expect(ledger.status).toBe(200);
    expect(await ledger.text()).toContain(code);
    // The XLSX ledger needs exceljs's streaming writer, which workerd's bundle lacks: a clear 501, not an empty 200.
    const xlsx = await worker.fetch(`/api/ledger.xlsx?from=${day}&to=${day}`, { headers: auth });
    expect(xlsx.status).toBe(501);
    expect(((await xlsx.json()) as { error: { message: string } }).error.message).toContain('/api/ledger.csv');
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('Cloudflare Worker refusing a Node-only setup', () => {
  let worker: TestWorker;
  beforeAll(async () => {
    worker = await startWorker({ quiet: true, vars: { FEISHU_EVENT_MODE: 'ws', EMAIL_ADDRESS: 'support@example.com' } });
  });
  afterAll(() => worker?.dispose());

  it('answers every request and cron tick with the list of problems', async () => {
    const res = await worker.fetch('/healthz');
    expect(res.status).toBe(500);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('internal');
    expect(error.message).toContain('no database: bind Hyperdrive as HYPERDRIVE');
    expect(error.message).toContain('FEISHU_EVENT_MODE=ws (long connection) is Node-only');
    expect(error.message).toContain('the e-mail channel (IMAP/SMTP) is Node-only');
    await expect(worker.tick()).rejects.toThrow(/cannot run on Cloudflare Workers/);
  });
});
