/**
 * Server-side SVG charts: no script, nothing fetched (the console works on an intranet), they print as they look.
 * Each chart is a <figure> with an SVG titled for screen readers and the same numbers in a table beneath it
 * (collapsed), so nothing is only in a picture. Colours are the Okabe–Ito palette (safe for colour blindness),
 * and every bar also carries its number or a tooltip.
 */
import type { Child } from 'hono/jsx';

export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#6B6B6B'];
const GOOD = '#007A4D';
const BAD = '#C2410C';
const AXIS = '#8F959E';
const TEXT = '#1F2329';
const MUTED = '#5A6169';

let seq = 0;
const nextId = (p: string) => `${p}${++seq}`;
const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);

/** A round step for about four gridlines, whole numbers for counts. */
function niceScale(v: number): { max: number; ticks: number[] } {
  const raw = Math.max(1, v) / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p);
  const max = step * Math.max(1, Math.ceil(v / step));
  const ticks: number[] = [];
  for (let t = 0; t <= max + 1e-9; t += step) ticks.push(Math.round(t * 100) / 100);
  return { max, ticks };
}

function Frame(props: { id: string; title: string; desc: string; width: number; height: number; table: Child; children: Child }) {
  return (
    <figure class="chart">
      <figcaption id={`${props.id}-t`}>{props.title}</figcaption>
      <svg viewBox={`0 0 ${props.width} ${props.height}`} role="img" aria-labelledby={`${props.id}-t ${props.id}-d`} preserveAspectRatio="xMidYMid meet">
        <title>{props.title}</title>
        <desc id={`${props.id}-d`}>{props.desc}</desc>
        {props.children}
      </svg>
      <details>
        <summary>查看数据表</summary>
        {props.table}
      </details>
    </figure>
  );
}

export interface Series {
  key: string;
  name: string;
  color: string;
}

/** Stacked columns (tickets per week by category). */
export function StackedBars(props: {
  title: string;
  desc: string;
  bars: Array<{ label: string; short: string; values: Record<string, number> }>;
  series: Series[];
}) {
  const id = nextId('sb');
  const W = 760;
  const H = 300;
  const L = 44;
  const R = 12;
  const T = 16;
  const B = 70;
  const plotW = W - L - R;
  const plotH = H - T - B;
  const { max, ticks } = niceScale(Math.max(1, ...props.bars.map((b) => props.series.reduce((s, x) => s + (b.values[x.key] ?? 0), 0))));
  const step = plotW / Math.max(1, props.bars.length);
  const bw = Math.max(4, step * 0.7);
  const y = (v: number) => T + plotH - (v / max) * plotH;
  const table = (
    <table class="data">
      <thead>
        <tr>
          <th scope="col">周</th>
          {props.series.map((s) => (
            <th scope="col">{s.name}</th>
          ))}
          <th scope="col">合计</th>
        </tr>
      </thead>
      <tbody>
        {props.bars.map((b) => (
          <tr>
            <th scope="row">{b.label}</th>
            {props.series.map((s) => (
              <td>{b.values[s.key] ?? 0}</td>
            ))}
            <td>{props.series.reduce((n, s) => n + (b.values[s.key] ?? 0), 0)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
  return (
    <Frame id={id} title={props.title} desc={props.desc} width={W} height={H} table={table}>
      {ticks.map((t) => (
        <g>
          <line x1={L} x2={W - R} y1={y(t)} y2={y(t)} stroke="#E4E6EA" stroke-width="1" />
          <text x={L - 6} y={y(t) + 4} text-anchor="end" font-size="11" fill={MUTED}>
            {t}
          </text>
        </g>
      ))}
      {props.bars.map((b, i) => {
        let acc = 0;
        const x = L + i * step + (step - bw) / 2;
        const total = props.series.reduce((n, s) => n + (b.values[s.key] ?? 0), 0);
        return (
          <g>
            {props.series.map((s) => {
              const v = b.values[s.key] ?? 0;
              if (!v) return null;
              const y0 = y(acc + v);
              const h = y(acc) - y0;
              acc += v;
              return (
                <rect x={x} y={y0} width={bw} height={Math.max(0.5, h)} fill={s.color}>
                  <title>{`${b.label} ${s.name}：${v}`}</title>
                </rect>
              );
            })}
            <title>{`${b.label} 合计 ${total}`}</title>
            {i % 2 === 0 || props.bars.length <= 13 ? (
              <text x={x + bw / 2} y={H - B + 14} text-anchor="end" font-size="10" fill={MUTED} transform={`rotate(-45 ${x + bw / 2} ${H - B + 14})`}>
                {b.short}
              </text>
            ) : null}
          </g>
        );
      })}
      <line x1={L} x2={W - R} y1={T + plotH} y2={T + plotH} stroke={AXIS} />
      <g>
        {props.series.map((s, i) => (
          <g transform={`translate(${L + i * 110}, ${H - 14})`}>
            <rect width="12" height="12" y="-10" fill={s.color} />
            <text x="16" font-size="12" fill={TEXT}>
              {s.name}
            </text>
          </g>
        ))}
      </g>
    </Frame>
  );
}

/** A rate per period as columns, with a dashed reference line (the target, or the 92% reference). */
export function RateBars(props: {
  title: string;
  desc: string;
  points: Array<{ label: string; value: number | null; note?: string }>;
  target: number;
  targetLabel: string;
}) {
  const id = nextId('rb');
  const W = 520;
  const H = 260;
  const L = 44;
  const R = 12;
  const T = 22;
  const B = 34;
  const plotW = W - L - R;
  const plotH = H - T - B;
  const y = (v: number) => T + plotH - v * plotH;
  const step = plotW / Math.max(1, props.points.length);
  const bw = Math.min(56, step * 0.6);
  const table = (
    <table class="data">
      <thead>
        <tr>
          <th scope="col">月份</th>
          <th scope="col">比率</th>
          <th scope="col">说明</th>
        </tr>
      </thead>
      <tbody>
        {props.points.map((p) => (
          <tr>
            <th scope="row">{p.label}</th>
            <td>{pct(p.value)}</td>
            <td>{p.note ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
  return (
    <Frame id={id} title={props.title} desc={props.desc} width={W} height={H} table={table}>
      {[0, 0.25, 0.5, 0.75, 1].map((t) => (
        <g>
          <line x1={L} x2={W - R} y1={y(t)} y2={y(t)} stroke="#E4E6EA" />
          <text x={L - 6} y={y(t) + 4} text-anchor="end" font-size="13" fill={MUTED}>
            {`${t * 100}%`}
          </text>
        </g>
      ))}
      {props.points.map((p, i) => {
        const x = L + i * step + (step - bw) / 2;
        const v = p.value;
        const ok = v !== null && v >= props.target;
        return (
          <g>
            {v === null ? (
              <text x={x + bw / 2} y={y(0) - 6} text-anchor="middle" font-size="11" fill={MUTED}>
                无数据
              </text>
            ) : (
              <g>
                <rect x={x} y={y(v)} width={bw} height={Math.max(0.5, y(0) - y(v))} fill={ok ? GOOD : BAD}>
                  <title>{`${p.label}：${pct(v)}${p.note ? `（${p.note}）` : ''}`}</title>
                </rect>
                <text x={x + bw / 2} y={y(v) - 5} text-anchor="middle" font-size="12" font-weight="600" fill={TEXT}>
                  {pct(v)}
                </text>
              </g>
            )}
            <text x={x + bw / 2} y={H - B + 16} text-anchor="middle" font-size="11" fill={MUTED}>
              {p.label}
            </text>
          </g>
        );
      })}
      <line x1={L} x2={W - R} y1={y(props.target)} y2={y(props.target)} stroke={TEXT} stroke-width="1.5" stroke-dasharray="6 4" />
      <text x={W - R} y={y(props.target) - 5} text-anchor="end" font-size="12" fill={TEXT} font-weight="600">
        {props.targetLabel}
      </text>
      <line x1={L} x2={W - R} y1={y(0)} y2={y(0)} stroke={AXIS} />
    </Frame>
  );
}

/** Horizontal bars with counts (satisfaction 5 → 1, backlog by SLA state). */
export function HBars(props: { title: string; desc: string; rows: Array<{ label: string; value: number; color: string }>; unit?: string }) {
  const id = nextId('hb');
  const W = 520;
  const rowH = 32;
  const L = 84;
  const R = 130;
  const H = props.rows.length * rowH + 16;
  const total = props.rows.reduce((s, r) => s + r.value, 0);
  const max = Math.max(1, ...props.rows.map((r) => r.value));
  const table = (
    <table class="data">
      <thead>
        <tr>
          <th scope="col">项目</th>
          <th scope="col">数量</th>
          <th scope="col">占比</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((r) => (
          <tr>
            <th scope="row">{r.label}</th>
            <td>{r.value}</td>
            <td>{total ? pct(r.value / total) : '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
  return (
    <Frame id={id} title={props.title} desc={props.desc} width={W} height={H} table={table}>
      {props.rows.map((r, i) => {
        const w = ((W - L - R) * r.value) / max;
        const yy = 8 + i * rowH;
        return (
          <g>
            <text x={L - 8} y={yy + 17} text-anchor="end" font-size="13" fill={TEXT}>
              {r.label}
            </text>
            <rect x={L} y={yy + 4} width={Math.max(r.value ? 2 : 0, w)} height={rowH - 10} fill={r.color} rx="2">
              <title>{`${r.label}：${r.value}${props.unit ?? ''}`}</title>
            </rect>
            <text x={L + w + 6} y={yy + 17} font-size="12" fill={TEXT}>
              {`${r.value}${props.unit ?? ''}${total ? `（${pct(r.value / total)}）` : ''}`}
            </text>
          </g>
        );
      })}
    </Frame>
  );
}

/** A value per period as a line with labelled points (average satisfaction, 1–5). */
export function LinePoints(props: {
  title: string;
  desc: string;
  points: Array<{ label: string; value: number | null; note?: string }>;
  min: number;
  max: number;
  format: (v: number) => string;
}) {
  const id = nextId('lp');
  const W = 520;
  const H = 220;
  const L = 36;
  const R = 20;
  const T = 24;
  const B = 34;
  const plotW = W - L - R;
  const plotH = H - T - B;
  const step = plotW / Math.max(1, props.points.length);
  const x = (i: number) => L + i * step + step / 2;
  const y = (v: number) => T + plotH - ((v - props.min) / (props.max - props.min)) * plotH;
  const present = props.points.map((p, i) => ({ ...p, i })).filter((p) => p.value !== null) as Array<{ label: string; value: number; i: number }>;
  const table = (
    <table class="data">
      <thead>
        <tr>
          <th scope="col">月份</th>
          <th scope="col">数值</th>
          <th scope="col">说明</th>
        </tr>
      </thead>
      <tbody>
        {props.points.map((p) => (
          <tr>
            <th scope="row">{p.label}</th>
            <td>{p.value === null ? '—' : props.format(p.value)}</td>
            <td>{p.note ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
  const ticks: number[] = [];
  for (let v = props.min; v <= props.max; v++) ticks.push(v);
  return (
    <Frame id={id} title={props.title} desc={props.desc} width={W} height={H} table={table}>
      {ticks.map((t) => (
        <g>
          <line x1={L} x2={W - R} y1={y(t)} y2={y(t)} stroke="#E4E6EA" />
          <text x={L - 6} y={y(t) + 4} text-anchor="end" font-size="11" fill={MUTED}>
            {t}
          </text>
        </g>
      ))}
      {present.length > 1 ? (
        <polyline points={present.map((p) => `${x(p.i)},${y(p.value)}`).join(' ')} fill="none" stroke={PALETTE[0]} stroke-width="2.5" />
      ) : null}
      {props.points.map((p, i) => (
        <g>
          {p.value !== null ? (
            <g>
              <circle cx={x(i)} cy={y(p.value)} r="4.5" fill={PALETTE[0]}>
                <title>{`${p.label}：${props.format(p.value)}${p.note ? `（${p.note}）` : ''}`}</title>
              </circle>
              <text x={x(i)} y={y(p.value) - 9} text-anchor="middle" font-size="12" font-weight="600" fill={TEXT}>
                {props.format(p.value)}
              </text>
            </g>
          ) : (
            <text x={x(i)} y={y(props.min) - 6} text-anchor="middle" font-size="11" fill={MUTED}>
              无评价
            </text>
          )}
          <text x={x(i)} y={H - B + 16} text-anchor="middle" font-size="11" fill={MUTED}>
            {p.label}
          </text>
        </g>
      ))}
    </Frame>
  );
}
