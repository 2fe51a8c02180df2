import type { Child } from 'hono/jsx';
import type { SlaView } from '../../../cards/view.ts';
import type { CaseDocument } from '../../reports/case.ts';
import { SignOffBlock, SlaBadge, timeFormat } from './common.tsx';

export interface TicketMessage {
  id: number;
  direction: 'in' | 'out' | 'internal';
  author: string;
  body: string;
  attachments: number;
  at: Date;
}

const DIRECTION = { in: '客户来信', out: '回复客户', internal: '内部备注' } as const;
const SLA_TYPES = new Set(['sla_due_soon', 'sla_breached', 'sla_escalated', 'escalated']);
const SURVEY_TYPES = new Set(['resolved', 'survey_sent', 'survey_reminded', 'survey_reminder', 'survey_answered', 'reopened', 'closed']);

function Timeline(props: { rows: CaseDocument['timeline']; fmt: (d: Date) => string; caption: string }) {
  return (
    <div class="scroll">
      <table>
        <caption class="muted small" style="text-align:left;caption-side:top">
          {props.caption}
        </caption>
        <thead>
          <tr>
            <th scope="col" class="num">
              #
            </th>
            <th scope="col">时间</th>
            <th scope="col">操作人</th>
            <th scope="col">事件</th>
            <th scope="col">内容</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((e) => (
            <tr>
              <td class="num">{e.seq}</td>
              <td style="white-space:nowrap">{props.fmt(e.at)}</td>
              <td>{e.actor}</td>
              <td>{e.event}</td>
              <td style="white-space:pre-wrap;word-break:break-word">{e.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Label/value rows of a `kv` table (ticket facts, SLA facts). */
function KvRows(props: { rows: Array<[string, string]> }) {
  return (
    <>
      {props.rows.map(([k, v]) => (
        <tr>
          <th scope="row">{k}</th>
          <td>{v}</td>
        </tr>
      ))}
    </>
  );
}

export function TicketPage(props: {
  doc: CaseDocument;
  messages: TicketMessage[];
  sla: { first: SlaView; resolution: SlaView; next: SlaView };
  timeZone: string;
  isProbe: boolean;
  /** The workspace's action forms (workspace.tsx), the outcome of the last action, the version the page shows. */
  actions?: Child;
  flash?: { ok?: string; error?: string };
  version?: number;
  code?: string;
  /** 电话回访 (reach.tsx / follow-up-form.tsx). */
  followUp?: Child;
  /** The promise told to the customer, deadline included (core/promise.ts). */
  promise?: string;
  /** 处理经过与结果 (story-form.tsx), above the timeline as in the case report. */
  story?: Child;
}) {
  const { doc } = props;
  const fmt = timeFormat(props.timeZone);
  const slaRows = doc.timeline.filter((e) => SLA_TYPES.has(e.type));
  const surveyRows = doc.timeline.filter((e) => SURVEY_TYPES.has(e.type));
  return (
    <div>
      {props.version !== undefined ? <script src="/console/assets/live.js" defer></script> : null}
      <p class="small noprint">
        <a href="/console/tickets">« 返回工单列表</a>
      </p>
      <h1>
        {doc.title}
        {props.isProbe ? <span class="badge tag-probe"> 拨测</span> : null}
      </h1>
      <p class="sub">在此处理与在飞书 / 钉钉卡片上处理效果相同。时间均为北京时间。客户姓名与联系方式已脱敏。</p>
      {props.flash?.ok ? (
        <p class="notice ok" role="status">
          ✓ {props.flash.ok}
        </p>
      ) : null}
      {props.flash?.error ? (
        <p class="notice err" role="alert">
          {props.flash.error}
        </p>
      ) : null}
      {props.version !== undefined ? (
        <p class="notice" role="status" hidden data-version={String(props.version)} data-version-src={`/console/tickets/${props.code}/version`}>
          此工单已有新的变化（卡片操作、同事处理或客户来信）。<a href={`/console/tickets/${props.code}`}>刷新查看</a>
        </p>
      ) : null}
      {props.followUp}
      <div class="grid">
        <section class="card" aria-labelledby="h-summary">
          <h2 id="h-summary" style="margin-top:0">
            工单概况
          </h2>
          <table class="kv">
            <tbody>
              <KvRows rows={doc.summary} />
            </tbody>
          </table>
        </section>
        <section class="card" aria-labelledby="h-sla">
          <h2 id="h-sla" style="margin-top:0">
            时限承诺与回访
          </h2>
          <table class="kv">
            <tbody>
              <tr>
                <th scope="row">当前时限状态</th>
                <td>
                  首次响应 <SlaBadge state={props.sla.first.state} label={props.sla.first.label} />
                  <br />
                  解决 <SlaBadge state={props.sla.resolution.state} label={props.sla.resolution.label} />
                  {props.sla.next.state !== 'none' ? (
                    <>
                      <br />
                      后续响应 <SlaBadge state={props.sla.next.state} label={props.sla.next.label} />
                    </>
                  ) : null}
                </td>
              </tr>
              {props.promise ? (
                <tr>
                  <th scope="row">告知客户的承诺</th>
                  <td>{props.promise}</td>
                </tr>
              ) : null}
              <KvRows rows={doc.sla} />
            </tbody>
          </table>
        </section>
      </div>

      {props.actions ? (
        <section class="card noprint" aria-labelledby="h-act">
          <h2 id="h-act" style="margin-top:0">
            处理
          </h2>
          {props.actions}
        </section>
      ) : null}

      <section class="card" aria-labelledby="h-msgs">
        <h2 id="h-msgs" style="margin-top:0">
          对话记录（{props.messages.length} 条）
        </h2>
        {props.messages.length === 0 ? <p class="muted">没有消息。</p> : null}
        {props.messages.map((m) => (
          <div class={`msg ${m.direction}`}>
            <div class="meta">
              {fmt.full(m.at)} · {DIRECTION[m.direction]}
              {m.direction === 'in' ? '' : ` · ${m.author}`}
              {m.attachments ? ` · 附件 ${m.attachments} 个` : ''}
            </div>
            <div class="body">{m.body}</div>
          </div>
        ))}
      </section>

      <div class="grid">
        <section class="card" aria-labelledby="h-survey">
          <h2 id="h-survey" style="margin-top:0">
            解决与满意度回访
          </h2>
          {surveyRows.length ? <Timeline rows={surveyRows} fmt={fmt.full} caption="来自事件日志" /> : <p class="muted">尚未解决，未发送回访。</p>}
        </section>
        <section class="card" aria-labelledby="h-slahist">
          <h2 id="h-slahist" style="margin-top:0">
            时限提醒与升级记录
          </h2>
          {slaRows.length ? <Timeline rows={slaRows} fmt={fmt.full} caption="来自事件日志" /> : <p class="muted">没有时限提醒、超时或升级。</p>}
        </section>
      </div>

      {props.story}
      <section class="card" aria-labelledby="h-timeline">
        <h2 id="h-timeline" style="margin-top:0">
          处理时间线
        </h2>
        <Timeline rows={doc.timeline} fmt={fmt.full} caption={`来自防篡改事件日志，共 ${doc.eventCount} 条`} />
      </section>
      <section class="card" aria-labelledby="h-chain">
        <h2 id="h-chain" style="margin-top:0">
          防篡改校验
        </h2>
        {doc.chain.intact ? (
          <p class="ok" role="status">
            ✓ 哈希链完整：{doc.eventCount} 条事件，链头 <code>{doc.chain.head}</code>
          </p>
        ) : (
          <p class="err" role="alert">
            ✗ 哈希链校验失败：第 {doc.chain.brokenAt} 条事件处断开（{doc.chain.reason}），其后的记录可能被修改或删除。
          </p>
        )}
        <p class="small muted">每条事件的哈希 = SHA-256（上一条哈希 + 本条内容）；修改或删除任一条，其后的哈希都会对不上。</p>
      </section>
      <SignOffBlock signOff={doc.signOff} />
    </div>
  );
}
