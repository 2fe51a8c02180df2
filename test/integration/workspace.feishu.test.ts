/**
 * One ticket, one state: a click on the Feishu card (real SDK, fake Feishu on 127.0.0.1) and an action on the console's
 * ticket page act through the same action table and use cases; each side shows what the other did, in both orders,
 * and each refuses what the other already did with the same reason.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages, tickets } from '../../src/db/schema/index.ts';
import { dbKinds } from '../helpers/db.ts';
import { AGENT_CHAT, buttons, startFeishuDesk, type FeishuDesk } from '../fakes/feishu/harness.ts';
import { addUser, csrfFrom, formBody, loginWithLink, req, versionFrom, type Jar } from '../helpers/console-session.ts';

const AGENT = 'ou_agent_step';

describe.each(dbKinds)('Feishu card and console in step on %s', (kind) => {
  let d: FeishuDesk;
  let lead: Jar;
  beforeAll(async () => {
    d = await startFeishuDesk({ mode: 'webhook', kind });
    lead = await loginWithLink(d.app, await addUser(d.services, '林组长', 'lead'));
  });
  afterAll(() => d?.close());

  async function newTicket(customer: string, text: string) {
    const r = await d.send(d.message({ openId: customer, chatId: `oc_p2p_${customer}`, text }));
    expect(r.status).toBe(200);
    await d.settle();
    const card = d.fake.messagesIn(AGENT_CHAT).at(-1)!;
    return { card, code: buttons(card.content).claim.ticket as string };
  }
  const click = async (cardId: string, value: Record<string, unknown>, formValue?: Record<string, unknown>) => {
    const r = await d.send(d.cardAction({ openId: AGENT, value, formValue, messageId: cardId, chatId: AGENT_CHAT }));
    expect(r.status).toBe(200);
    return r.body;
  };
  const page = async (code: string) => {
    const html = await (await req(d.app, lead, `/console/tickets/${code}`)).text();
    return { html, csrf: csrfFrom(html), version: versionFrom(html) };
  };
  const consoleAct = (code: string, f: { csrf: string; version: string }, data: Record<string, string>) =>
    req(d.app, lead, `/console/tickets/${code}/act`, formBody({ csrf: f.csrf, version: f.version, ...data }));
  const cardText = (cardId: string) => JSON.stringify(d.fake.contentOf(cardId));

  it('console first: the claim and the reply update the chat card; the card then refuses the same claim', async () => {
    const customer = 'ou_cust_step_1';
    const { card, code } = await newTicket(customer, '我的订单被重复扣款了');
    let f = await page(code);
    expect((await consoleAct(code, f, { action: 'claim' })).status).toBe(303);
    await d.settle();
    // The card in the group was updated in place (PATCH through the outbox): no claim button, the lead holds it.
    expect(buttons(d.fake.contentOf(card.messageId)).claim).toBeUndefined();
    expect(cardText(card.messageId)).toContain('林组长');
    expect(cardText(card.messageId)).toContain('处理中');

    // The card refuses what the console already did, with the same reason as a console tab would get.
    const again = await click(card.messageId, { action: 'claim', ticket: code });
    expect(again.toast.content).toContain('已被其他人认领');
    // An agent may not answer the lead's ticket from the card either (one rule for both surfaces).
    const foreign = await click(card.messageId, { action: 'respond', ticket: code }, { reply: '我来答' });
    expect(foreign.toast.type).toBe('error');
    expect(foreign.toast.content).toContain('由 林组长 负责');

    f = await page(code);
    expect((await consoleAct(code, f, { action: 'respond', reply: '已核实，重复扣款将在 1 个工作日内退回' })).status).toBe(303);
    await d.settle();
    // The customer got the reply in Feishu, the card shows the new state.
    expect(d.fake.messages.some((m) => m.chatId === `oc_p2p_${customer}` && JSON.stringify(m.content).includes('重复扣款将在'))).toBe(true);
    expect(cardText(card.messageId)).toContain('已回复');
    const [row] = await d.db.select().from(tickets).where(eq(tickets.code, code));
    const ms = await d.db.select().from(messages).where(eq(messages.ticketId, row.id));
    expect(ms.filter((m) => m.direction === 'out')).toHaveLength(1);
  });

  it('card first: a click shows in the console; a console tab drawn before it is refused as stale; the console resolves and the card ends', async () => {
    const customer = 'ou_cust_step_2';
    const { card, code } = await newTicket(customer, '会员到期了还在扣费');
    const before = await page(code);
    expect(before.html).toContain('未认领');
    // What an open tab polls (live.js) to say the ticket moved on.
    const version = async () => ((await (await req(d.app, lead, `/console/tickets/${code}/version`)).json()) as { version: number }).version;
    expect(await version()).toBe(Number(before.version));
    expect(before.html).toContain(`data-version="${before.version}"`);

    expect((await click(card.messageId, { action: 'claim', ticket: code })).toast.type).toBe('success');
    expect((await click(card.messageId, { action: 'respond', ticket: code }, { reply: '正在为您核查扣费记录' })).toast.type).toBe('success');
    await d.settle();

    // The console shows the card's work: the holder, the reply, the new state.
    expect(await version()).toBeGreaterThan(Number(before.version));
    const after = await page(code);
    expect(after.html).toContain(AGENT);
    expect(after.html).toContain('正在为您核查扣费记录');
    expect(after.html).toContain('已回复');
    expect(Number(after.version)).toBeGreaterThan(Number(before.version));

    // The tab drawn before the clicks is refused and says why; nothing is written.
    const stale = await consoleAct(code, before, { action: 'claim' });
    expect(stale.status).toBe(409);
    expect(await stale.text()).toContain('已有新的变化');

    // The lead resolves from the console with a note for the customer; the card loses its buttons, the survey goes out.
    expect((await consoleAct(code, after, { action: 'resolve', reply: '扣费已停止并退回本月费用' })).status).toBe(303);
    await d.settle();
    expect(buttons(d.fake.contentOf(card.messageId))).toEqual({});
    expect(cardText(card.messageId)).toContain('已解决');
    const toCustomer = d.fake.messages.filter((m) => m.chatId === `oc_p2p_${customer}` || m.receiveId === customer);
    expect(toCustomer.some((m) => JSON.stringify(m.content).includes('扣费已停止并退回本月费用'))).toBe(true);
    expect(toCustomer.some((m) => m.msgType === 'interactive' && buttons(m.content).csat_5)).toBe(true);
    // And the card refuses a late click with the state the console left.
    const late = await click(card.messageId, { action: 'resolve', ticket: code });
    expect(late.toast.content).toContain('已解决');
  });
});
