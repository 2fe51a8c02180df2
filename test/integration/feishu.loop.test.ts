import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { messages, ticketEvents } from '../../src/db/schema/index.ts';
import { AGENT_CHAT, buttons, startFeishuDesk, type FeishuDesk } from '../fakes/feishu/harness.ts';

const CUSTOMER = 'ou_customer_loop';
const AGENT = 'ou_agent_1';

describe.each(['webhook', 'ws'] as const)('Feishu loop over %s', (mode) => {
  let d: FeishuDesk;
  beforeAll(async () => {
    d = await startFeishuDesk({ mode });
  });
  afterAll(() => d?.close());

  async function newTicket(text: string, customer = CUSTOMER) {
    const ev = d.message({ openId: customer, chatId: `oc_p2p_${customer}`, text });
    const r = await d.send(ev);
    expect(r.status).toBe(200);
    await d.settle();
    const card = d.fake.messagesIn(AGENT_CHAT).at(-1)!;
    const code = buttons(card.content).claim.ticket as string;
    return { ev, card, code };
  }

  async function click(cardId: string, value: Record<string, unknown>, formValue?: Record<string, unknown>, openId = AGENT) {
    const r = await d.send(d.cardAction({ openId, value, formValue, messageId: cardId, chatId: AGENT_CHAT }));
    expect(r.status).toBe(200);
    return r.body;
  }

  it('customer message → card → claim → respond → resolve → survey → satisfied (closed)', async () => {
    const { card, code } = await newTicket('登录后 APP 闪退，报错 500');
    // The customer got the acknowledgement with code and promise, as a reply to their message.
    const ack = d.fake.messages.find((m) => m.parentId && JSON.stringify(m.content).includes(code))!;
    expect((ack.content as any).text).toContain('我们将在 2 小时内（工作时间 9:00–12:00、13:30–18:30）首次回复，最晚 ');
    expect(card.msgType).toBe('interactive');
    expect((card.content as any).schema).toBe('2.0');
    expect((card.content as any).config.update_multi).toBe(true);

    const claimed = await click(card.messageId, { action: 'claim', ticket: code });
    expect(claimed.toast.type).toBe('success');
    expect(claimed.card.type).toBe('raw');
    expect(buttons(claimed.card.data).claim).toBeUndefined();
    expect((await d.ticketByCode(code)).status).toBe('claimed');

    const again = await click(card.messageId, { action: 'claim', ticket: code });
    expect(again.toast.type).toBe('warning');
    expect(again.toast.content).toContain('已认领');

    const responded = await click(card.messageId, { action: 'respond', ticket: code }, { reply: '请更新到 3.2.1 版本再试', waitForCustomer: 'no' });
    expect(responded.toast.type).toBe('success');
    await d.settle();
    const reply = d.fake.messages.find((m) => JSON.stringify(m.content).includes('3.2.1'))!;
    expect(reply.chatId).toBe(`oc_p2p_${CUSTOMER}`);

    const resolved = await click(card.messageId, { action: 'resolve', ticket: code });
    expect(resolved.toast.type).toBe('success');
    await d.settle();
    const survey = d.fake.messages.filter((m) => m.receiveId === CUSTOMER && m.msgType === 'interactive').at(-1)!;
    expect(survey.receiveIdType).toBe('open_id');
    const b = buttons(survey.content);
    expect(b.csat_5).toEqual({ action: 'csat', ticket: code, score: 5 });

    const answer = await d.send(
      d.cardAction({ openId: CUSTOMER, value: b.csat_5, formValue: { comment: '很快' }, messageId: survey.messageId, chatId: `oc_p2p_${CUSTOMER}` }),
    );
    expect(answer.body.toast.type).toBe('success');
    expect(buttons(answer.body.card.data)).toEqual({});
    const row = await d.ticketByCode(code);
    expect(row.status).toBe('closed');
    expect(row.closeReason).toBe('satisfied');
    expect(row.csatComment).toBe('很快');

    await d.settle();
    // The agents' card follows (PATCH) and ends without buttons.
    const last = d.fake.contentOf(card.messageId);
    expect(buttons(last)).toEqual({});
    expect(JSON.stringify(last)).toContain('已归档');
  });

  it('unsatisfied answer reopens the ticket and tells the agents’ group', async () => {
    const customer = 'ou_customer_unhappy';
    const { card, code } = await newTicket('如何导出发票？', customer);
    await click(card.messageId, { action: 'respond', ticket: code }, { reply: '在账户页导出' });
    await click(card.messageId, { action: 'resolve', ticket: code });
    await d.settle();
    const survey = d.fake.messages.filter((m) => m.receiveId === customer && m.msgType === 'interactive').at(-1)!;
    const r = await d.send(
      d.cardAction({
        openId: customer,
        value: buttons(survey.content).csat_2,
        formValue: { comment: '没解决' },
        messageId: survey.messageId,
        chatId: `oc_p2p_${customer}`,
      }),
    );
    expect(r.body.toast.type).toBe('success');
    const row = await d.ticketByCode(code);
    expect(row.status).toBe('reopened');
    expect(row.reopenCount).toBe(1);
    await d.settle();
    const notice = d.fake.messagesIn(AGENT_CHAT).find((m) => JSON.stringify(m.content).includes('不满意') && JSON.stringify(m.content).includes(code))!;
    expect(JSON.stringify(notice.content)).toContain('<at id=all></at>');
    expect(buttons(d.fake.contentOf(card.messageId)).claim).toBeDefined();
    // Answering twice changes nothing.
    const twice = await d.send(
      d.cardAction({ openId: customer, value: buttons(survey.content).csat_5, messageId: survey.messageId, chatId: `oc_p2p_${customer}` }),
    );
    expect(twice.body.toast.type).toBe('warning');
    expect((await d.ticketByCode(code)).status).toBe('reopened');
  });

  it('agent @bot reply in the card thread reaches the customer; without @bot it stays an internal note', async () => {
    const customer = 'ou_customer_thread';
    const { card, code } = await newTicket('退款什么时候到账？', customer);
    const withBot = d.message({
      openId: AGENT,
      chatId: AGENT_CHAT,
      chatType: 'group',
      text: '@_user_1 已经为您加急处理',
      mentions: [{ openId: d.fake.botOpenId, name: 'Loopdesk', bot: true }],
      rootId: card.messageId,
      parentId: card.messageId,
    });
    expect((await d.send(withBot)).status).toBe(200);
    const note = d.message({
      openId: AGENT,
      chatId: AGENT_CHAT,
      chatType: 'group',
      text: '财务说周五到账，先别告诉客户',
      rootId: card.messageId,
      parentId: card.messageId,
    });
    expect((await d.send(note)).status).toBe(200);
    // Re-delivery of the thread reply changes nothing.
    expect((await d.send(withBot)).status).toBe(200);
    await d.settle();
    const toCustomer = d.fake.messages.filter((m) => m.chatId === `oc_p2p_${customer}` && JSON.stringify(m.content).includes('加急'));
    expect(toCustomer).toHaveLength(1);
    expect(d.fake.messages.some((m) => JSON.stringify(m.content).includes('周五到账'))).toBe(false);
    const row = await d.ticketByCode(code);
    const ms = await d.db.select().from(messages).where(eq(messages.ticketId, row.id));
    expect(ms.map((m) => [m.direction, m.body])).toEqual([
      ['in', '退款什么时候到账？'],
      ['out', '已经为您加急处理'],
      ['internal', '财务说周五到账，先别告诉客户'],
    ]);
    const ev = await d.db.select().from(ticketEvents).where(eq(ticketEvents.ticketId, row.id));
    expect(ev.filter((e) => e.type === 'responded')).toHaveLength(1);
  });
});
