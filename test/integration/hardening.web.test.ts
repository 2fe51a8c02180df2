import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, eq } from 'drizzle-orm';
import { incidents, messages, outbox, tickets } from '../../src/db/schema/index.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';
import { dbKinds } from '../helpers/db.ts';
import { json } from '../helpers/http.ts';
import { recordingChannel } from '../helpers/recording-channel.ts';
import { createWebChannel } from '../../src/channels/web/index.tsx';

/** Issue 17, defects 1–3 and 9 on the web channel: what customers really type, and links that stay private. */
describe.each(dbKinds)('web channel hardening on %s', (kind) => {
  let t: TestDesk;
  let ip = 0;
  beforeAll(async () => {
    t = await createTestDesk({
      kind,
      channels: [createWebChannel, recordingChannel().factory],
      config: { web: { rateLimitPerMinute: 1000, maxContentLength: 5000 } },
    });
  });
  afterAll(() => t.close());

  const post = (body: unknown, path = '/api/feedback') =>
    t.app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.9.${Math.floor(++ip / 250)}.${ip % 250}` },
      body: JSON.stringify(body),
    });
  const ticketCount = async () => (await t.db.select({ n: count() }).from(tickets))[0].n;

  it('three similar messages of 79 characters and an emoji become tickets and one incident, never a 500', async () => {
    const text = `${'支付页面一直转圈无法完成付款'.repeat(6).slice(0, 79)}😀\n详情见截图`;
    for (let i = 0; i < 3; i++) {
      const res = await post({ contact: `1381234${String(1000 + i)}`, content: text });
      expect(res.status).toBe(201);
    }
    const [inc] = await t.db.select().from(incidents);
    expect(inc.ticketCount).toBe(3);
    for (const s of [...inc.samples, inc.title]) expect(s).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    const subjects = await t.db.select({ s: tickets.subject }).from(tickets);
    for (const { s } of subjects) expect(s.endsWith('😀')).toBe(true);
  });

  it('NUL bytes and lone surrogates are cleaned, not a 500', async () => {
    const res = await post({ name: '张\u0000三\uD800', contact: '13812340001', content: '无法登录\u0000，提示\uDE00错误' });
    expect(res.status).toBe(201);
    const body = await json(res);
    const [row] = await t.db
      .select({ body: messages.body })
      .from(messages)
      .innerJoin(tickets, eq(tickets.id, messages.ticketId))
      .where(eq(tickets.code, body.ticket));
    expect(row.body).toBe('无法登录，提示\uFFFD错误');
    const followUp = await post({ content: '补充\u0000说明\uD83D', submissionId: 'nul-follow-up-1' }, `${body.url}/messages`);
    expect(followUp.status).toBe(201);
  });

  it('a reused submissionId returns the ticket to the same submitter only, never someone else’s link', async () => {
    const first = await post({ contact: '13812340002', content: '退款一直没有到账', submissionId: 'sub-owner-0001' });
    expect(first.status).toBe(201);
    const mine = await json(first);
    const again = await post({ contact: '13812340002', content: '退款一直没有到账', submissionId: 'sub-owner-0001' });
    expect(again.status).toBe(200);
    expect(await json(again)).toMatchObject({ ticket: mine.ticket, url: mine.url, duplicate: true });

    const before = await ticketCount();
    for (const other of [
      { contact: '13900000000', content: '退款一直没有到账' },
      { contact: '13812340002', content: '别的内容' },
    ]) {
      const res = await post({ ...other, submissionId: 'sub-owner-0001' });
      expect(res.status).toBe(409);
      const text = await res.text();
      expect(text).not.toContain(mine.url);
      expect(text).not.toContain(mine.ticket);
    }
    expect(await ticketCount()).toBe(before);
  });

  it('a reused follow-up id on another ticket does not reveal the first ticket’s link', async () => {
    const a = await json(await post({ contact: '13812340003', content: '订单显示异常' }));
    const b = await json(await post({ contact: '13812340004', content: '发票开错了' }));
    const mine = await post({ content: '我的补充', submissionId: 'follow-up-shared-1' }, `${a.url}/messages`);
    expect(mine.status).toBe(201);
    const again = await post({ content: '我的补充', submissionId: 'follow-up-shared-1' }, `${a.url}/messages`);
    expect(again.status).toBe(201);
    expect((await json(again)).url).toBe(a.url);
    const before = (await t.db.select({ n: count() }).from(messages))[0].n;
    const stolen = await post({ content: '我的补充', submissionId: 'follow-up-shared-1' }, `${b.url}/messages`);
    expect(stolen.status).toBe(409);
    expect(await stolen.text()).not.toContain(a.url);
    expect((await t.db.select({ n: count() }).from(messages))[0].n).toBe(before);
  });

  it('an unhappy survey comment cut at 200 keeps its emoji whole', async () => {
    const created = await json(await post({ contact: '13812340005', content: '页面打不开' }));
    const [row] = await t.db.select().from(tickets).where(eq(tickets.code, created.ticket));
    await t.db.update(tickets).set({ status: 'resolved', resolvedAt: t.clock.now() }).where(eq(tickets.id, row.id));
    const comment = `${'差'.repeat(199)}😀还是不行`;
    const res = await post({ score: 1, comment }, `${created.url}/survey`);
    expect(res.status).toBe(200);
    const rows = await t.db.select({ payload: outbox.payload }).from(outbox).where(eq(outbox.ticketId, row.id));
    const leads = rows.map((r) => (r.payload as { text?: string }).text ?? '').find((x) => x.includes('不满意'));
    expect(leads).toContain(`${'差'.repeat(199)}😀」`);
  });

  it('a multipart body with a bad boundary is a 400, not a 500', async () => {
    const before = await ticketCount();
    for (const type of ['multipart/form-data', 'multipart/form-data; boundary=nope', 'multipart/form-data; boundary=']) {
      const res = await t.app.request('/api/feedback', {
        method: 'POST',
        headers: { 'content-type': type, 'x-forwarded-for': '10.8.0.1' },
        body: '--x\r\nContent-Disposition: form-data; name="content"\r\n\r\nhi\r\n--x--',
      });
      expect(res.status).toBe(400);
      expect((await json(res)).error.message).toContain('表单格式无效');
    }
    expect(await ticketCount()).toBe(before);
  });

  it('the private ticket page sends CSP, X-Frame-Options, Referrer-Policy no-referrer and no-store', async () => {
    const created = await json(await post({ contact: '13812340006', content: '账号被锁定' }));
    const page = await t.app.request(created.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('cache-control')).toContain('no-store');
    const missing = await t.app.request('/t/not-a-real-token');
    expect(missing.headers.get('referrer-policy')).toBe('no-referrer');
  });
});

describe('body limits', () => {
  let t: TestDesk;
  beforeAll(async () => {
    t = await createTestDesk({ config: { web: { rateLimitPerMinute: 1000, maxContentLength: 5000 } } });
  });
  afterAll(() => t.close());

  /** A 10 MB body, streamed without a Content-Length; counts what the service pulled from it. */
  function tenMegabytes() {
    const chunk = new TextEncoder().encode(`{"contact":"13812345678","content":"${'长'.repeat(20_000)}`);
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        if (pulled >= 10 * 1024 * 1024) return ctrl.close();
        pulled += chunk.length;
        ctrl.enqueue(chunk);
      },
    });
    return { body, pulled: () => pulled };
  }

  it.each(['/api/feedback', '/feishu/webhook', '/dingtalk/robot', '/api/inbound', '/t/some-token/messages'])(
    '%s (mounted here or not) refuses a 10 MB body after reading at most ~1 MB',
    async (path) => {
      const big = tenMegabytes();
      const res = await t.app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big.body, duplex: 'half' } as RequestInit);
      expect([404, 413]).toContain(res.status);
      expect(big.pulled()).toBeLessThan(1.2 * 1024 * 1024);
    },
  );

  it('/api/feedback refuses by Content-Length before reading, with 413 and a Chinese message', async () => {
    const big = tenMegabytes();
    const res = await t.app.request('/api/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(10 * 1024 * 1024) },
      body: big.body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect((await json(res)).error.message).toContain('请求体过大');
    expect(big.pulled()).toBeLessThan(200 * 1024);
    const streamed = tenMegabytes();
    const res2 = await t.app.request('/api/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: streamed.body,
      duplex: 'half',
    } as RequestInit);
    expect(res2.status).toBe(413);
    expect(streamed.pulled()).toBeLessThan(200 * 1024);
  });
});
