/** Small pieces shared by the console's pages. */
import { signOffRows, type SignOff } from '../../reports/sign-off.ts';
import { formatMinutes } from '../../core/sla.ts';
import { localTimeFormatter } from '../../reports/format.ts';

export const SLA_LABELS: Record<string, string> = {
  breached: '已超时',
  due_soon: '即将超时',
  on_track: '正常',
  paused: '暂停（等待客户）',
  met: '已达成',
  none: '无时限',
};

export function SlaBadge(props: { state: string; title?: string; label?: string }) {
  return (
    <span class={`badge s-${props.state}`} title={props.title}>
      {props.label ?? SLA_LABELS[props.state] ?? props.state}
    </span>
  );
}

export const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`);
export const num = (v: number | null | undefined, digits = 0) => (v === null || v === undefined ? '—' : digits ? v.toFixed(digits) : String(v));
export const duration = (m: number | null | undefined) => (m === null || m === undefined ? '—' : formatMinutes(Math.round(m), 'calendar'));

export function timeFormat(timeZone: string) {
  const full = localTimeFormatter(timeZone);
  return {
    full,
    short: (d: Date | null | undefined) => (d ? full(d).slice(5, 16) : '—'),
    day: (d: Date | null | undefined) => (d ? full(d).slice(0, 10) : '—'),
  };
}

export function Forbidden(props: { need: string }) {
  return (
    <div class="card" role="alert">
      <h1>无权访问</h1>
      <p>此页面仅对{props.need}开放。如需查看，请联系管理员在配置的 roles 中调整你的角色。</p>
      <p>
        <a href="/console/overview">返回概览</a>
      </p>
    </div>
  );
}

/** 制表人 / 审核人 / 日期 and the stamp space at the end of a page printed as a document (reports/sign-off.ts). */
export function SignOffBlock(props: { signOff: SignOff }) {
  return (
    <section class="card sign-off" aria-label="签字盖章">
      {signOffRows(props.signOff).map(([label, value]) => (
        <p>
          {label}：{value}
        </p>
      ))}
      <div class="stamp" style="width:5cm;height:5cm;border:1px dashed #bbb"></div>
    </section>
  );
}
