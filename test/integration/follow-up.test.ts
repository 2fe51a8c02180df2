/**
 * Silence is not satisfaction (issue 20 item 2): an unanswered survey becomes a phone follow-up task (电话回访) for a
 * named person, announced in the agents' Feishu group; that person records each failed attempt (typed /visit in the
 * group through the real Feishu channel, or the console form); only the configured number of failed attempts closes
 * the ticket as 「未评价（已回访 N 次未果）」, with who tried, when and how. A customer answering during the follow-up
 * closes it normally; an attempt on a ticket not awaiting follow-up is refused with nothing written; a re-delivered
 * command and a second submit of the same form change nothing. The ledger and the metrics count these apart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { and, asc, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config.ts';
import { SESSION_COOKIE, seal, sessionKey } from '../../src/console/session.ts';
import { agents, outbox, ticketEvents, tickets } from '../../src/db/schema/index.ts';
import { sweepDueTimers } from '../../src/jobs/sweep.ts';
import { statsDeps } from '../../src/reports/commands.ts';
import { writeLedgerXlsx } from '../../src/reports/ledger.ts';
import { buildCase } from '../../src/reports/case.ts';
import { rangeOfDays } from '../../src/reports/range.ts';
import { computeStats } from '../../src/reports/stats.ts';
import { AGENT_CHAT, startFeishuDesk, type FeishuDesk } from '../fakes/feishu/harness.ts';
import { dbKinds } from '../helpers/db.ts';
import { Jar, csrfFrom, formBody, req, versionFrom } from '../helpers/console-session.ts';
import { TEST_ADMIN_TOKEN } from '../helpers/services.ts';

const AGENT = { platform: 'feishu' as const, userId: 'ou_fu_agent', name: '小林' };
const OTHER = { platform: 'feishu' as const, userId: 'ou_fu_other', name: '小王' };
const LEAD = { platform: 'feishu' as const, userId: 'ou_fu_lead', name: '周组长' };
/** Shanghai wall time → Date. */
const cst = (local: string) => new Date(`${local}+08:00`);

describe.each(dbKinds)('电话回访 of an unanswered survey on %s', (kind) => {
  let d: FeishuDesk;
  let dir: string;
  const key = sessionKey(parseEnv({ ADMIN_TOKEN: TEST_ADMIN_TOKEN }))!;
  const bot = () => ({ openId: d.fake.botOpenId, name: 'Loopdesk', bot: true });
  const at = (local: string) => d.clock.set(cst(local));
  const sweep = () => sweepDueTimers(d.desk.deps);
  const signIn = (who: { userId: string; name: string }) => {
    const jar = new Jar();
    const iat = Math.floor(d.clock.now().getTime() / 1000);
    jar.cookies.set(SESSION_COOKIE, seal(key, { v: 1, method: 'feishu', userId: who.userId, name: who.name, iat, exp: iat + 3600 }));
    return jar;
  };
  /** A line typed in the agents' group, @bot, as Feishu delivers it; returns the event (re-send it for a re-delivery). */
  const typed = (who: { userId: string }, text: string) =>
    d.message({ openId: who.userId, chatId: AGENT_CHAT, chatType: 'group', text: `@_user_1 ${text}`, mentions: [bot()] });
  const attempt = (code: string, extra: { means?: string; result?: string; at?: Date } = {}) =>
    d.desk.recordFollowUpAttempt({ ticket: code, actor: AGENT, viaAgentGroup: true, means: '电话', result: '未接通', ...extra });
  const eventsOf = (id: number, type?: string) =>
    d.db
      .select()
      .from(ticketEvents)
      .where(type ? and(eq(ticketEvents.ticketId, id), eq(ticketEvents.type, type)) : eq(ticketEvents.ticketId, id))
      .orderBy(asc(ticketEvents.seq));
  const counts = async () => ({
    events: (await d.db.select({ n: count() }).from(ticketEvents))[0].n,
    tickets: JSON.stringify(await d.db.select().from(tickets).orderBy(tickets.id)),
  });
  const repliesTo = async (event: ReturnType<FeishuDesk['message']>) => {
    await d.settle();
    return d.fake
      .messagesIn(AGENT_CHAT)
      .filter((m) => m.parentId === (event.event.message as { message_id: string }).message_id)
      .map((m) => JSON.stringify(m.content));
  };

  /** A Feishu customer's ticket, answered and resolved by 小林 on Monday 10:00 (the survey goes out then). */
  async function resolvedTicket(openId: string, text: string) {
    at('2026-03-02T09:50:00');
    await d.send(d.message({ openId, chatId: `oc_${openId}`, text }));
    const [ticket] = (await d.db.select().from(tickets).orderBy(tickets.id)).slice(-1);
    at('2026-03-02T10:00:00');
    await d.desk.act({ ticket: ticket.code, actor: AGENT, viaAgentGroup: true, action: 'respond', text: '已为您修复，请重试' });
    await d.desk.act({ ticket: ticket.code, actor: AGENT, viaAgentGroup: true, action: 'resolve' });
    return ticket;
  }

  beforeAll(async () => {
    d = await startFeishuDesk({
      kind,
      mode: 'webhook',
      now: cst('2026-03-02T09:00:00').toISOString(),
      config: { roles: { agents: [AGENT, OTHER], leads: [LEAD], admins: [] } },
    });
    dir = mkdtempSync(join(tmpdir(), 'follow-up-'));
  });
  afterAll(async () => {
    await d?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('silence → a task for 小林 → three failed attempts (chat and console) → closed 「未评价（已回访 3 次未果）」, never satisfied', async () => {
    const ticket = await resolvedTicket('ou_fu_c1', 'APP 打开就白屏');
    const [me] = await d.db.select().from(agents).where(eq(agents.userId, AGENT.userId));

    // The reminder after 24 h; after 3 days the ticket does not close: it becomes 小林's follow-up task.
    at('2026-03-03T10:00:00');
    await sweep();
    at('2026-03-05T10:00:00');
    await sweep();
    let row = await d.ticketByCode(ticket.code);
    expect(row).toMatchObject({ status: 'resolved', closeReason: null, followUpAgentId: me.id, followUpAttempts: 0 });
    expect(await eventsOf(row.id, 'closed')).toHaveLength(0);
    const [started] = await eventsOf(row.id, 'follow_up_started');
    expect(started).toMatchObject({ actor: 'system', data: { agentId: me.id, agentName: '小林', attemptsAllowed: 3 } });
    // Announced in the agents' group, @-mentioning the named person.
    const texts = await d.db.select().from(outbox).where(eq(outbox.kind, 'agents.text'));
    const notice = texts.find((o) => String(o.payload.text).includes(`待电话回访：工单 ${ticket.code}`))!;
    expect(notice.payload).toMatchObject({ notify: 'assignee', mention: [{ userId: AGENT.userId }] });
    expect(String(notice.payload.text)).toContain('请 小林 电话回访');
    await d.settle();
    expect(JSON.stringify(d.fake.messagesIn(AGENT_CHAT))).toContain(`待电话回访：工单 ${ticket.code}`);
    // The ticket card (refreshed with the task) says so too.
    expect((await d.services.deliveryContext.ticketView(row.id)).statusLabel).toBe('已解决·待电话回访（已尝试 0/3 次）');

    // The console's 工作台 lists it under 待电话回访, naming 小林.
    const agent = signIn(AGENT);
    const queues = await (await req(d.app, agent, '/console/queues')).text();
    const section = queues.slice(queues.indexOf('id="q-followup"'), queues.indexOf('id="q-reminders"'));
    expect(section).toContain(ticket.code);
    expect(section).toContain('小林');
    expect(section).toContain('0 / 3 次');

    // Attempt 1: typed in the group; the same message delivered again records nothing more.
    at('2026-03-05T10:30:00');
    const first = typed(AGENT, `/visit ${ticket.code} 电话 未接通 上午十点半拨打`);
    await d.send(first);
    const before = await counts();
    await d.send(first);
    expect(await counts()).toEqual(before);
    expect((await d.ticketByCode(ticket.code)).followUpAttempts).toBe(1);
    expect((await repliesTo(first)).join()).toContain('已登记第 1 次回访未果（电话·未接通），还可再尝试 2 次');

    // Another agent is not the named person: refused with the reason, nothing written.
    const foreign = typed(OTHER, `/visit ${ticket.code} 电话 未接通`);
    const beforeForeign = await counts();
    await d.send(foreign);
    expect(await counts()).toEqual(beforeForeign);
    expect((await repliesTo(foreign)).join()).toContain('电话回访由 小林 负责');

    // Attempt 2: the console form; a second submit of the same form (same version) is refused, nothing written.
    at('2026-03-05T15:00:00');
    const later = signIn(AGENT);
    const page = await (await req(d.app, later, `/console/tickets/${ticket.code}`)).text();
    expect(page).toContain('登记回访未果（第 2 次）');
    expect(page).toContain('已尝试 1 / 3 次');
    const form = { csrf: csrfFrom(page), version: versionFrom(page), means: '短信', result: '未回复', note: '已发短信请客户回电' };
    const ok = await req(d.app, later, `/console/tickets/${ticket.code}/follow-up-attempt`, formBody(form));
    expect(ok.status).toBe(303);
    expect(decodeURIComponent(ok.headers.get('location')!)).toContain('已登记第 2 次回访未果（短信·未回复）');
    const beforeResubmit = await counts();
    const again = await req(d.app, later, `/console/tickets/${ticket.code}/follow-up-attempt`, formBody(form));
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('未做任何修改');
    expect(await counts()).toEqual(beforeResubmit);

    // Attempt 3 closes it: unrated with the count, never satisfied.
    at('2026-03-06T11:00:00');
    const third = typed(AGENT, `/visit ${ticket.code} 电话 拒接`);
    await d.send(third);
    expect((await repliesTo(third)).join()).toContain('按「未评价（已回访 3 次未果）」归档');
    row = await d.ticketByCode(ticket.code);
    expect(row).toMatchObject({ status: 'closed', closeReason: 'unrated', csatScore: null, followUpAttempts: 3 });
    const attempts = await eventsOf(row.id, 'follow_up_attempt');
    expect(attempts.map((e) => [e.actor, e.data.attempt, e.data.means, e.data.result, e.data.byName])).toEqual([
      [`agent:feishu:${AGENT.userId}`, 1, '电话', '未接通', '小林'],
      [`agent:feishu:${AGENT.userId}`, 2, '短信', '未回复', '小林'],
      [`agent:feishu:${AGENT.userId}`, 3, '电话', '拒接', '小林'],
    ]);
    const when = ['2026-03-05T10:30:00', '2026-03-05T15:00:00', '2026-03-06T11:00:00'].map((x) => cst(x).toISOString());
    expect(attempts.map((e) => e.data.at)).toEqual(when);
    expect(attempts[0].data.note).toBe('上午十点半拨打');
    expect((await eventsOf(row.id, 'closed'))[0].data).toEqual({ reason: 'unrated', followUpAttempts: 3 });

    // The case report tells who tried, when and how; the ledger and the metrics count it apart from satisfied closes.
    const kase = await buildCase({ ...statsDeps(d.services), now: d.clock.now() }, ticket.code);
    expect(kase!.summary.concat(kase!.sla).find(([k]) => k === '客户评价')![1]).toBe('未评价（已回访 3 次未果）');
    expect(kase!.timeline.filter((e) => e.type === 'follow_up_attempt').map((e) => e.detail)[2]).toMatch(/^第 3 次：电话·拒接，回访人 小林，/);
    const range = rangeOfDays('2026-03-01', '2026-03-31', 'Asia/Shanghai');
    const stats = await computeStats(statsDeps(d.services), range);
    expect(stats.metrics.survey).toMatchObject({ unrated: 1, unratedAfterFollowUp: 1, satisfied: 0, answered: 0 });
    expect(stats.metrics.resolution.closedSatisfied).toBe(0);
    const file = join(dir, 'ledger.xlsx');
    await writeLedgerXlsx(statsDeps(d.services), range, file);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    const rowsOf = (name: string) => {
      const sheet = wb.getWorksheet(name)!;
      const header = (sheet.getRow(1).values as unknown[]).slice(1) as string[];
      const rows: unknown[][] = [];
      sheet.eachRow((r, n) => void (n > 1 && rows.push((r.values as unknown[]).slice(1))));
      return { header, row: rows.find((r) => r[0] === ticket.code)! };
    };
    const survey = rowsOf('回访记录');
    expect(survey.row[survey.header.indexOf('回访结果')]).toBe('未评价（已回访 3 次未果），已归档');
    expect(survey.row[survey.header.indexOf('回访人')]).toBe('小林');
    const ledger = rowsOf('台账');
    expect(ledger.row[ledger.header.indexOf('处理结果')]).toBe('未评价（已回访 3 次未果）');
    // 回访方式 / 回访人 name the last attempt's means and the person who made it, not the unanswered questionnaire.
    expect(['回访方式', '回访人'].map((h) => ledger.row[ledger.header.indexOf(h)])).toEqual([expect.any(String), '小林']);
    expect(ledger.row[ledger.header.indexOf('回访方式')]).not.toBe('系统问卷');
  }, 120_000);

  it('a customer who answers during the follow-up closes it normally; then attempts are refused with nothing written', async () => {
    const ticket = await resolvedTicket('ou_fu_c2', '发票一直开不出来');
    at('2026-03-05T10:00:00');
    await sweep();
    expect((await d.ticketByCode(ticket.code)).followUpSince).not.toBeNull();
    at('2026-03-05T11:00:00');
    const r = await d.desk.answerSurvey({ ticket: ticket.code, channel: 'feishu', customerExternalId: 'ou_fu_c2', score: 5 });
    expect(r.outcome).toBe('satisfied');
    const row = await d.ticketByCode(ticket.code);
    expect(row).toMatchObject({ status: 'closed', closeReason: 'satisfied', csatScore: 5, csatVia: 'customer' });
    // Off the 待电话回访 queue.
    const queues = await (await req(d.app, signIn(AGENT), '/console/queues')).text();
    expect(queues.slice(queues.indexOf('id="q-followup"'), queues.indexOf('id="q-reminders"'))).not.toContain(ticket.code);

    const before = await counts();
    await expect(attempt(ticket.code)).rejects.toMatchObject({
      code: 'not_following_up',
      message: `工单 ${ticket.code} 当前「已归档」，不在待电话回访中，不能登记回访未果。`,
    });
    expect(await counts()).toEqual(before);
  });

  it('an attempt on a ticket still inside its survey period, an open ticket or with a bad means is refused, nothing written', async () => {
    const ticket = await resolvedTicket('ou_fu_c3', '页面加载很慢');
    const before = await counts();
    const refused = typed(AGENT, `/visit ${ticket.code} 电话 未接通`);
    await d.send(refused);
    expect((await repliesTo(refused)).join()).toContain('客户尚在评价期内，不在待电话回访中');
    await expect(attempt(ticket.code, { means: '飞鸽' })).rejects.toMatchObject({ code: 'invalid' });
    at('2026-03-05T10:00:00');
    await sweep();
    const started = await counts();
    await expect(attempt(ticket.code, { result: '  ' })).rejects.toMatchObject({ code: 'invalid' });
    await expect(attempt(ticket.code, { at: cst('2026-03-05T09:00:00') })).rejects.toMatchObject({ message: '回访时间不能早于回访任务开始的时间' });
    expect(await counts()).toEqual(started);
    expect(before.events).toBeLessThan(started.events);

    await d.send(d.message({ openId: 'ou_fu_c4', chatId: 'oc_ou_fu_c4', text: '想咨询一下价格' }));
    const [open] = (await d.db.select().from(tickets).orderBy(tickets.id)).slice(-1);
    const beforeOpen = await counts();
    await expect(attempt(open.code)).rejects.toMatchObject({ code: 'not_following_up' });
    expect(await counts()).toEqual(beforeOpen);
  });
});
