import { escapeHtml } from './markdown.ts';

/** A chart spec the renderer does not know: a card builder changed, and the sandbox must learn it (a test says so). */
export class UnknownChart extends Error {
  override name = 'UnknownChart';
}

type Row = Record<string, unknown>;
interface Series {
  type: 'bar' | 'line';
  values: Row[];
  xField: string;
  yField: string;
  seriesField?: string;
  stack?: boolean;
  /** Line series with a right axis 0–100 (percentages) in our specs. */
  axis: 'left' | 'right';
}

const PALETTE = ['#3370ff', '#34c724', '#ff8800', '#7f3bf5', '#f54a45', '#14c0ff', '#ffc60a', '#8f959e'];
const W = 560;
const H = 260;
const PAD = { left: 40, right: 40, top: 34, bottom: 56 };

function seriesOf(spec: Row): Series[] {
  const data = (spec.data as Array<{ values?: Row[] }> | undefined) ?? [];
  const one = (s: Row, i: number): Series => {
    const type = s.type;
    if (type !== 'bar' && type !== 'line') throw new UnknownChart(`chart series type ${String(type)}`);
    if (typeof s.xField !== 'string' || typeof s.yField !== 'string') throw new UnknownChart('chart series without xField / yField');
    const values = data[Number(s.dataIndex ?? i)]?.values ?? [];
    return {
      type,
      values,
      xField: s.xField,
      yField: s.yField,
      seriesField: typeof s.seriesField === 'string' ? s.seriesField : undefined,
      stack: s.stack === true,
      axis: type === 'line' && spec.type === 'common' ? 'right' : 'left',
    };
  };
  if (spec.type === 'common') return ((spec.series as Row[] | undefined) ?? []).map(one);
  if (spec.type === 'bar' || spec.type === 'line') return [one(spec, 0)];
  throw new UnknownChart(`chart type ${String(spec.type)}`);
}

/**
 * The VChart specs our stats card carries (bar, line, and `common` = stacked bars with a percentage line on a right
 * axis), drawn as a plain SVG: enough to see what Feishu would chart, without a charting library in the page.
 */
export function chartToSvg(spec: Row): string {
  const series = seriesOf(spec);
  const title = (spec.title as { text?: string } | undefined)?.text ?? '';
  const xs: string[] = [];
  for (const s of series) for (const v of s.values) if (!xs.includes(String(v[s.xField]))) xs.push(String(v[s.xField]));
  const bars = series.filter((s) => s.type === 'bar');
  const names: string[] = [];
  for (const s of series)
    for (const v of s.values) {
      const n = s.seriesField ? String(v[s.seriesField]) : s.yField;
      if (!names.includes(n)) names.push(n);
    }
  const colour = (n: string) => PALETTE[names.indexOf(n) % PALETTE.length];
  // Left axis: the tallest stack (or bar); right axis: 0–100.
  const totals = new Map<string, number>();
  for (const s of bars)
    for (const v of s.values) {
      const x = String(v[s.xField]);
      const y = Number(v[s.yField]) || 0;
      totals.set(x, s.stack ? (totals.get(x) ?? 0) + y : Math.max(totals.get(x) ?? 0, y));
    }
  const leftLines = series.filter((s) => s.type === 'line' && s.axis === 'left').flatMap((s) => s.values.map((v) => Number(v[s.yField]) || 0));
  const maxLeft = Math.max(1, ...totals.values(), ...leftLines);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const band = plotW / Math.max(1, xs.length);
  const xMid = (x: string) => PAD.left + band * (xs.indexOf(x) + 0.5);
  const yOf = (v: number, axis: 'left' | 'right') => PAD.top + plotH - (v / (axis === 'right' ? 100 : maxLeft)) * plotH;
  const parts: string[] = [`<text x="${W / 2}" y="18" text-anchor="middle" class="ct">${escapeHtml(title)}</text>`];
  parts.push(`<line x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${W - PAD.right}" y2="${PAD.top + plotH}" class="ax"/>`);
  parts.push(
    `<text x="${PAD.left - 4}" y="${PAD.top + 4}" text-anchor="end" class="cl">${maxLeft}</text><text x="${PAD.left - 4}" y="${PAD.top + plotH}" text-anchor="end" class="cl">0</text>`,
  );
  if (series.some((s) => s.axis === 'right')) parts.push(`<text x="${W - PAD.right + 4}" y="${PAD.top + 4}" class="cl">100%</text>`);
  const stackBase = new Map<string, number>();
  bars.forEach((s, si) => {
    for (const v of s.values) {
      const x = String(v[s.xField]);
      const y = Number(v[s.yField]) || 0;
      const name = s.seriesField ? String(v[s.seriesField]) : s.yField;
      const w = Math.max(2, (band * 0.7) / (s.stack ? 1 : bars.length));
      const left = xMid(x) - (band * 0.7) / 2 + (s.stack ? 0 : si * w);
      const base = s.stack ? (stackBase.get(x) ?? 0) : 0;
      if (s.stack) stackBase.set(x, base + y);
      const top = yOf(base + y, 'left');
      parts.push(
        `<rect x="${left.toFixed(1)}" y="${top.toFixed(1)}" width="${w.toFixed(1)}" height="${(yOf(base, 'left') - top).toFixed(1)}" fill="${colour(name)}"><title>${escapeHtml(`${x} ${name}: ${y}`)}</title></rect>`,
      );
      if ((spec.label as { visible?: boolean } | undefined)?.visible && y > 0)
        parts.push(`<text x="${(left + w / 2).toFixed(1)}" y="${(top - 3).toFixed(1)}" text-anchor="middle" class="cl">${y}</text>`);
    }
  });
  for (const s of series.filter((x) => x.type === 'line')) {
    const groups = new Map<string, Row[]>();
    for (const v of s.values) {
      const n = s.seriesField ? String(v[s.seriesField]) : s.yField;
      groups.set(n, [...(groups.get(n) ?? []), v]);
    }
    for (const [n, rows] of groups) {
      const pts = rows.map((v) => `${xMid(String(v[s.xField])).toFixed(1)},${yOf(Number(v[s.yField]) || 0, s.axis).toFixed(1)}`);
      parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${colour(n)}" stroke-width="2"/>`);
      for (const p of pts) parts.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2.5" fill="${colour(n)}"/>`);
    }
  }
  // Every few x labels, so a month of days stays legible.
  const step = Math.ceil(xs.length / 12);
  xs.forEach((x, i) => {
    if (i % step === 0) parts.push(`<text x="${xMid(x).toFixed(1)}" y="${PAD.top + plotH + 14}" text-anchor="middle" class="cl">${escapeHtml(x)}</text>`);
  });
  names.forEach((n, i) => {
    const lx = PAD.left + (i % 4) * 130;
    const ly = H - 22 + Math.floor(i / 4) * 14;
    parts.push(`<rect x="${lx}" y="${ly - 8}" width="10" height="10" fill="${colour(n)}"/><text x="${lx + 14}" y="${ly}" class="cl">${escapeHtml(n)}</text>`);
  });
  return `<svg class="chart" viewBox="0 0 ${W} ${H + Math.floor(Math.max(0, names.length - 1) / 4) * 14}" role="img" aria-label="${escapeHtml(title)}">${parts.join('')}</svg>`;
}
