import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, sql } from 'drizzle-orm';
import { helpdeskChannel, type HelpdeskChannel } from '../../src/channels/feishu-helpdesk/index.ts';
import { messages, ticketEvents, tickets } from '../../src/db/schema/index.ts';
import { AGENT_CHAT, buttons, startFeishuDesk, type FeishuDesk } from '../fakes/feishu/harness.ts';
import { helpdeskMessageEvent, helpdeskTicketCreatedEvent, helpdeskTicketUpdatedEvent } from '../fakes/feishu/events.ts';
import { FAULTS, type FakeHelpdeskTicket } from '../fakes/feishu/server.ts';
import { dbKinds, type DbKind } from '../helpers/db.ts';

const HD = { id: '6939771743531696147', token: 'ht-fake-helpdesk-token' };
const AGENT = 'ou_agent_hd';
/** Whoever speaks for the helpdesk in its conversations (its bot, our relayed replies). */
const HELPDESK_BOT = 'ou_helpdesk_bot';

async function startHelpdeskDesk(mode: 'webhook' | 'ws', env: Record<string, string> = {}, kind: DbKind = 'pglite') {
  const d = await startFeishuDesk({
    mode,
    kind,
    helpdesk: HD,
    env: { FEISHU_HELPDESK_ID: HD.id, FEISHU_HELPDESK_TOKEN: HD.token, ...env },
    extraChannels: [helpdeskChannel({ sweepSeconds: 0, subscribeRetrySeconds: 3600 })],
  });
  const channel = d.services.channels.find((c) => c.name === 'helpdesk') as HelpdeskChannel;
  return { d, channel };
}

async function until(what: string, ok: () => boolean, ms = 3000) {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs the outbox, moving the fake clock past retry waits, until nothing is pending. */
async function drainAll(d: FeishuDesk, rounds = 30) {
  for (let i = 0; i < rounds; i++) {
    await d.settle();
    if ((await d.outboxRows()).every((r) => r.status !== 'pending')) return;
    d.clock.advance(1);
  }
  throw new Error('outbox still pending');
}

describe.each(['webhook', 'ws'] as const)('Feishu Helpdesk over %s', (mode) => {
  let d: FeishuDesk;
  let channel: HelpdeskChannel;
  beforeAll(async () => {
    ({ d, channel } = await startHelpdeskDesk(mode));
    await until('the helpdesk subscription', () => !!channel.health!().subscribedAt);
  });
  afterAll(() => d?.close());

  /** A customer opens a helpdesk ticket and writes; resolves to our ticket code and their ticket. */
  async function customerWrites(customer: string, text: string, hd?: FakeHelpdeskTicket) {
    const t = hd ?? d.fake.helpdesk.open(customer, '张三');
    if (!hd)
      expect(
        (await d.send(helpdeskTicketCreatedEvent(d.defaults, { ticketId: t.ticketId, chatId: t.chatId, guestOpenId: customer, guestName: '张三' }))).status,
      ).toBe(200);
    const m = d.fake.helpdesk.write(t.ticketId, 'guest', text);
    const ev = helpdeskMessageEvent(d.defaults, { ticketId: t.ticketId, chatId: t.chatId, senderOpenId: customer, text, messageId: m.messageId });
    expect((await d.send(ev)).status).toBe(200);
    await d.settle();
    return { hd: t, ev };
  }

  const appMessages = (t: FakeHelpdeskTicket) => t.messages.filter((m) => m.from === 'app').map((m) => m.text);
  const ticketOf = async (hdId: string) =>
    (await d.db.select().from(tickets).where(eq(tickets.channel, 'helpdesk'))).find((r) => (r.replyTo as any).helpdeskTicketId === hdId)!;
  const cardOf = (code: string) => d.fake.messagesIn(AGENT_CHAT).find((m) => buttons(m.content).claim?.ticket === code)!;
  const click = async (code: string, value: Record<string, unknown>, formValue?: Record<string, unknown>) => {
    const r = await d.send(
      d.cardAction({ openId: AGENT, value: { ...value, ticket: code }, formValue, messageId: cardOf(code).messageId, chatId: AGENT_CHAT }),
    );
    expect(r.body.toast.type).toBe('success');
    await d.settle();
  };

  it('subscribes to the ticket and ticket-message events at start, with the helpdesk credential', () => {
    expect(d.fake.helpdesk.subscriptions).toEqual([
      { type: 'helpdesk.ticket', subtype: 'ticket.created_v1' },
      { type: 'helpdesk.ticket', subtype: 'ticket.updated_v1' },
      { type: 'helpdesk.ticket_message', subtype: 'ticket_message.created_v1' },
    ]);
    const call = d.fake.helpdesk.calls({ method: 'POST' })[0];
    expect(call.path).toBe('/open-apis/helpdesk/v1/events/subscribe');
    expect(call.helpdeskAuth).toBe(`Bearer ${Buffer.from(`${HD.id}:${HD.token}`).toString('base64')}`);
    expect(call.auth).toMatch(/^Bearer t-fake-/);
    expect(channel.health!()).toMatchObject({ state: 'ready', eventsVia: `feishu ${mode}` });
  });

  it('helpdesk ticket → our ticket and card → respond → resolve → survey → "5" → both tickets closed', async () => {
    const customer = `ou_hd_customer_${mode}`;
    const { hd, ev } = await customerWrites(customer, '订单支付成功了但一直显示未支付，请尽快处理');
    const ours = await ticketOf(hd.ticketId);
    expect(ours).toMatchObject({ channel: 'helpdesk', status: 'new' });
    expect(ours.replyTo).toEqual({ helpdeskTicketId: hd.ticketId, guestOpenId: customer, chatId: hd.chatId });
    // The acknowledgement went into their ticket; the card into the agents' group.
    expect(appMessages(hd)).toHaveLength(1);
    expect(appMessages(hd)[0]).toContain(ours.code);
    expect(cardOf(ours.code)).toBeDefined();

    // A re-delivery changes nothing.
    const before = { tickets: (await d.db.select().from(tickets)).length, sent: hd.messages.length };
    expect((await d.send(ev)).status).toBe(200);
    await d.settle();
    expect((await d.db.select().from(tickets)).length).toBe(before.tickets);
    expect(hd.messages.length).toBe(before.sent);

    await click(ours.code, { action: 'respond' }, { reply: '已为您核实，款项 10 分钟内到账' });
    expect(appMessages(hd).at(-1)).toBe('已为您核实，款项 10 分钟内到账');
    const send = d.fake.helpdesk
      .calls({ method: 'POST' })
      .filter((c) => c.path.endsWith('/messages'))
      .at(-1)!;
    expect(send.path).toBe(`/open-apis/helpdesk/v1/tickets/${hd.ticketId}/messages`);
    expect(send.helpdeskAuth).toBe(`Bearer ${Buffer.from(`${HD.id}:${HD.token}`).toString('base64')}`);
    expect(send.body).toEqual({ msg_type: 'text', content: JSON.stringify({ text: '已为您核实，款项 10 分钟内到账' }) });

    // The helpdesk reports our own message back as a ticket message: not customer feedback.
    const mine = hd.messages.at(-1)!;
    await d.send(helpdeskMessageEvent(d.defaults, { ticketId: hd.ticketId, senderOpenId: HELPDESK_BOT, text: mine.text, messageId: mine.messageId }));
    // A helpdesk agent typing in their own console is not either.
    await d.send(helpdeskMessageEvent(d.defaults, { ticketId: hd.ticketId, senderOpenId: 'ou_helpdesk_agent', senderType: 2, text: '我来看一下' }));
    await d.settle();
    const inbound = await d.db
      .select()
      .from(messages)
      .where(and(eq(messages.ticketId, ours.id), eq(messages.direction, 'in')));
    expect(inbound.map((m) => m.body)).toEqual(['订单支付成功了但一直显示未支付，请尽快处理']);

    await click(ours.code, { action: 'resolve' });
    expect(appMessages(hd).at(-1)).toContain('直接回复数字 1–5');
    expect(hd).toMatchObject({ status: 5, solved: 2 });

    const five = d.fake.helpdesk.write(hd.ticketId, 'guest', '5');
    const answer = helpdeskMessageEvent(d.defaults, { ticketId: hd.ticketId, senderOpenId: customer, text: '5', messageId: five.messageId });
    expect((await d.send(answer)).status).toBe(200);
    const closed = await ticketOf(hd.ticketId);
    expect(closed).toMatchObject({ status: 'closed', closeReason: 'satisfied', csatScore: 5 });
    await d.settle();
    expect(appMessages(hd).at(-1)).toContain('感谢您的评价（5 分）');
    expect(hd).toMatchObject({ status: 51, solved: 2 });
    expect(hd.updates).toEqual([
      { status: 5, solved: 2 },
      { status: 51, solved: 2 },
    ]);
    // The agents' card followed to the end.
    expect(buttons(d.fake.contentOf(cardOf(ours.code).messageId))).toEqual({});

    // The answer re-delivered: nothing more is recorded or sent.
    const events = (await d.db.select().from(ticketEvents).where(eq(ticketEvents.ticketId, ours.id))).length;
    expect((await d.send(answer)).status).toBe(200);
    await d.settle();
    expect((await d.db.select().from(ticketEvents).where(eq(ticketEvents.ticketId, ours.id))).length).toBe(events);
    expect(hd.updates).toHaveLength(2);
  });

  it('an unsatisfied answer reopens ours and puts theirs back in progress', async () => {
    const customer = `ou_hd_unhappy_${mode}`;
    const { hd } = await customerWrites(customer, '退款申请提交一周了还没处理');
    const { code } = await ticketOf(hd.ticketId);
    await click(code, { action: 'respond' }, { reply: '已加急' });
    await click(code, { action: 'resolve' });
    const two = d.fake.helpdesk.write(hd.ticketId, 'guest', '2分');
    await d.send(helpdeskMessageEvent(d.defaults, { ticketId: hd.ticketId, senderOpenId: customer, text: '2分', messageId: two.messageId }));
    await d.settle();
    expect(await ticketOf(hd.ticketId)).toMatchObject({ status: 'reopened', csatScore: 2 });
    expect(hd).toMatchObject({ status: 2, solved: 1 });
    // A "3" while the ticket is being worked again is an ordinary message, not a second rating.
    const three = d.fake.helpdesk.write(hd.ticketId, 'guest', '3');
    await d.send(helpdeskMessageEvent(d.defaults, { ticketId: hd.ticketId, senderOpenId: customer, text: '3', messageId: three.messageId }));
    const ours = await ticketOf(hd.ticketId);
    const bodies = (
      await d.db
        .select()
        .from(messages)
        .where(and(eq(messages.ticketId, ours.id), eq(messages.direction, 'in')))
    ).map((m) => m.body);
    expect(bodies).toEqual(['退款申请提交一周了还没处理', '3']);
  });

  it('the helpdesk’s own rating answers a pending survey', async () => {
    const customer = `ou_hd_rated_${mode}`;
    const { hd } = await customerWrites(customer, '发票抬头开错了');
    const { code } = await ticketOf(hd.ticketId);
    await click(code, { action: 'respond' }, { reply: '已重开发票' });
    await click(code, { action: 'resolve' });
    await d.send(helpdeskTicketUpdatedEvent(d.defaults, { ticketId: hd.ticketId, guestOpenId: customer, status: 5, score: 4 }, { status: 5 }));
    expect(await ticketOf(hd.ticketId)).toMatchObject({ status: 'closed', closeReason: 'satisfied', csatScore: 4 });
  });

  it('a helpdesk ticket closed by the customer is recorded on ours and told to the agents, once', async () => {
    const customer = `ou_hd_leaver_${mode}`;
    const { hd } = await customerWrites(customer, '账号被锁定了，无法登录');
    const ours = await ticketOf(hd.ticketId);
    hd.status = 51;
    const closedEv = helpdeskTicketUpdatedEvent(
      d.defaults,
      { ticketId: hd.ticketId, guestOpenId: customer, status: 51 },
      { status: 1 },
      { closedByOpenId: customer },
    );
    expect((await d.send(closedEv)).status).toBe(200);
    expect((await d.send(closedEv)).status).toBe(200);
    await d.settle();
    const recorded = (await d.db.select().from(ticketEvents).where(eq(ticketEvents.ticketId, ours.id))).filter((e) => e.type === 'helpdesk_closed');
    expect(recorded).toHaveLength(1);
    expect(recorded[0].actor).toBe(`customer:${ours.customerId}`);
    expect(recorded[0].data).toMatchObject({ helpdeskTicketId: hd.ticketId, helpdeskStatus: 51, by: 'customer' });
    const notices = d.fake
      .messagesIn(AGENT_CHAT)
      .filter((m) => JSON.stringify(m.content).includes('客户已在飞书服务台关闭') && JSON.stringify(m.content).includes(ours.code));
    expect(notices).toHaveLength(1);
    // Our ticket stays in the agents' hands; later changes on our side leave theirs alone.
    expect((await ticketOf(hd.ticketId)).status).toBe('new');
    await click(ours.code, { action: 'respond' }, { reply: '已为您解锁' });
    await click(ours.code, { action: 'resolve' });
    await d.desk.closeUnrated(ours.id);
    await channel.syncStatuses();
    // Closed there: ours no longer drives theirs (no "waiting on user", no second close).
    expect(hd.updates).toEqual([]);
  });

  it('an unrated close (no message to the customer) reaches the helpdesk through the status sweep', async () => {
    const customer = `ou_hd_silent_${mode}`;
    const { hd } = await customerWrites(customer, '想咨询一下企业版的价格');
    const ours = await ticketOf(hd.ticketId);
    await click(ours.code, { action: 'respond' }, { reply: '企业版 99 元/人/年' });
    await click(ours.code, { action: 'resolve' });
    expect(hd.status).toBe(5);
    expect(await d.desk.closeUnrated(ours.id)).toBe(true);
    await d.settle();
    expect(hd.status).toBe(5);
    expect(await channel.syncStatuses()).toBeGreaterThanOrEqual(1);
    expect(hd).toMatchObject({ status: 51, solved: 2 });
    expect(await channel.syncStatuses()).toBe(0);
  });
});

describe('Feishu Helpdesk under faults and bad input', () => {
  let d: FeishuDesk;
  let channel: HelpdeskChannel;
  beforeAll(async () => {
    ({ d, channel } = await startHelpdeskDesk('webhook'));
    await until('the helpdesk subscription', () => !!channel.health!().subscribedAt);
  });
  afterAll(() => d?.close());

  it('a lost answer from the ticket-message API does not send the message twice', async () => {
    const customer = 'ou_hd_fault';
    const hd = d.fake.helpdesk.open(customer);
    // The fake makes the message, then answers 500: the retry must find it instead of sending it again.
    d.fake.fail({ method: 'POST', path: /^\/open-apis\/helpdesk\/v1\/tickets\/[^/]+\/messages$/, ...FAULTS.serverError(1, true) });
    const m = d.fake.helpdesk.write(hd.ticketId, 'guest', '物流三天没更新了');
    await d.send(helpdeskMessageEvent(d.defaults, { ticketId: hd.ticketId, senderOpenId: customer, text: '物流三天没更新了', messageId: m.messageId }));
    await drainAll(d);
    expect(hd.messages.filter((x) => x.from === 'app')).toHaveLength(1);
    const ack = (await d.outboxRows()).find((r) => r.kind === 'customer.text' && r.channel === 'helpdesk')!;
    expect(ack).toMatchObject({ status: 'sent', attempts: 2 });
    // The message came before ticket.created: the customer was found by looking the ticket up.
    expect(d.fake.helpdesk.calls({ method: 'GET' }).some((c) => c.path === `/open-apis/helpdesk/v1/tickets/${hd.ticketId}`)).toBe(true);
  });

  it('refuses a helpdesk event with a bad signature (the Feishu verify path); nothing is stored', async () => {
    const hd = d.fake.helpdesk.open('ou_hd_forged');
    const ev = helpdeskMessageEvent(d.defaults, { ticketId: hd.ticketId, senderOpenId: 'ou_hd_forged', text: '伪造的投诉' });
    const count = async () => (await d.db.select().from(tickets)).length;
    const before = await count();
    expect((await d.post(ev, { signature: 'deadbeef'.repeat(8) })).status).toBe(401);
    const wrongToken = structuredClone(ev);
    wrongToken.header.token = 'not-our-token';
    expect((await d.post(wrongToken)).status).toBe(401);
    expect(await count()).toBe(before);
    expect((await d.post(ev)).status).toBe(200);
    expect(await count()).toBe(before + 1);
  });

  it('a message for a helpdesk ticket we cannot resolve to a customer is dropped', async () => {
    const before = (await d.db.select().from(tickets)).length;
    const ev = helpdeskMessageEvent(d.defaults, { ticketId: '999', senderOpenId: 'ou_nobody', text: '你好' });
    expect((await d.post(ev)).status).toBe(200);
    expect((await d.db.select().from(tickets)).length).toBe(before);
    // Looked up once (refused: not a ticket of this helpdesk), and never written to.
    expect(
      d.fake.helpdesk
        .calls()
        .filter((c) => c.path.includes('/tickets/999'))
        .map((c) => c.method),
    ).toEqual(['GET']);
    expect(channel.health!().state).toBe('ready');
  });
});

describe('Feishu Helpdesk with wrong helpdesk credentials', () => {
  let d: FeishuDesk;
  let channel: HelpdeskChannel;
  beforeAll(async () => {
    ({ d, channel } = await startHelpdeskDesk('webhook', { FEISHU_HELPDESK_TOKEN: 'wrong-token' }));
    await until('the failed subscription', () => d.fake.helpdesk.calls().length > 0 && !!channel.health!().subscribeError);
  });
  afterAll(() => d?.close());

  it('reports the failed subscription in its health', async () => {
    expect(channel.health!()).toMatchObject({ state: 'error', subscribedAt: null });
    expect(String(channel.health!().subscribeError)).toContain('154001');
    expect(d.fake.helpdesk.subscriptions).toEqual([]);
    const services = await d.services.health();
    expect((services.channels as Record<string, { state: string }>).helpdesk.state).toBe('error');
  });
});

/**
 * Issue 17, defect 10: the helpdesk's survey answer and "closed on their side" record their receipt in the
 * transaction of the change. A crash inside the change (the event log refuses the write, and the dying process
 * cannot forget its receipt) must leave the re-push free to do it.
 */
describe.each(dbKinds)('Feishu Helpdesk receipts on %s', (kind) => {
  let d: FeishuDesk;
  beforeAll(async () => {
    ({ d } = await startHelpdeskDesk('webhook', {}, kind));
  });
  afterAll(() => d?.close());

  async function crashInsideChanges<T>(work: () => Promise<T>): Promise<T> {
    await d.db.execute(
      sql.raw(`create or replace function loopdesk_test_crash() returns trigger language plpgsql as $$ begin raise exception 'simulated crash'; end $$`),
    );
    await d.db.execute(sql.raw(`create trigger loopdesk_test_crash_events before insert on ticket_events for each row execute function loopdesk_test_crash()`));
    await d.db.execute(
      sql.raw(`create trigger loopdesk_test_crash_receipts before delete on inbound_receipts for each row execute function loopdesk_test_crash()`),
    );
    try {
      return await work();
    } finally {
      await d.db.execute(sql.raw(`drop trigger loopdesk_test_crash_events on ticket_events`));
      await d.db.execute(sql.raw(`drop trigger loopdesk_test_crash_receipts on inbound_receipts`));
    }
  }
  const ticketOf = async (hdId: string) =>
    (await d.db.select().from(tickets).where(eq(tickets.channel, 'helpdesk'))).find((r) => (r.replyTo as any).helpdeskTicketId === hdId)!;
  async function resolvedTicket(customer: string) {
    const hd = d.fake.helpdesk.open(customer, '李四');
    await d.send(helpdeskTicketCreatedEvent(d.defaults, { ticketId: hd.ticketId, chatId: hd.chatId, guestOpenId: customer, guestName: '李四' }));
    const text = '发票一直没有开出来';
    const m = d.fake.helpdesk.write(hd.ticketId, 'guest', text);
    await d.send(helpdeskMessageEvent(d.defaults, { ticketId: hd.ticketId, chatId: hd.chatId, senderOpenId: customer, text, messageId: m.messageId }));
    await d.settle();
    const ours = await ticketOf(hd.ticketId);
    await d.desk.act({
      ticket: ours.code,
      actor: { platform: 'feishu', userId: 'ou_hd_agent' },
      viaAgentGroup: true,
      action: 'respond',
      text: '已为您重开发票',
    });
    await d.desk.act({ ticket: ours.code, actor: { platform: 'feishu', userId: 'ou_hd_agent' }, viaAgentGroup: true, action: 'resolve' });
    await d.settle();
    return { hd, ours };
  }

  it('a survey answer that crashed is recorded by the re-push', async () => {
    const customer = `ou_hd_crash_survey_${kind}`;
    const { hd } = await resolvedTicket(customer);
    const five = d.fake.helpdesk.write(hd.ticketId, 'guest', '5');
    const answer = helpdeskMessageEvent(d.defaults, { ticketId: hd.ticketId, senderOpenId: customer, text: '5', messageId: five.messageId });
    await crashInsideChanges(() => d.send(answer));
    expect((await ticketOf(hd.ticketId)).status).toBe('resolved');
    expect((await d.send(answer)).status).toBe(200);
    expect(await ticketOf(hd.ticketId)).toMatchObject({ status: 'closed', closeReason: 'satisfied', csatScore: 5 });
  });

  it('a close on their side that crashed is recorded by the re-push, and told to the agents once', async () => {
    const customer = `ou_hd_crash_close_${kind}`;
    const { hd, ours } = await resolvedTicket(customer);
    const closedEv = helpdeskTicketUpdatedEvent(
      d.defaults,
      { ticketId: hd.ticketId, guestOpenId: customer, status: 51 },
      { status: 1 },
      { closedByOpenId: customer },
    );
    await crashInsideChanges(() => d.send(closedEv));
    const recorded = async () => (await d.db.select().from(ticketEvents).where(eq(ticketEvents.ticketId, ours.id))).filter((e) => e.type === 'helpdesk_closed');
    expect(await recorded()).toHaveLength(0);
    expect((await d.send(closedEv)).status).toBe(200);
    expect((await d.send(closedEv)).status).toBe(200);
    await d.settle();
    expect(await recorded()).toHaveLength(1);
    const notices = d.fake
      .messagesIn(AGENT_CHAT)
      .filter((m) => JSON.stringify(m.content).includes('客户已在飞书服务台关闭') && JSON.stringify(m.content).includes(ours.code));
    expect(notices).toHaveLength(1);
  });
});
