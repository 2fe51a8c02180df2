/**
 * The agents' web workspace with no chat platform: local accounts (loopdesk user add|list|disable|link), one-time
 * login links, queues, and the ticket page's actions with every refusal (wrong role, no CSRF, foreign origin, someone
 * else's ticket, two tabs, empty and over-long replies): each says why and writes nothing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRemote, startControlSocket } from '../../src/cli/control.ts';
import { agents, messages, outbox, ticketEvents, tickets } from '../../src/db/schema/index.ts';
import { sweepDueTimers } from '../../src/jobs/sweep.ts';
import { createContactChannel } from '../../src/channels/contact/index.ts';
import { createWebChannel } from '../../src/channels/web/index.tsx';
import { startSmtp, type FakeSmtp } from '../fakes/email/smtp.ts';
import { dbKinds } from '../helpers/db.ts';
import { addUser, cli, csrfFrom, formBody, Jar, loginWithLink, req, versionFrom } from '../helpers/console-session.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';

describe.each(dbKinds)('agents’ workspace on %s', (kind) => {
  let t: TestDesk;
  let seq = 0;

  beforeAll(async () => {
    t = await createTestDesk({ kind, config: { canned: [{ id: 'checking', title: '核查中', text: '{客户}您好，工单 {工单号} 正在核查。' }] } });
  });
  afterAll(() => t?.close());

  const r = (jar: Jar | null, path: string, init?: RequestInit) => req(t.app, jar, path, init);

  async function webTicket(content = '订单支付后一直显示待支付，请尽快处理') {
    const res = await t.app.request('/api/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.9.0.${++seq}` },
      body: JSON.stringify({ name: '王女士', contact: `wang${seq}@example.com`, content }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { ticket: string }).ticket;
  }

  /** Everything an action could write: refusals must leave all of it unchanged. */
  async function footprint(code: string) {
    const [row] = await t.db.select().from(tickets).where(eq(tickets.code, code));
    const n = (rows: Array<{ n: number }>) => Number(rows[0].n);
    const events = n(await t.db.select({ n: sql<number>`count(*)::int` }).from(ticketEvents).where(eq(ticketEvents.ticketId, row.id)));
    const msgs = n(await t.db.select({ n: sql<number>`count(*)::int` }).from(messages).where(eq(messages.ticketId, row.id)));
    const out = n(await t.db.select({ n: sql<number>`count(*)::int` }).from(outbox).where(eq(outbox.ticketId, row.id)));
    return { status: row.status, assigneeId: row.assigneeId, events, messages: msgs, outbox: out };
  }

  async function ticketForm(jar: Jar, code: string) {
    const page = await r(jar, `/console/tickets/${code}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    return { html, csrf: csrfFrom(html), version: versionFrom(html) };
  }

  const act = (jar: Jar, code: string, data: Record<string, string>, headers: Record<string, string> = {}) =>
    r(jar, `/console/tickets/${code}/act`, formBody(data, headers));

  it('user add / list / disable; the one-time link works once; a disabled user is out', async () => {
    const url = await addUser(t.services, '小林', 'agent', 'lin@example.com');
    expect(url).toMatch(/^http:\/\/loopdesk\.test\/console\/login\/link\/[\w-]{20,}$/);

    const list = await cli(t.services, 'user', 'list');
    expect(list.code).toBe(0);
    expect(list.lines).toContainEqual(expect.stringMatching(/^小林\t客服\tlin@example\.com\t启用$/));

    // Bad input: a clear message, nothing created.
    const dup = await cli(t.services, 'user', 'add', '--name', '小林', '--role', 'agent');
    expect(dup.code).toBe(64);
    expect(dup.lines.join('\n')).toContain('已有名为「小林」的账号');
    const badRole = await cli(t.services, 'user', 'add', '--name', '小周', '--role', 'boss');
    expect(badRole.code).toBe(64);
    expect(badRole.lines.join('\n')).toContain('角色须为 agent、lead 或 admin');
    const badMail = await cli(t.services, 'user', 'add', '--name', '小周', '--role', 'agent', '--email', 'not-an-address');
    expect(badMail.lines.join('\n')).toContain('邮箱格式不正确');
    expect((await cli(t.services, 'user', 'list')).lines.filter((l) => l.startsWith('小周'))).toEqual([]);

    // GET does not spend the link (mail scanners open links); the POST does, once.
    const path = new URL(url).pathname;
    expect((await r(new Jar(), path)).status).toBe(200);
    const jar = await loginWithLink(t.app, url);
    const queues = await r(jar, '/console/queues');
    expect(queues.status).toBe(200);
    expect(await queues.text()).toContain('小林（客服）');

    const other = new Jar();
    const page = await r(other, path);
    const again = await r(other, path, formBody({ csrf: csrfFrom(await page.text()) }));
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('此登录链接已使用过');
    expect(other.cookies.has('loopdesk_console')).toBe(false);

    // A link without the CSRF token is not spent.
    const url2 = await addUser(t.services, '小马', 'lead');
    const noCsrf = await r(new Jar(), new URL(url2).pathname, formBody({}));
    expect(noCsrf.status).toBe(403);
    await loginWithLink(t.app, url2);

    const disabled = await cli(t.services, 'user', 'disable', '小林');
    expect(disabled.code).toBe(0);
    expect((await cli(t.services, 'user', 'list')).lines).toContainEqual(expect.stringMatching(/^小林\t客服\t.*\t已停用$/));
    // Their open session ends at the next request; a new link is refused.
    const after = await r(jar, '/console/queues');
    expect(after.status).toBe(302);
    expect(after.headers.get('location')).toContain('error=revoked');
    const link = await cli(t.services, 'user', 'link', '小林');
    expect(link.code).toBe(64);
    expect(link.lines.join('\n')).toContain('已停用');
    expect((await cli(t.services, 'user', 'disable', '无此人')).code).toBe(2);
  });

  it('the CLI works while the service holds the embedded database (through the control socket)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopdesk-ctl-'));
    const server = await startControlSocket(t.services, dir);
    try {
      const r1 = await runRemote(dir, ['user', 'add', '--name', '小赵', '--role', 'agent'], process.cwd());
      expect(r1.code).toBe(0);
      expect(r1.output.split('\n')).toContainEqual(expect.stringMatching(/^http:\/\/loopdesk\.test\/console\/login\/link\/[\w-]+$/));
      const r2 = await runRemote(dir, ['user', 'list'], process.cwd());
      expect(r2.output).toContain('小赵');
    } finally {
      await new Promise((ok) => server.close(ok));
    }
  });

  it('a local agent claims, answers (text, canned, wait), notes and resolves from the console; the queues follow', async () => {
    const jar = await loginWithLink(t.app, await addUser(t.services, '小陈', 'agent'));
    const code = await webTicket();
    const q0 = await (await r(jar, '/console/queues')).text();
    expect(q0).toContain(code);
    expect(q0).toMatch(/待认领（\d+）/);

    let f = await ticketForm(jar, code);
    expect(f.html).not.toContain('只读');
    expect(f.html).toContain('data-action="claim"');
    const claimed = await act(jar, code, { csrf: f.csrf, version: f.version, action: 'claim' });
    expect(claimed.status).toBe(303);
    expect(claimed.headers.get('location')).toBe(`/console/tickets/${code}?done=claim`);
    expect(await (await r(jar, claimed.headers.get('location')!)).text()).toContain('✓ 已认领');
    const mine = await (await r(jar, '/console/queues')).text();
    expect(mine.slice(mine.indexOf('我的工单（'))).toContain(code);

    f = await ticketForm(jar, code);
    expect(f.html).toContain('<option value="checking">核查中</option>');
    expect((await act(jar, code, { csrf: f.csrf, version: f.version, action: 'respond', reply: '', canned: 'checking' })).status).toBe(303);
    f = await ticketForm(jar, code);
    expect(
      (await act(jar, code, { csrf: f.csrf, version: f.version, action: 'respond', reply: '您好，已在核查支付记录', waitForCustomer: 'yes' })).status,
    ).toBe(303);
    expect((await t.db.select().from(tickets).where(eq(tickets.code, code)))[0].slaPausedSince).not.toBeNull();
    f = await ticketForm(jar, code);
    expect((await act(jar, code, { csrf: f.csrf, version: f.version, action: 'note', reply: '财务在查' })).status).toBe(303);
    f = await ticketForm(jar, code);
    expect((await act(jar, code, { csrf: f.csrf, version: f.version, action: 'resolve', reply: '已为您补发订单' })).status).toBe(303);

    const [row] = await t.db.select().from(tickets).where(eq(tickets.code, code));
    expect(row.status).toBe('resolved');
    const [me] = await t.db.select().from(agents).where(eq(agents.name, '小陈'));
    expect(me.platform).toBe('local');
    expect(row.assigneeId).toBe(me.id);
    const ms = await t.db.select().from(messages).where(eq(messages.ticketId, row.id)).orderBy(messages.id);
    expect(ms.map((m) => [m.direction, m.body])).toEqual([
      ['in', '订单支付后一直显示待支付，请尽快处理'],
      ['out', `王女士您好，工单 ${code} 正在核查。`],
      ['out', '您好，已在核查支付记录'],
      ['internal', '财务在查'],
      ['out', '已为您补发订单'],
    ]);
    const ev = await t.db.select().from(ticketEvents).where(eq(ticketEvents.ticketId, row.id)).orderBy(ticketEvents.seq);
    expect(ev.map((e) => e.type)).toEqual(['created', 'acknowledged', 'claimed', 'responded', 'responded', 'noted', 'resolved', 'survey_sent']);
    expect(ev.find((e) => e.type === 'responded')!.actor).toBe(`agent:local:${me.userId}`);
    const rows = await t.db.select().from(outbox).where(eq(outbox.ticketId, row.id));
    expect(rows.map((o) => o.kind).sort()).toEqual(['customer.survey', 'customer.text', 'customer.text', 'customer.text', 'customer.text'].sort());
  });

  it('refuses, with the reason and nothing written: wrong role, no CSRF, foreign origin, someone else’s ticket, two tabs, empty and 20,000-character replies', async () => {
    const a = await loginWithLink(t.app, await addUser(t.services, '甲', 'agent'));
    const b = await loginWithLink(t.app, await addUser(t.services, '乙', 'agent'));
    const code = await webTicket('发票抬头开错了');
    let f = await ticketForm(a, code);
    expect((await act(a, code, { csrf: f.csrf, version: f.version, action: 'claim' })).status).toBe(303);
    f = await ticketForm(a, code);
    const before = await footprint(code);

    const expectRefused = async (res: Response, status: number, text: string) => {
      expect(res.status).toBe(status);
      const html = await res.text();
      expect(html).toContain('操作未执行');
      expect(html).toContain(text);
      expect(await footprint(code)).toEqual(before);
    };

    // Wrong role: unmerge is the admins'.
    await expectRefused(await act(a, code, { csrf: f.csrf, version: f.version, action: 'unmerge' }), 403, '仅限管理员操作');
    // No CSRF token, a forged one, a foreign origin.
    await expectRefused(await act(a, code, { version: f.version, action: 'respond', reply: '你好' }), 403, 'CSRF 校验失败');
    await expectRefused(await act(a, code, { csrf: 'x'.repeat(43), version: f.version, action: 'respond', reply: '你好' }), 403, 'CSRF 校验失败');
    await expectRefused(
      await act(a, code, { csrf: f.csrf, version: f.version, action: 'respond', reply: '你好' }, { origin: 'http://evil.example' }),
      403,
      'CSRF 校验失败',
    );
    // No session at all.
    const anon = await t.app.request(`/console/tickets/${code}/act`, formBody({ action: 'claim', version: f.version }));
    expect(anon.status).toBe(401);
    // Someone else's ticket: 乙 may not answer or resolve 甲's ticket (a note is fine).
    const fb = await ticketForm(b, code);
    await expectRefused(await act(b, code, { csrf: fb.csrf, version: fb.version, action: 'respond', reply: '我来回复' }), 403, '由 甲 负责');
    await expectRefused(await act(b, code, { csrf: fb.csrf, version: fb.version, action: 'claim' }), 409, '已被其他人认领');
    // Empty and over-long replies.
    await expectRefused(await act(a, code, { csrf: f.csrf, version: f.version, action: 'respond', reply: '   ' }), 400, '回复内容不能为空');
    await expectRefused(await act(a, code, { csrf: f.csrf, version: f.version, action: 'respond', reply: '长'.repeat(20_000) }), 400, '内容过长：20000 个字符');
    // Unknown action, missing version.
    await expectRefused(await act(a, code, { csrf: f.csrf, version: f.version, action: 'delete' }), 400, '未知操作');
    await expectRefused(await act(a, code, { csrf: f.csrf, action: 'respond', reply: '你好' }), 400, '缺少工单版本');

    // Two tabs drawn from the same version: the first answers, the second is refused and says why.
    const tab2 = await ticketForm(a, code);
    expect((await act(a, code, { csrf: f.csrf, version: f.version, action: 'respond', reply: '第一个标签页的回复' })).status).toBe(303);
    const after = await footprint(code);
    const stale = await act(a, code, { csrf: tab2.csrf, version: tab2.version, action: 'respond', reply: '第一个标签页的回复' });
    expect(stale.status).toBe(409);
    expect(await stale.text()).toContain('已有新的变化');
    // The double submit of the same form: same refusal.
    const twice = await act(a, code, { csrf: f.csrf, version: f.version, action: 'respond', reply: '第一个标签页的回复' });
    expect(twice.status).toBe(409);
    expect(await footprint(code)).toEqual(after);
    expect(after.messages).toBe(before.messages + 1);
  });

  it('reclassify, escalate and major on/off from the console change the ticket once each', async () => {
    const jar = await loginWithLink(t.app, await addUser(t.services, '戊', 'agent'));
    const code = await webTicket('想咨询一下企业版的价格');
    const step = async (data: Record<string, string>) => {
      const f = await ticketForm(jar, code);
      const res = await act(jar, code, { csrf: f.csrf, version: f.version, ...data });
      expect(res.status, JSON.stringify(data)).toBe(303);
      const [row] = await t.db.select().from(tickets).where(eq(tickets.code, code));
      return row;
    };
    expect((await step({ action: 'reclassify', category: 'suggestion' })).category).toBe('suggestion');
    expect((await step({ action: 'escalate', reply: '客户是大客户' })).escalated).toBe(true);
    let f = await ticketForm(jar, code);
    expect(f.html).toContain('标记为重大投诉');
    expect((await step({ action: 'major', major: '1', reply: '客户提到要找媒体' })).isMajor).toBe(true);
    f = await ticketForm(jar, code);
    expect(f.html).toContain('取消重大投诉标记');
    // The same category again is refused with the card's reason.
    const same = await act(jar, code, { csrf: f.csrf, version: f.version, action: 'reclassify', category: 'suggestion' });
    expect(same.status).toBe(409);
    expect(await same.text()).toContain('分类未变化');
    expect((await step({ action: 'major', major: '0' })).isMajor).toBe(false);
    const [row] = await t.db.select().from(tickets).where(eq(tickets.code, code));
    const types = (await t.db.select().from(ticketEvents).where(eq(ticketEvents.ticketId, row.id))).map((e) => e.type);
    expect(types.filter((x) => ['reclassified', 'escalated', 'major_flagged', 'major_cleared'].includes(x))).toEqual([
      'reclassified',
      'escalated',
      'major_flagged',
      'major_cleared',
    ]);
  });

  it('a lead may answer anyone’s ticket; an admin (token) may undo a merge', async () => {
    const agentJar = await loginWithLink(t.app, await addUser(t.services, '丙', 'agent'));
    const leadJar = await loginWithLink(t.app, await addUser(t.services, '丁', 'lead'));
    const code = await webTicket('退款没到账');
    const target = await webTicket('退款一直没到');
    let f = await ticketForm(agentJar, code);
    await act(agentJar, code, { csrf: f.csrf, version: f.version, action: 'claim' });
    f = await ticketForm(leadJar, code);
    expect((await act(leadJar, code, { csrf: f.csrf, version: f.version, action: 'respond', reply: '负责人来跟进' })).status).toBe(303);
    f = await ticketForm(agentJar, code);
    expect((await act(agentJar, code, { csrf: f.csrf, version: f.version, action: 'merge', into: target.toLowerCase() })).status).toBe(303);
    expect((await t.db.select().from(tickets).where(eq(tickets.code, code)))[0].closeReason).toBe('merged');
    f = await ticketForm(agentJar, code);
    expect(f.html).not.toContain('data-action="unmerge"');

    // The token admin.
    const admin = new Jar();
    const login = await r(admin, '/console/login');
    await r(admin, '/console/login', formBody({ csrf: csrfFrom(await login.text()), token: 'test-admin-token-0123456789', next: '/console/queues' }));
    f = await ticketForm(admin, code);
    expect(f.html).toContain('data-action="unmerge"');
    expect((await act(admin, code, { csrf: f.csrf, version: f.version, action: 'unmerge' })).status).toBe(303);
    const [row] = await t.db.select().from(tickets).where(eq(tickets.code, code));
    expect(row.status).toBe('responded');
  });
});

describe('queues: due soon and breached, by due time, with the viewer’s reminders', () => {
  let t: TestDesk;
  beforeAll(async () => {
    t = await createTestDesk({ config: { assignment: { mode: 'round_robin' } } });
  });
  afterAll(() => t?.close());

  it('orders 即将超时 / 已超时 by due time, counts them, and lists the SLA reminders of the viewer’s tickets', async () => {
    const jar = await loginWithLink(t.app, await addUser(t.services, '值班', 'agent'));
    const post = async (i: number, content: string, category: string) => {
      const res = await t.app.request('/api/feedback', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.7.0.${i}` },
        body: JSON.stringify({ contact: `q${i}@example.com`, content, category }),
      });
      return ((await res.json()) as { ticket: string }).ticket;
    };
    // A bug (2 h first response) at 10:00, a consultation (24 h) at 10:00, another bug at 10:30.
    const bug1 = await post(1, '支付页面报错 500', 'bug');
    const consult = await post(2, '请问怎么开发票', 'consultation');
    t.clock.advance(30);
    const bug2 = await post(3, '登录后闪退', 'bug');
    // 12:10: bug1 is 10 minutes late, bug2 is due at 12:30.
    t.clock.advance(100);
    await sweepDueTimers(t.desk.deps);
    const html = await (await req(t.app, jar, '/console/queues')).text();
    const due = html.slice(html.indexOf('即将超时 / 已超时（'), html.indexOf('id="q-reminders"'));
    expect(due).toContain('即将超时 / 已超时（2，按到期时间）');
    expect(due.indexOf(bug1)).toBeGreaterThan(0);
    expect(due.indexOf(bug2)).toBeGreaterThan(due.indexOf(bug1));
    expect(due).not.toContain(consult);
    expect(due).toContain('已超时');
    expect(due).toContain('即将超时');
    // Round-robin gave all three to the only local agent: they are 我的工单, and the reminders are theirs.
    const mine = html.slice(html.indexOf('我的工单（'), html.indexOf('即将超时 / 已超时（'));
    expect(mine).toContain('我的工单（3）');
    const reminders = html.slice(html.indexOf('id="q-reminders"'));
    expect(reminders).toContain(bug1);
    expect(reminders).toMatch(/已超时|即将超时提醒/);
  });
});

describe('local agents in the round-robin rotation', () => {
  let t: TestDesk;
  beforeAll(async () => {
    t = await createTestDesk({ config: { assignment: { mode: 'round_robin' } } });
  });
  afterAll(() => t?.close());

  it('new tickets go to the active local agents in turn; a disabled one leaves the rotation', async () => {
    await addUser(t.services, '一号', 'agent');
    await addUser(t.services, '二号', 'agent');
    const texts = ['', '发票抬头开错了', '会员自动续费了想退款', 'APP 登录后闪退', '快递一周还没到', '客服电话一直占线'];
    const post = async (i: number) => {
      const res = await t.app.request('/api/feedback', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.8.0.${i}` },
        body: JSON.stringify({ name: '客户', contact: `c${i}@example.com`, content: texts[i] }),
      });
      const code = ((await res.json()) as { ticket: string }).ticket;
      const [row] = await t.db.select({ name: agents.name }).from(tickets).leftJoin(agents, eq(agents.id, tickets.assigneeId)).where(eq(tickets.code, code));
      return row.name;
    };
    expect([await post(1), await post(2), await post(3)]).toEqual(['一号', '二号', '一号']);
    await cli(t.services, 'user', 'disable', '二号');
    expect([await post(4), await post(5)]).toEqual(['一号', '一号']);
  });
});

describe('a local account’s SLA reminder by e-mail (SMTP only, no chat platform)', () => {
  let t: TestDesk;
  let smtp: FakeSmtp;
  beforeAll(async () => {
    smtp = await startSmtp({ user: 'relay', pass: 'relay-pass' });
    t = await createTestDesk({
      config: { assignment: { mode: 'round_robin' } },
      env: { EMAIL_SMTP_URL: smtp.url, EMAIL_ADDRESS: 'service@example.test' },
      channels: [createWebChannel, createContactChannel],
    });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('mails the due-soon reminder to the local assignee once, outside the ticket’s own outbox lane', async () => {
    await addUser(t.services, '邮件客服', 'agent', 'agent-mail@example.test');
    const res = await t.app.request('/api/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.6.0.1' },
      body: JSON.stringify({ contact: 'cust@example.test', content: '支付页面报错 500', category: 'bug', consent: 'on' }),
    });
    const code = ((await res.json()) as { ticket: string }).ticket;
    // 2 h first response from 10:00: due soon before 12:00.
    t.clock.advance(100);
    await sweepDueTimers(t.desk.deps);
    await sweepDueTimers(t.desk.deps);
    await t.services.outbox.wake();
    const mail = await smtp.waitFor((m) => m.parsed.subject === `时限提醒 [${code}]`);
    expect(mail.to).toEqual(['agent-mail@example.test']);
    expect(mail.parsed.text).toContain(`http://loopdesk.test/console/tickets/${code}`);
    await t.services.outbox.wake();
    expect(smtp.sent.filter((m) => m.parsed.subject === `时限提醒 [${code}]`)).toHaveLength(1);
    const rows = await t.db.select().from(outbox).where(eq(outbox.kind, 'agents.mail'));
    expect(rows).toHaveLength(1);
    expect(rows[0].ticketId).toBeNull();
  });
});
