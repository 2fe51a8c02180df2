/**
 * Major complaints (issue 20 item 1): a flag moves the ticket to 投诉 (unless an agent chose the category) under the
 * major-complaint promise (config.major: 1 h / 24 h on the calendar clock by default); the customer's
 * acknowledgement says so and never 「其他类问题」 (web form and Feishu, read where the customer reads it); a flag on a
 * later message or from the card re-arms the timers with a `promise_changed` event; clearing it restores the
 * category's own promise. The mechanism description and the commitment page state the promise.
 */
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outbox, ticketEvents, tickets, timers } from '../../src/db/schema/index.ts';
import { statsDeps } from '../../src/reports/commands.ts';
import { mechanismMarkdown } from '../../src/reports/mechanism.ts';
import { rangeOfDays } from '../../src/reports/range.ts';
import { AGENT_CHAT, buttons, startFeishuDesk, type FeishuDesk } from '../fakes/feishu/harness.ts';
import { dbKinds } from '../helpers/db.ts';
import { json } from '../helpers/http.ts';

const AGENT = 'ou_major_agent';
/** Shanghai wall time → Date. */
const cst = (local: string) => new Date(`${local}+08:00`);
const MAJOR_ACK = '投诉类问题：我们将在 1 小时内（全天候计时，含夜间和节假日）首次回复，最晚 3 月 2 日（周一）11:00 前。';

describe.each(dbKinds)('major complaints on %s', (kind) => {
  let d: FeishuDesk;
  beforeAll(async () => {
    const roles = { agents: [{ platform: 'feishu', userId: AGENT }], leads: [], admins: [] };
    d = await startFeishuDesk({ kind, mode: 'webhook', now: cst('2026-03-02T10:00:00').toISOString(), config: { roles } });
  });
  afterAll(() => d?.close());

  const postForm = (body: Record<string, string>) =>
    d.app.request('/api/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.9.0.${Math.floor(Math.random() * 250)}` },
      body: JSON.stringify(body),
    });
  const eventsOf = (id: number, type: string) =>
    d.db
      .select()
      .from(ticketEvents)
      .where(and(eq(ticketEvents.ticketId, id), eq(ticketEvents.type, type)))
      .orderBy(asc(ticketEvents.seq));
  const breachTimers = async (id: number) => {
    const rows = await d.db
      .select()
      .from(timers)
      .where(and(eq(timers.ticketId, id), eq(timers.kind, 'sla.breach'), eq(timers.status, 'pending')));
    return rows.map((x) => [x.data.target, x.dueAt.toISOString()]).sort();
  };
  const textIn = (chatId: string) => d.fake.messagesIn(chatId).map((m) => JSON.stringify(m.content));
  async function feishuTicket(openId: string, text: string) {
    await d.send(d.message({ openId, chatId: `oc_p2p_${openId}`, text }));
    await d.settle();
    const [row] = (await d.db.select().from(tickets).orderBy(tickets.id)).slice(-1);
    return row;
  }

  it('the web form: 「再不处理我就向通管局反映」 is a 投诉 under the major promise, and the customer reads so', async () => {
    const res = await postForm({ contact: '13800138000', content: '再不处理我就向通管局反映，已经三天没人理了' });
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body.promise).toBe(MAJOR_ACK);
    const [row] = await d.db.select().from(tickets).where(eq(tickets.code, body.ticket));
    expect(row).toMatchObject({ category: 'complaint', isMajor: true });
    expect(row.slaPolicy).toMatchObject({ major: true, clock: 'calendar', firstResponseMinutes: 60, resolutionMinutes: 1440 });
    expect(row.firstResponseDueAt!.toISOString()).toBe(cst('2026-03-02T11:00:00').toISOString());
    expect(row.resolutionDueAt!.toISOString()).toBe(cst('2026-03-03T10:00:00').toISOString());
    const [created] = await eventsOf(row.id, 'created');
    expect(created.data).toMatchObject({ category: 'complaint', classifiedAs: 'other' });
    const [ack] = await d.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.ticketId, row.id), eq(outbox.kind, 'customer.text')));
    expect(String(ack.payload.text)).toContain(MAJOR_ACK);
    expect(String(ack.payload.text)).not.toContain('其他类问题');
    // The customer's private page says the same.
    const page = await (await d.app.request(body.url)).text();
    expect(page).toContain('投诉类问题：我们将在 1 小时内');
    expect(page).not.toContain('其他类问题');

    // A category the customer picked does not hide the threat either.
    const chosen = await json(await postForm({ contact: 'a@b.test', category: 'consultation', content: '问了三次都没人回答，我要去12315投诉' }));
    expect(chosen.promise).toBe(MAJOR_ACK);
    expect((await d.ticketByCode(chosen.ticket)).category).toBe('complaint');
  });

  it('Feishu: 「扣了我的钱却没有开通服务」 gets the major acknowledgement in the customer’s chat, never 其他类问题', async () => {
    const row = await feishuTicket('ou_major_money', '扣了我的钱却没有开通服务，我要一个说法');
    expect(row).toMatchObject({ category: 'complaint', isMajor: true });
    const chat = textIn('oc_p2p_ou_major_money').join('\n');
    expect(chat).toContain(`工单号 ${row.code}。${MAJOR_ACK}`);
    expect(chat).not.toContain('其他类问题');
  });

  it('a later message that threatens a regulator moves the ticket to 投诉, re-arms the timers and records the change', async () => {
    const row = await feishuTicket('ou_major_later', '想咨询一下你们的套餐价格');
    expect(row).toMatchObject({ category: 'consultation', isMajor: false });
    d.clock.set(cst('2026-03-02T10:20:00'));
    await d.send(d.message({ openId: 'ou_major_later', chatId: 'oc_p2p_ou_major_later', text: '一直没人回，我要去工信部投诉' }));
    const after = await d.ticketByCode(row.code);
    expect(after).toMatchObject({ category: 'complaint', isMajor: true });
    expect(await breachTimers(row.id)).toEqual(
      [
        ['first', cst('2026-03-02T11:00:00').toISOString()],
        ['resolution', cst('2026-03-03T10:00:00').toISOString()],
      ].sort(),
    );
    const [change] = await eventsOf(row.id, 'promise_changed');
    expect(change.actor).toBe('system');
    expect(change.data).toMatchObject({
      reason: 'major',
      category: { from: 'consultation', to: 'complaint' },
      policy: { clock: 'calendar', firstResponseMinutes: 60, resolutionMinutes: 1440, major: true },
      firstResponseDue: { from: row.firstResponseDueAt!.toISOString(), to: cst('2026-03-02T11:00:00').toISOString() },
    });
    d.clock.set(cst('2026-03-02T10:00:00'));
  });

  it('an agent’s category wins: the flag keeps it (under the major promise), and a later reclassify still works', async () => {
    const row = await feishuTicket('ou_major_agentcat', '想了解一下企业版');
    await d.desk.act({ ticket: row.code, actor: { platform: 'feishu', userId: AGENT }, viaAgentGroup: true, action: 'reclassify', category: 'bug' });
    await d.send(d.message({ openId: 'ou_major_agentcat', chatId: 'oc_p2p_ou_major_agentcat', text: '再拖着不处理我去消协投诉' }));
    let t = await d.ticketByCode(row.code);
    expect(t).toMatchObject({ category: 'bug', isMajor: true });
    expect(t.slaPolicy).toMatchObject({ major: true, firstResponseMinutes: 60 });
    expect((await eventsOf(row.id, 'promise_changed'))[0].data.category).toBeUndefined();
    await d.desk.act({ ticket: row.code, actor: { platform: 'feishu', userId: AGENT }, viaAgentGroup: true, action: 'reclassify', category: 'consultation' });
    t = await d.ticketByCode(row.code);
    expect(t.category).toBe('consultation');
    expect(t.slaPolicy).toMatchObject({ major: true, firstResponseMinutes: 60, clock: 'calendar' });
  });

  it('the card’s major button moves the ticket to 投诉 with the major promise; clearing it restores 投诉’s own promise', async () => {
    const row = await feishuTicket('ou_major_card', '登录后页面白屏');
    expect(row).toMatchObject({ category: 'bug', isMajor: false });
    const card = d.fake.messagesIn(AGENT_CHAT).findLast((m) => JSON.stringify(m.content).includes(row.code) && m.msgType === 'interactive')!;
    const on = await d.send(d.cardAction({ openId: AGENT, value: buttons(card.content).major, messageId: card.messageId, chatId: AGENT_CHAT }));
    expect((on.body as { toast: { content: string } }).toast.content).toContain('已标记为重大投诉（投诉类），时限按重大投诉承诺重算');
    let t = await d.ticketByCode(row.code);
    expect(t).toMatchObject({ category: 'complaint', isMajor: true });
    expect(await breachTimers(row.id)).toEqual(
      [
        ['first', cst('2026-03-02T11:00:00').toISOString()],
        ['resolution', cst('2026-03-03T10:00:00').toISOString()],
      ].sort(),
    );
    const [flag] = await eventsOf(row.id, 'promise_changed');
    expect(flag.actor).toBe(`agent:feishu:${AGENT}`);
    expect(flag.data).toMatchObject({ reason: 'major', category: { from: 'bug', to: 'complaint' } });

    const offValue = { ...buttons(card.content).major, major: false };
    const off = await d.send(d.cardAction({ openId: AGENT, value: offValue, messageId: card.messageId, chatId: AGENT_CHAT }));
    expect((off.body as { toast: { content: string } }).toast.content).toContain('已取消重大投诉标记，恢复该分类原有的时限');
    t = await d.ticketByCode(row.code);
    expect(t).toMatchObject({ category: 'complaint', isMajor: false });
    expect(t.slaPolicy).toMatchObject({ clock: 'business', firstResponseMinutes: 120, resolutionMinutes: 2880 });
    expect(t.slaPolicy.major).toBeUndefined();
    // 投诉's own promise: 2 working hours from 10:00 → 12:00; 48 working hours = 6 working days.
    expect(await breachTimers(row.id)).toEqual(
      [
        ['first', cst('2026-03-02T12:00:00').toISOString()],
        ['resolution', t.resolutionDueAt!.toISOString()],
      ].sort(),
    );
    expect((await eventsOf(row.id, 'promise_changed')).map((e) => e.data.reason)).toEqual(['major', 'major_cleared']);
  });

  it('the commitment page and the mechanism description state the major-complaint promise', async () => {
    const page = await (await d.app.request('/promise')).text();
    expect(page).toContain('重大投诉');
    expect(page).toContain('1 小时内（全天候计时，含夜间和节假日）首次回复');
    expect(page).toContain('24 小时内（全天候计时，含夜间和节假日）解决');
    const md = await mechanismMarkdown({ ...statsDeps(d.services), channels: ['web', 'feishu'] }, rangeOfDays('2026-03-01', '2026-03-02', 'Asia/Shanghai'));
    expect(md).toContain('| 重大投诉 | 1 小时内（全天候计时，含夜间和节假日）首次回复 | 24 小时内（全天候计时，含夜间和节假日）解决 |');
    expect(md).toContain('一律按“投诉”处理');
    expect(md).toContain('5. **未评价的电话回访**');
  });
});
