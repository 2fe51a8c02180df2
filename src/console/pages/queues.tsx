import type { Config } from '../../config.ts';
import { STATUS_LABELS, type Status } from '../../core/ticket.ts';
import { CHANNEL_LABELS, maskName } from '../../desk/view.ts';
import type { FollowUpRow, QueueRow, Queues } from '../queues-query.ts';
import { SlaBadge, timeFormat } from './common.tsx';

const REMINDER_LABELS: Record<string, string> = { sla_due_soon: '即将超时提醒', sla_breached: '已超时', sla_escalated: '已升级给负责人' };

function QueueTable(props: { id: string; rows: QueueRow[]; config: Config; fmt: ReturnType<typeof timeFormat>; empty: string; showAssignee?: boolean }) {
  if (props.rows.length === 0) return <p class="muted">{props.empty}</p>;
  const cat = (id: string) => props.config.categories.find((c) => c.id === id)?.name ?? id;
  return (
    <div class="scroll">
      <table class="list data" aria-describedby={props.id}>
        <thead>
          <tr>
            <th scope="col">工单</th>
            <th scope="col">主题</th>
            <th scope="col">分类 · 渠道</th>
            <th scope="col">状态</th>
            {props.showAssignee ? <th scope="col">处理人</th> : null}
            <th scope="col">时限</th>
            <th scope="col">到期</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr>
              <td data-label="工单">
                <a href={`/console/tickets/${r.code}`}>{r.code}</a>
                {r.isMajor ? <span class="badge tag-major">重大</span> : null}
                {r.isProbe ? <span class="badge tag-probe">拨测</span> : null}
              </td>
              <td data-label="主题">
                {r.subject}
                <span class="muted small"> · {maskName(r.customerName)}</span>
              </td>
              <td data-label="分类">
                {cat(r.category)} · {CHANNEL_LABELS[r.channel] ?? r.channel}
              </td>
              <td data-label="状态">{STATUS_LABELS[r.status as Status] ?? r.status}</td>
              {props.showAssignee ? <td data-label="处理人">{r.assigneeName ?? '未认领'}</td> : null}
              <td data-label="时限">
                <SlaBadge state={r.sla.state} label={r.sla.label} />
              </td>
              <td data-label="到期">{r.sla.dueAt ? props.fmt.short(new Date(r.sla.dueAt)) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** 待电话回访: each task names the person who must call; attempts so far of the configured number. */
function FollowUpTable(props: { rows: FollowUpRow[]; fmt: ReturnType<typeof timeFormat>; attempts: number }) {
  if (props.rows.length === 0) return <p class="muted">没有待电话回访的工单。</p>;
  return (
    <div class="scroll">
      <table class="list data" aria-describedby="q-followup">
        <thead>
          <tr>
            <th scope="col">工单</th>
            <th scope="col">主题</th>
            <th scope="col">回访人</th>
            <th scope="col">已尝试</th>
            <th scope="col">转为回访任务</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr>
              <td data-label="工单">
                <a href={`/console/tickets/${r.code}`}>{r.code}</a>
                {r.mine ? <span class="badge">我的</span> : null}
              </td>
              <td data-label="主题">
                {r.subject}
                <span class="muted small"> · {maskName(r.customerName)}</span>
              </td>
              <td data-label="回访人">{r.person ?? '待负责人指派'}</td>
              <td data-label="已尝试">
                {r.attempts} / {props.attempts} 次
              </td>
              <td data-label="转为回访任务">{props.fmt.short(r.since)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** 工作台: the three queues with counts; `#queues` is refreshed in place by /console/assets/live.js (works without it). */
export function QueuesPage(props: { q: Queues; config: Config; timeZone: string; generatedAt: Date; localOnly: boolean }) {
  const { q } = props;
  const fmt = timeFormat(props.timeZone);
  return (
    <div>
      <h1>工作台</h1>
      <p class="sub">
        新工单每 10 秒自动出现（页面无需手动刷新；浏览器禁用脚本时请 <a href="/console/queues">刷新</a>）。
        {props.localOnly ? ' 超时提醒显示在“我的提醒”中。' : ''}
      </p>
      <div id="queues" data-live="10">
        <div class="kpis" role="list">
          <a class="kpi" role="listitem" href="#q-unclaimed">
            <div class="v">{q.counts.unclaimed}</div>
            <div class="l">待认领</div>
          </a>
          <a class="kpi" role="listitem" href="#q-mine">
            <div class="v">{q.counts.mine}</div>
            <div class="l">我的工单</div>
          </a>
          <a class={`kpi${q.counts.dueSoon ? ' bad' : ''}`} role="listitem" href="#q-due">
            <div class="v">{q.counts.dueSoon}</div>
            <div class="l">即将超时</div>
          </a>
          <a class={`kpi${q.counts.breached ? ' bad' : ''}`} role="listitem" href="#q-due">
            <div class="v">{q.counts.breached}</div>
            <div class="l">已超时</div>
          </a>
          <a class="kpi" role="listitem" href="#q-followup">
            <div class="v">{q.counts.followUps}</div>
            <div class="l">待回访</div>
          </a>
        </div>
        <section class="card" aria-labelledby="q-unclaimed">
          <h2 id="q-unclaimed" style="margin-top:0">
            待认领（{q.counts.unclaimed}）
          </h2>
          <QueueTable id="q-unclaimed" rows={q.unclaimed} config={props.config} fmt={fmt} empty="没有待认领的工单。" />
        </section>
        <section class="card" aria-labelledby="q-mine">
          <h2 id="q-mine" style="margin-top:0">
            我的工单（{q.counts.mine}）
          </h2>
          <QueueTable id="q-mine" rows={q.mine} config={props.config} fmt={fmt} empty="你手上没有未完成的工单。" />
        </section>
        <section class="card" aria-labelledby="q-due">
          <h2 id="q-due" style="margin-top:0">
            即将超时 / 已超时（{q.counts.dueSoon + q.counts.breached}，按到期时间）
          </h2>
          <QueueTable id="q-due" rows={q.due} config={props.config} fmt={fmt} empty="没有即将超时或已超时的工单。" showAssignee />
        </section>
        <section class="card" aria-labelledby="q-followup">
          <h2 id="q-followup" style="margin-top:0">
            待电话回访（{q.counts.followUps}）
          </h2>
          <FollowUpTable rows={q.followUps} fmt={fmt} attempts={props.config.survey.followUpAttempts} />
        </section>
        <section class="card" aria-labelledby="q-reminders">
          <h2 id="q-reminders" style="margin-top:0">
            我的提醒
          </h2>
          {q.reminders.length === 0 ? (
            <p class="muted">没有超时提醒。</p>
          ) : (
            <ul>
              {q.reminders.map((r) => (
                <li>
                  {fmt.full(r.at)} · <a href={`/console/tickets/${r.code}`}>{r.code}</a> · {REMINDER_LABELS[r.type] ?? r.type}
                </li>
              ))}
            </ul>
          )}
        </section>
        <p class="small muted">更新于 {fmt.full(props.generatedAt)}</p>
      </div>
      <script src="/console/assets/live.js" defer></script>
    </div>
  );
}
