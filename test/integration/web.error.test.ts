import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count } from 'drizzle-orm';
import { tickets } from '../../src/db/schema/index.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';
import { json } from '../helpers/http.ts';

describe('web channel: bad input and abuse', () => {
  let t: TestDesk;
  let ip = 0;
  beforeAll(async () => {
    t = await createTestDesk({ config: { web: { rateLimitPerMinute: 3, maxContentLength: 5000 } } });
  });
  afterAll(() => t.close());

  const send = (body: string, contentType = 'application/json', from = `10.2.0.${++ip}`) =>
    t.app.request('/api/feedback', { method: 'POST', headers: { 'content-type': contentType, 'x-forwarded-for': from }, body });
  const ticketCount = async () => (await t.db.select({ n: count() }).from(tickets))[0].n;

  it.each([
    ['missing content', JSON.stringify({ contact: '13812345678' }), 'application/json', 400, '请填写反馈内容'],
    ['blank content', JSON.stringify({ contact: '13812345678', content: '   ' }), 'application/json', 400, '请填写反馈内容'],
    ['20 000-character content', JSON.stringify({ contact: '13812345678', content: '长'.repeat(20_000) }), 'application/json', 400, '内容最多 5000 个字'],
    ['missing contact', JSON.stringify({ content: '你好' }), 'application/json', 400, '请留下手机号或邮箱'],
    ['contact that is neither phone nor e-mail', JSON.stringify({ contact: 'hello', content: '你好' }), 'application/json', 400, '联系方式须为手机号或邮箱'],
    ['unknown category', JSON.stringify({ contact: '13812345678', content: '你好', category: 'spam' }), 'application/json', 400, '未知类型'],
    ['broken JSON', '{"contact": "13812345678", "content": ', 'application/json', 400, '不是有效的 JSON'],
    ['a JSON array', '[1,2]', 'application/json', 400, '需要一个 JSON 对象'],
    ['wrong content type', 'contact=1&content=2', 'text/plain', 415, 'application/json'],
  ])('%s → %i with a clear message, and no ticket', async (_name, body, type, status, message) => {
    const before = await ticketCount();
    const res = await send(body, type);
    expect(res.status).toBe(status);
    const err = (await json(res)).error;
    expect(err.message).toContain(message);
    expect(err.requestId).toBeTruthy();
    expect(await ticketCount()).toBe(before);
  });

  it('a browser form with an error shows the form again with the message and the values kept', async () => {
    const res = await t.app.request('/api/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', 'x-forwarded-for': '10.3.0.1' },
      body: new URLSearchParams({ contact: 'not-a-contact', content: '保留我的内容' }).toString(),
    });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('联系方式须为手机号或邮箱');
    expect(html).toContain('保留我的内容');
  });

  it('rate-limits per client address with 429 and Retry-After', async () => {
    const ok = JSON.stringify({ contact: '13812345678', content: '测试频率' });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await send(ok, 'application/json', '10.4.0.1')).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
    const limited = await send(ok, 'application/json', '10.4.0.1');
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await json(limited)).error.code).toBe('rate_limited');
    expect((await send(ok, 'application/json', '10.4.0.2')).status).toBe(201); // another client is not affected
    t.clock.advance(1);
    expect((await send(ok, 'application/json', '10.4.0.1')).status).toBe(201);
  });

  it('a ticket page needs the unguessable token', async () => {
    const res = await t.app.request('/t/not-a-real-token');
    expect(res.status).toBe(404);
    const survey = await t.app.request('/t/not-a-real-token/survey', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"score":5}' });
    expect(survey.status).toBe(404);
  });

  it('a survey before the ticket is resolved, or with a bad score, changes nothing', async () => {
    const created = await json(await send(JSON.stringify({ contact: '13812345678', content: '还没处理' })));
    const early = await t.app.request(`${created.url}/survey`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"score":5}' });
    expect(early.status).toBe(409);
    const bad = await t.app.request(`${created.url}/survey`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"score":9}' });
    expect(bad.status).toBe(400);
    const [row] = (await t.db.select().from(tickets)).filter((r) => r.code === created.ticket);
    expect([row.status, row.csatScore]).toEqual(['new', null]);
  });

  it('unknown routes answer in the one error shape', async () => {
    const res = await t.app.request('/nope');
    expect(res.status).toBe(404);
    const body = await json(res);
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'requestId']);
    expect(res.headers.get('x-request-id')).toBe(body.error.requestId);
  });
});
