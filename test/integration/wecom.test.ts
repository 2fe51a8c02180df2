import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createWecomChannel, type WecomChannel } from '../../src/channels/wecom/index.ts';
import { createWecomCrypto, msgSignature } from '../../src/channels/wecom/crypto.ts';
import type { OutboxRow } from '../../src/channels/types.ts';
import { createWebChannel } from '../../src/channels/web/index.tsx';
import { customers, inboundReceipts, outbox, tickets } from '../../src/db/schema/index.ts';
import { silentLogger } from '../../src/log.ts';
import { createServices, type ChannelFactory } from '../../src/services.ts';
import { startWecomFake, type WecomFake } from '../fakes/wecom/server.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';
import { dbKinds } from '../helpers/db.ts';

const CORP = 'ww0123456789abcdef';
const TOKEN = 'callbackToken123';
const AES = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const KF = 'wkAAAA0000';
const agent = { platform: 'feishu', userId: 'ou_agent' };

function agentsGroup() {
  const delivered: OutboxRow[] = [];
  const factory: ChannelFactory = () => ({ name: 'feishu', agentSurface: true, sender: { name: 'feishu', deliver: async (row) => void delivered.push(row) } });
  return { factory, texts: () => delivered.filter((r) => r.kind === 'agents.text').map((r) => String(r.payload.text)) };
}

describe('WXBizMsgCrypt', () => {
  it('round-trips, and refuses another corp id or a wrong key', () => {
    const c = createWecomCrypto(TOKEN, AES, CORP);
    const enc = c.encrypt('<xml>你好</xml>');
    expect(c.decrypt(enc)).toBe('<xml>你好</xml>');
    expect(() => createWecomCrypto(TOKEN, AES, 'wwother').decrypt(enc)).toThrow(/receiveId/);
    expect(() => createWecomCrypto(TOKEN, 'ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210abcdefg', CORP).decrypt(enc)).toThrow();
    expect(msgSignature('b', 'c', 'a', 'd')).toBe(msgSignature('a', 'b', 'c', 'd'));
  });
});

describe.each(dbKinds)('WeChat customer service on %s', (kind) => {
  let t: TestDesk;
  let fake: WecomFake;
  let wecom: WecomChannel;
  const group = agentsGroup();
  const post = (cb: { path: string; body: string }) => t.app.request(cb.path, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: cb.body });
  const say = async (user: string, text: string, extra: { menuId?: string } = {}) => {
    const res = await post(fake.customerSays(KF, user, text, extra));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('success');
    await wecom.settled();
    await t.services.outbox.wake();
  };
  const ticketsOf = async (user: string) =>
    (await t.db.select({ t: tickets }).from(tickets).innerJoin(customers, eq(customers.id, tickets.customerId)).where(eq(customers.externalId, user))).map(
      (r) => r.t,
    );

  beforeAll(async () => {
    let now = () => new Date('2026-03-02T02:00:00Z');
    fake = await startWecomFake({ corpId: CORP, secret: 'kf-secret', token: TOKEN, aesKey: AES, now: () => now(), pageSize: 2 });
    t = await createTestDesk({
      kind,
      channels: [createWebChannel, createWecomChannel, group.factory],
      env: { WECOM_CORP_ID: CORP, WECOM_SECRET: 'kf-secret', WECOM_TOKEN: TOKEN, WECOM_AES_KEY: AES, WECOM_API_BASE: fake.base },
    });
    now = () => t.clock.now();
    wecom = t.services.channels.find((c) => c.name === 'wecom') as WecomChannel;
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  it('answers the URL verification with the decrypted echostr', async () => {
    const res = await t.app.request(fake.verification('echo-12345'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('echo-12345');
    const bad = await t.app.request(fake.verification('echo-12345').replace(/msg_signature=[0-9a-f]+/, 'msg_signature=0000'));
    expect(bad.status).toBe(401);
  });

  it('pulls the message after the callback, makes a ticket and acknowledges with send_msg', async () => {
    await say('wmCustomer1', '我要投诉，订单一直没有发货');
    const [ticket] = await ticketsOf('wmCustomer1');
    expect(ticket).toMatchObject({ channel: 'wecom', category: 'complaint' });
    expect(ticket.replyTo).toEqual({ openKfId: KF, externalUserId: 'wmCustomer1' });
    const ack = fake.sent.find((m) => m.touser === 'wmCustomer1')!;
    expect(ack).toMatchObject({ open_kfid: KF, msgtype: 'text' });
    expect((ack.text as { content: string }).content).toContain(ticket.code);
    expect(ack.msgid).toMatch(/^[0-9a-f]{32}$/);
    // The callback's token went along with the pull.
    expect(fake.syncRequests.at(-1)!.token).toMatch(/^cbtoken-/);
  });

  it('refuses a forged signature, a foreign corp id and a stale timestamp, and pulls nothing', async () => {
    const before = fake.syncRequests.length;
    for (const tamper of ['signature', 'receiveId', 'stale'] as const) {
      const res = await post(fake.callback(KF, tamper));
      expect(res.status).toBe(401);
    }
    await wecom.settled();
    expect(fake.syncRequests.length).toBe(before);
  });

  it('sends the survey as a menu; the customer clicks a score and the ticket closes', async () => {
    const [ticket] = await ticketsOf('wmCustomer1');
    await t.desk.act({ ticket: ticket.code, actor: agent, viaAgentGroup: true, action: 'respond', text: '已为您加急发货。' });
    await t.desk.act({ ticket: ticket.code, actor: agent, viaAgentGroup: true, action: 'resolve' });
    await t.services.outbox.wake();
    const menu = fake.sent.find((m) => m.msgtype === 'msgmenu')!;
    const items = (menu.msgmenu as { list: Array<{ click: { id: string; content: string } }> }).list;
    expect(items.map((i) => i.click.id)).toEqual([5, 4, 3, 2, 1].map((n) => `csat:${ticket.code}:${n}`));
    await say('wmCustomer1', items[0].click.content, { menuId: items[0].click.id });
    const [closed] = await ticketsOf('wmCustomer1');
    expect(closed).toMatchObject({ status: 'closed', closeReason: 'satisfied', csatScore: 5 });
  });

  it('keeps to the 5-message window and says so to the agents when a reply can no longer be sent', async () => {
    await say('wmCustomer2', '怎么修改收货地址？');
    const [ticket] = await ticketsOf('wmCustomer2');
    for (let i = 1; i <= 5; i++) await t.desk.act({ ticket: ticket.code, actor: agent, viaAgentGroup: true, action: 'respond', text: `第 ${i} 条回复` });
    await t.services.outbox.wake();
    expect(fake.sent.filter((m) => m.touser === 'wmCustomer2')).toHaveLength(5); // ack + 4 replies
    const rows = await t.db.select().from(outbox).where(eq(outbox.ticketId, ticket.id));
    const dead = rows.filter((r) => r.kind === 'customer.text' && r.status === 'dead');
    expect(dead).toHaveLength(1);
    expect(dead[0].lastError).toContain('上限 5 条');
    expect(group.texts().some((x) => x.includes(ticket.code) && x.includes('无法送达'))).toBe(true);
    // The customer writes again: the window opens again.
    await say('wmCustomer2', '好的，还有一个问题');
    await t.desk.act({ ticket: ticket.code, actor: agent, viaAgentGroup: true, action: 'respond', text: '请讲' });
    await t.services.outbox.wake();
    expect(fake.sent.at(-1)).toMatchObject({ touser: 'wmCustomer2', text: { content: '请讲' } });
  });

  it('does not send after 48 hours of silence from the customer', async () => {
    await say('wmCustomer3', '页面打不开');
    const [ticket] = await ticketsOf('wmCustomer3');
    t.clock.advance(49 * 60);
    await t.desk.act({ ticket: ticket.code, actor: agent, viaAgentGroup: true, action: 'respond', text: '请再试一次' });
    await t.services.outbox.wake();
    const rows = await t.db.select().from(outbox).where(eq(outbox.ticketId, ticket.id));
    expect(rows.find((r) => r.payload.purpose === 'reply')).toMatchObject({ status: 'dead' });
    expect(rows.find((r) => r.payload.purpose === 'reply')!.lastError).toContain('48 小时');
    expect(fake.sent.some((m) => (m.text as { content?: string } | undefined)?.content === '请再试一次')).toBe(false);
  });

  it('keeps the cursor across a restart: nothing lost, nothing repeated', async () => {
    const receipts = async () => (await t.db.select().from(inboundReceipts).where(eq(inboundReceipts.source, 'wecom'))).length;
    const before = await receipts();
    await t.services.stop();
    // Messages arrive while we are down (no callback reaches us).
    fake.customerSays(KF, 'wmCustomer4', '你好，在吗？');
    fake.customerSays(KF, 'wmCustomer5', '退款什么时候到账？');
    fake.customerSays(KF, 'wmCustomer6', '建议增加夜间模式');
    const lastCursor = fake.syncRequests.at(-1)!;
    const again = createServices({
      env: t.services.env,
      config: t.services.config,
      database: t.database,
      clock: t.clock,
      log: silentLogger,
      channels: [createWecomChannel],
    });
    const fresh = again.channels[0] as WecomChannel;
    try {
      await fresh.start!();
      await fresh.settled();
      const resumed = fake.syncRequests.slice(fake.syncRequests.indexOf(lastCursor) + 1);
      // It resumed from the stored cursor, paging through the three new messages only.
      expect(resumed[0].cursor).toMatch(/^cur-[1-9]\d*$/);
      expect(resumed[0].token).toBeUndefined();
      expect(await receipts()).toBe(before + 3);
      expect(await fresh.sync(KF)).toBe(0);
      expect(await receipts()).toBe(before + 3);
      for (const u of ['wmCustomer4', 'wmCustomer5', 'wmCustomer6']) expect(await ticketsOf(u)).toHaveLength(1);
    } finally {
      await again.stop();
    }
  });
});
