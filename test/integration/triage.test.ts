import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { and, asc, eq } from 'drizzle-orm';
import { createWebChannel } from '../../src/channels/web/index.tsx';
import { classifyByRules } from '../../src/core/classify.ts';
import type { BayesModel } from '../../src/core/bayes.ts';
import { incidents, kv, outbox, ticketEvents, tickets } from '../../src/db/schema/index.ts';
import { cannedUsage } from '../../src/desk/canned.ts';
import { loadIncidentView } from '../../src/desk/incidents.ts';
import { renderIncidentCard } from '../../cards/feishu/index.ts';
import { incidentMarkdown } from '../../cards/dingtalk/markdown.ts';
import { buttons } from '../fakes/feishu/harness.ts';
import { classifyMessage, forgetModel, MODEL_KEY } from '../../src/desk/triage.ts';
import { loadTicketView } from '../../src/desk/view.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';
import { corpus } from '../helpers/triage-corpus.ts';
import { dbKinds } from '../helpers/db.ts';
import { recordingChannel } from '../helpers/recording-channel.ts';

const cst = (local: string) => new Date(`${local}+08:00`);
const person = (userId: string, name?: string) => ({ platform: 'feishu' as const, userId, ...(name ? { name } : {}) });
const ROTATION = [person('ou_a'), person('ou_b'), person('ou_c')];
const ROLES = {
  agents: [person('ou_a', '甲'), person('ou_b', '乙'), person('ou_c', '丙'), person('ou_oncall', '值班工程师')],
  leads: [person('ou_lead', '组长')],
  admins: [person('ou_admin', '主管')],
};

describe.each(dbKinds)('triage through the desk on %s', (kind) => {
  let t: TestDesk;
  let rec: ReturnType<typeof recordingChannel>;
  afterEach(() => t?.close());

  async function start(config: Record<string, unknown> = {}, now = '2026-03-02T10:00:00') {
    rec = recordingChannel('feishu');
    t = await createTestDesk({ kind, config: { roles: ROLES, ...config }, now: cst(now).toISOString(), channels: [createWebChannel, rec.factory] });
  }
  let n = 0;
  const customer = (text: string, who = `c${++n}`, name?: string, category?: string) =>
    t.desk.intake({ channel: 'web', dedupeKey: randomUUID(), customer: { externalId: who, name }, replyTo: { page: who }, text, category });
  const row = async (id: number) => (await t.db.select().from(tickets).where(eq(tickets.id, id)))[0];
  const events = (ticketId: number, type?: string) =>
    t.db
      .select()
      .from(ticketEvents)
      .where(and(eq(ticketEvents.ticketId, ticketId), ...(type ? [eq(ticketEvents.type, type)] : [])))
      .orderBy(asc(ticketEvents.seq));
  const rows = (kind: string) => t.db.select().from(outbox).where(eq(outbox.kind, kind)).orderBy(asc(outbox.id));
  const view = (ticketId: number) => loadTicketView(t.db, t.services.config, t.services.calendar, ticketId, t.clock.now());
  const command = (text: string, userId = 'ou_a') => t.services.runCommand({ text, actor: person(userId), viaAgentGroup: true, surface: 'feishu' });

  it('classifies at intake with the rules, and the card says why and how sure', async () => {
    await start();
    const r = await customer('APP 一打开就闪退，还报错');
    const tk = await row(r.ticketId);
    expect(tk.category).toBe('bug');
    expect(tk.triage).toMatchObject({ source: 'rules', reason: expect.stringContaining('「闪退」') });
    const [created] = await events(r.ticketId, 'created');
    expect(created.data).toMatchObject({ category: 'bug', source: 'rules', reason: expect.stringContaining('闪退') });
    const v = await view(r.ticketId);
    expect(v.classification).toMatchObject({ sourceLabel: '规则', reason: expect.stringContaining('「报错」') });
    expect(v.classification!.confidence).toBeGreaterThan(0.6);
  });

  it('learns from 200 reclassifications: the model is persisted with them, reloaded, and beats the rules on held-out messages', async () => {
    await start();
    // Web-form customers who picked 「其他」; an agent puts each ticket in its real category.
    let reclassified = 0;
    for (const e of corpus(7, 200)) {
      const r = await customer(e.text, undefined, undefined, 'other');
      expect((await row(r.ticketId)).triage).toMatchObject({ source: 'customer' });
      await t.desk.act({ ticket: r.code, actor: person('ou_a'), viaAgentGroup: true, action: 'reclassify', category: e.label });
      reclassified++;
    }
    expect(reclassified).toBe(200);
    const [stored] = await t.db.select().from(kv).where(eq(kv.key, MODEL_KEY));
    expect((stored.value as BayesModel).examples).toBe(200);

    // A fresh process: nothing cached, the model comes from the database.
    forgetModel(t.database);
    const heldOut = corpus(4242, 300);
    let rules = 0;
    let desk = 0;
    for (const e of heldOut) {
      if (classifyByRules(t.services.config, e.text).category === e.label) rules++;
      if ((await classifyMessage(t.desk.deps, e.text)).category === e.label) desk++;
    }
    expect(desk / heldOut.length).toBeGreaterThan(rules / heldOut.length + 0.2);
    expect(desk / heldOut.length).toBeGreaterThan(0.85);
    const r = await customer('麻烦看下，对账单金额显示为负数');
    expect(await row(r.ticketId)).toMatchObject({ category: 'bug', triage: expect.objectContaining({ source: 'learned' }) });
    // The correction is on the record: old and new category, and the example count.
    const [re] = await t.db.select().from(ticketEvents).where(eq(ticketEvents.type, 'reclassified')).orderBy(asc(ticketEvents.id)).limit(1);
    expect(re.data).toMatchObject({ from: expect.any(String), to: expect.any(String), learned: { examples: 1 } });
  }, 120_000);

  it.each([
    ['我要去12315投诉你们', '提及监管部门'],
    ['再不处理我就找媒体曝光', '提及媒体曝光'],
    ['已经联系律师准备起诉', '提及法律途径'],
    ['账户被盗刷了三千元', '资金损失'],
    ['我的个人信息被泄露了', '数据泄露'],
  ])('flags a major complaint at intake and pages the leads: %s', async (text, reason) => {
    await start();
    const r = await customer(text);
    expect((await row(r.ticketId)).isMajor).toBe(true);
    const [flag] = await events(r.ticketId, 'major_flagged');
    expect(flag.actor).toBe('system');
    expect(flag.data.reasons).toContain(reason);
    const page = (await rows('agents.text')).find((p) => String(p.payload.text).includes('重大投诉'));
    expect(page?.payload).toMatchObject({ notify: 'leads' });
    expect((await view(r.ticketId)).isMajor).toBe(true);
  });

  it.each(['这不是投诉，只是问一下', '我不会去12315的，就问问发票怎么开', '没有要曝光的意思，APP 闪退了'])('no false alarm: %s', async (text) => {
    await start();
    const r = await customer(text);
    expect((await row(r.ticketId)).isMajor).toBe(false);
    expect(await events(r.ticketId, 'major_flagged')).toHaveLength(0);
    expect((await rows('agents.text')).filter((p) => String(p.payload.text).includes('重大投诉'))).toHaveLength(0);
  });

  it('a later message can raise the flag; the third unanswered message after a wait does; quick lines do not; agents set and clear it (recorded)', async () => {
    await start();
    const a = await customer('在吗', 'waiting');
    await customer('我的订单还没发货', 'waiting');
    expect((await row(a.ticketId)).isMajor).toBe(false); // two lines
    t.clock.advance(1);
    await customer('还有人吗', 'waiting');
    expect((await row(a.ticketId)).isMajor).toBe(false); // three quick lines typed in a minute
    t.clock.advance(15);
    await customer('到底有没有人管？', 'waiting');
    const flagged = await row(a.ticketId);
    expect(flagged.isMajor).toBe(true);
    expect((await events(a.ticketId, 'major_flagged'))[0].data.reasons).toEqual(['客户连续 4 条消息未获回复']);

    const b = await customer('退款什么时候到？', 'money');
    await t.desk.act({ ticket: b.code, actor: person('ou_a'), viaAgentGroup: true, action: 'respond', text: '正在处理' });
    await customer('已经一周了，再不退我就去消协', 'money');
    expect((await row(b.ticketId)).isMajor).toBe(true);
    await t.desk.act({ ticket: b.code, actor: person('ou_a'), viaAgentGroup: true, action: 'major', major: false, text: '已与客户沟通，误报' });
    expect((await row(b.ticketId)).isMajor).toBe(false);
    const cleared = await events(b.ticketId, 'major_cleared');
    expect(cleared[0]).toMatchObject({ actor: 'agent:feishu:ou_a', data: { reason: '已与客户沟通，误报' } });
    expect(await command(`/major ${b.code} 客户威胁起诉`)).toMatchObject({ kind: 'ticket' });
    expect((await row(b.ticketId)).isMajor).toBe(true);
  });

  it('flags likely duplicates across customers; merge closes as merged, tells the customer, forwards replies and the survey; only an admin unmerges', async () => {
    await start();
    const first = await customer('支付页面报错，无法付款', 'alice');
    const dup = await customer('支付页面报错，没法付款', 'bob');
    const other = await customer('请问企业版多少钱', 'carol');
    const v = await view(dup.ticketId);
    expect(v.duplicates).toEqual([{ code: first.code, subject: '支付页面报错，无法付款', score: expect.any(Number) }]);
    expect(v.actions).toContain('merge');
    expect((await view(other.ticketId)).duplicates).toEqual([]);

    const r = await command(`/merge ${dup.code} ${first.code}`);
    expect(r).toMatchObject({ kind: 'ticket', text: expect.stringContaining('已将') });
    const merged = await row(dup.ticketId);
    expect(merged).toMatchObject({ status: 'closed', closeReason: 'merged', mergedIntoId: first.ticketId });
    expect((await events(dup.ticketId)).map((e) => e.type)).toEqual(expect.arrayContaining(['merged', 'closed']));
    expect((await events(first.ticketId, 'merged_in'))[0].data).toMatchObject({ from: dup.code });
    const notices = (await rows('customer.text')).filter((x) => x.ticketId === dup.ticketId);
    expect(String(notices.at(-1)!.payload.text)).toContain(first.code);
    expect((await view(dup.ticketId)).mergedInto).toBe(first.code);

    await t.desk.act({ ticket: first.code, actor: person('ou_a'), viaAgentGroup: true, action: 'respond', text: '支付通道已恢复' });
    await t.desk.act({ ticket: first.code, actor: person('ou_a'), viaAgentGroup: true, action: 'resolve' });
    expect((await rows('customer.text')).filter((x) => x.ticketId === dup.ticketId).map((x) => x.payload.text)).toContain(
      `（工单 ${first.code}）支付通道已恢复`,
    );
    expect((await rows('customer.survey')).map((x) => x.ticketId).sort()).toEqual([first.ticketId, dup.ticketId].sort());
    const answer = await t.desk.answerSurvey({ ticket: dup.code, channel: 'web', customerExternalId: 'bob', score: 5 });
    expect(answer.outcome).toBe('satisfied');
    expect(await row(dup.ticketId)).toMatchObject({ status: 'closed', closeReason: 'merged', csatScore: 5 });
    expect((await row(first.ticketId)).status).toBe('resolved'); // its own customer decides

    expect(await command(`/unmerge ${dup.code}`)).toMatchObject({ kind: 'text', text: expect.stringContaining('仅限管理员') });
    await expect(t.desk.unmerge({ ticket: dup.code, actor: person('ou_lead'), viaAgentGroup: true })).rejects.toMatchObject({ code: 'forbidden' });
    await command(`/unmerge ${dup.code}`, 'ou_admin');
    expect(await row(dup.ticketId)).toMatchObject({ status: 'new', closeReason: null, mergedIntoId: null, csatScore: null });
    expect((await events(dup.ticketId, 'unmerged'))[0]).toMatchObject({ actor: 'agent:feishu:ou_admin', data: { restoredStatus: 'new' } });
  });

  it('round robin: fair turns among agents on duty, capped open tickets, /duty off skips; unassigned tickets stay claimable', async () => {
    await start({ assignment: { mode: 'round_robin', maxOpenPerAgent: 2, agents: ROTATION } });
    const got: string[] = [];
    const questions = ['请问怎么开发票', '会员如何续费', 'APP 闪退了', '建议增加夜间模式', '退款多久到账', '能不能改手机号', '你好'];
    for (const q of questions) {
      const r = await customer(q);
      const v = await view(r.ticketId);
      got.push(v.assignee?.userId ?? '-');
    }
    expect(got).toEqual(['ou_a', 'ou_b', 'ou_c', 'ou_a', 'ou_b', 'ou_c', '-']);
    const [assigned] = await t.db.select().from(ticketEvents).where(eq(ticketEvents.type, 'assigned')).limit(1);
    expect(assigned).toMatchObject({ actor: 'system', data: { rule: 'round_robin', agent: 'feishu:ou_a' } });
    const last = (await t.db.select().from(tickets).orderBy(asc(tickets.id))).at(-1)!;
    expect(last).toMatchObject({ status: 'new', assigneeId: null });
    // Anyone can still claim it.
    await t.desk.act({ ticket: last.code, actor: person('ou_lead'), viaAgentGroup: true, action: 'claim' });

    // ou_a closes one ticket (capacity frees up) but goes off duty: the turn passes to the next with room.
    const mine = await t.db.select().from(tickets).where(eq(tickets.status, 'claimed')).orderBy(asc(tickets.id));
    await t.desk.act({ ticket: mine[0].code, actor: person('ou_a'), viaAgentGroup: true, action: 'respond', text: '好的' });
    await t.desk.act({ ticket: mine[0].code, actor: person('ou_a'), viaAgentGroup: true, action: 'resolve' });
    await t.desk.act({ ticket: mine[1].code, actor: person('ou_b'), viaAgentGroup: true, action: 'respond', text: '好的' });
    await t.desk.act({ ticket: mine[1].code, actor: person('ou_b'), viaAgentGroup: true, action: 'resolve' });
    expect(await command('/duty off', 'ou_a')).toMatchObject({ kind: 'text', text: expect.stringContaining('暂停') });
    const r = await customer('再问一个：发票抬头怎么改');
    expect((await view(r.ticketId)).assignee?.userId).toBe('ou_b');
  });

  it('on duty: business hours by default; /duty on covers the night; by category sends bugs to the on-call', async () => {
    await start(
      { assignment: { mode: 'category', maxOpenPerAgent: 5, agents: ROTATION, byCategory: { bug: [person('ou_oncall', '值班工程师')] } } },
      '2026-03-02T22:00:00',
    );
    const night = await customer('请问怎么导出数据');
    expect((await view(night.ticketId)).assignee).toBeNull();
    await command('/duty on', 'ou_c');
    const later = await customer('会员如何续费');
    expect((await view(later.ticketId)).assignee?.userId).toBe('ou_c');
    await t.services.runCommand({ text: '/duty on', actor: person('ou_oncall'), viaAgentGroup: true, surface: 'feishu' });
    const bug = await customer('APP 闪退了');
    expect((await view(bug.ticketId)).assignee?.userId).toBe('ou_oncall');
    expect((await t.db.select().from(ticketEvents).where(eq(ticketEvents.ticketId, bug.ticketId))).find((e) => e.type === 'assigned')!.data.rule).toBe(
      'category:bug',
    );
  });

  it('canned replies: config + /canned add by leads, offered per category first, placeholders filled, usage counted', async () => {
    await start({
      canned: [
        { id: 'known-bug', title: '已知故障处理中', text: '{客户}您好，工单 {工单号} 对应的故障我们正在修复。{承诺}', category: 'bug' },
        { id: 'thanks', title: '感谢反馈', text: '感谢{客户}的反馈！' },
      ],
    });
    expect(await command('/canned add 发票指引 | 发票请在「账户-发票」页申请 | consultation')).toMatchObject({ text: expect.stringContaining('只有负责人') });
    expect(await command('/canned add 发票指引 | 发票请在「账户-发票」页申请 | consultation', 'ou_lead')).toMatchObject({
      text: expect.stringContaining('c3'),
    });
    const bug = await customer('APP 闪退', 'zhang', '张三');
    const v = await view(bug.ticketId);
    expect(v.canned!.map((c) => c.id)).toEqual(['known-bug', 'thanks', 'c3']);
    expect(v.canned![0].text).toContain('张*您好'); // the card shows the masked name
    await t.desk.act({ ticket: bug.code, actor: person('ou_a'), viaAgentGroup: true, action: 'respond', canned: 'known-bug' });
    const sent = (await rows('customer.text')).filter((x) => x.payload.purpose === 'reply').at(-1)!;
    expect(sent.payload.text).toBe(
      `张三您好，工单 ${bug.code} 对应的故障我们正在修复。产品故障类问题：我们将在 2 小时内（工作时间 9:00–12:00、13:30–18:30）首次回复，最晚 3 月 2 日（周一）12:00 前。`,
    );
    const consult = await customer('请问发票怎么开');
    expect((await view(consult.ticketId)).canned![0].id).toBe('c3');
    await command(`/canned send ${consult.code} c3`);
    await command(`/canned send ${bug.code} known-bug`);
    expect(await cannedUsage(t.db, t.services.config)).toEqual([
      { id: 'known-bug', title: '已知故障处理中', count: 2 },
      { id: 'c3', title: '发票指引', count: 1 },
    ]);
    const list = await command('/canned list');
    expect(list).toMatchObject({ kind: 'markdown', markdown: expect.stringContaining('已使用 2 次') });
    expect(await command('/canned remove known-bug', 'ou_lead')).toMatchObject({ text: expect.stringContaining('配置文件') });
    await command('/canned remove c3', 'ou_lead');
    expect((await view(consult.ticketId)).canned!.map((c) => c.id)).toEqual(['thanks', 'known-bug']);
  });

  it('a burst becomes one incident: each customer acknowledged, no card per ticket, reply/resolve all reaches everyone', async () => {
    await start();
    const texts = [
      '支付失败，一直提示系统繁忙',
      '支付失败了，提示系统繁忙',
      '付款时提示系统繁忙，支付失败',
      '为什么支付失败？系统繁忙',
      '支付失败 系统繁忙 怎么办',
      '又是支付失败，系统繁忙',
      '系统繁忙，支付失败，急',
    ];
    const made = [];
    for (const x of texts) made.push(await customer(x));
    const [inc] = await t.db.select().from(incidents);
    expect(inc).toMatchObject({ ticketCount: 7, status: 'open' });
    const members = await t.db.select().from(tickets).where(eq(tickets.incidentId, inc.id));
    expect(members).toHaveLength(7);
    // Two cards from before the burst was recognised, then only the incident card.
    const cards = await rows('agents.card');
    expect(new Set(cards.map((c) => c.ticketId))).toEqual(new Set([made[0].ticketId, made[1].ticketId]));
    expect((await rows('agents.incident')).length).toBeGreaterThan(0);
    expect((await rows('customer.text')).filter((x) => x.payload.purpose === 'ack')).toHaveLength(7);
    expect((await view(made[5].ticketId)).incident).toEqual({ code: inc.code, count: 7 });
    // The incident card, on Feishu (buttons act on the incident) and on DingTalk (markdown with the commands).
    const iv = await loadIncidentView(t.db, inc.id);
    expect(iv).toMatchObject({ count: 7, waiting: 7, channels: [{ channel: 'web', count: 7 }], actions: ['incident_reply', 'incident_resolve'] });
    expect(buttons(renderIncidentCard(iv))).toEqual({
      incident_reply: { action: 'incident_reply', incident: inc.code },
      incident_resolve: { action: 'incident_resolve', incident: inc.code },
    });
    expect(incidentMarkdown(iv)).toContain(`/incident ${inc.code} reply 内容`);

    const reply = await t.desk.incidentAct({
      incident: inc.code,
      actor: person('ou_a'),
      viaAgentGroup: true,
      action: 'incident_reply',
      text: '支付通道故障，正在抢修',
    });
    expect(reply).toMatchObject({ done: 7, skipped: 0 });
    expect((await rows('customer.text')).filter((x) => x.payload.text === '支付通道故障，正在抢修')).toHaveLength(7);
    const res = await t.desk.incidentAct({
      incident: inc.code,
      actor: person('ou_a'),
      viaAgentGroup: true,
      action: 'incident_resolve',
      text: '已恢复，请重试',
    });
    expect(res.done).toBe(7);
    expect(await rows('customer.survey')).toHaveLength(7);
    expect((await t.db.select().from(incidents))[0].status).toBe('resolved');
    // Still one ticket each: own log, own SLA met, the incident named on the events.
    const [responded] = await events(made[4].ticketId, 'responded');
    expect(responded.data).toMatchObject({ via: inc.code });
    expect((await row(made[4].ticketId)).firstResponseAt).not.toBeNull();
    // Still no per-ticket card for the members that never had one.
    expect(new Set((await rows('agents.card')).map((c) => c.ticketId))).toEqual(new Set([made[0].ticketId, made[1].ticketId]));
  });
});
