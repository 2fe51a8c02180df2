import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { messages, outbox, ticketEvents } from '../../src/db/schema/index.ts';
import { enqueue } from '../../src/desk/store.ts';
import { dbKinds } from '../helpers/db.ts';
import { startFakeDingTalk, type FakeDingTalk } from '../fakes/dingtalk/server.ts';
import { AGENTS_CID, createDingTalkDesk, TEMPLATE_ID, type DingTalkDesk } from '../fakes/dingtalk/desk.ts';

const roles = {
  agents: [{ platform: 'dingtalk', userId: 'agent007', name: '李客服' }],
  leads: [{ platform: 'dingtalk', userId: 'lead01', name: '赵组长' }],
  admins: [],
};

describe.each(dbKinds)('dingtalk stream mode with a card template on %s', (kind) => {
  let fake: FakeDingTalk;
  let t: DingTalkDesk;
  beforeAll(async () => {
    fake = await startFakeDingTalk();
    t = await createDingTalkDesk(fake, { kind, template: true, config: { roles } });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('closes the whole loop: message → ack → card → claim → reply → resolve → survey card → archived', async () => {
    const now = t.clock.now().getTime();
    const { frame } = fake.robotMessage({ now, text: { content: ' 登录后 APP 闪退，报错 500' } });
    await t.handled(frame);
    expect(JSON.parse(frame.ackData!)).toEqual({ response: {} });
    const ticket = await t.waitTicket((r) => r.channel === 'dingtalk', 'dingtalk ticket');
    expect(ticket.category).toBe('bug');
    expect(ticket.replyTo).toMatchObject({ conversationType: '1', senderStaffId: 'cust001', conversationId: 'cidCustomer1' });

    await t.drain();
    // The acknowledgement goes back on the session webhook, with the code and the promise.
    const acks = fake.callsTo('/robot/sendBySession');
    expect(acks).toHaveLength(1);
    expect(acks[0].body.text.content).toContain(ticket.code);
    expect(acks[0].body.text.content).toContain('我们将在 2 小时内（工作时间 9:00–12:00、13:30–18:30）首次回复，最晚 ');
    // The ticket card is created in the agents' group with STREAM callbacks.
    const [create] = fake.callsTo('/v1.0/card/instances/createAndDeliver');
    expect(create.body).toMatchObject({
      cardTemplateId: TEMPLATE_ID,
      callbackType: 'STREAM',
      openSpaceId: `dtv1.card//IM_GROUP.${AGENTS_CID}`,
      imGroupOpenDeliverModel: { robotCode: fake.clientId },
    });
    const params = create.body.cardData.cardParamMap;
    expect(params).toMatchObject({ ticket: ticket.code, status: 'new', can_claim: 'true', can_resolve: 'true' });
    expect(Object.values(params).every((v) => typeof v === 'string')).toBe(true);
    expect(params.markdown).toContain('登录后 APP 闪退');
    // The masked name's stars are full-width, so they cannot pair with the card's own **bold**.
    expect(params.markdown).toContain('**客户**：王＊');
    const outTrackId = create.body.outTrackId as string;
    expect((await t.ticket(ticket.code)).cardRefs).toMatchObject({ dingtalk: outTrackId });

    // Claim from the card.
    await t.handled(fake.cardClick({ outTrackId, userId: 'agent007', spaceId: AGENTS_CID, params: { action: 'claim', ticket: ticket.code } }).frame);
    expect((await t.ticket(ticket.code)).status).toBe('claimed');
    await t.drain();
    const updates = fake.callsTo('/v1.0/card/instances').filter((c) => c.method === 'PUT');
    expect(updates.at(-1)!.body).toMatchObject({ outTrackId, cardData: { cardParamMap: { status: 'claimed', can_claim: 'false', assignee: '李客服' } } });

    // Reply from the card's input field: the customer gets it.
    await t.handled(
      fake.cardClick({
        outTrackId,
        userId: 'agent007',
        spaceId: AGENTS_CID,
        params: { action: 'respond', ticket: ticket.code, reply: '已修复，请升级到 3.2.1 后重试。' },
      }).frame,
    );
    await t.drain();
    expect(fake.callsTo('/robot/sendBySession').at(-1)!.body.text.content).toBe('已修复，请升级到 3.2.1 后重试。');
    expect((await t.ticket(ticket.code)).status).toBe('responded');

    // Resolve: the survey card goes to the customer's 1:1 chat with the robot.
    await t.handled(fake.cardClick({ outTrackId, userId: 'agent007', spaceId: AGENTS_CID, params: { action: 'resolve', ticket: ticket.code } }).frame);
    await t.drain();
    const survey = fake.callsTo('/v1.0/card/instances/createAndDeliver').find((c) => c.body.openSpaceId === 'dtv1.card//IM_ROBOT.cust001')!;
    expect(survey.body).toMatchObject({
      callbackType: 'STREAM',
      imRobotOpenDeliverModel: { spaceType: 'IM_ROBOT' },
      cardData: { cardParamMap: { kind: 'survey', ticket: ticket.code, answered: 'false' } },
    });

    // Someone else cannot answer the survey; the customer can.
    await t.handled(
      fake.cardClick({
        outTrackId: survey.body.outTrackId,
        userId: 'someone-else',
        spaceType: 'IM_ROBOT',
        params: { action: 'csat', ticket: ticket.code, score: '1' },
      }).frame,
    );
    expect((await t.ticket(ticket.code)).status).toBe('resolved');
    await t.handled(
      fake.cardClick({
        outTrackId: survey.body.outTrackId,
        userId: 'cust001',
        spaceType: 'IM_ROBOT',
        params: { action: 'csat', ticket: ticket.code, score: '5' },
      }).frame,
    );
    const closed = await t.ticket(ticket.code);
    expect(closed).toMatchObject({ status: 'closed', closeReason: 'satisfied', csatScore: 5 });
    await t.drain();
    expect(fake.callsTo('/robot/sendBySession').at(-1)!.body.text.content).toContain('已归档');
    const surveyUpdate = fake
      .callsTo('/v1.0/card/instances')
      .filter((c) => c.method === 'PUT' && c.body.outTrackId === survey.body.outTrackId)
      .at(-1)!;
    expect(surveyUpdate.body.cardData.cardParamMap).toMatchObject({ answered: 'true', score: '5' });

    const events = await t.db.select().from(ticketEvents).where(eq(ticketEvents.ticketId, ticket.id));
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['created', 'acknowledged', 'claimed', 'responded', 'resolved']));
    expect(events.find((e) => e.type === 'claimed')!.actor).toBe('agent:dingtalk:agent007');
    // The access token was fetched once and reused.
    expect(fake.callsTo('/v1.0/oauth2/accessToken')).toHaveLength(1);
  });

  it('keeps rich text and pictures, and changes nothing on a re-delivery of the same msgId', async () => {
    const now = t.clock.now().getTime();
    const content = { richText: [{ text: '付款后订单' }, { type: 'picture', downloadCode: 'dlc-123' }, { text: '一直显示待支付' }] };
    const first = fake.robotMessage({ now, msgtype: 'richText', content, senderStaffId: 'cust002', senderNick: '陈女士', conversationId: 'cidCustomer2' });
    await t.handled(first.frame);
    const ticket = await t.waitTicket((r) => r.replyTo.senderStaffId === 'cust002', 'rich text ticket');
    const [msg] = await t.db.select().from(messages).where(eq(messages.ticketId, ticket.id));
    expect(msg.body).toBe('付款后订单一直显示待支付');
    expect(msg.attachments).toEqual([{ kind: 'image', name: '图片', ref: `dingtalk:${fake.clientId}:dlc-123` }]);
    // Same msgId on a new stream message (DingTalk's retry after a slow ack): nothing changes.
    const again = fake.push('/v1.0/im/bot/messages/get', first.data);
    await t.handled(again);
    const rows = await t.db.select().from(messages).where(eq(messages.ticketId, ticket.id));
    expect(rows).toHaveLength(1);
    const box = await t.db.select().from(outbox).where(eq(outbox.ticketId, ticket.id));
    expect(box.filter((r) => r.kind === 'customer.text')).toHaveLength(1);
  });

  it('SLA pings @-mention the people through the group session webhook, and reach them 1:1 without one', async () => {
    const now = t.clock.now().getTime();
    const { frame } = fake.robotMessage({ now, text: { content: '退款一直没到账，我要投诉' }, senderStaffId: 'cust003', conversationId: 'cidCustomer3' });
    await t.handled(frame);
    const ticket = await t.waitTicket((r) => r.replyTo.senderStaffId === 'cust003', 'complaint ticket');
    await t.drain();
    // No message from the agents' group yet: no session webhook there. Escalate by command to get one.
    const cmd = fake.robotMessage({
      now,
      conversationType: '2',
      conversationId: AGENTS_CID,
      conversationTitle: '客服协作群',
      senderStaffId: 'agent007',
      senderNick: '李客服',
      text: { content: ` /escalate ${ticket.code} 客户情绪激动` },
    });
    await t.handled(cmd.frame);
    await t.drain();
    const escalation = fake.callsTo('/robot/sendBySession').find((c) => c.body.at?.atUserIds?.includes('lead01'))!;
    expect(escalation.body.text.content).toContain(`工单 ${ticket.code}「`);
    expect(escalation.body.text.content).toContain('已由 李客服 升级：客户情绪激动');
    expect(escalation.body.text.content).toContain('@lead01');
    // The command's own answer goes back to the group too, @-ing the agent who typed it.
    expect(
      fake
        .callsTo('/robot/sendBySession')
        .some((c) => c.body.msgtype === 'markdown' && c.body.markdown.text.includes('已升级') && c.body.at?.atUserIds?.[0] === 'agent007'),
    ).toBe(true);

    // Later, with the group's webhook expired: the notice goes to the group and 1:1 to the person.
    t.clock.advance(24 * 60);
    const before = fake.callsTo('/v1.0/robot/oToMessages/batchSend').length;
    // The SLA sweep writes exactly this row (agents.text with notify); written here so the test needs no timer.
    await t.db.transaction(async (tx) => {
      await enqueue(tx, t.clock.now(), [
        {
          channel: 'dingtalk',
          kind: 'agents.text',
          ticketId: ticket.id,
          payload: { text: `工单 ${ticket.code} 首次响应即将超时`, notify: 'leads' },
          idemKey: `test-ping:${ticket.id}`,
        },
      ]);
    });
    await t.drain();
    const group = fake.callsTo('/v1.0/robot/groupMessages/send').at(-1)!;
    expect(group.body.openConversationId).toBe(AGENTS_CID);
    expect(JSON.parse(group.body.msgParam).content).toContain('首次响应即将超时');
    const dm = fake
      .callsTo('/v1.0/robot/oToMessages/batchSend')
      .slice(before)
      .find((c) => JSON.parse(c.body.msgParam).content.includes('首次响应即将超时'))!;
    expect(dm.body.userIds).toEqual(['lead01']);
  });
});
