import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { createInboundApiChannel } from '../../src/channels/api/index.ts';
import { sign } from '../../src/channels/api/signature.ts';
import { dingTalkChannel } from '../../src/channels/dingtalk/index.ts';
import { cardSignature, robotSignature } from '../../src/channels/dingtalk/verify.ts';
import { dbKinds } from '../helpers/db.ts';
import { json } from '../helpers/http.ts';
import { startFakeDingTalk, type FakeDingTalk } from '../fakes/dingtalk/server.ts';
import { AGENTS_CID, FAST_STREAM } from '../fakes/dingtalk/desk.ts';
import { AGENT_CHAT, startFeishuDesk, type FeishuDesk } from '../fakes/feishu/harness.ts';

/**
 * Issue 17, "done when" (a): malformed, NUL-laden, surrogate-split, oversized and wrong-type bodies on every inbound
 * HTTP route, on both databases. No 5xx, nothing half-written, and the service still answers afterwards.
 * (E-mail arrives over IMAP, not HTTP; WeCom's callback only signals a pull and is fuzzed up to its signature check.)
 */
const SECRET = 'fuzz-source-secret-0123456789';
const RUNS = Number(process.env.FUZZ_RUNS ?? 30);

/** Strings customers and attackers really send. */
const nasty = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\uD83D',
    '\uDE00x',
    `${'好'.repeat(79)}😀`,
    `${'长'.repeat(199)}😀`,
    '😀'.slice(0, 1),
    '\u202e反转',
    '<script>alert(1)</script>',
    "'; drop table tickets; --",
    'null',
    '{}',
    '[]',
  ),
  fc.nat({ max: 3 }).map((n) => 'x'.repeat([300, 5001, 20_000, 70_000][n])),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    nasty,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(nasty, tie('v'), { maxKeys: 4 }),
  ),
})).v;
/** An object with the field names a route reads, holding anything. */
const shaped = (fields: string[]) => fc.record(Object.fromEntries(fields.map((f) => [f, value])), { requiredKeys: [] });
const rawBody = (fields: string[]) =>
  fc.oneof(
    shaped(fields).map((o) => JSON.stringify(o)),
    value.map((v) => JSON.stringify(v) ?? 'undefined'),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.constantFrom('', '{', '{"a":', '\u0000', '{"content":"\\u0000"}', '{"content":"\\ud83d"}', '{"text":"\\udc00"}'),
  );

describe.each(dbKinds)('fuzzing every inbound route on %s', (kind) => {
  let d: FeishuDesk;
  let ding: FakeDingTalk;
  let token = '';
  let stamp = 0;
  const statuses: Record<string, number[]> = {};

  beforeAll(async () => {
    ding = await startFakeDingTalk();
    d = await startFeishuDesk({
      mode: 'webhook',
      kind,
      env: {
        DINGTALK_CLIENT_ID: ding.clientId,
        DINGTALK_CLIENT_SECRET: ding.clientSecret,
        DINGTALK_AGENT_CONVERSATION_ID: AGENTS_CID,
        DINGTALK_EVENT_MODE: 'http',
        DINGTALK_API_BASE: ding.base,
        DINGTALK_GATEWAY_URL: ding.gatewayUrl,
      },
      extraChannels: [dingTalkChannel({ stream: FAST_STREAM }), createInboundApiChannel],
      config: { web: { rateLimitPerMinute: 1_000_000, maxContentLength: 5000 }, inbound: { sources: [{ name: 'app', label: 'App', secret: SECRET }] } },
    });
    const res = await d.app.request('/api/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contact: '13812345678', content: '种子工单' }),
    });
    token = (await json(res)).url.split('/').pop();
  }, 60_000);
  afterAll(async () => {
    await d?.close();
    await ding?.close();
  });

  const record = (route: string, status: number) => {
    (statuses[route] ??= []).push(status);
    return status;
  };
  const contentTypes = fc.constantFrom(
    'application/json',
    'application/x-www-form-urlencoded',
    'multipart/form-data',
    'multipart/form-data; boundary=zz',
    'text/plain',
    '',
  );
  const request = (path: string, body: string, headers: Record<string, string>) => d.app.request(path, { method: 'POST', headers, body });

  it('web: the classic breakers as feedback each make a ticket', async () => {
    for (const content of [
      'a\u0000b',
      '\uD83D 登录失败',
      '\uDE00x',
      `${'好'.repeat(79)}😀\n第二行`,
      `${'长'.repeat(199)}😀`,
      '\u202e反转',
      '<script>alert(1)</script>',
      "'; drop table tickets; --",
    ]) {
      const res = await request('/api/feedback', JSON.stringify({ contact: '13812345678', content, name: content.slice(0, 10) }), {
        'content-type': 'application/json',
      });
      expect(record('/api/feedback', res.status)).toBe(201);
    }
  });

  it('web: /api/feedback, /t/:token/messages and /t/:token/survey', async () => {
    // Half of them well-formed around nasty text, so that tickets are written and can be checked afterwards.
    const valid = fc
      .record({
        contact: fc.constantFrom('13812345678', 'kehu@example.cn'),
        content: nasty,
        name: fc.option(nasty, { nil: undefined }),
        submissionId: fc.option(nasty, { nil: undefined }),
      })
      .map((o) => JSON.stringify(o));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/api/feedback', `/t/TOKEN/messages`, `/t/TOKEN/survey`),
        fc.oneof(valid, rawBody(['contact', 'content', 'name', 'category', 'submissionId', 'score', 'comment'])),
        contentTypes,
        async (path, body, type) => {
          const res = await request(path.replace('TOKEN', token), body, type ? { 'content-type': type } : {});
          expect(record(path, res.status)).toBeLessThan(500);
        },
      ),
      { numRuns: RUNS * 3 },
    );
  });

  it('Feishu: signed message events and card clicks with anything inside', async () => {
    const message = fc.record({
      content: value,
      message_type: fc.oneof(fc.constantFrom('text', 'post', 'image', 'file'), value),
      mentions: value,
      message_id: fc.oneof(nasty, value),
      chat_type: fc.oneof(fc.constant('p2p'), value),
      text: nasty,
    });
    const click = fc.record({
      value: fc.oneof(
        value,
        fc.record({ action: fc.constantFrom('claim', 'respond', 'csat'), ticket: fc.oneof(nasty, fc.constant('FB-20260302-0001')), score: value }),
      ),
      form: value,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          message.map((m) => ({ m })),
          click.map((c) => ({ c })),
          value.map((v) => ({ v })),
        ),
        async (pick) => {
          let envelope: unknown;
          if ('m' in pick) {
            const e = d.message({ openId: `ou_fuzz_${++stamp}`, chatId: stamp % 2 ? AGENT_CHAT : `oc_p2p_fuzz_${stamp}`, text: pick.m.text });
            const m = e.event.message as Record<string, unknown>;
            if (stamp % 2 === 0)
              Object.assign(m, { content: typeof pick.m.content === 'string' ? pick.m.content : JSON.stringify(pick.m.content), mentions: pick.m.mentions });
            if (stamp % 3 === 0) Object.assign(m, { message_type: pick.m.message_type, message_id: pick.m.message_id, chat_type: pick.m.chat_type });
            envelope = e;
          } else if ('c' in pick) {
            const e = d.cardAction({ openId: `ou_fuzz_${++stamp}`, value: {}, messageId: `om_fuzz_${stamp}`, chatId: AGENT_CHAT });
            Object.assign(e.event.action as Record<string, unknown>, { value: pick.c.value, form_value: pick.c.form });
            envelope = e;
          } else envelope = pick.v;
          const r = await d.post(envelope);
          expect(record('/feishu/webhook', r.status)).toBeLessThan(500);
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('DingTalk: signed robot and card callbacks with anything inside', async () => {
    const robot = shaped([
      'msgId',
      'msgtype',
      'conversationType',
      'conversationId',
      'senderStaffId',
      'senderNick',
      'text',
      'content',
      'sessionWebhook',
      'sessionWebhookExpiredTime',
    ]);
    const card = shaped(['type', 'outTrackId', 'userId', 'content', 'spaceId']);
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.oneof(
          robot.map((o) => JSON.stringify(o)),
          card.map((o) => JSON.stringify(o)),
          rawBody([]),
        ),
        async (toRobot, body) => {
          const ts = String(d.clock.now().getTime() - ++stamp);
          const headers: Record<string, string> = toRobot
            ? { 'content-type': 'application/json', timestamp: ts, sign: robotSignature(ts, ding.clientSecret) }
            : { 'content-type': 'application/json', 'x-ddpaas-signature-timestamp': ts, 'x-ddpaas-signature': cardSignature(ts, ding.clientSecret) };
          const path = toRobot ? '/dingtalk/robot' : '/dingtalk/card';
          const res = await request(path, body, headers);
          expect(record(path, res.status)).toBeLessThan(500);
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('inbound API: signed bodies with anything inside, and unsigned junk on the other routes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/api/inbound', '/api/inbound/survey', '/wecom/callback', '/email/survey/x'),
        rawBody(['messageId', 'channel', 'customer', 'text', 'attachments', 'callbackUrl', 'ticket', 'score']),
        async (path, body) => {
          const ts = Math.floor(d.clock.now().getTime() / 1000);
          const res = await request(path, body, {
            'content-type': 'application/json',
            'x-loopdesk-source': 'app',
            'x-loopdesk-timestamp': String(ts),
            'x-loopdesk-signature': sign(SECRET, ts, body),
          });
          expect(record(path, res.status)).toBeLessThan(500);
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('a 10 MB body is refused on every route without a 5xx', async () => {
    const big = 'x'.repeat(10 * 1024 * 1024);
    for (const path of ['/api/feedback', `/t/${token}/messages`, '/feishu/webhook', '/dingtalk/robot', '/dingtalk/card', '/api/inbound']) {
      const res = await request(path, big, { 'content-type': 'application/json' });
      expect(record(path, res.status)).toBe(413);
    }
  });

  it('left nothing half-written, and the service still answers', async () => {
    const broken = await d.db.execute(sql`
      select
        (select count(*) from tickets t where not exists (select 1 from messages m where m.ticket_id = t.id)) as without_message,
        (select count(*) from tickets t where not exists (select 1 from ticket_events e where e.ticket_id = t.id and e.type = 'created')) as without_created,
        (select count(*) from tickets t where not exists (select 1 from inbound_receipts r where r.ticket_id = t.id)) as without_receipt,
        (select count(*) from tickets) as tickets`);
    const row = ((broken as { rows?: Record<string, unknown>[] }).rows ?? (broken as unknown as Record<string, unknown>[]))[0];
    expect(Number(row.without_message)).toBe(0);
    expect(Number(row.without_created)).toBe(0);
    expect(Number(row.without_receipt)).toBe(0);
    expect(Number(row.tickets)).toBeGreaterThan(8);
    expect((await d.app.request('/healthz')).status).toBe(200);
    const ok = await d.app.request('/api/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contact: '13812345679', content: '模糊测试之后仍然可以提交' }),
    });
    expect(ok.status).toBe(201);
    const seen = Object.entries(statuses).map(([route, s]) => `${route}: ${s.length}`);
    if (process.env.FUZZ_DEBUG)
      console.log(
        JSON.stringify(
          Object.fromEntries(Object.entries(statuses).map(([r, s]) => [r, s.reduce((a: Record<number, number>, x) => ({ ...a, [x]: (a[x] ?? 0) + 1 }), {})])),
        ),
      );
    expect(seen.length).toBeGreaterThan(8);
  });
});
