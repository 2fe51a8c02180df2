import type { Config } from '../../config.ts';
import { CHANNEL_LABELS } from '../../desk/view.ts';
import { HBars, LinePoints, PALETTE, RateBars, StackedBars } from '../charts.tsx';
import { FIRST_RESPONSE_TARGET, type OverviewData } from '../overview-data.ts';
import { pct, timeFormat } from './common.tsx';
import { REFERENCE_NOTE } from '../../core/metrics.ts';
import { Definitions } from './definitions.tsx';

const PROBE_LABELS = { ok: '✓ 通过', failed: '✗ 失败', never: '尚未拨测' } as const;

export function OverviewPage(props: { data: OverviewData; config: Config; timeZone: string; canSeeDefinitions: boolean }) {
  const { data, config } = props;
  const t = data.total;
  const fmt = timeFormat(props.timeZone);
  const series = config.categories.map((c, i) => ({ key: c.id, name: c.name, color: PALETTE[i % PALETTE.length] }));
  const monthLabel = (m: { month: string; partial: boolean }) => `${Number(m.month.slice(5))}月${m.partial ? '*' : ''}`;
  const frRate = t.firstResponse.metRate;
  const resRate = t.resolution.rate;
  const dist = t.survey.distribution;
  return (
    <div>
      <h1>概览</h1>
      <p class="sub">
        {data.range.label}，按收到时间 · 数据截至 {fmt.full(data.generatedAt)}（北京时间）· 拨测工单与合并的重复工单不计入
        {t.imported ? `· 另有导入的历史记录 ${t.imported} 件（上线前的旧台账），单独列在台账中，不计入任何指标` : ''}
      </p>
      <section aria-label="关键指标" class="kpis">
        <div class="kpi">
          <div class="l">收到反馈</div>
          <div class="v">{t.received}</div>
          <div class="n">重大投诉 {t.major} 件</div>
        </div>
        <div class={`kpi ${frRate === null ? '' : frRate >= FIRST_RESPONSE_TARGET ? 'good' : 'bad'}`}>
          <div class="l">首次响应及时率</div>
          <div class="v">{pct(frRate)}</div>
          <div class="n">
            目标 {pct(FIRST_RESPONSE_TARGET)} · 及时 {t.firstResponse.met} / 超时 {t.firstResponse.breached}
          </div>
        </div>
        <div class={`kpi ${resRate === null ? '' : resRate >= t.resolution.reference ? 'good' : 'bad'}`}>
          <div class="l">解决率</div>
          <div class="v">{pct(resRate)}</div>
          <div class="n">
            客户确认 {t.resolution.confirmed} / {t.resolution.withTarget} 件 · 参考值 92%（注）· 已解决·待回访 {t.resolution.awaitingSurvey} 件 · 未评价{' '}
            {t.resolution.unrated} 件
          </div>
        </div>
        <div class="kpi">
          <div class="l">平均满意度</div>
          <div class="v">{t.survey.averageScore === null ? '—' : `${t.survey.averageScore.toFixed(2)} 分`}</div>
          <div class="n">
            满意占比 {pct(t.survey.satisfiedShare)} · 评价 {t.survey.answered} 件 · 回访应答率 {pct(t.survey.responseRate)} · 满意归档率{' '}
            {pct(t.resolution.satisfiedRate)}
          </div>
        </div>
        <div class={`kpi ${data.backlog.byState.breached ? 'bad' : 'good'}`}>
          <div class="l">当前未解决</div>
          <div class="v">{data.backlog.total}</div>
          <div class="n">
            已超时 {data.backlog.byState.breached} · 待认领 {data.backlog.unclaimed}
          </div>
        </div>
      </section>

      <div class="card">
        <StackedBars
          title="每周收到的反馈（按分类）"
          desc={`最近 ${data.weeks.length} 周每周收到的反馈数量，按分类堆叠。`}
          series={series}
          bars={data.weeks.map((w) => ({ label: `${w.start} 起一周`, short: w.start.slice(5), values: w.byCategory }))}
        />
      </div>

      <div class="grid">
        <div class="card">
          <RateBars
            title="首次响应及时率（按月）"
            desc={`每月收到的反馈中，在承诺时限内首次回复客户的比例；虚线为目标 ${pct(FIRST_RESPONSE_TARGET)}。`}
            target={FIRST_RESPONSE_TARGET}
            targetLabel={`目标 ${pct(FIRST_RESPONSE_TARGET)}`}
            points={data.months.map((m) => ({
              label: monthLabel(m),
              value: m.metrics.firstResponse.metRate,
              note: `及时 ${m.metrics.firstResponse.met}，超时 ${m.metrics.firstResponse.breached}，未到期 ${m.metrics.firstResponse.pending}`,
            }))}
          />
        </div>
        <div class="card">
          <RateBars
            title="解决率（按月）"
            desc="每月有解决时限的反馈中客户确认解决的比例；虚线为媒体报道的行业参考值 92%（不是规定）。"
            target={t.resolution.reference}
            targetLabel="参考值 92%"
            points={data.months.map(({ metrics: { resolution: r }, ...m }) => ({
              label: monthLabel(m),
              value: r.rate,
              note: `客户确认 ${r.confirmed} / ${r.withTarget} 件，待回访 ${r.awaitingSurvey} 件，未评价 ${r.unrated} 件`,
            }))}
          />
        </div>
        <div class="card">
          <HBars
            title="满意度评分分布"
            desc="近 6 个月客户回访评价的分数分布（1–5 分），以及回访后未评价归档的数量。"
            unit=" 件"
            rows={[
              { label: '5 分', value: dist[4], color: '#007A4D' },
              { label: '4 分', value: dist[3], color: '#009E73' },
              { label: '3 分', value: dist[2], color: '#E69F00' },
              { label: '2 分', value: dist[1], color: '#D55E00' },
              { label: '1 分', value: dist[0], color: '#A33A00' },
              { label: '未评价', value: t.survey.unrated, color: '#8F959E' },
            ]}
          />
        </div>
        <div class="card">
          <LinePoints
            title="平均满意度趋势（按月，1–5 分）"
            desc="每月收到的反馈中已评价者的平均分。"
            min={1}
            max={5}
            format={(v) => v.toFixed(2)}
            points={data.months.map((m) => ({ label: monthLabel(m), value: m.metrics.survey.averageScore, note: `评价 ${m.metrics.survey.answered} 件` }))}
          />
        </div>
        <div class="card">
          <HBars
            title="未解决工单的时限状态"
            desc="当前所有未解决工单按时限状态分组（首次响应与解决两项中较差的一项）。"
            unit=" 件"
            rows={[
              { label: '已超时', value: data.backlog.byState.breached, color: '#C2410C' },
              { label: '即将超时', value: data.backlog.byState.due_soon, color: '#E69F00' },
              { label: '正常', value: data.backlog.byState.on_track, color: '#009E73' },
              { label: '暂停计时', value: data.backlog.byState.paused, color: '#8F959E' },
              ...(data.backlog.byState.none ? [{ label: '无时限', value: data.backlog.byState.none, color: '#C4C8CE' }] : []),
            ]}
          />
          <p class="small">
            <a href="/console/tickets?status=open&sla=breached">查看已超时工单</a> · <a href="/console/tickets?status=new">查看待认领工单</a>
          </p>
        </div>
        <div class="card">
          <h2 style="margin-top:0;font-size:15px">渠道健康（拨测）</h2>
          <div class="scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">渠道</th>
                  <th scope="col">最近拨测</th>
                  <th scope="col">结果</th>
                  <th scope="col">最近真实反馈</th>
                  <th scope="col" class="num">
                    死信
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.channels.map((c) => (
                  <tr>
                    <th scope="row">{CHANNEL_LABELS[c.channel] ?? c.channel}</th>
                    <td>{c.probed ? fmt.short(c.lastProbeAt) : '不拨测'}</td>
                    <td>
                      {c.probed ? (
                        <span class={c.probe === 'ok' ? 'ok' : c.probe === 'failed' ? 'err' : 'muted'}>
                          {PROBE_LABELS[c.probe]}
                          {c.probe === 'failed' && c.failedStep ? `（${c.failedStep}）` : ''}
                          {c.probe === 'ok' && c.endToEndSeconds !== null ? `，${c.endToEndSeconds} 秒` : ''}
                        </span>
                      ) : (
                        <span class="muted">{c.agentSurface ? '客服群所在平台' : '—'}</span>
                      )}
                    </td>
                    <td>{fmt.short(c.lastTicketAt)}</td>
                    <td class={`num ${c.deadLetters ? 'err' : ''}`}>{c.deadLetters}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      </div>
      <p class="small muted">* 本月尚未结束，数字会随处理进度变化。注：{REFERENCE_NOTE}</p>
      <Definitions config={config} />
    </div>
  );
}
