import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createInboundApiChannel } from '../../src/channels/api/index.ts';
import { sign, verifySignature } from '../../src/channels/api/signature.ts';
import { createWebChannel } from '../../src/channels/web/index.tsx';
import { customers, inboundReceipts, outbox, tickets } from '../../src/db/schema/index.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';
import { dbKinds } from '../helpers/db.ts';
import { json } from '../helpers/http.ts';

const SECRET = 'app-secret-0123456789abcdef';
const agent = { platform: 'feishu', userId: 'ou_agent' };

/** The source system's webhook receiver: a real HTTP server on 127.0.0.1 that checks our signature. */
async function startReceiver() {
  const got: Array<{ headers: IncomingHttpHeaders; body: string; valid: boolean }> = [];
  let failWith = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const valid = verifySignature(
        SECRET,
        { timestamp: req.headers['x-loopdesk-timestamp'] as string, signature: req.headers['x-loopdesk-signature'] as string },
        body,
        new Date(Number(req.headers['x-loopdesk-timestamp']) * 1000),
        5,
      ).ok;
      got.push({ headers: req.headers, body, valid });
      res.statusCode = failWith || 200;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/loopdesk`;
  return { url, got, fail: (status: number) => void (failWith = status), close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe.each(dbKinds)('inbound API on %s', (kind) => {
  let t: TestDesk;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const now = () => Math.floor(t.clock.now().getTime() / 1000);

  const send = (body: unknown, opts: { secret?: string; ts?: number; source?: string; raw?: string } = {}) => {
    const raw = opts.raw ?? JSON.stringify(body);
    const ts = opts.ts ?? now();
    return t.app.request('/api/inbound', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-loopdesk-source': opts.source ?? 'app',
        'x-loopdesk-timestamp': String(ts),
        'x-loopdesk-signature': sign(opts.secret ?? SECRET, ts, raw),
      },
      body: raw,
    });
  };

  beforeAll(async () => {
    receiver = await startReceiver();
    t = await createTestDesk({
      kind,
      channels: [createWebChannel, createInboundApiChannel],
      config: { inbound: { sources: [{ name: 'app', label: 'App 内反馈', secret: SECRET, callbackUrl: receiver.url }] } },
    });
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  it('turns a signed post into a ticket and acknowledges it by a signed webhook', async () => {
    const res = await send({
      messageId: 'm-1',
      customer: { id: 'u-42', name: '王五', phone: '13800000000' },
      text: 'APP 闪退，无法登录',
      attachments: [{ name: 'shot.png', url: 'https://cdn.example.com/shot.png' }],
    });
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body.ticket).toMatch(/^FB-20260302-\d{4}$/);
    expect(body.promise).toContain('我们将在 2 小时内（工作时间 9:00–12:00、13:30–18:30）首次回复，最晚 ');
    const [row] = await t.db.select().from(tickets).where(eq(tickets.code, body.ticket));
    expect(row.channel).toBe('api');
    expect(row.category).toBe('bug');
    expect(row.replyTo).toMatchObject({ source: 'app', channel: 'App 内反馈', customerId: 'u-42', callbackUrl: receiver.url });

    await t.services.outbox.wake();
    const ack = receiver.got.find((g) => JSON.parse(g.body).ticket === body.ticket)!;
    expect(ack.valid).toBe(true);
    const [ackRow] = await t.db.select().from(outbox).where(eq(outbox.ticketId, row.id));
    expect(ack.headers['x-loopdesk-delivery']).toBe(ackRow.idemKey);
    expect(JSON.parse(ack.body)).toMatchObject({ type: 'message', purpose: 'ack', customer: { id: 'u-42' }, source: 'app' });
  });

  it('is idempotent on the source message id', async () => {
    const a = await json(await send({ messageId: 'm-dup', customer: { id: 'u-7' }, text: '重复' }));
    const b = await send({ messageId: 'm-dup', customer: { id: 'u-7' }, text: '重复' });
    expect(b.status).toBe(200);
    expect(await json(b)).toMatchObject({ ticket: a.ticket, duplicate: true });
  });

  it('closes the loop: reply and survey by webhook, survey answered through the API', async () => {
    const created = await json(await send({ messageId: 'm-loop', customer: { id: 'u-loop' }, text: '如何开具发票？' }));
    await t.desk.act({ ticket: created.ticket, actor: agent, viaAgentGroup: true, action: 'respond', text: '在「我的-发票」里申请。' });
    await t.desk.act({ ticket: created.ticket, actor: agent, viaAgentGroup: true, action: 'resolve' });
    await t.services.outbox.wake();
    const mine = receiver.got.map((g) => JSON.parse(g.body)).filter((b) => b.ticket === created.ticket);
    expect(mine.map((b) => b.purpose ?? b.type)).toEqual(['ack', 'reply', 'survey']);
    expect(mine[2].survey.scores).toEqual([1, 2, 3, 4, 5]);

    const answer = (score: number, customerId: string) => {
      const raw = JSON.stringify({ ticket: created.ticket, customer: { id: customerId }, score });
      return t.app.request('/api/inbound/survey', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-loopdesk-source': 'app',
          'x-loopdesk-timestamp': String(now()),
          'x-loopdesk-signature': sign(SECRET, now(), raw),
        },
        body: raw,
      });
    };
    expect((await answer(5, 'someone-else')).status).toBe(403);
    const ok = await answer(5, 'u-loop');
    expect(ok.status).toBe(200);
    expect(await json(ok)).toMatchObject({ outcome: 'satisfied' });
    const [row] = await t.db.select().from(tickets).where(eq(tickets.code, created.ticket));
    expect(row.status).toBe('closed');
  });

  it('retries a failing webhook and parks it after a 4xx', async () => {
    await t.services.outbox.wake();
    receiver.fail(503);
    const created = await json(await send({ messageId: 'm-retry', customer: { id: 'u-retry' }, text: '建议增加夜间模式' }));
    await t.services.outbox.wake();
    const [row] = await t.db.select().from(tickets).where(eq(tickets.code, created.ticket));
    const ackOf = async () => (await t.db.select().from(outbox).where(eq(outbox.ticketId, row.id))).find((x) => x.kind === 'customer.text')!;
    expect(await ackOf()).toMatchObject({ status: 'pending', attempts: 1, lastError: '回调返回 HTTP 503' });
    receiver.fail(410);
    t.clock.advance(1);
    await t.services.outbox.drainOnce();
    receiver.fail(0);
    expect(await ackOf()).toMatchObject({ status: 'dead', lastError: '回调返回 HTTP 410' });
  });

  describe('refuses, leaving nothing behind', () => {
    const count = async () => (await t.db.select().from(inboundReceipts)).length;

    it.each([
      ['a wrong secret', { secret: 'wrong-secret-0123456789' }],
      ['an old timestamp', { ts: 1_700_000_000 }],
      ['an unknown source', { source: 'nobody' }],
    ])('%s', async (_, opts) => {
      const before = await count();
      const res = await send({ messageId: `bad-${Math.random()}`, customer: { id: 'x' }, text: '伪造' }, opts);
      expect(res.status).toBe(401);
      expect((await json(res)).error.code).toBe('unauthorized');
      expect(await count()).toBe(before);
    });

    it('a body changed after signing', async () => {
      const raw = JSON.stringify({ messageId: 'tamper', customer: { id: 'x' }, text: '原文' });
      const ts = now();
      const res = await t.app.request('/api/inbound', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-loopdesk-source': 'app',
          'x-loopdesk-timestamp': String(ts),
          'x-loopdesk-signature': sign(SECRET, ts, raw),
        },
        body: raw.replace('原文', '篡改'),
      });
      expect(res.status).toBe(401);
    });

    it('a callback URL on a foreign origin, and a payload without text', async () => {
      const before = await count();
      const a = await send({ messageId: 'cb', customer: { id: 'x' }, text: 'hi', callbackUrl: 'http://169.254.169.254/latest' });
      expect(a.status).toBe(400);
      const b = await send({ messageId: 'nt', customer: { id: 'x' }, text: '' });
      expect(b.status).toBe(400);
      expect(await count()).toBe(before);
    });

    it('a probe marker it did not issue (the complaint counts as real)', async () => {
      const res = await send({ messageId: 'fake-probe', customer: { id: 'reviewer' }, text: '我要投诉', probe: '0123456789.AAAAAAAAAAAAAAAAAAAAAA' });
      expect(res.status).toBe(201);
      const [row] = await t.db
        .select()
        .from(tickets)
        .innerJoin(customers, eq(customers.id, tickets.customerId))
        .where(eq(customers.externalId, 'app:reviewer'));
      expect(row.tickets.isProbe).toBe(false);
    });
  });
});
