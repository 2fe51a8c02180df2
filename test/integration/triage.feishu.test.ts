import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { incidents, tickets } from '../../src/db/schema/index.ts';
import { AGENT_CHAT, buttons, startFeishuDesk, type FeishuDesk } from '../fakes/feishu/harness.ts';

const AGENT = 'ou_agent_1';
const ADMIN = 'ou_admin_1';
const config = {
  roles: { agents: [{ platform: 'feishu', userId: AGENT }], leads: [], admins: [{ platform: 'feishu', userId: ADMIN }] },
  canned: [{ id: 'restored', title: '故障已恢复', text: '{客户}您好，工单 {工单号} 的问题已修复，请重试。', category: 'bug' }],
};
const text = (m: { content: unknown }) => JSON.stringify(m.content);

describe('triage through the fake Feishu (webhook)', () => {
  let d: FeishuDesk;
  beforeAll(async () => {
    d = await startFeishuDesk({ mode: 'webhook', config });
  });
  afterAll(() => d?.close());

  async function write(customer: string, body: string) {
    expect((await d.send(d.message({ openId: customer, chatId: `oc_p2p_${customer}`, text: body }))).status).toBe(200);
    await d.settle();
  }
  const lastCard = () =>
    d.fake
      .messagesIn(AGENT_CHAT)
      .filter((m) => m.msgType === 'interactive')
      .at(-1)!;
  async function click(messageId: string, value: Record<string, unknown>, formValue?: Record<string, unknown>, openId = AGENT) {
    const r = await d.send(d.cardAction({ openId, value, formValue, messageId, chatId: AGENT_CHAT }));
    expect(r.status).toBe(200);
    await d.settle();
    return r.body;
  }
  const toCustomer = (customer: string) => d.fake.messages.filter((m) => m.chatId === `oc_p2p_${customer}` || m.receiveId === customer);

  it('a duplicate card offers the merge; merging tells the customer, who then hears the replies and answers the surviving ticket’s survey', async () => {
    await write('ou_alice', '登录页面白屏，打不开');
    const aliceCard = lastCard();
    const alice = buttons(aliceCard.content).claim.ticket as string;
    await write('ou_bob', '登录页面白屏，进不去');
    const bobCard = lastCard();
    const b = buttons(bobCard.content);
    const bob = b.claim.ticket as string;
    // The card says why it was classified so, and offers the merge into Alice's ticket.
    expect(text(bobCard)).toContain('分类依据');
    expect(text(bobCard)).toContain('可能重复');
    expect(b.merge_0).toEqual({ action: 'merge', ticket: bob, into: alice });

    const merged = await click(bobCard.messageId, b.merge_0);
    expect(merged.toast.type).toBe('success');
    expect(buttons(merged.card.data)).toEqual({});
    expect(JSON.stringify(merged.card.data)).toContain(`已合并到 ${alice}`);
    expect((await d.ticketByCode(bob)).closeReason).toBe('merged');
    expect(toCustomer('ou_bob').some((m) => text(m).includes(alice) && text(m).includes('合并'))).toBe(true);
    // Alice's card follows: the merged ticket's event is on its log, the card is patched.
    expect(d.fake.contentOf(aliceCard.messageId)).toBeDefined();

    // The canned reply (placeholders filled for Alice's ticket) reaches Alice, and Bob as a forwarded reply.
    const form = buttons(d.fake.contentOf(aliceCard.messageId));
    expect(JSON.stringify(d.fake.contentOf(aliceCard.messageId))).toContain('故障已恢复');
    expect((await click(aliceCard.messageId, form.respond, { reply: '', canned: 'restored', waitForCustomer: 'no' })).toast.type).toBe('success');
    expect(toCustomer('ou_alice').some((m) => text(m).includes(`工单 ${alice} 的问题已修复`))).toBe(true);
    expect(toCustomer('ou_bob').some((m) => text(m).includes(`（工单 ${alice}）`))).toBe(true);

    await click(aliceCard.messageId, { action: 'resolve', ticket: alice });
    const survey = toCustomer('ou_bob')
      .filter((m) => m.msgType === 'interactive')
      .at(-1)!;
    const s = buttons(survey.content);
    expect(s.csat_5).toEqual({ action: 'csat', ticket: bob, score: 5 });
    const answer = await d.send(
      d.cardAction({ openId: 'ou_bob', value: s.csat_4, formValue: { comment: '恢复了' }, messageId: survey.messageId, chatId: 'oc_p2p_ou_bob' }),
    );
    expect(answer.body.toast.type).toBe('success');
    expect(await d.ticketByCode(bob)).toMatchObject({ status: 'closed', closeReason: 'merged', csatScore: 4, csatComment: '恢复了' });
    expect((await d.ticketByCode(alice)).status).toBe('resolved');

    // Only an admin undoes a merge.
    const refused = d.message({ openId: AGENT, chatId: AGENT_CHAT, chatType: 'group', text: `/unmerge ${bob}` });
    await d.send(refused);
    await d.settle();
    expect((await d.ticketByCode(bob)).closeReason).toBe('merged');
    await d.send(d.message({ openId: ADMIN, chatId: AGENT_CHAT, chatType: 'group', text: `/unmerge ${bob}` }));
    await d.settle();
    expect(await d.ticketByCode(bob)).toMatchObject({ status: 'new', closeReason: null });
  });

  it('the major flag shows on the card and can be cleared and set from it', async () => {
    await write('ou_carol', '你们再不处理我就去12315投诉');
    const card = lastCard();
    expect(text(card)).toContain('重大投诉');
    const b = buttons(card.content);
    expect(b.major).toMatchObject({ action: 'major', major: false });
    const leadsPaged = d.fake.messagesIn(AGENT_CHAT).some((m) => text(m).includes('‼️ 重大投诉'));
    expect(leadsPaged).toBe(true);
    const cleared = await click(card.messageId, b.major);
    expect(cleared.toast.type).toBe('success');
    expect(buttons(cleared.card.data).major).toMatchObject({ major: true });
    expect((await d.ticketByCode(b.claim.ticket)).isMajor).toBe(false);
  });

  it('a burst gets one incident card; reply-all reaches every customer, each on their own ticket', async () => {
    const before = d.fake.messagesIn(AGENT_CHAT).length;
    const people = ['ou_p1', 'ou_p2', 'ou_p3', 'ou_p4', 'ou_p5', 'ou_p6'];
    for (const [i, p] of people.entries())
      await write(
        p,
        [
          '支付失败，提示系统繁忙',
          '支付失败了，系统繁忙',
          '付款提示系统繁忙，支付失败',
          '支付失败 系统繁忙',
          '系统繁忙 支付失败了',
          '为什么支付失败？系统繁忙',
        ][i],
      );
    const posted = d.fake.messagesIn(AGENT_CHAT).slice(before);
    // Two ticket cards before the burst was recognised, then one incident card.
    expect(posted).toHaveLength(3);
    const incidentCard = posted.find((m) => text(m).includes('事件 INC-'))!;
    const [inc] = await d.db.select().from(incidents);
    expect(inc.cardRefs.feishu).toBe(incidentCard.messageId);
    // Every customer got their own acknowledgement.
    for (const p of people) expect(toCustomer(p).some((m) => text(m).includes('已收到您的反馈'))).toBe(true);
    const b = buttons(incidentCard.content);
    expect(b.incident_reply).toEqual({ action: 'incident_reply', incident: inc.code });

    const r = await click(incidentCard.messageId, b.incident_reply, { reply: '支付通道正在抢修，预计 30 分钟恢复' });
    expect(r.toast.type).toBe('success');
    expect(r.toast.content).toContain('6 个工单已回复');
    for (const p of people) expect(toCustomer(p).some((m) => text(m).includes('支付通道正在抢修'))).toBe(true);
    const members = await d.db.select().from(tickets).where(eq(tickets.incidentId, inc.id));
    expect(members.map((m) => m.status)).toEqual(Array(6).fill('responded'));
    // A button naming the incident from another card is refused.
    const forged = await d.send(
      d.cardAction({ openId: AGENT, value: b.incident_resolve, formValue: { reply: 'x' }, messageId: posted[0].messageId, chatId: AGENT_CHAT }),
    );
    expect(forged.body.toast.type).toBe('error');
  });
});
