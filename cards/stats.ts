/**
 * The platform-neutral stats view: formatted KPIs, a markdown rendering (DingTalk, fallback) and two VChart specs
 * (https://www.visactor.io/vchart) that Feishu's card `chart` element takes as `chart_spec`. No functions in the
 * specs: card charts accept JSON only.
 */
import { DEFINITIONS_SHORT, type Metrics } from '../src/core/metrics.ts';
import { unfinishedNote } from '../src/reports/range.ts';
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
  /** The running month (when the range holds it) and the one-line 口径, printed under the figures. */
  notes: string[];
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
    {
      label: '收到工单',
      value: `${m.received} 件`,
      hint:
        [m.major ? `重大投诉 ${m.major} 件` : '', m.imported ? `另有导入的历史记录 ${m.imported} 件，不计入指标` : ''].filter(Boolean).join('；') || undefined,
      tone: m.major ? 'warn' : 'neutral',
    },
    {
      label: '首次响应及时率',
      value: pct(m.firstResponse.metRate),
      hint: `及时 ${m.firstResponse.met} / 超时 ${m.firstResponse.breached} 件，按承诺的计时方式`,
      tone: m.firstResponse.metRate === null ? 'neutral' : m.firstResponse.metRate >= 0.95 ? 'good' : m.firstResponse.metRate >= 0.8 ? 'warn' : 'bad',
    },
    {
      label: '投诉解决率',
      value: pct(rate),
      hint: `投诉 ${complaint.received} 件，参考值 ${pct(m.resolution.reference, 0)}（行业数字，非规定）；全部类别 ${pct(m.resolution.rate)}`,
      tone: rate === null ? 'neutral' : rate >= m.resolution.reference ? 'good' : 'warn',
    },
    { label: '首次响应中位数', value: dur(m.firstResponse.medianMinutes), hint: `P90 ${dur(m.firstResponse.p90Minutes)}（工作时间）`, tone: 'neutral' },
    {
      label: '满意度',
      value: m.survey.averageScore === null ? '—' : `${m.survey.averageScore.toFixed(1)} 分`,
      hint: `满意占比 ${pct(m.survey.satisfiedShare)}，应答率 ${pct(m.survey.responseRate)}，满意归档率 ${pct(m.resolution.satisfiedRate)}`,
      tone: m.survey.satisfiedShare === null ? 'neutral' : m.survey.satisfiedShare >= 0.9 ? 'good' : 'warn',
    },
    {
      label: '当前积压',
      value: `${backlogNow.open} 件`,
      hint: backlogNow.oldestAgeMinutes === null ? undefined : `最久 ${calDur(backlogNow.oldestAgeMinutes)}`,
      tone: backlogNow.open ? 'warn' : 'good',
    },
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
  const { firstResponse: fr, resolution: r, survey: sv } = m;
  const backlog = stats.backlogNow;
  const complaint = complaintRate(stats);
  const lines = [
    `**${title}**`,
    `区间：${stats.range.label}　生成：${generatedAt}`,
    ...(unfinishedNote(stats.range) ? [unfinishedNote(stats.range)!] : []),
    '',
    `- 收到工单：${m.received} 件${m.major ? `（重大投诉 ${m.major} 件）` : ''}`,
    `- 首次响应及时率：${pct(fr.metRate)}（及时 ${fr.met} / 超时 ${fr.breached}，待响应 ${fr.pending} 件；按各类别承诺的计时方式）；` +
      `中位 ${dur(fr.medianMinutes)}，P90 ${dur(fr.p90Minutes)}（工作时间）`,
    `- 解决率（全部类别）：${pct(r.rate)}（客户确认 ${r.confirmed} / 有解决时限 ${r.withTarget} 件；` +
      `已解决·待回访 ${r.awaitingSurvey} 件、未评价 ${r.unrated} 件另列；无解决时限 ${r.excludedNoTarget} 件不计入）`,
    `- 投诉解决率：${pct(complaint.rate)}（投诉 ${complaint.received} 件；参考值 ${pct(r.reference, 0)}，媒体报道的行业数字，不是规定）；` +
      `满意归档率 ${pct(r.satisfiedRate)}；解决时长中位 ${dur(r.medianMinutes)}`,
    `- 超时工单：${m.breaches.tickets} 件（首次响应 ${m.breaches.firstResponse}，解决 ${m.breaches.resolution}）；重开 ${m.reopened.tickets} 件（${m.reopened.count} 次）`,
    `- 回访：已发 ${sv.sent} 件，已评价 ${sv.answered} 件（应答率 ${pct(sv.responseRate)}），平均 ${sv.averageScore ?? '—'} 分，` +
      `满意占比 ${pct(sv.satisfiedShare)}，未评价 ${sv.unrated} 件`,
    `- 区间内未解决：${m.backlog.open} 件；当前全部积压：${backlog.open} 件${backlog.oldestAgeMinutes !== null ? `，最久 ${calDur(backlog.oldestAgeMinutes)}` : ''}`,
    ...(m.imported ? [`- 另有导入的历史记录 ${m.imported} 件（上线前的旧台账），不计入以上任何指标`] : []),
  ];
  if (stats.byCategory.length) {
    lines.push(
      '',
      `按分类：${stats.byCategory.map((c) => `${categoryNames[c.key] ?? c.name} ${c.metrics.received}（及时 ${pct(c.metrics.firstResponse.metRate, 0)}，解决 ${pct(c.metrics.resolution.rate, 0)}）`).join(' · ')}`,
    );
  }
  lines.push('', ...statsNotes(stats).slice(unfinishedNote(stats.range) ? 1 : 0));
  return lines.join('\n');
}

/** Printed under every stats view: the running month, if any, and the one-line 口径. */
export function statsNotes(stats: Pick<StatsResult, 'range'>): string[] {
  const unfinished = unfinishedNote(stats.range);
  return [...(unfinished ? [unfinished] : []), DEFINITIONS_SHORT];
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
    notes: statsNotes(stats),
  };
}
