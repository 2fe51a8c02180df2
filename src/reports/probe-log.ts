/** The probe log of a range (every planted complaint, its channel, steps and result), as CSV for the audit pack. */
import type { Database } from '../db/client.ts';
import { kvList } from '../probes/kv.ts';
import { PROBE_LOG_PREFIX, STEP_LABELS, type ProbeResult } from '../probes/run.ts';
import { CHANNEL_LABELS } from '../desk/view.ts';
import { csvLine, BOM } from './csv.ts';
import type { DateRange } from './range.ts';

export async function probeLog(database: Database, range: Pick<DateRange, 'from' | 'to'>): Promise<ProbeResult[]> {
  const rows = await kvList<ProbeResult>(database.db, PROBE_LOG_PREFIX);
  return rows
    .map((r) => r.value)
    .filter((p) => {
      const at = Date.parse(p.at);
      return at >= range.from.getTime() && at < range.to.getTime();
    })
    .sort((a, b) => a.at.localeCompare(b.at) || a.channel.localeCompare(b.channel));
}

export function probeLogCsv(log: readonly ProbeResult[], local: (d: Date) => string): string {
  const lines = [csvLine(['拨测时间', '渠道', '触发方式', '结果', '失败步骤', '各步骤（耗时秒）', '端到端秒数', '拨测工单'])];
  for (const p of log) {
    const steps = p.steps
      .map(
        (s) =>
          `${STEP_LABELS[s.step as keyof typeof STEP_LABELS] ?? s.step}${s.ok ? '✓' : '✗'}(${s.seconds ?? '—'})${s.detail && !s.ok ? `：${s.detail}` : ''}`,
      )
      .join(' → ');
    lines.push(
      csvLine([
        local(new Date(p.at)),
        CHANNEL_LABELS[p.channel] ?? p.channel,
        p.trigger,
        p.ok ? '通过' : '失败',
        p.failedStep ? (STEP_LABELS[p.failedStep as keyof typeof STEP_LABELS] ?? p.failedStep) : '',
        steps,
        p.seconds ?? '',
        p.ticket ?? '',
      ]),
    );
  }
  return BOM + lines.join('\r\n') + '\r\n';
}
