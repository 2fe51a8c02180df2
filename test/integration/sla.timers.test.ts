import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { and, asc, eq, sql } from 'drizzle-orm';
import { createWebChannel } from '../../src/channels/web/index.tsx';
import { agents, outbox, ticketEvents, tickets, timers } from '../../src/db/schema/index.ts';
import { loadTicketView } from '../../src/desk/view.ts';
import { claimDueTimers, sweepDueTimers } from '../../src/jobs/sweep.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';
import { dbKinds } from '../helpers/db.ts';
import { recordingChannel } from '../helpers/recording-channel.ts';

/** Shanghai wall time → Date (UTC+8, no DST). */
const cst = (local: string) => new Date(`${local}+08:00`);

const SLA_CONFIG = {
  categories: [
    { id: 'bug', name: '产品故障', nameEn: 'Bug', firstResponseMinutes: 120, resolutionMinutes: 1440, nextResponseMinutes: 60, keywords: ['闪退'] },
    { id: 'hotline', name: '热线', nameEn: 'Hotline', firstResponseMinutes: 60, resolutionMinutes: null, clock: 'calendar', keywords: ['热线'] },
    { id: 'other', name: '其他', nameEn: 'Other', firstResponseMinutes: 1440, resolutionMinutes: 4320, keywords: [] },
  ],
  roles: {
    agents: [
      { platform: 'feishu', userId: 'ou_agent', name: '小王' },
      { platform: 'feishu', userId: 'ou_agent2', name: '小李' },
    ],
    leads: [{ platform: 'feishu', userId: 'ou_lead', name: '组长' }],
    admins: [{ platform: 'feishu', userId: 'ou_admin', name: '主管' }],
  },
};

describe.each(dbKinds)('SLA timers on %s', (kind) => {
  let t: TestDesk;
  let rec: ReturnType<typeof recordingChannel>;
  afterEach(() => t?.close());

  async function start(now = '2026-03-02T10:00:00') {
    rec = recordingChannel('feishu');
    t = await createTestDesk({ kind, config: SLA_CONFIG, now: cst(now).toISOString(), channels: [createWebChannel, rec.factory] });
  }
  const at = (local: string) => t.clock.set(cst(local));
  const sweep = () => sweepDueTimers(t.desk.deps);
  const customer = (text: string, who = 'c1') =>
    t.desk.intake({ channel: 'web', dedupeKey: randomUUID(), customer: { externalId: who, phone: '13800000000' }, replyTo: { page: who }, text });
  const agent = (userId = 'ou_agent') => ({ platform: 'feishu', userId });
  const act = (code: string, action: 'claim' | 'respond' | 'resolve' | 'reclassify' | 'major', extra: Record<string, unknown> = {}, userId = 'ou_agent') =>
    t.desk.act({ ticket: code, actor: agent(userId), viaAgentGroup: true, action, ...extra });
  const pings = async () =>
    (await t.db.select().from(outbox).where(eq(outbox.kind, 'agents.text')).orderBy(asc(outbox.id))).map((r) => ({
      text: String(r.payload.text),
      notify: r.payload.notify,
      mention: ((r.payload.mention as Array<{ userId: string }>) ?? []).map((m) => m.userId),
      items: (r.payload.items as Array<{ ticket: string; timer: string }>) ?? [],
      idemKey: r.idemKey,
    }));
  const events = (ticketId: number, type: string) =>
    t.db
      .select()
      .from(ticketEvents)
      .where(and(eq(ticketEvents.ticketId, ticketId), eq(ticketEvents.type, type)))
      .orderBy(asc(ticketEvents.seq));
  const view = (ticketId: number) => loadTicketView(t.db, t.services.config, t.services.calendar, ticketId, t.clock.now());

  it('reminds before the breach, records the breach at the due time, then climbs the ladder: assignee → +30 min leads → +2 h admins', async () => {
    await start();
    const c = await customer('登录后 APP 闪退');
    expect(c.promise).toBe('产品故障类问题：我们将在 2 小时内（工作时间 9:00–12:00、13:30–18:30）首次回复，最晚 3 月 2 日（周一）12:00 前。');
    at('2026-03-02T10:05:00');
    await act(c.code, 'claim');

    at('2026-03-02T11:29:00');
    expect((await sweep()).fired).toBe(0);
    expect((await view(c.ticketId)).firstResponse).toMatchObject({ state: 'on_track', label: '剩余 31分钟' });

    at('2026-03-02T11:30:00'); // 75% of 2 h
    const r = await sweep();
    expect(r).toMatchObject({ fired: 1, pings: 1 });
    let p = await pings();
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ notify: 'assignee', mention: ['ou_agent'] });
    expect(p[0].text).toContain('首次响应即将超时：剩余 30分钟');
    expect(await events(c.ticketId, 'sla_due_soon')).toHaveLength(1);
    expect((await view(c.ticketId)).firstResponse).toMatchObject({ state: 'due_soon', label: '即将超时，剩余 30分钟' });
    // The card is refreshed so it shows the new state.
    const cards = await t.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.kind, 'agents.card'), eq(outbox.ticketId, c.ticketId)));
    expect(cards.length).toBeGreaterThanOrEqual(3); // created, claimed, due soon
    expect((await sweep()).claimed).toBe(0);

    at('2026-03-02T12:00:20'); // the sweep runs a little after the due time
    expect(await sweep()).toMatchObject({ breaches: 1, pings: 1 });
    const [breach] = await events(c.ticketId, 'sla_breached');
    expect(breach.at.toISOString()).toBe(cst('2026-03-02T12:00:00').toISOString());
    expect(breach.data).toMatchObject({ target: 'first', detectedAt: cst('2026-03-02T12:00:20').toISOString() });
    p = await pings();
    expect(p).toHaveLength(2);
    expect(p[1]).toMatchObject({ notify: 'assignee', mention: ['ou_agent'] });
    expect(p[1].text).toContain('首次响应已超时');

    at('2026-03-02T13:00:00'); // lunch break: +30 business minutes is 14:00
    expect((await sweep()).fired).toBe(0);
    at('2026-03-02T14:00:00');
    await sweep();
    p = await pings();
    expect(p).toHaveLength(3);
    expect(p[2]).toMatchObject({ notify: 'leads', mention: ['ou_lead'] });
    expect(p[2].text).toContain('已升级至负责人');

    at('2026-03-02T15:30:00'); // +2 business hours after 12:00
    await sweep();
    p = await pings();
    expect(p).toHaveLength(4);
    expect(p[3]).toMatchObject({ notify: 'admins', mention: ['ou_admin'] });

    // The card shows wall-clock lateness; the answer stops the ladder for good.
    at('2026-03-02T15:40:00');
    expect((await view(c.ticketId)).firstResponse).toMatchObject({ state: 'breached', label: '已超时 3小时40分' });
    await act(c.code, 'respond', { text: '您好，正在排查' });
    expect((await view(c.ticketId)).firstResponse).toMatchObject({ state: 'breached', label: '已超时 3小时40分' });
    at('2026-03-03T18:00:00');
    await sweep();
    expect(await pings()).toHaveLength(4);
    expect(await events(c.ticketId, 'sla_breached')).toHaveLength(1);

    // Delivered through the agents' surface with the people to mention.
    await t.services.outbox.drainOnce();
    const delivered = rec.texts().map((r) => r.payload.notify);
    expect(delivered).toEqual(['assignee', 'assignee', 'leads', 'admins']);
  });

  it('groups the breaches of one sweep into one message per recipient; unclaimed tickets go to the agents on duty', async () => {
    await start();
    const codes: Array<{ code: string; ticketId: number }> = [];
    for (let i = 0; i < 5; i++) codes.push(await customer(`APP 闪退 ${i}`, `c${i}`));
    at('2026-03-02T10:01:00');
    for (const c of codes.slice(0, 3)) await act(c.code, 'claim', {}, 'ou_agent');
    await act(codes[3].code, 'claim', {}, 'ou_agent2');
    // codes[4] stays unclaimed; an agent who is off duty is not mentioned.
    await t.db.insert(agents).values({ platform: 'feishu', userId: 'ou_off', role: 'agent', onDuty: false });

    at('2026-03-02T12:00:00');
    const r = await sweep();
    expect(r.breaches).toBe(5);
    const p = (await pings()).filter((x) => x.text.includes('已超时'));
    expect(p).toHaveLength(3);
    const mine = p.find((x) => x.mention.join() === 'ou_agent')!;
    expect(mine.items.map((i) => i.ticket).sort()).toEqual(
      codes
        .slice(0, 3)
        .map((c) => c.code)
        .sort(),
    );
    expect(mine.text.split('\n')[0]).toBe('SLA 提醒（3 项）：');
    expect(p.find((x) => x.mention.join() === 'ou_agent2')!.items).toHaveLength(1);
    const duty = p.find((x) => x.notify === 'duty')!;
    expect(duty.mention).toEqual(['ou_agent', 'ou_agent2']);
    expect(duty.items.map((i) => i.ticket)).toEqual([codes[4].code]);
  });

  it('after a day of downtime each threshold pings once, and the breach keeps its true time', async () => {
    await start();
    const c = await customer('APP 闪退，急');
    await act(c.code, 'claim');
    at('2026-03-03T10:00:00'); // next day: due soon, breach, +30 min and +2 h are all overdue
    const r = await sweep();
    expect(r).toMatchObject({ breaches: 1, pings: 3 });
    const p = await pings();
    expect(p.map((x) => x.notify)).toEqual(['assignee', 'leads', 'admins']);
    expect(p.some((x) => x.text.includes('即将超时'))).toBe(false); // too late for "due soon"
    const [breach] = await events(c.ticketId, 'sla_breached');
    expect(breach.at.toISOString()).toBe(cst('2026-03-02T12:00:00').toISOString());
    at('2026-03-03T10:00:30');
    expect((await sweep()).claimed).toBe(0);
    expect(await pings()).toHaveLength(3);
  });

  it('business-clock pings never go out at 3 a.m., but the breach is recorded; calendar-clock promises ping around the clock', async () => {
    await start('2026-03-02T16:30:00');
    const c = await customer('APP 闪退');
    await act(c.code, 'claim'); // first response due 18:30 (closing time)
    at('2026-03-03T03:00:00'); // the service was down all evening
    const r = await sweep();
    expect(r.breaches).toBe(1);
    expect(r.pings).toBe(0);
    expect(r.deferred).toBe(1); // the assignee ping waits for 09:00
    expect((await events(c.ticketId, 'sla_breached'))[0].at.toISOString()).toBe(cst('2026-03-02T18:30:00').toISOString());
    expect((await view(c.ticketId)).firstResponse).toMatchObject({ state: 'breached', label: '已超时 8小时30分' });
    expect(await pings()).toHaveLength(0);

    at('2026-03-03T09:00:00');
    await sweep();
    expect((await pings()).map((x) => x.notify)).toEqual(['assignee']);
    at('2026-03-03T09:30:00'); // +30 business minutes after 18:30
    await sweep();
    expect((await pings()).map((x) => x.notify)).toEqual(['assignee', 'leads']);

    // A 24/7 hotline promise made at 02:00 does page at 03:00.
    at('2026-03-04T02:00:00');
    const h = await customer('热线打不通', 'night-owl');
    at('2026-03-04T02:45:00');
    await sweep();
    at('2026-03-04T03:00:00');
    await sweep();
    const night = (await pings()).filter((x) => x.items.some((i) => i.ticket === h.code));
    expect(night.map((x) => [x.notify, x.text.includes('即将超时') ? 'soon' : 'breach'])).toEqual([
      ['duty', 'soon'],
      ['duty', 'breach'],
    ]);
  });

  it('pauses the resolution clock while waiting on the customer and resumes it when they write', async () => {
    await start();
    const c = await customer('APP 闪退');
    at('2026-03-02T10:30:00');
    await act(c.code, 'respond', { text: '请问您的系统版本？', waitForCustomer: true });
    const pendingResolution = () =>
      t.db
        .select()
        .from(timers)
        .where(and(eq(timers.ticketId, c.ticketId), eq(timers.status, 'pending'), sql`${timers.data}->>'target' = 'resolution'`));
    expect(await pendingResolution()).toHaveLength(0);
    at('2026-03-02T11:30:00');
    let v = await view(c.ticketId);
    expect(v.paused).toBe(true);
    expect(v.resolution.state).toBe('paused');
    expect(v.resolution.label).toBe('等待客户中（已暂停计时），剩余 23小时30分（累计暂停 1小时）');

    at('2026-03-06T10:00:00'); // past the original due time (Thu 10:00): no breach while paused
    const r = await sweep();
    expect(r.breaches).toBe(0);
    expect(await pings()).toHaveLength(0);

    await customer('版本是 3.2.1'); // resumes
    const [row] = await t.db.select().from(tickets).where(eq(tickets.id, c.ticketId));
    expect(row.slaPausedSince).toBeNull();
    expect(row.slaPausedMinutes).toBe(1890); // Mon 10:30 → Fri 10:00 in business minutes
    const armed = await pendingResolution();
    expect(armed.find((x) => x.kind === 'sla.breach')!.dueAt.toISOString()).toBe(row.resolutionDueAt!.toISOString());
    expect(row.resolutionDueAt!.toISOString()).toBe(cst('2026-03-11T09:30:00').toISOString());
    v = await view(c.ticketId);
    expect(v.resolution.state).toBe('on_track');
    expect(v.resolution.label).toBe('剩余 23小时30分（累计暂停 31小时30分）');
    const [resumed] = await events(c.ticketId, 'customer_message');
    expect(resumed.data.pausedMinutes).toBe(1890);
    // The customer's message while the first response was already given starts the next-response target.
    expect(v.nextResponse).toMatchObject({ state: 'on_track', label: '剩余 1小时' });
  });

  it('next-response target: armed by the first unanswered customer message, met by the next agent answer', async () => {
    await start();
    const c = await customer('APP 闪退');
    at('2026-03-02T10:10:00');
    await act(c.code, 'respond', { text: '收到，正在看' });
    expect((await view(c.ticketId)).nextResponse?.state).toBe('none');
    at('2026-03-02T10:20:00');
    await customer('补充一下截图');
    at('2026-03-02T10:30:00');
    await customer('还有日志'); // the clock keeps running from 10:20
    at('2026-03-02T11:05:00');
    await sweep();
    let p = await pings();
    expect(p).toHaveLength(1);
    expect(p[0].text).toContain('下次响应即将超时：剩余 15分钟');
    at('2026-03-02T11:10:00');
    await act(c.code, 'respond', { text: '已定位问题' });
    at('2026-03-02T11:20:00');
    expect((await sweep()).breaches).toBe(0);

    at('2026-03-02T11:30:00');
    await customer('什么时候修好？'); // due 14:00: 30 minutes before lunch, 30 after
    at('2026-03-02T14:00:00');
    const r = await sweep();
    expect(r.breaches).toBe(1);
    const [breach] = await events(c.ticketId, 'sla_breached');
    expect(breach.data).toMatchObject({ target: 'next' });
    expect(breach.at.toISOString()).toBe(cst('2026-03-02T14:00:00').toISOString());
    p = await pings();
    expect(p.at(-1)!.text).toContain('下次响应已超时');
  });

  it('survey: a reminder to the customer after 24 h, then a phone follow-up task for the assignee after 3 days (never closed by silence)', async () => {
    await start();
    const c = await customer('APP 闪退');
    await act(c.code, 'respond', { text: '已修复，请重试' });
    at('2026-03-02T11:00:00');
    await act(c.code, 'resolve');
    at('2026-03-03T10:59:00');
    expect((await sweep()).fired).toBe(0);
    at('2026-03-03T11:00:00');
    await sweep();
    const reminders = await t.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.ticketId, c.ticketId), eq(outbox.kind, 'customer.text'), sql`${outbox.payload}->>'purpose' = 'notice'`));
    expect(reminders).toHaveLength(1);
    expect(String(reminders[0].payload.text)).toContain('还没有收到您的评价');
    expect(await events(c.ticketId, 'survey_reminded')).toHaveLength(1);

    at('2026-03-05T11:00:00');
    await sweep();
    const [row] = await t.db.select().from(tickets).where(eq(tickets.id, c.ticketId));
    const [me] = await t.db.select().from(agents).where(eq(agents.userId, 'ou_agent'));
    expect(row).toMatchObject({ status: 'resolved', closeReason: null, csatScore: null, followUpAgentId: me.id, followUpAttempts: 0 });
    expect(row.followUpSince?.toISOString()).toBe(cst('2026-03-05T11:00:00').toISOString());
    expect(await events(c.ticketId, 'closed')).toHaveLength(0);
    expect((await events(c.ticketId, 'follow_up_started'))[0].data).toMatchObject({ agentId: me.id, agentName: '小王', attemptsAllowed: 3 });
    expect((await pings()).at(-1)).toMatchObject({ notify: 'assignee', mention: ['ou_agent'] });
    expect((await pings()).at(-1)!.text).toContain(`待电话回访：工单 ${c.code}`);
    at('2026-03-09T11:00:00');
    expect((await sweep()).claimed).toBe(0);

    // An answer cancels the reminder and the unrated close.
    const d = await customer('又闪退了', 'c2');
    await act(d.code, 'respond', { text: '已修复' });
    await act(d.code, 'resolve');
    await t.desk.answerSurvey({ ticket: d.code, channel: 'web', customerExternalId: 'c2', score: 5 });
    const left = await t.db
      .select()
      .from(timers)
      .where(and(eq(timers.ticketId, d.ticketId), eq(timers.status, 'pending')));
    expect(left).toHaveLength(0);
  });

  it('reclassification re-arms the timers for the new promise; a major complaint pages the leads at once, once', async () => {
    await start();
    const c = await customer('想了解一下你们的产品'); // other: 24 business hours
    at('2026-03-02T10:30:00');
    await act(c.code, 'reclassify', { category: 'bug' });
    const pending = await t.db
      .select()
      .from(timers)
      .where(and(eq(timers.ticketId, c.ticketId), eq(timers.status, 'pending'), eq(timers.kind, 'sla.breach')));
    expect(pending.map((x) => [x.data.target, x.dueAt.toISOString()]).sort()).toEqual(
      [
        ['first', cst('2026-03-02T12:00:00').toISOString()],
        ['resolution', cst('2026-03-05T10:00:00').toISOString()],
      ].sort(),
    );

    await act(c.code, 'major', { major: true, text: '客户表示要向 12315 投诉' });
    let p = await pings();
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ notify: 'leads', mention: ['ou_lead'] });
    expect(p[0].text).toContain('重大投诉');
    await act(c.code, 'major', { major: false, text: '误报' });
    await act(c.code, 'major', { major: true, text: '确认' });
    p = await pings();
    expect(p).toHaveLength(1);
  });

  it('survives a restart in the middle: timers claimed by a crashed instance fire once after the lease', async () => {
    await start();
    const c = await customer('APP 闪退');
    await act(c.code, 'claim');
    at('2026-03-02T11:30:00');
    await sweep();
    at('2026-03-02T12:00:00');
    // Instance A claims the breach and the assignee ping, then dies before firing them.
    const claimed = await claimDueTimers(t.desk.deps, t.clock.now());
    expect(claimed.map((x) => x.kind).sort()).toEqual(['sla.breach', 'sla.escalate']);
    await t.services.stop();

    // Instance B on the same database.
    const { createServices } = await import('../../src/services.ts');
    const b = createServices({
      env: t.services.env,
      config: t.services.config,
      database: t.database,
      clock: t.clock,
      log: t.services.log,
      channels: [createWebChannel, rec.factory],
    });
    at('2026-03-02T12:00:30');
    expect((await sweepDueTimers(b.desk.deps)).claimed).toBe(0); // still leased by A
    at('2026-03-02T12:01:01');
    expect(await sweepDueTimers(b.desk.deps)).toMatchObject({ breaches: 1, pings: 1 });
    at('2026-03-02T14:00:00');
    await sweepDueTimers(b.desk.deps);
    expect((await pings()).map((x) => x.notify)).toEqual(['assignee', 'assignee', 'leads']);
    expect(await events(c.ticketId, 'sla_breached')).toHaveLength(1);
    await b.stop();
  });
});

describe.runIf(dbKinds.includes('postgres'))('SLA sweep on PostgreSQL with two instances', () => {
  let t: TestDesk;
  afterEach(() => t?.close());

  it('two sweepers at once: every breach recorded once and every ping sent once', async () => {
    const rec = recordingChannel('feishu');
    // Incident grouping off: 60 near-identical tickets would fold their pings into one incident notice, and this
    // test counts the pings of each timer (triage tests cover the folding).
    t = await createTestDesk({
      kind: 'postgres',
      config: { ...SLA_CONFIG, triage: { bursts: { enabled: false } } },
      now: cst('2026-03-02T10:00:00').toISOString(),
      channels: [createWebChannel, rec.factory],
    });
    const n = 60;
    const created = [];
    for (let i = 0; i < n; i++) {
      const c = await t.desk.intake({ channel: 'web', dedupeKey: randomUUID(), customer: { externalId: `p${i}` }, replyTo: {}, text: `APP 闪退 ${i}` });
      await t.desk.act({ ticket: c.code, actor: { platform: 'feishu', userId: i % 2 ? 'ou_agent' : 'ou_agent2' }, viaAgentGroup: true, action: 'claim' });
      created.push(c);
    }
    // A second instance: its own connection pool and services on the same database.
    const { openDatabase } = await import('../../src/db/node.ts');
    const { createServices } = await import('../../src/services.ts');
    const database2 = await openDatabase({ databaseUrl: t.database.url!, migrate: false });
    const b = createServices({
      env: t.services.env,
      config: t.services.config,
      database: database2,
      clock: t.clock,
      log: t.services.log,
      channels: [createWebChannel, rec.factory],
    });
    try {
      t.clock.set(cst('2026-03-03T10:00:00')); // all thresholds of the day are due: due soon (skipped), breach, 3 ladder steps
      const runs = await Promise.all([
        sweepDueTimers(t.desk.deps, t.clock.now(), { batchSize: 7 }),
        sweepDueTimers(b.desk.deps, t.clock.now(), { batchSize: 7 }),
        sweepDueTimers(t.desk.deps, t.clock.now(), { batchSize: 11 }),
        sweepDueTimers(b.desk.deps, t.clock.now(), { batchSize: 11 }),
      ]);
      expect(runs.reduce((a, r) => a + r.claimed, 0)).toBe(n * 5);
      expect(runs.reduce((a, r) => a + r.breaches, 0)).toBe(n);
      const breaches = await t.db.select().from(ticketEvents).where(eq(ticketEvents.type, 'sla_breached'));
      expect(breaches).toHaveLength(n);
      expect(new Set(breaches.map((e) => e.ticketId)).size).toBe(n);
      const rows = await t.db.select().from(outbox).where(eq(outbox.kind, 'agents.text'));
      const items = rows.flatMap((r) => (r.payload.items as Array<{ timer: string }>).map((i) => i.timer));
      expect(items).toHaveLength(n * 3);
      expect(new Set(items).size).toBe(n * 3);
      const fired = await t.db.select().from(timers).where(eq(timers.status, 'fired'));
      expect(fired.filter((x) => x.kind !== 'major.page')).toHaveLength(n * 5);
      expect((await sweepDueTimers(b.desk.deps)).claimed).toBe(0);
    } finally {
      await b.stop();
      await database2.close();
    }
  });
});
