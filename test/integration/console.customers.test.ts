/**
 * 个人信息 in the console (issue 15): an admin finds a customer, downloads the copy and erases their personal data
 * with a reason; an agent is kept out; a missing reason, a missing confirmation or a missing CSRF token erase nothing.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customers, messages } from '../../src/db/schema/index.ts';
import { addUser, csrfFrom, formBody, loginWithLink, req, type Jar } from '../helpers/console-session.ts';
import { dbKinds } from '../helpers/db.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';

describe.each(dbKinds)('console 个人信息 on %s', (kind) => {
  let t: TestDesk;
  let admin: Jar;
  let agent: Jar;
  beforeAll(async () => {
    t = await createTestDesk({ kind });
    admin = await loginWithLink(t.app, await addUser(t.services, '周管理', 'admin'));
    agent = await loginWithLink(t.app, await addUser(t.services, '小林', 'agent'));
    await t.desk.intake({
      channel: 'web',
      dedupeKey: 'rights-1',
      customer: { externalId: 'v-rights', name: '赵六', phone: '13912345678' },
      replyTo: {},
      text: '我的订单一直没有发货，请帮我查一下',
    });
  });
  afterAll(() => t?.close());

  const r = (jar: Jar | null, path: string, init?: RequestInit) => req(t.app, jar, path, init);
  const customer = async () => (await t.db.select().from(customers).where(eq(customers.externalId, 'v-rights')))[0] ?? (await t.db.select().from(customers))[0];

  it('shows the copy of what is held, and the JSON to download, to an admin only', async () => {
    const page = await r(admin, '/console/customers?key=13912345678');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('赵六');
    expect(html).toContain('我的订单一直没有发货');
    const id = (await customer()).id;
    const json = await r(admin, `/console/customers/export.json?key=${id}`);
    expect(json.status).toBe(200);
    expect(await json.json()).toMatchObject({ customer: { id, name: '赵六', phone: '13912345678' } });
    expect((await r(agent, '/console/customers?key=13912345678')).status).toBe(403);
    expect((await r(agent, `/console/customers/export.json?key=${id}`)).status).toBe(403);
    const unknown = await r(admin, '/console/customers?key=13000000000');
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('找不到客户');
  });

  it('erases nothing without a reason, a confirmation or a CSRF token, nor for an agent', async () => {
    const id = String((await customer()).id);
    const csrf = csrfFrom(await (await r(admin, `/console/customers?key=${id}`)).text());
    const tries: Array<[Jar, Record<string, string>, number, string]> = [
      [admin, { csrf, key: id, reason: '', confirm: 'yes' }, 400, '须注明原因'],
      [admin, { csrf, key: id, reason: '客户来电申请删除' }, 400, '请勾选确认'],
      [admin, { csrf: 'forged', key: id, reason: '客户来电申请删除', confirm: 'yes' }, 403, '安全校验未通过'],
      [agent, { csrf: csrfFrom(await (await r(agent, '/console/queues')).text()), key: id, reason: '客户来电申请删除', confirm: 'yes' }, 403, ''],
    ];
    for (const [jar, data, status, says] of tries) {
      const res = await r(jar, '/console/customers/erase', formBody(data));
      expect(res.status, JSON.stringify(data)).toBe(status);
      expect(await res.text()).toContain(says);
      expect(await customer()).toMatchObject({ name: '赵六', phone: '13912345678', erasedAt: null });
    }
  });

  it('erases the personal data with the reason; the copy then holds nothing personal', async () => {
    const id = String((await customer()).id);
    const bodiesOf = async () => (await t.db.select().from(messages).where(eq(messages.ticketId, 1))).map((m) => m.body).join('');
    expect(await bodiesOf()).toContain('订单一直没有发货');
    const csrf = csrfFrom(await (await r(admin, `/console/customers?key=${id}`)).text());
    const res = await r(admin, '/console/customers/erase', formBody({ csrf, key: id, reason: '客户 3 月 2 日来电申请删除', confirm: 'yes' }));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`已删除客户 #${id} 的个人信息`);
    const c = await customer();
    expect(c.erasedAt).not.toBeNull();
    expect(c.phone).toBeNull();
    expect(await bodiesOf()).not.toContain('订单一直没有发货');
    const copy = await (await r(admin, `/console/customers/export.json?key=${id}`)).text();
    expect(copy).not.toContain('13912345678');
    expect(copy).not.toContain('赵六');
    const again = await r(admin, '/console/customers/erase', formBody({ csrf, key: id, reason: '重复提交', confirm: 'yes' }));
    expect(await again.text()).toContain('此前已删除，未做任何修改');
  });
});
