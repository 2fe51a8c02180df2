/**
 * The stats card in Feishu card JSON 2.0: KPI columns, a per-category line, and two `chart` elements whose
 * `chart_spec` is the neutral VChart spec (Feishu renders VChart; JSON only, at most five charts per card).
 */
import type { StatsKpi, StatsView } from '../stats.ts';

const COLOR: Record<StatsKpi['tone'], string> = { good: 'green', warn: 'orange', bad: 'red', neutral: 'default' };

function kpiColumn(k: StatsKpi) {
  const value = k.tone === 'neutral' ? `**${k.value}**` : `<font color='${COLOR[k.tone]}'>**${k.value}**</font>`;
  return {
    tag: 'column',
    width: 'weighted',
    weight: 1,
    vertical_align: 'top',
    elements: [{ tag: 'markdown', content: `${k.label}\n${value}${k.hint ? `\n<font color='grey'>${k.hint}</font>` : ''}` }],
  };
}

export function renderStatsCard(view: StatsView): Record<string, unknown> {
  const rows: StatsKpi[][] = [];
  for (let i = 0; i < view.kpis.length; i += 3) rows.push(view.kpis.slice(i, i + 3));
  const categories = view.categories.length
    ? view.categories.map((c) => `- ${c.name}：${c.received} 张，首次响应及时 ${c.firstResponseMetRate}，解决率 ${c.resolutionRate}`).join('\n')
    : '区间内没有工单。';
  return {
    schema: '2.0',
    config: { update_multi: true, width_mode: 'fill', summary: { content: view.title } },
    header: {
      title: { tag: 'plain_text', content: view.title },
      subtitle: { tag: 'plain_text', content: `生成于 ${view.generatedAt}` },
      template: 'blue',
    },
    body: {
      elements: [
        ...rows.map((cols) => ({ tag: 'column_set', horizontal_spacing: '8px', columns: cols.map(kpiColumn) })),
        { tag: 'hr' },
        { tag: 'markdown', content: `**按分类**\n${categories}` },
        { tag: 'chart', element_id: 'volume', aspect_ratio: '16:9', chart_spec: view.volumeChart },
        { tag: 'chart', element_id: 'csat', aspect_ratio: '2:1', chart_spec: view.satisfactionChart },
        { tag: 'markdown', content: view.notes.map((n) => `<font color='grey'>${n}</font>`).join('\n') },
      ],
    },
  };
}
