import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { outbox } from '../../src/db/schema/index.ts';
import { dbKinds } from '../helpers/db.ts';
import { startFakeDingTalk, type FakeDingTalk } from '../fakes/dingtalk/server.ts';
import { AGENTS_CID, createDingTalkDesk, type DingTalkDesk } from '../fakes/dingtalk/desk.ts';

/** Without DINGTALK_CARD_TEMPLATE_ID: markdown messages and typed commands carry the whole loop. */
describe.each(dbKinds)('dingtalk stream mode without a template on %s', (kind) => {
  let fake: FakeDingTalk;
  let t: DingTalkDesk;
  beforeAll(async () => {
    fake = await startFakeDingTalk();
    // No roles configured: anyone in the agents' group may act.
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
  const groupMarkdowns = () =>
    fake
      .callsTo('/v1.0/robot/groupMessages/send')
      .filter((c) => c.body.msgKey === 'sampleMarkdown')
      .map((c) => ({ to: c.body.openConversationId as string, ...JSON.parse(c.body.msgParam) }));

  it('a customer group: markdown card with commands, /claim /reply /resolve, survey answered by typing a number', async () => {
    const now = t.clock.now().getTime();
    // External B2B customers @ the robot in their own group; the session webhook of that message is already expired.
    const { frame } = fake.robotMessage({
      now,
      conversationType: '2',
      conversationId: 'cidCustGroupA',
      conversationTitle: '星河科技 × 我司 服务群',
      senderStaffId: '',
      senderNick: 'Alice',
      sessionWebhookExpiredTime: now - 1000,
      text: { content: ' 怎么导出上个月的发票？' },
    });
    await t.handled(frame);
    const ticket = await t.waitTicket((r) => r.replyTo.conversationId === 'cidCustGroupA', 'group ticket');
    await t.drain();
    // Ack through the OpenAPI group send (webhook expired).
    const ack = fake.callsTo('/v1.0/robot/groupMessages/send').find((c) => c.body.openConversationId === 'cidCustGroupA')!;
    expect(JSON.parse(ack.body.msgParam).content).toContain(ticket.code);
    const card = groupMarkdowns().find((m) => m.to === AGENTS_CID)!;
    expect(card.title).toBe(`工单 ${ticket.code} · 待认领`);
    expect(card.text).toContain(`/claim ${ticket.code}`);
    expect(card.text).toContain('**客户**：星＊');
    expect(card.text).toContain('怎么导出上个月的发票');

    await t.handled(agentSays(`/claim ${ticket.code}`).frame);
    expect((await t.ticket(ticket.code)).status).toBe('claimed');
    await t.drain();
    // The command is answered in the group (session webhook of the command message), and a new card shows the change.
    const answer = fake.callsTo('/robot/sendBySession').at(-1)!;
    expect(answer.body.msgtype).toBe('markdown');
    expect(answer.body.markdown.text).toContain('已认领');
    expect(answer.body.at.atUserIds).toEqual(['agent42']);
    expect(
      groupMarkdowns()
        .filter((m) => m.to === AGENTS_CID)
        .at(-1)!.text,
    ).toContain('**处理人**：周客服');

    await t.handled(agentSays(`/reply ${ticket.code} 在「费用中心-发票」页面选择月份导出即可。`).frame);
    await t.drain();
    const toCustomer = fake
      .callsTo('/v1.0/robot/groupMessages/send')
      .filter((c) => c.body.openConversationId === 'cidCustGroupA')
      .at(-1)!;
    expect(JSON.parse(toCustomer.body.msgParam).content).toBe('在「费用中心-发票」页面选择月份导出即可。');

    await t.handled(agentSays(`/resolve ${ticket.code}`).frame);
    await t.drain();
    const survey = groupMarkdowns()
      .filter((m) => m.to === 'cidCustGroupA')
      .at(-1)!;
    expect(survey.text).toContain('请 @我 并回复数字 1–5');
    expect(survey.text).not.toContain('dtmd://');

    // Customer answers in the group: "@robot 4 挺好" arrives as "4 挺好".
    await t.handled(
      fake.robotMessage({ now, conversationType: '2', conversationId: 'cidCustGroupA', senderStaffId: '', senderNick: 'Bob', text: { content: ' 4 挺好' } })
        .frame,
    );
    expect(await t.ticket(ticket.code)).toMatchObject({ status: 'closed', csatScore: 4, csatComment: '挺好' });
    await t.drain();
    const dead = await t.db.select().from(outbox).where(eq(outbox.status, 'dead'));
    expect(dead).toEqual([]);
  });

  it('1:1: the survey offers dtmd:// choices; a typed "2" reopens, and its re-delivery does not open a new ticket', async () => {
    const now = t.clock.now().getTime();
    const first = fake.robotMessage({ now, senderStaffId: 'cust77', conversationId: 'cidOne77', text: { content: '打开 App 就闪退' } });
    await t.handled(first.frame);
    const ticket = await t.waitTicket((r) => r.replyTo.senderStaffId === 'cust77', '1:1 ticket');
    await t.handled(agentSays(`/reply ${ticket.code} 请更新到最新版本`).frame);
    await t.handled(agentSays(`/resolve ${ticket.code}`).frame);
    await t.drain();
    const survey = fake
      .callsTo('/robot/sendBySession')
      .find((c) => c.body.msgtype === 'markdown' && c.body.markdown.title === `请为工单 ${ticket.code} 的处理打分`)!;
    expect(survey.body.markdown.text).toContain('dtmd://dingtalkclient/sendMessage?content=5');

    const vote = fake.robotMessage({ now, senderStaffId: 'cust77', conversationId: 'cidOne77', text: { content: '2' } });
    await t.handled(vote.frame);
    expect(await t.ticket(ticket.code)).toMatchObject({ status: 'reopened', csatScore: 2 });
    await t.drain();
    // The lead is told (the reopened notice), and the customer thanked.
    expect(fake.callsTo('/robot/sendBySession').some((c) => c.body.text?.content?.includes('不满意'))).toBe(true);
    const ticketsBefore = (await t.db.select().from(outbox)).length;
    await t.handled(fake.push('/v1.0/im/bot/messages/get', vote.data));
    expect((await t.db.select().from(outbox)).length).toBe(ticketsBefore);
    expect((await t.ticket(ticket.code)).status).toBe('reopened');
  });

  it('unknown commands and plain chatter in the agents group get a short answer, never a ticket', async () => {
    await t.handled(agentSays('/frobnicate').frame);
    await t.handled(agentSays('大家辛苦了').frame);
    await t.drain();
    const texts = fake
      .callsTo('/robot/sendBySession')
      .slice(-2)
      .map((c) => c.body.text?.content ?? '');
    expect(texts[0]).toContain('未知命令 /frobnicate');
    expect(texts[1]).toContain('/help');
    const rows = await t.db.select().from(outbox).where(eq(outbox.kind, 'customer.text'));
    expect(rows.every((r) => !String(r.payload.text).includes('大家辛苦了'))).toBe(true);
  });
});
