import type { Config } from '../../config.ts';
import { STATUS_LABELS, type Status } from '../../core/ticket.ts';
import { CHANNEL_LABELS, maskName } from '../../desk/view.ts';
import { PAGE_SIZE, SEARCH_WINDOW, type ListQuery, type ListResult } from '../tickets-query.ts';
import { SLA_LABELS, SlaBadge, timeFormat } from './common.tsx';

const STATUS_OPTIONS: Array<[string, string]> = [
  ['', '全部'],
  ['open', '未解决（全部）'],
  ['new', STATUS_LABELS.new],
  ['claimed', STATUS_LABELS.claimed],
  ['responded', STATUS_LABELS.responded],
  ['reopened', STATUS_LABELS.reopened],
  ['resolved', STATUS_LABELS.resolved],
  ['closed', STATUS_LABELS.closed],
];

function qs(q: ListQuery, extra: Record<string, string | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...q, after: undefined, ...extra })) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export function TicketsPage(props: {
  q: ListQuery;
  result: ListResult;
  config: Config;
  channels: string[];
  agents: Array<{ id: number; name: string }>;
  timeZone: string;
  error?: string;
}) {
  const { q, result, config } = props;
  const fmt = timeFormat(props.timeZone);
  const catName = (id: string) => config.categories.find((c) => c.id === id)?.name ?? id;
  const filtered = Object.entries(q).some(([k, v]) => k !== 'after' && v !== undefined);
  return (
    <div>
      <h1>工单</h1>
      <p class="sub">
        点开工单即可认领、回复、解决；在飞书 / 钉钉卡片上的操作也会实时出现在这里。待办请看 <a href="/console/queues">工作台</a>。
      </p>
      <form class="filters card" method="get" action="/console/tickets" role="search" aria-label="筛选工单">
        <div>
          <label for="f-q">搜索</label>
          <input id="f-q" name="q" value={q.q ?? ''} placeholder="工单号、手机号、邮箱或内容关键词" maxlength={100} />
        </div>
        <div>
          <label for="f-status">状态</label>
          <select id="f-status" name="status">
            {STATUS_OPTIONS.map(([v, l]) => (
              <option value={v} selected={(q.status ?? '') === v}>
                {l}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-category">分类</label>
          <select id="f-category" name="category">
            <option value="">全部</option>
            {config.categories.map((c) => (
              <option value={c.id} selected={q.category === c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-channel">渠道</label>
          <select id="f-channel" name="channel">
            <option value="">全部</option>
            {props.channels.map((c) => (
              <option value={c} selected={q.channel === c}>
                {CHANNEL_LABELS[c] ?? c}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-agent">处理人</label>
          <select id="f-agent" name="agent">
            <option value="">全部</option>
            <option value="none" selected={q.agent === 'none'}>
              未分配
            </option>
            {props.agents.map((a) => (
              <option value={String(a.id)} selected={q.agent === a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-sla">时限状态</label>
          <select id="f-sla" name="sla">
            <option value="">全部</option>
            {(['breached', 'due_soon', 'on_track', 'paused'] as const).map((s) => (
              <option value={s} selected={q.sla === s}>
                {SLA_LABELS[s]}（未解决）
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-from">收到日期从</label>
          <input id="f-from" name="from" type="date" value={q.from ?? ''} />
        </div>
        <div>
          <label for="f-to">至</label>
          <input id="f-to" name="to" type="date" value={q.to ?? ''} />
        </div>
        <div>
          <label class="check" for="f-major">
            <input id="f-major" type="checkbox" name="major" value="1" checked={q.major === '1'} /> 仅重大投诉
          </label>
          <label class="check" for="f-probe">
            <input id="f-probe" type="checkbox" name="probe" value="1" checked={q.probe === '1'} /> 含拨测工单
          </label>
        </div>
        <div class="actions">
          <button type="submit">筛选</button>
          {filtered ? (
            <a class="btn secondary" href="/console/tickets">
              清除
            </a>
          ) : null}
        </div>
      </form>
      {props.error ? (
        <p class="err" role="alert">
          {props.error}
        </p>
      ) : null}
      {result.searchCapped ? (
        <p class="notice" role="status">
          关键词搜索只查看了符合其他条件的最近 {SEARCH_WINDOW.toLocaleString('zh-CN')} 张工单{result.rows.length ? '' : '，其中没有匹配的'}。
          {result.next ? <a href={`/console/tickets${qs(q, { after: result.next })}`}>继续搜索更早的工单</a> : null}
          ，或填写日期范围缩小搜索。
        </p>
      ) : null}
      <div class="card scroll">
        <table class="list">
          <caption class="muted small" style="text-align:left;caption-side:top;padding-bottom:6px">
            {result.rows.length ? `本页 ${result.rows.length} 张，按收到时间从新到旧（每页最多 ${PAGE_SIZE} 张）` : '没有符合条件的工单'}
          </caption>
          <thead>
            <tr>
              <th scope="col">工单号</th>
              <th scope="col">收到时间</th>
              <th scope="col">渠道</th>
              <th scope="col">分类</th>
              <th scope="col">内容摘要</th>
              <th scope="col">客户</th>
              <th scope="col">处理人</th>
              <th scope="col">状态</th>
              <th scope="col">时限</th>
            </tr>
          </thead>
          <tbody>
            {result.rows.map((r) => (
              <tr>
                <td data-label="工单号">
                  <a href={`/console/tickets/${encodeURIComponent(r.t.code)}`} class="mono">
                    {r.t.code}
                  </a>
                  {r.t.isMajor ? <span class="badge tag-major"> 重大</span> : null}
                  {r.t.isProbe ? <span class="badge tag-probe"> 拨测</span> : null}
                  {r.t.isSandbox ? <span class="badge tag-probe"> 沙盒</span> : null}
                  {r.t.imported ? (
                    <span class="badge tag-probe" title={`从 ${r.t.imported.file} 第 ${r.t.imported.row} 行导入，不计入指标`}>
                      {' '}
                      导入
                    </span>
                  ) : null}
                </td>
                <td data-label="收到时间">{fmt.short(r.t.createdAt)}</td>
                <td data-label="渠道">{CHANNEL_LABELS[r.t.channel] ?? r.t.channel}</td>
                <td data-label="分类">{catName(r.t.category)}</td>
                <td data-label="摘要">{r.t.subject.length > 40 ? `${r.t.subject.slice(0, 40)}…` : r.t.subject}</td>
                <td data-label="客户">{maskName(r.customerName)}</td>
                <td data-label="处理人">{r.agentName ?? <span class="muted">未分配</span>}</td>
                <td data-label="状态">{STATUS_LABELS[r.t.status as Status] ?? r.t.status}</td>
                <td data-label="时限">
                  <SlaBadge state={r.sla.state} title={r.sla.label} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <nav class="pager" aria-label="翻页">
          {q.after ? <a href={`/console/tickets${qs(q, {})}`}>« 回到第一页</a> : <span />}
          {result.next && !result.searchCapped ? <a href={`/console/tickets${qs(q, { after: result.next })}`}>下一页 »</a> : null}
        </nav>
      </div>
    </div>
  );
}
