import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count } from 'drizzle-orm';
import { inboundReceipts, outbox, ticketEvents, tickets } from '../../src/db/schema/index.ts';
import { AGENT_CHAT, buttons, startFeishuDesk, VERIFICATION_TOKEN, type FeishuDesk } from '../fakes/feishu/harness.ts';
import { encrypt } from '../../src/channels/feishu/verify.ts';
import { randomBytes } from 'node:crypto';

const AGENT = 'ou_agent_sec';

async function snapshot(d: FeishuDesk) {
  const [t] = await d.db.select({ n: count() }).from(tickets);
  const [e] = await d.db.select({ n: count() }).from(ticketEvents);
  const [o] = await d.db.select({ n: count() }).from(outbox);
  const [r] = await d.db.select({ n: count() }).from(inboundReceipts);
  return { tickets: t.n, events: e.n, outbox: o.n, receipts: r.n };
}

describe('Feishu webhook authentication', () => {
  let d: FeishuDesk;
  beforeAll(async () => {
    d = await startFeishuDesk({ mode: 'webhook' });
  });
  afterAll(() => d?.close());

  const event = () => d.message({ openId: 'ou_intruder_target', chatId: 'oc_p2p_x', text: '伪造的投诉' });

  it('answers the encrypted URL-verification challenge', async () => {
    const r = await d.post({ challenge: 'ch-123', token: VERIFICATION_TOKEN, type: 'url_verification' });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ challenge: 'ch-123' });
    const bad = await d.post({ challenge: 'ch-123', token: 'wrong', type: 'url_verification' });
    expect(bad.status).toBe(401);
  });

  it('refuses a wrong signature, a stale timestamp and a wrong token; nothing is stored', async () => {
    const before = await snapshot(d);
    expect((await d.post(event(), { signature: 'deadbeef'.repeat(8) })).status).toBe(401);
    const stale = Math.floor(d.clock.now().getTime() / 1000) - 6 * 60;
    expect((await d.post(event(), { timestamp: stale })).status).toBe(401);
    const wrongToken = event();
    wrongToken.header.token = 'not-our-token';
    expect((await d.post(wrongToken)).status).toBe(401);
    // Not encrypted with our key.
    const raw = JSON.stringify({ encrypt: encrypt(JSON.stringify(event()), 'some-other-key', randomBytes(16)) });
    const res = await d.app.request('/feishu/webhook', { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
    expect(res.status).toBe(401);
    const body = await d.app.request('/feishu/webhook', { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'not json' });
    expect(body.status).toBe(400);
    expect(await snapshot(d)).toEqual(before);
    // The same event, properly signed, is accepted: the refusals above were about authentication only.
    expect((await d.post(event())).status).toBe(200);
    expect((await snapshot(d)).tickets).toBe(before.tickets + 1);
  });
});

describe('Feishu webhook without an encrypt key (verification token only)', () => {
  let d: FeishuDesk;
  beforeAll(async () => {
    d = await startFeishuDesk({ mode: 'webhook', plain: true });
  });
  afterAll(() => d?.close());

  it('checks the token the SDK would not check', async () => {
    const ev = d.message({ openId: 'ou_plain', chatId: 'oc_p2p_plain', text: '你好，想咨询价格' });
    const forged = structuredClone(ev);
    forged.header.token = 'WRONG';
    expect((await d.post(forged)).status).toBe(401);
    expect(await d.db.select().from(tickets)).toHaveLength(0);
    expect((await d.post(ev)).status).toBe(200);
    expect(await d.db.select().from(tickets)).toHaveLength(1);
  });
});

describe.each(['webhook', 'ws'] as const)('Feishu card actions refused over %s', (mode) => {
  let d: FeishuDesk;
  let card: { messageId: string };
  let code: string;
  let other: { messageId: string; code: string };
  const customer = 'ou_owner';

  beforeAll(async () => {
    d = await startFeishuDesk({ mode, config: { roles: { agents: [{ platform: 'feishu', userId: AGENT }], leads: [], admins: [] } } });
    await d.send(d.message({ openId: customer, chatId: 'oc_p2p_owner', text: '账单金额不对' }));
    await d.send(d.message({ openId: 'ou_someone_else', chatId: 'oc_p2p_else', text: '另一个问题' }));
    await d.settle();
    const cards = d.fake.messagesIn(AGENT_CHAT);
    card = cards[0];
    code = buttons(cards[0].content).claim.ticket;
    other = { messageId: cards[1].messageId, code: buttons(cards[1].content).claim.ticket };
  });
  afterAll(() => d?.close());

  it('a non-agent clicking claim gets a toast and nothing changes', async () => {
    const before = await snapshot(d);
    const r = await d.send(
      d.cardAction({ openId: 'ou_not_an_agent', value: { action: 'claim', ticket: code }, messageId: card.messageId, chatId: AGENT_CHAT }),
    );
    expect(r.body.toast.type).toBe('error');
    expect(r.body.toast.content).toContain('客服');
    expect(r.body.card).toBeUndefined();
    const after = await snapshot(d);
    expect({ ...after, receipts: before.receipts }).toEqual(before);
    expect((await d.ticketByCode(code)).status).toBe('new');
  });

  it('a forged ticket value (another ticket on this card) is refused', async () => {
    const before = await snapshot(d);
    const r = await d.send(d.cardAction({ openId: AGENT, value: { action: 'claim', ticket: other.code }, messageId: card.messageId, chatId: AGENT_CHAT }));
    expect(r.body.toast.type).toBe('error');
    expect((await d.ticketByCode(other.code)).assigneeId).toBeNull();
    const junk = await d.send(
      d.cardAction({ openId: AGENT, value: { action: 'claim', ticket: "FB-1' or 1=1" }, messageId: card.messageId, chatId: AGENT_CHAT }),
    );
    expect(junk.body.toast.type).toBe('error');
    const after = await snapshot(d);
    expect({ ...after, receipts: before.receipts }).toEqual(before);
  });

  it('a stranger answering the survey gets a toast and nothing changes', async () => {
    await d.send(
      d.cardAction({
        openId: AGENT,
        value: { action: 'respond', ticket: code },
        formValue: { reply: '已为您核对账单' },
        messageId: card.messageId,
        chatId: AGENT_CHAT,
      }),
    );
    await d.send(d.cardAction({ openId: AGENT, value: { action: 'resolve', ticket: code }, messageId: card.messageId, chatId: AGENT_CHAT }));
    await d.settle();
    const survey = d.fake.messages.filter((m) => m.receiveId === customer && m.msgType === 'interactive').at(-1)!;
    const before = await snapshot(d);
    const r = await d.send(d.cardAction({ openId: 'ou_stranger', value: buttons(survey.content).csat_1, messageId: survey.messageId, chatId: 'oc_p2p_owner' }));
    expect(r.body.toast.type).toBe('error');
    expect(r.body.toast.content).toContain('只有提交该反馈的客户');
    const after = await snapshot(d);
    expect({ ...after, receipts: before.receipts }).toEqual(before);
    const row = await d.ticketByCode(code);
    expect(row.status).toBe('resolved');
    expect(row.csatScore).toBeNull();
  });
});

describe('Feishu roles when none are configured', () => {
  let d: FeishuDesk;
  beforeAll(async () => {
    d = await startFeishuDesk({ mode: 'webhook' });
  });
  afterAll(() => d?.close());

  it('anyone in the agents’ group may act; the same click from another chat is refused', async () => {
    await d.send(d.message({ openId: 'ou_c_roles', chatId: 'oc_p2p_roles', text: '无法登录' }));
    await d.settle();
    const card = d.fake.messagesIn(AGENT_CHAT)[0];
    const value = buttons(card.content).claim;
    const outside = await d.send(d.cardAction({ openId: 'ou_member', value, messageId: card.messageId, chatId: 'oc_some_other_group' }));
    expect(outside.body.toast.type).toBe('error');
    const inside = await d.send(d.cardAction({ openId: 'ou_member', value, messageId: card.messageId, chatId: AGENT_CHAT }));
    expect(inside.body.toast.type).toBe('success');
    expect((await d.ticketByCode(value.ticket)).status).toBe('claimed');
  });
});
