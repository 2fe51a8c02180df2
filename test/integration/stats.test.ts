import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { computeMetrics } from '../../src/core/metrics.ts';
import { tickets } from '../../src/db/schema/index.ts';
import { runCommand } from '../../src/desk/commands.ts';
import { parsePeriod, rangeOfDays } from '../../src/reports/range.ts';
import { computeStats } from '../../src/reports/stats.ts';
import { statsDeps } from '../../src/reports/commands.ts';
import { rawQuery, streamTickets } from '../../src/reports/source.ts';
import { dbKinds } from '../helpers/db.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';
import { recordingChannel } from '../helpers/recording-channel.ts';
import { AGENT, buildWeek, REPORT_AT, type Week } from './reports.fixture.ts';

describe.each(dbKinds)('stats on %s', (kind) => {
  let t: TestDesk;
  let week: Week;
  beforeAll(async () => {
    t = await createTestDesk({ kind, now: REPORT_AT, channels: [recordingChannel('feishu').factory] });
    week = await buildWeek(t);
  });
  afterAll(() => t.close());

  const range = () => rangeOfDays('2026-03-02', '2026-03-09', 'Asia/Shanghai');
  const allRows = async () => (await t.db.select().from(tickets)).map((r) => ({ ...r, slaPolicy: r.slaPolicy as never }));
  const opts = () => ({ calendar: t.services.calendar, satisfiedMin: 4, now: t.clock.now() });

  it('gives the known answers of the hand-built week', async () => {
    const s = await computeStats(statsDeps(t.services), range());
    const m = s.metrics;
    expect(m.received).toBe(6);
    expect(m.firstResponse).toMatchObject({ met: 3, breached: 2, pending: 1, metRate: 0.6, medianMinutes: 90, p90Minutes: 1920 });
    expect(m.resolution).toMatchObject({ resolved: 4, rate: 2 / 5, confirmed: 2, withTarget: 5, closedSatisfied: 2, reference: 0.92, medianMinutes: 195 });
    expect(m.reopened).toEqual({ tickets: 1, count: 1 });
    expect(m.survey).toMatchObject({ sent: 4, answered: 2, responseRate: 0.5, averageScore: 4.5, unrated: 1, distribution: [0, 0, 0, 1, 1] });
    expect(m.major).toBe(1);
    expect(m.backlog).toMatchObject({ open: 2, oldestAgeMinutes: 3960 });
    expect(s.daily.find((d) => d.day === '2026-03-02')).toMatchObject({ received: 4, byCategory: { bug: 1, consultation: 1, complaint: 2 } });
    expect(s.byAgent.find((a) => a.name === '王五')?.metrics.received).toBe(4);
    expect(s.byChannel[0]).toMatchObject({ key: 'web', name: '官网留言' });
  });

  it('matches the pure computation over every row, filters included', async () => {
    const rows = await allRows();
    const s = await computeStats(statsDeps(t.services), range());
    expect(s.metrics).toEqual(computeMetrics(rows, opts()));
    const bugs = await computeStats(statsDeps(t.services), range(), { category: 'bug' });
    expect(bugs.metrics).toEqual(computeMetrics(rows, opts(), { category: 'bug' }));
  });

  it('caches settled days and rebuilds a day when one of its tickets changes', async () => {
    await computeStats(statsDeps(t.services), range());
    const cached = await rawQuery<{ key: string }>(t.database, `select key from kv where key like 'metrics:day:%' order by key`);
    expect(cached.map((r) => r.key)).toContain('metrics:day:2026-03-02');
    // Mark the cache of 03-02 as if a ticket were different: the next call must notice the fingerprint and rebuild.
    await rawQuery(
      t.database,
      `update kv set value = jsonb_set(jsonb_set(value, '{parts}', '{}'::jsonb), '{total,received}', '0'::jsonb) where key = 'metrics:day:2026-03-02'`,
    );
    const stale = await computeStats(statsDeps(t.services), range());
    expect(stale.metrics.received).toBe(2); // the cache is trusted while its fingerprint matches…
    await t.db.update(tickets).set({ csatComment: '补充评价' }).where(eq(tickets.code, week.A));
    const fresh = await computeStats(statsDeps(t.services), range());
    expect(fresh.metrics.received).toBe(6); // …and rebuilt as soon as a ticket of that day changes
    expect(fresh.metrics).toEqual(computeMetrics(await allRows(), opts()));
  });

  it('answers /stats with a Feishu card carrying valid chart elements and a markdown fallback', async () => {
    t.clock.set(REPORT_AT);
    const reply = await runCommand(t.services, { text: '/stats 2026-03', actor: AGENT, viaAgentGroup: true, surface: 'feishu' });
    expect(reply.kind).toBe('card');
    if (reply.kind !== 'card') return;
    const card = reply.card as { schema: string; body: { elements: Array<Record<string, unknown>> } };
    const json = JSON.stringify(card);
    expect(JSON.parse(json)).toEqual(card);
    expect(Buffer.byteLength(json)).toBeLessThan(30_000);
    expect(card.schema).toBe('2.0');
    const charts = card.body.elements.filter((e) => e.tag === 'chart') as Array<{ chart_spec: Record<string, any> }>;
    expect(charts).toHaveLength(2);
    const [volume, csat] = charts.map((c) => c.chart_spec);
    expect(volume.type).toBe('common');
    expect(volume.series.map((s: { type: string }) => s.type)).toEqual(['bar', 'line']);
    expect(volume.data[0].values).toContainEqual({ date: '03-02', category: '产品故障', count: 1 });
    expect(volume.data[0].values).toContainEqual({ date: '03-02', category: '投诉', count: 2 }); // G, a major complaint, moved to 投诉
    expect(volume.data[1].values.find((v: { date: string }) => v.date === '03-02')).toEqual({ date: '03-02', rate: 75, series: '首次响应及时率 %' });
    expect(csat.data[0].values).toEqual([1, 2, 3, 4, 5].map((n) => ({ score: `${n} 分`, count: n >= 4 ? 1 : 0 })));
    expect(reply.text).toContain('解决率（全部类别）：40.0%（客户确认 2 / 有解决时限 5 件；已解决·待回访 1 件、未评价 1 件另列；无解决时限 1 件不计入）');
    expect(reply.text).toContain('参考值 92%，媒体报道的行业数字，不是规定）');
  });

  it('refuses bad periods with the usage, and people outside the roles', async () => {
    const bad = await runCommand(t.services, { text: '/stats lastyear', actor: AGENT, viaAgentGroup: true, surface: 'feishu' });
    expect(bad).toMatchObject({ kind: 'text' });
    expect(bad.kind === 'text' && bad.text).toContain('用法：/stats');
    const outsider = await runCommand(t.services, {
      text: '/stats',
      actor: { platform: 'feishu', userId: 'ou_stranger' },
      viaAgentGroup: false,
      surface: 'feishu',
    });
    expect(outsider).toEqual({ kind: 'text', text: '只有客服成员可以使用命令。' });
  });

  it('/open lists the backlog oldest first with SLA state; /sla only what is late or due soon; /mine by handler', async () => {
    const open = await runCommand(t.services, { text: '/open', actor: AGENT, viaAgentGroup: true, surface: 'feishu' });
    expect(open.kind).toBe('markdown');
    if (open.kind !== 'markdown') return;
    expect(open.title).toBe('未解决工单（2）');
    expect(open.markdown.indexOf(week.E)).toBeLessThan(open.markdown.indexOf(week.F));
    expect(open.markdown).toMatch(new RegExp(`🔴 \\*\\*${week.E}\\*\\*.*首次响应已超时`));
    expect(open.markdown).not.toContain(week.D);
    const sla = await runCommand(t.services, { text: '/sla', actor: AGENT, viaAgentGroup: true, surface: 'feishu' });
    expect(sla.kind === 'markdown' && sla.markdown).toContain(week.E);
    expect(sla.kind === 'markdown' && sla.markdown).not.toContain(week.F);
    const mine = await runCommand(t.services, { text: '/mine', actor: AGENT, viaAgentGroup: true, surface: 'feishu' });
    expect(mine).toMatchObject({ kind: 'markdown', markdown: '你名下没有未解决的工单。' });
  });

  it('streams rows in batches in receipt order, and gives the connection back when the reader stops early', async () => {
    const q = { columns: 't.id::float8 as id, t.code', from: 'tickets t', where: 'true', params: [] };
    const batches: string[][] = [];
    for await (const b of streamTickets(t.database, q, 2)) batches.push(b.map((r) => String(r.code)));
    expect(batches.every((b) => b.length <= 2)).toBe(true);
    expect(batches.flat()).toEqual([week.G, week.A, week.C, week.D, week.B, week.E, week.F]);
    for (let i = 0; i < 12; i++) {
      for await (const b of streamTickets(t.database, q, 2)) if (b.length) break;
    }
    expect(await rawQuery(t.database, 'select 1 as one')).toEqual([{ one: 1 }]);
  });

  it('parses periods in Asia/Shanghai', () => {
    const cal = t.services.calendar;
    const now = new Date('2026-03-08T17:00:00Z'); // Mon 03-09 01:00 in Shanghai
    expect(parsePeriod('today', now, cal)).toMatchObject({ fromDay: '2026-03-09', toDay: '2026-03-09', from: new Date('2026-03-08T16:00:00Z') });
    expect(parsePeriod('month', now, cal)).toMatchObject({ fromDay: '2026-03-01', toDay: '2026-03-09' });
    expect(parsePeriod('2026-02', now, cal)).toMatchObject({ fromDay: '2026-02-01', toDay: '2026-02-28', to: new Date('2026-02-28T16:00:00Z') });
    expect(parsePeriod('2026-02-30', now, cal)).toBeNull();
  });
});
