import type { Metrics } from '../../core/metrics.ts';
import { SUMMARY_COLUMNS } from '../../reports/ledger.ts';
import type { DateRange } from '../../reports/range.ts';
import type { MonthFigures } from '../overview-data.ts';
import { pct } from './common.tsx';
import { Definitions } from './definitions.tsx';
import type { Config } from '../../config.ts';

/** The 月度汇总 columns that are counts or rates; medians and ages need every row, which only the file reads. */
export const PAGE_SUMMARY_COLUMNS = SUMMARY_COLUMNS.filter((c) => !/中位数|P90|最长等待/.test(c.header));

const cell = (c: (typeof SUMMARY_COLUMNS)[number], m: Metrics) => {
  const v = c.value(m);
  return c.pct ? pct(v) : v === null ? '—' : String(v);
};

export interface LedgerPageProps {
  range: DateRange;
  months: MonthFigures[];
  total: Metrics;
  csrf: string;
  canUnmask: boolean;
  config: Config;
  error?: string;
}

export function LedgerPage(props: LedgerPageProps) {
  const { range } = props;
  return (
    <div>
      <h1>投诉处理台账</h1>
      <p class="sub">
        选择区间（按收到时间，北京时间，含首尾两天），查看将写入文件“月度汇总”页的数字，并下载 XLSX 或 CSV。默认为“近 6 个月”：前 6 个完整自然月加本月 1
        日至今天（本月标注“未结束”），与概览、审核材料包和统计卡片同一区间。
      </p>
      <form class="filters card" method="get" action="/console/ledger" aria-label="选择台账区间">
        <div>
          <label for="l-from">起始日期</label>
          <input id="l-from" name="from" type="date" value={range.fromDay} required />
        </div>
        <div>
          <label for="l-to">结束日期</label>
          <input id="l-to" name="to" type="date" value={range.toDay} required />
        </div>
        <div class="actions">
          <button type="submit">查看汇总</button>
        </div>
      </form>
      {props.error ? (
        <p class="err" role="alert">
          {props.error}
        </p>
      ) : null}

      <section class="card" aria-labelledby="h-dl">
        <h2 id="h-dl" style="margin-top:0">
          下载台账：{range.fromDay} 至 {range.toDay}
        </h2>
        <form method="post" action="/console/ledger/download" class="actions" style="align-items:center">
          <input type="hidden" name="csrf" value={props.csrf} />
          <input type="hidden" name="from" value={range.fromDay} />
          <input type="hidden" name="to" value={range.toDay} />
          <button type="submit" name="format" value="xlsx">
            下载 XLSX（含 6 个工作表）
          </button>
          <button type="submit" name="format" value="csv" class="btn secondary">
            下载 CSV（台账页）
          </button>
          {props.canUnmask ? (
            <label class="check" for="l-unmasked">
              <input id="l-unmasked" type="checkbox" name="unmasked" value="1" /> 不脱敏（完整姓名与联系方式，仅管理员）
            </label>
          ) : null}
        </form>
        <p class="small muted">
          XLSX
          包含：台账（每张工单一行）、月度汇总、回访记录、重大投诉时间线、服务承诺（时限、工作时间、节假日与调休）、说明（未列入的内容及原因、口径说明与事件日志摘要）。客户信息默认脱敏。
          台账逐张写明受理人、跟进人（处理人）、回访方式与回访人（均为姓名）；文件末尾留有制表人（即你）、审核人、日期与盖章处。
        </p>
      </section>

      <section class="card" aria-labelledby="h-sum">
        <h2 id="h-sum" style="margin-top:0">
          月度汇总（与文件一致）
        </h2>
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">月份</th>
                {PAGE_SUMMARY_COLUMNS.map((c) => (
                  <th scope="col" class="num">
                    {c.header}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {[
                ...props.months.map((m) => ({ label: m.month + (m.partial ? '（未结束）' : ''), metrics: m.metrics })),
                { label: '合计', metrics: props.total },
              ].map((r) => (
                <tr>
                  <th scope="row">{r.label}</th>
                  {PAGE_SUMMARY_COLUMNS.map((c) => (
                    <td class="num">{cell(c, r.metrics)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p class="small muted">
          标注“未结束”的月份数字截至今天，不是最终结果。时长中位数、P90 与最长等待按逐单数据计算，见文件的“月度汇总”页。数值为此刻的状态；拨测工单不计入。
        </p>
      </section>
      <Definitions config={props.config} />
    </div>
  );
}
