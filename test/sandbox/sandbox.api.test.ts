import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createWebChannel } from '../../src/channels/web/index.tsx';
import { tickets } from '../../src/db/schema/index.ts';
import { parseEnv } from '../../src/config.ts';
import { computeStats } from '../../src/reports/stats.ts';
import { statsDeps } from '../../src/reports/commands.ts';
import { writeLedgerCsv } from '../../src/reports/ledger.ts';
import { rangeOfDays } from '../../src/reports/range.ts';
import { createSandboxChannel, createSandboxDingTalkChannel, sandboxEnabled } from '../../src/sandbox/index.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDesk, TEST_ADMIN_TOKEN, type TestDesk } from '../helpers/services.ts';
import { seal, sessionKey, SESSION_COOKIE, tokenFingerprint } from '../../src/console/session.ts';
import { dbKinds } from '../helpers/db.ts';
import { createLogger } from '../../src/log.ts';

const LOCAL = { incoming: { socket: { remoteAddress: '127.0.0.1' } } };
const REMOTE = { incoming: { socket: { remoteAddress: '203.0.113.9' } } };
const id = () => randomUUID().replace(/-/g, '');

describe.each(dbKinds)('sandbox API on %s', (kind) => {
  let t: TestDesk;
  beforeAll(async () => {
    t = await createTestDesk({ kind, channels: [createWebChannel, createSandboxChannel, createSandboxDingTalkChannel] });
  });
  afterAll(() => t?.close());

  const post = (path: string, body: unknown, bindings: object = LOCAL) =>
    t.app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, bindings);
  async function settle() {
    for (let i = 0; i < 100; i++) if ((await t.services.outbox.wake()).claimed === 0) return;
    throw new Error('outbox did not settle');
  }
  async function state() {
    const r = await t.app.request('/sandbox/api/state', {}, LOCAL);
    return ((await r.json()) as { messages: Array<{ id: string; chatId: string; html: string }> }).messages;
  }

  it('a customer message enters through the Feishu inbound code, and the card comes back through the Feishu sender', async () => {
    const clientId = id();
    const r = await post('/sandbox/api/say', { as: 'wang', text: 'App 登录一直报错 500，急！', id: clientId });
    expect(r.status).toBe(200);
    // The same submit again (double click, re-send): the inbound receipts drop it.
    expect((await post('/sandbox/api/say', { as: 'wang', text: 'App 登录一直报错 500，急！', id: clientId })).status).toBe(200);
    await settle();
    const all = await t.db.select().from(tickets);
    expect(all).toHaveLength(1);
    expect(all[0].isSandbox).toBe(true);
    expect(all[0].channel).toBe('feishu');
    const msgs = await state();
    const card = msgs.find((m) => m.chatId === 'oc_sandbox_agents' && m.html.includes('认领'))!;
    expect(card.html).toContain(all[0].code);
    // The acknowledgement reached the customer's chat.
    expect(msgs.some((m) => m.chatId === 'oc_sandbox_p2p_wang' && m.html.includes(all[0].code))).toBe(true);

    const claim = await post('/sandbox/api/click', { as: 'zhang', message: card.id, value: { action: 'claim', ticket: all[0].code }, id: id() });
    expect(((await claim.json()) as { toast: { type: string } }).toast.type).toBe('success');
    const [after] = await t.db.select().from(tickets).where(eq(tickets.id, all[0].id));
    expect(after.status).toBe('claimed');
  });

  it('DingTalk: a robot message through the DingTalk inbound code, the template card back through the DingTalk sender', async () => {
    const r = await post('/sandbox/api/say', { platform: 'dingtalk', as: 'li', text: '发票开错了，抬头不对', id: id() });
    expect(r.status).toBe(200);
    await settle();
    const [ticket] = await t.db.select().from(tickets).where(eq(tickets.channel, 'dingtalk'));
    expect(ticket.isSandbox).toBe(true);
    const msgs = await state();
    const card = msgs.find((m) => m.chatId === 'cid_sandbox_agents' && m.html.includes(ticket.code))!;
    expect(card.html).toContain('认领');
    const claim = await post('/sandbox/api/click', {
      platform: 'dingtalk',
      as: 'chen',
      message: card.id,
      value: { action: 'claim', ticket: ticket.code },
      id: id(),
    });
    expect(((await claim.json()) as { toast: { type: string } }).toast.type).toBe('success');
    const [after] = await t.db.select().from(tickets).where(eq(tickets.id, ticket.id));
    expect(after.status).toBe('claimed');
    await settle();
    // The card was updated in place (PUT /v1.0/card/instances): the claim button is gone, the assignee is named.
    const updated = (await state()).find((m) => m.id === card.id)!;
    expect(updated.html).toContain('陈主管');
    expect(updated.html).not.toContain('>认领<');
  });

  it('refuses bad input with a clear message and changes nothing', async () => {
    const before = (await t.db.select().from(tickets)).length;
    const empty = await post('/sandbox/api/say', { as: 'wang', text: '   ', id: id() });
    expect(empty.status).toBe(400);
    expect(JSON.stringify(await empty.json())).toContain('消息不能为空');
    expect((await post('/sandbox/api/say', { as: 'nobody', text: '你好', id: id() })).status).toBe(400);
    const cards = await post('/sandbox/api/dingtalk-cards', { cards: 'pictures' });
    expect(cards.status).toBe(400);
    expect(JSON.stringify(await cards.json())).toContain('钉钉卡片方式');
    const notJson = await t.app.request('/sandbox/api/say', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'as=wang' }, LOCAL);
    expect(notJson.status).toBe(415);
    // A customer cannot click a card in the agents' group.
    const card = (await state()).find((m) => m.chatId === 'oc_sandbox_agents')!;
    expect(
      (await post('/sandbox/api/click', { as: 'wang', message: card.id, value: { action: 'resolve', ticket: 'FB-20260302-0001' }, id: id() })).status,
    ).toBe(404);
    expect((await t.db.select().from(tickets)).length).toBe(before);
  });

  it('keeps sandbox tickets out of the ledger and every figure, while a real ticket of the same day counts', async () => {
    const web = await t.app.request('/api/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.0.0.7' },
      body: JSON.stringify({ name: '赵', contact: 'zhao@example.com', content: '网页上的真实投诉：发票开错了' }),
    });
    expect(web.status).toBeLessThan(300);
    const all = await t.db.select().from(tickets);
    expect(all.filter((x) => x.isSandbox)).toHaveLength(2);
    expect(all.filter((x) => !x.isSandbox)).toHaveLength(1);
    const range = rangeOfDays('2026-03-02', '2026-03-02', 'Asia/Shanghai');
    const stats = await computeStats(statsDeps(t.services), range);
    expect(stats.metrics.received).toBe(1);
    expect(stats.backlogNow.open).toBe(1);
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-ledger-'));
    try {
      const summary = await writeLedgerCsv(statsDeps(t.services), range, join(dir, 'l.csv'));
      expect(summary.rows).toBe(1);
      const csv = readFileSync(join(dir, 'l.csv'), 'utf8');
      expect(csv).toContain(all.find((x) => !x.isSandbox)!.code);
      expect(csv).not.toContain(all.find((x) => x.isSandbox)!.code);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // The console still lists them (so they can be worked), marked 沙盒.
    const now = Math.floor(t.clock.now().getTime() / 1000);
    const session = seal(sessionKey(t.services.env)!, {
      v: 1,
      method: 'token',
      userId: 'admin',
      name: '管理员',
      tk: tokenFingerprint(TEST_ADMIN_TOKEN),
      iat: now,
      exp: now + 3600,
    });
    const list = await (await t.app.request('/console/tickets', { headers: { cookie: `${SESSION_COOKIE}=${session}` } })).text();
    expect(list).toContain(all.find((x) => x.isSandbox)!.code);
    expect(list).toContain(' 沙盒');
    const reply = await t.services.runCommand({
      text: '/stats today',
      actor: { platform: 'feishu', userId: 'ou_sandbox_agent_zhang' },
      viaAgentGroup: true,
      surface: 'feishu',
    });
    expect(reply.kind === 'card' && reply.text).toContain('收到工单：1');
  });

  it('is refused from another machine without an admin session, and through a proxy', async () => {
    expect((await t.app.request('/sandbox', {}, REMOTE)).status).toBe(403);
    expect((await post('/sandbox/api/say', { as: 'wang', text: '你好', id: id() }, REMOTE)).status).toBe(403);
    expect((await t.app.request('/sandbox', { headers: { 'x-forwarded-for': '203.0.113.9' } }, LOCAL)).status).toBe(403);
    expect((await t.app.request('/sandbox')).status).toBe(403);
    expect((await t.app.request('/sandbox', {}, LOCAL)).status).toBe(200);
  });

  it('is open from another machine to a console admin (token session), not to a forged or expired cookie', async () => {
    const key = sessionKey(t.services.env)!;
    const now = Math.floor(t.clock.now().getTime() / 1000);
    const cookie = (payload: object, k = key) => ({ cookie: `${SESSION_COOKIE}=${seal(k, payload)}` });
    const admin = { v: 1, method: 'token', userId: 'admin', name: '管理员', tk: tokenFingerprint(TEST_ADMIN_TOKEN), iat: now, exp: now + 3600 };
    expect((await t.app.request('/sandbox', { headers: cookie(admin) }, REMOTE)).status).toBe(200);
    expect((await t.app.request('/sandbox', { headers: cookie({ ...admin, exp: now - 1 }) }, REMOTE)).status).toBe(403);
    expect((await t.app.request('/sandbox', { headers: cookie(admin, Buffer.alloc(32, 7)) }, REMOTE)).status).toBe(403);
    // A signed-in agent (not an admin) is refused.
    expect((await t.app.request('/sandbox', { headers: cookie({ ...admin, method: 'feishu', userId: 'ou_someone', tk: undefined }) }, REMOTE)).status).toBe(
      403,
    );
  });
});

describe('when the sandbox is on', () => {
  it('is on for a fresh deployment, off once a platform is configured, and SANDBOX decides when set', () => {
    expect(sandboxEnabled(parseEnv({}))).toBe(true);
    expect(sandboxEnabled(parseEnv({ FEISHU_APP_ID: 'cli_x', FEISHU_APP_SECRET: 's' }))).toBe(false);
    expect(sandboxEnabled(parseEnv({ DINGTALK_CLIENT_ID: 'x' }))).toBe(false);
    expect(sandboxEnabled(parseEnv({ DINGTALK_CLIENT_ID: 'x', SANDBOX: 'on' }))).toBe(true);
    expect(sandboxEnabled(parseEnv({ SANDBOX: 'off' }))).toBe(false);
    expect(() => parseEnv({ SANDBOX: 'maybe' })).toThrow();
  });

  it('has no route when off: a configured platform without SANDBOX=on', async () => {
    const t = await createTestDesk({ env: { WECOM_CORP_ID: 'wx' }, channels: [createWebChannel, createSandboxChannel, createSandboxDingTalkChannel] });
    try {
      expect((await t.app.request('/sandbox', {}, LOCAL)).status).toBe(404);
    } finally {
      await t.close();
    }
  });

  it('beside a real Feishu app (SANDBOX=on) it does not take the name feishu, and says why', async () => {
    const t = await createTestDesk({
      env: { FEISHU_APP_ID: 'cli_real', FEISHU_APP_SECRET: 's', SANDBOX: 'on' },
      channels: [createWebChannel, createSandboxChannel, createSandboxDingTalkChannel],
    });
    try {
      expect(t.services.channels.map((c) => c.name)).toEqual(['web', 'sandbox', 'dingtalk']);
      expect(await (await t.app.request('/sandbox', {}, LOCAL)).text()).toContain('已配置真实的飞书应用');
      const r = await t.app.request(
        '/sandbox/api/say',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ as: 'wang', text: '你好', id: id() }) },
        LOCAL,
      );
      expect(r.status).toBe(409);
    } finally {
      await t.close();
    }
  });
});

describe('the sandbox in the request log', () => {
  it('logs the page and refused requests, not its successful polls (the terminal of npm start keeps the sandbox URL in view)', async () => {
    const lines: string[] = [];
    const t = await createTestDesk({ channels: [createWebChannel, createSandboxChannel], log: createLogger('info', {}, (l) => lines.push(l)) });
    try {
      expect((await t.app.request('/sandbox', {}, LOCAL)).status).toBe(200);
      for (let i = 0; i < 3; i++) expect((await t.app.request('/sandbox/api/state?rev=-1', {}, LOCAL)).status).toBe(200);
      expect((await t.app.request('/sandbox/api/state', {}, REMOTE)).status).toBe(403);
      const logged = lines.map((l) => JSON.parse(l) as { msg: string; path?: string; status?: number });
      const paths = logged.filter((l) => l.msg === 'request').map((l) => `${l.path} ${l.status}`);
      expect(paths).toEqual(['/sandbox 200', '/sandbox/api/state 403']);
    } finally {
      await t.close();
    }
  });
});
