import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tickets } from '../../src/db/schema/index.ts';
import { dbKinds } from '../helpers/db.ts';
import { startFakeDingTalk, type FakeDingTalk } from '../fakes/dingtalk/server.ts';
import { AGENTS_CID, createDingTalkDesk, type DingTalkDesk } from '../fakes/dingtalk/desk.ts';

/** A customer group has several members; the ticket is the group's, but only the member who opened it rates it. */
describe.each(dbKinds)('dingtalk customer group survey on %s', (kind) => {
  let fake: FakeDingTalk;
  let t: DingTalkDesk;
  beforeAll(async () => {
    fake = await startFakeDingTalk();
    t = await createDingTalkDesk(fake, { kind, template: false });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const agentSays = (text: string) =>
    fake.robotMessage({
      now: t.clock.now().getTime(),
      conversationType: '2',
      conversationId: AGENTS_CID,
      conversationTitle: '客服协作群',
      senderStaffId: 'agent42',
      senderNick: '周客服',
      isInAtList: true,
      text: { content: ` ${text}` },
    });
  const member = (who: { staffId: string; senderId: string; nick: string }, text: string, messageId?: string) =>
    fake.robotMessage(
      {
        now: t.clock.now().getTime(),
        conversationType: '2',
        conversationId: 'cidCustGroupB',
        conversationTitle: '远航物流 × 我司 服务群',
        senderStaffId: who.staffId,
        senderId: who.senderId,
        senderNick: who.nick,
        text: { content: ` ${text}` },
      },
      messageId ? { messageId } : {},
    );
  const ALICE = { staffId: 'alice01', senderId: '$:LWCP_v1:$alice', nick: 'Alice' };
  const BOB = { staffId: 'bob02', senderId: '$:LWCP_v1:$bob', nick: 'Bob' };
  const toGroup = () => fake.callsTo('/robot/sendBySession').filter((c) => c.body.msgtype === 'text' || c.body.msgtype === 'markdown');

  it('another member’s score is refused politely and changes nothing; the opener’s score closes the ticket', async () => {
    await t.handled(member(ALICE, '运单一直显示未揽收').frame);
    const ticket = await t.waitTicket((r) => r.replyTo.conversationId === 'cidCustGroupB', 'group ticket');
    await t.handled(agentSays(`/reply ${ticket.code} 已联系网点，今天下午上门揽收。`).frame);
    await t.handled(agentSays(`/resolve ${ticket.code}`).frame);
    expect((await t.ticket(ticket.code)).status).toBe('resolved');
    await t.drain();

    const before = toGroup().length;
    const bob = member(BOB, '5', 'bob-vote-1');
    await t.handled(bob.frame);
    await t.drain();
    expect(await t.ticket(ticket.code)).toMatchObject({ status: 'resolved', csatScore: null });
    const refusal = toGroup()
      .slice(before)
      .map((c) => JSON.stringify(c.body));
    expect(refusal.some((b) => b.includes(`工单 ${ticket.code} 的满意度评价需由提交这条反馈的 Alice 本人完成`))).toBe(true);

    // Re-delivered: no second refusal, still no answer, no new ticket from the "5".
    const count = toGroup().length;
    fake.push('/v1.0/im/bot/messages/get', bob.data, { messageId: 'bob-vote-1' });
    await t.channel.settle();
    await t.drain();
    expect(toGroup().length).toBe(count);
    expect((await t.db.select().from(tickets)).filter((r) => r.replyTo.conversationId === 'cidCustGroupB')).toHaveLength(1);
    expect(await t.ticket(ticket.code)).toMatchObject({ status: 'resolved', csatScore: null });

    await t.handled(member(ALICE, '5 很及时').frame);
    expect(await t.ticket(ticket.code)).toMatchObject({ status: 'closed', csatScore: 5, csatComment: '很及时' });
  });
});
