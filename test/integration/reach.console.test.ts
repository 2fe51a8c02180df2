/**
 * The console's 新建工单 page and 电话回访 form: session, role and CSRF checked like every console POST; the same desk
 * use cases as /new and /csat; refusals shown on the page with nothing written; a double submit changes nothing.
 */
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config.ts';
import { customers, ticketEvents, tickets } from '../../src/db/schema/index.ts';
import { SESSION_COOKIE, seal, sessionKey } from '../../src/console/session.ts';
import { wallTimeToDate } from '../../src/console/reach.tsx';
import { dbKinds } from '../helpers/db.ts';
import { createTestDesk, TEST_ADMIN_TOKEN, type TestDesk } from '../helpers/services.ts';
import { Jar, req as requestAs } from '../helpers/console-session.ts';

const AGENT = { platform: 'feishu', userId: 'ou_agent' };
const OTHER = { platform: 'feishu', userId: 'ou_other' };
const LEAD = { platform: 'feishu', userId: 'ou_lead' };

describe.each(dbKinds)('console 新建工单 and 电话回访 on %s', (kind) => {
  let t: TestDesk;
  const key = sessionKey(parseEnv({ ADMIN_TOKEN: TEST_ADMIN_TOKEN }))!;
  /** A signed-in Feishu user, as the OAuth callback would leave them (the real session format and key). */
  const signIn = (who: { userId: string }, name: string) => {
    const jar = new Jar();
    const iat = Math.floor(t.clock.now().getTime() / 1000);
    jar.cookies.set(SESSION_COOKIE, seal(key, { v: 1, method: 'feishu', userId: who.userId, name, iat, exp: iat + 3600 }));
    return jar;
  };
  const req = (jar: Jar | null, path: string, init: RequestInit = {}) => requestAs(t.app, jar, path, init);
  const csrfOf = async (jar: Jar, path: string) => /name="csrf" value="([^"]+)"/.exec(await (await req(jar, path)).text())?.[1] ?? '';
  const post = (jar: Jar | null, path: string, data: Record<string, string>, origin?: string) =>
    req(jar, path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(origin ? { origin } : {}) },
      body: new URLSearchParams(data).toString(),
    });
  const counts = async () => ({
    tickets: (await t.db.select({ n: count() }).from(tickets))[0].n,
    customers: (await t.db.select({ n: count() }).from(customers))[0].n,
    events: (await t.db.select({ n: count() }).from(ticketEvents))[0].n,
  });

  beforeAll(async () => {
    t = await createTestDesk({ kind, config: { roles: { agents: [AGENT, OTHER], leads: [LEAD], admins: [] } } });
  });
  afterAll(() => t.close());

  it('an agent registers a visit; bad input, a foreign origin and a missing token are refused with nothing written', async () => {
    const agent = signIn(AGENT, '小林');
    const page = await req(agent, '/console/new-ticket');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('新建工单');
    expect(html).toContain('value="visit"');
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1];
    const submissionId = /name="submissionId" value="([^"]+)"/.exec(html)![1];
    const good = { csrf, submissionId, channel: 'visit', name: '李女士', contact: 'li@customer.test', category: 'complaint', text: '柜台排队两小时无人处理' };

    const before = await counts();
    expect((await post(null, '/console/new-ticket', good)).status).toBe(401);
    expect((await post(agent, '/console/new-ticket', { ...good, csrf: '' })).status).toBe(403);
    expect((await post(agent, '/console/new-ticket', good, 'https://evil.example')).status).toBe(403);
    const bad = await post(agent, '/console/new-ticket', { ...good, contact: '不留' });
    expect(bad.status).toBe(400);
    const badHtml = await bad.text();
    expect(badHtml).toContain('联系方式须为手机号、电话（含区号）或邮箱');
    expect(badHtml).toContain('柜台排队两小时无人处理'); // what was typed is kept
    expect((await post(agent, '/console/new-ticket', { ...good, channel: 'wechat' })).status).toBe(400);
    expect((await post(agent, '/console/new-ticket', { ...good, text: ' ' })).status).toBe(400);
    expect(await counts()).toEqual(before);

    const ok = await post(agent, '/console/new-ticket', good);
    expect(ok.status).toBe(303);
    const location = ok.headers.get('location')!;
    const code = /\/console\/tickets\/(FB-\d{8}-\d{4})\?notice=/.exec(location)![1];
    expect(decodeURIComponent(location)).toContain('请电话联系客户'); // no SMTP or SMS in this deployment
    const [ticket] = await t.db.select().from(tickets).where(eq(tickets.code, code));
    expect(ticket).toMatchObject({ channel: 'visit', category: 'complaint' });
    const [created] = await t.db.select().from(ticketEvents).where(eq(ticketEvents.ticketId, ticket.id)).limit(1);
    expect(created.data).toMatchObject({ recordedBy: { actor: 'agent:feishu:ou_agent', name: '小林' } });

    expect(await (await req(agent, `/console/tickets/${code}`)).text()).toContain('客服代登记：小林');

    // The same form posted twice (a double click, a reload): one ticket.
    const again = await post(agent, '/console/new-ticket', good);
    expect(decodeURIComponent(again.headers.get('location')!)).toContain(`这张工单已登记过（${code}）`);
    expect((await t.db.select().from(tickets).where(eq(tickets.channel, 'visit'))).length).toBe(1);
  });

  it('records a phone follow-up from the ticket page: only the assignee or a lead, once, with the call time', async () => {
    const agent = signIn(AGENT, '小林');
    const other = signIn(OTHER, '小王');
    const csrf = await csrfOf(agent, '/console/new-ticket');
    const made = await post(agent, '/console/new-ticket', {
      csrf,
      submissionId: 'console-sub-0002',
      channel: 'phone',
      name: '赵先生',
      contact: '13700137000',
      text: '发票抬头开错了',
    });
    const code = /(FB-\d{8}-\d{4})/.exec(made.headers.get('location')!)![1];
    const actor = { platform: 'feishu', userId: 'ou_agent', name: '小林' };
    await t.desk.act({ ticket: code, actor, viaAgentGroup: true, action: 'claim' });
    await t.desk.act({ ticket: code, actor, viaAgentGroup: true, action: 'respond', text: '已重新开具。' });
    await t.desk.act({ ticket: code, actor, viaAgentGroup: true, action: 'resolve' });
    t.clock.advance(30);

    const pageHtml = await (await req(agent, `/console/tickets/${code}`)).text();
    expect(pageHtml).toContain(`action="/console/tickets/${code}/follow-up"`);
    const token = /name="csrf" value="([^"]+)"/.exec(pageHtml)![1];
    const before = await counts();
    const stranger = await post(other, `/console/tickets/${code}/follow-up`, { csrf: await csrfOf(other, `/console/tickets/${code}`), score: '5' });
    expect(stranger.status).toBe(403);
    expect(await stranger.text()).toContain('不是您负责的');
    expect((await post(agent, `/console/tickets/${code}/follow-up`, { csrf: token, score: '7' })).status).toBe(400);
    expect((await post(agent, `/console/tickets/${code}/follow-up`, { csrf: '', score: '5' })).status).toBe(403);
    const future = await post(agent, `/console/tickets/${code}/follow-up`, { csrf: token, score: '5', calledAt: '2026-03-03T10:00' });
    expect(await future.text()).toContain('回访时间不能晚于现在');
    expect(await counts()).toEqual(before);

    const done = await post(agent, `/console/tickets/${code}/follow-up`, { csrf: token, score: '5', comment: '客户表示满意', calledAt: '2026-03-02T10:20' });
    expect(done.status).toBe(303);
    expect(decodeURIComponent(done.headers.get('location')!)).toContain('已录入电话回访（5 分），工单已归档');
    const [closed] = await t.db.select().from(tickets).where(eq(tickets.code, code));
    expect(closed).toMatchObject({ status: 'closed', csatScore: 5, csatVia: 'phone' });
    const answered = (await t.db.select().from(ticketEvents).where(eq(ticketEvents.ticketId, closed.id))).find((e) => e.type === 'survey_answered')!;
    expect(answered.data).toMatchObject({ via: 'phone', by: 'agent:feishu:ou_agent', byName: '小林', calledAt: '2026-03-02T02:20:00.000Z' });

    expect(await (await req(agent, `/console/tickets/${code}`)).text()).toContain('5 分：客户表示满意（电话回访，回访人 小林，2026-03-02 10:20');

    // A second tab submitting the same form: refused, says why, nothing changes.
    const twice = await post(agent, `/console/tickets/${code}/follow-up`, { csrf: token, score: '1' });
    expect(twice.status).toBe(400);
    expect(await twice.text()).toContain('客户已评价（5 分），不能再录入回访');
    const [still] = await t.db.select().from(tickets).where(eq(tickets.code, code));
    expect(still).toMatchObject({ status: 'closed', csatScore: 5 });
  });

  it('reads the call time on the company clock', () => {
    expect(wallTimeToDate('2026-03-02T10:20', 'Asia/Shanghai')?.toISOString()).toBe('2026-03-02T02:20:00.000Z');
    expect(wallTimeToDate('2026-03-02 10:20', 'Asia/Shanghai')).toBeNull();
  });
});
