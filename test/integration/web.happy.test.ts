import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { customers, messages, outbox, tickets, ticketEvents } from '../../src/db/schema/index.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';
import { dbKinds } from '../helpers/db.ts';
import { json } from '../helpers/http.ts';

describe.each(dbKinds)('web channel on %s', (kind) => {
  let t: TestDesk;
  beforeAll(async () => {
    t = await createTestDesk({ kind });
  });
  afterAll(() => t.close());

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    t.app.request('/api/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.0.0.${Math.floor(Math.random() * 250)}`, ...headers },
      body: JSON.stringify(body),
    });

  it('serves the form in Chinese', async () => {
    const res = await t.app.request('/feedback');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('意见反馈');
    expect(html).toContain('name="content"');
  });

  it('turns a JSON post into a ticket with code, promise and private page', async () => {
    const res = await post({ name: '张三', contact: '13812345678', content: '登录后 APP 闪退，报错 500' });
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body.ticket).toMatch(/^FB-20260302-\d{4}$/);
    expect(body.promise).toBe('产品故障类问题：我们将在 2 小时内（工作时间 9:00–12:00、13:30–18:30）首次回复，最晚 3 月 2 日（周一）12:00 前。');
    const [row] = await t.db.select().from(tickets).where(eq(tickets.code, body.ticket));
    expect(row.category).toBe('bug');
    expect(row.status).toBe('new');
    const [customer] = await t.db.select().from(customers).where(eq(customers.id, row.customerId));
    expect([customer.name, customer.phone]).toEqual(['张三', '13812345678']);
    const page = await t.app.request(body.url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(body.ticket);
    expect(html).toContain('登录后 APP 闪退');
    const events = await t.db.select().from(ticketEvents).where(eq(ticketEvents.ticketId, row.id));
    expect(events.map((e) => e.type)).toEqual(['created', 'acknowledged']);
    const [ack] = await t.db.select().from(outbox).where(eq(outbox.ticketId, row.id));
    expect(ack.kind).toBe('customer.text');
  });

  it('accepts a browser form post and redirects to the confirmation page', async () => {
    const form = new URLSearchParams({
      contact: 'li@example.com',
      content: '希望增加导出功能',
      category: 'suggestion',
      submissionId: 'form-abcdef-1',
      consent: 'on',
    });
    const res = await t.app.request('/api/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', 'x-forwarded-for': '10.1.1.1' },
      body: form.toString(),
    });
    expect(res.status).toBe(303);
    const location = res.headers.get('location')!;
    expect(location).toMatch(/^\/t\/[\w-]+\?new=1$/);
    const page = await (await t.app.request(location)).text();
    expect(page).toContain('提交成功');
    expect(page).toContain('建议类问题：我们将在 1 个工作日内（工作时间 9:00–12:00、13:30–18:30）首次回复，最晚 3 月 3 日（周二）10:00 前。');
  });

  it('closes the loop on the private page: reply, resolve, survey', async () => {
    const created = await json(await post({ contact: '13900001111', content: '如何导出发票？', category: 'consultation' }));
    await t.desk.act({
      ticket: created.ticket,
      actor: { platform: 'feishu', userId: 'ou_agent' },
      viaAgentGroup: true,
      action: 'respond',
      text: '在「账户-发票」页面点击导出即可。',
    });
    await t.desk.act({ ticket: created.ticket, actor: { platform: 'feishu', userId: 'ou_agent' }, viaAgentGroup: true, action: 'resolve' });
    const page = await (await t.app.request(created.url)).text();
    expect(page).toContain('在「账户-发票」页面点击导出即可。');
    expect(page).toContain('满意吗');
    const survey = await t.app.request(`${created.url}/survey`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ score: 5, comment: '很快' }),
    });
    expect(survey.status).toBe(200);
    expect((await json(survey)).outcome).toBe('satisfied');
    const [row] = await t.db.select().from(tickets).where(eq(tickets.code, created.ticket));
    expect(row.status).toBe('closed');
    expect(row.closeReason).toBe('satisfied');
    expect(row.csatScore).toBe(5);
    const again = await t.app.request(`${created.url}/survey`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ score: 1 }),
    });
    expect(again.status).toBe(409);
  });

  it('adds a follow-up from the private page to the same ticket', async () => {
    const created = await json(await post({ contact: '13900002222', content: '页面打不开' }));
    const res = await t.app.request(`${created.url}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.9.9.9' },
      body: JSON.stringify({ content: '补充：是 Safari 浏览器' }),
    });
    expect(res.status).toBe(201);
    expect((await json(res)).ticket).toBe(created.ticket);
    const [row] = await t.db.select().from(tickets).where(eq(tickets.code, created.ticket));
    const ms = await t.db.select().from(messages).where(eq(messages.ticketId, row.id));
    expect(ms.map((m) => m.body)).toEqual(['页面打不开', '补充：是 Safari 浏览器']);
  });

  it('returns the same ticket for a repeated submission id', async () => {
    const a = await post({ contact: '13900003333', content: '重复提交测试', submissionId: 'dup-submission-1' });
    const b = await post({ contact: '13900003333', content: '重复提交测试', submissionId: 'dup-submission-1' });
    const [ja, jb] = [await json(a), await json(b)];
    expect(jb.ticket).toBe(ja.ticket);
    expect(jb.duplicate).toBe(true);
    expect(b.status).toBe(200);
  });
});
