/**
 * The platform-neutral stats view: formatted KPIs, a markdown rendering (DingTalk, fallback) and two VChart specs
 * (https://www.visactor.io/vchart) that Feishu's card `chart` element takes as `chart_spec`. No functions in the
 * specs: card charts accept JSON only.
 */
import type { Metrics } from '../src/core/metrics.ts';
import { formatMinutes } from '../src/core/sla.ts';
import type { StatsResult } from '../src/reports/stats.ts';

export interface StatsKpi {
  label: string;
  value: string;
  hint?: string;
  tone: 'good' | 'warn' | 'bad' | 'neutral';
}

export interface StatsView {
  title: string;
  rangeLabel: string;
  generatedAt: string;
  kpis: StatsKpi[];
  categories: Array<{ name: string; received: number; firstResponseMetRate: string; resolutionRate: string }>;
  /** Daily volume per category (stacked bars) and the first-response-within-promise line (right axis, %). */
  volumeChart: Record<string, unknown>;
  /** Answers per score 1–5. */
  satisfactionChart: Record<string, unknown>;
  markdown: string;
}

export const pct = (r: number | null | undefined, digits = 1) => (r === null || r === undefined ? '—' : `${(r * 100).toFixed(digits)}%`);
const dur = (m: number | null) => (m === null ? '—' : formatMinutes(m, 'business'));
const calDur = (m: number | null) => (m === null ? '—' : formatMinutes(m, 'calendar'));

/** The 92% reference is the complaint resolution rate of companies that passed: compare it with complaints only. */
function complaintRate(stats: StatsResult): { rate: number | null; received: number } {
  const c = stats.byCategory.find((x) => x.key === 'complaint')?.metrics;
  return { rate: c?.resolution.rate ?? null, received: c?.received ?? 0 };
}

function kpis(m: Metrics, backlogNow: Metrics['backlog'], complaint: { rate: number | null; received: number }): StatsKpi[] {
  const rate = complaint.rate;
  return [
    { label: '收到工单', value: String(m.received), hint: m.major ? `重大投诉 ${m.major}` : undefined, tone: m.major ? 'warn' : 'neutral' },
    {
      label: '首次响应及时率',
      value: pct(m.firstResponse.metRate),
      hint: `及时 ${m.firstResponse.met} / 超时 ${m.firstResponse.breached}`,
      tone: m.firstResponse.metRate === null ? 'neutral' : m.firstResponse.metRate >= 0.95 ? 'good' : m.firstResponse.metRate >= 0.8 ? 'warn' : 'bad',
    },
    {
      label: '投诉解决率',
      value: pct(rate),
      hint: `投诉 ${complaint.received} 件，参考值 ${pct(m.resolution.reference, 0)}；全部类别 ${pct(m.resolution.rate)}`,
      tone: rate === null ? 'neutral' : rate >= m.resolution.reference ? 'good' : 'warn',
    },
    { label: '首次响应中位数', value: dur(m.firstResponse.medianMinutes), hint: `P90 ${dur(m.firstResponse.p90Minutes)}（工作时间）`, tone: 'neutral' },
    {
      label: '满意度',
      value: m.survey.averageScore === null ? '—' : `${m.survey.averageScore.toFixed(1)} 分`,
      hint: `满意占比 ${pct(m.survey.satisfiedShare)}，应答率 ${pct(m.survey.responseRate)}`,
      tone: m.survey.satisfiedShare === null ? 'neutral' : m.survey.satisfiedShare >= 0.9 ? 'good' : 'warn',
    },
    { label: '当前积压', value: String(backlogNow.open), hint: backlogNow.oldestAgeMinutes === null ? undefined : `最久 ${calDur(backlogNow.oldestAgeMinutes)}`, tone: backlogNow.open ? 'warn' : 'good' },
  ];
}

function shortDay(day: string, days: number): string {
  return days <= 62 ? day.slice(5) : day;
}

export function volumeChartSpec(stats: Pick<StatsResult, 'daily'>, categoryNames: Record<string, string>): Record<string, unknown> {
  const n = stats.daily.length;
  const volume = stats.daily.flatMap((d) =>
    Object.entries(d.byCategory)
      .filter(([, count]) => count > 0)
      .map(([cat, count]) => ({ date: shortDay(d.day, n), category: categoryNames[cat] ?? cat, count })),
  );
  const sla = stats.daily
    .filter((d) => d.firstResponseMetRate !== null)
    .map((d) => ({ date: shortDay(d.day, n), rate: Math.round(d.firstResponseMetRate! * 1000) / 10, series: '首次响应及时率 %' }));
  return {
    type: 'common',
    title: { visible: true, text: '每日工单量（按分类）与首次响应及时率' },
    data: [
      { id: 'volume', values: volume },
      { id: 'sla', values: sla },
    ],
    series: [
      { type: 'bar', id: 'volume', dataIndex: 0, xField: 'date', yField: 'count', seriesField: 'category', stack: true },
      { type: 'line', id: 'sla', dataIndex: 1, xField: 'date', yField: 'rate', seriesField: 'series', point: { visible: true } },
    ],
    axes: [
      { orient: 'left', seriesIndex: [0], title: { visible: true, text: '工单数' } },
      { orient: 'right', seriesIndex: [1], min: 0, max: 100, title: { visible: true, text: '及时率 %' }, grid: { visible: false } },
      { orient: 'bottom', type: 'band' },
    ],
    legends: { visible: true, orient: 'bottom' },
  };
}

export function satisfactionChartSpec(m: Metrics): Record<string, unknown> {
  return {
    type: 'bar',
    title: { visible: true, text: `满意度分布（已评价 ${m.survey.answered}）` },
    data: [{ id: 'scores', values: m.survey.distribution.map((count, i) => ({ score: `${i + 1} 分`, count })) }],
    xField: 'score',
    yField: 'count',
    label: { visible: true },
    axes: [{ orient: 'left', title: { visible: true, text: '份数' } }],
  };
}

export function statsMarkdown(stats: StatsResult, title: string, generatedAt: string, categoryNames: Record<string, string>): string {
  const m = stats.metrics;
  const lines = [
    `**${title}**`,
    `区间：${stats.range.label}　生成：${generatedAt}`,
    '',
    `- 收到工单：${m.received}${m.major ? `（重大投诉 ${m.major}）` : ''}`,
    `- 首次响应及时率：${pct(m.firstResponse.metRate)}（及时 ${m.firstResponse.met} / 超时 ${m.firstResponse.breached}，待响应 ${m.firstResponse.pending}）；中位 ${dur(m.firstResponse.medianMinutes)}，P90 ${dur(m.firstResponse.p90Minutes)}（工作时间）`,
    `- 解决率（全部类别）：${pct(m.resolution.rate)}；投诉解决率：${pct(complaintRate(stats).rate)}（投诉 ${complaintRate(stats).received} 件，审核通过企业平均 ${pct(m.resolution.reference, 0)}）；满意归档率 ${pct(m.resolution.satisfiedRate)}；解决时长中位 ${dur(m.resolution.medianMinutes)}`,
    `- 超时工单：${m.breaches.tickets}（首次响应 ${m.breaches.firstResponse}，解决 ${m.breaches.resolution}）；重开 ${m.reopened.tickets} 张（${m.reopened.count} 次）`,
    `- 回访：已发 ${m.survey.sent}，已评价 ${m.survey.answered}（应答率 ${pct(m.survey.responseRate)}），平均 ${m.survey.averageScore ?? '—'} 分，满意占比 ${pct(m.survey.satisfiedShare)}，未评价 ${m.survey.unrated}`,
    `- 区间内未解决：${m.backlog.open}；当前全部积压：${stats.backlogNow.open}${stats.backlogNow.oldestAgeMinutes !== null ? `，最久 ${calDur(stats.backlogNow.oldestAgeMinutes)}` : ''}`,
  ];
  if (stats.byCategory.length) {
    lines.push('', `按分类：${stats.byCategory.map((c) => `${categoryNames[c.key] ?? c.name} ${c.metrics.received}（及时 ${pct(c.metrics.firstResponse.metRate, 0)}，解决 ${pct(c.metrics.resolution.rate, 0)}）`).join(' · ')}`);
  }
  return lines.join('\n');
}

/** `mark` goes before the title (【演示数据】 on a demo database: the card then says so wherever it is shown). */
export function statsView(stats: StatsResult, opts: { title?: string; mark?: string; categoryNames: Record<string, string>; generatedAt: string }): StatsView {
  const title = `${opts.mark ?? ''}${opts.title ?? `客服数据 · ${stats.range.label}`}`;
  return {
    title,
    rangeLabel: stats.range.label,
    generatedAt: opts.generatedAt,
    kpis: kpis(stats.metrics, stats.backlogNow, complaintRate(stats)),
    categories: stats.byCategory.map((c) => ({
      name: opts.categoryNames[c.key] ?? c.name,
      received: c.metrics.received,
      firstResponseMetRate: pct(c.metrics.firstResponse.metRate),
      resolutionRate: pct(c.metrics.resolution.rate),
    })),
    volumeChart: volumeChartSpec(stats, opts.categoryNames),
    satisfactionChart: satisfactionChartSpec(stats.metrics),
    markdown: statsMarkdown(stats, title, opts.generatedAt, opts.categoryNames),
  };
}
