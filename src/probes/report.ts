import { and, eq, sql } from 'drizzle-orm';
import { queryRows } from '../db/client.ts';
import { outbox } from '../db/schema/index.ts';
import type { Services } from '../services.ts';
import { kvGet } from './kv.ts';
import { probeDrivers, STEP_LABELS, type ProbeResult } from './run.ts';

export interface ChannelRow {
  channel: string;
  /** Hosts an agents' group (Feishu, DingTalk). */
  agentSurface: boolean;
  /** A machine can play the customer here, so it is probed. */
  probed: boolean;
  lastProbe: string | null;
  result: 'ok' | 'failed' | 'never';
  failedStep: string | null;
  detail: string | null;
  endToEndSeconds: number | null;
  /** Last message from a real customer (probes excluded). */
  lastInbound: string | null;
  deadLetters: number;
  health: Record<string, unknown>;
}

/** One row per channel: the last probe, the last real inbound message, dead letters, the channel's own links. */
export async function channelTable(services: Services): Promise<ChannelRow[]> {
  const db = services.database.db;
  const drivers = probeDrivers(services);
  const inbound = await queryRows<{ channel: string; last: Date | string | null }>(
    db,
    sql`select t.channel, max(m.created_at) as last from messages m join tickets t on t.id = m.ticket_id
        where m.direction = 'in' and not t.is_probe and not t.is_sandbox and t.imported is null group by t.channel`,
  );
  const dead = await db
    .select({ channel: outbox.channel, n: sql<number>`count(*)::int` })
    .from(outbox)
    .where(and(eq(outbox.status, 'dead')))
    .groupBy(outbox.channel);
  const rows: ChannelRow[] = [];
  for (const c of services.channels) {
    if (c.name === 'probes') continue;
    const last = await kvGet<ProbeResult>(db, `probe:last:${c.name}`);
    const failed = last?.steps.find((s) => !s.ok);
    const li = inbound.find((r) => r.channel === c.name)?.last;
    rows.push({
      channel: c.name,
      agentSurface: c.agentSurface,
      probed: drivers.has(c.name),
      lastProbe: last?.at ?? null,
      result: !last ? 'never' : last.ok ? 'ok' : 'failed',
      failedStep: last?.failedStep ? STEP_LABELS[last.failedStep] : null,
      detail: failed?.detail ?? null,
      endToEndSeconds: last?.seconds ?? null,
      lastInbound: li ? new Date(li).toISOString() : null,
      deadLetters: Number(dead.find((d) => d.channel === c.name)?.n ?? 0),
      health: c.health?.() ?? { state: 'ready' },
    });
  }
  return rows;
}

export function channelTableMarkdown(rows: ChannelRow[], timeZone: string): string {
  const fmt = (iso: string | null) =>
    iso
      ? new Intl.DateTimeFormat('zh-CN', { timeZone, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }).format(
          new Date(iso),
        )
      : '—';
  const head = '| 渠道 | 上次拨测 | 结果 | 端到端 | 最近客户消息 | 死信 |\n|---|---|---|---|---|---|';
  const body = rows.map((r) => {
    const result = !r.probed ? '不拨测' : r.result === 'ok' ? '✅ 通过' : r.result === 'failed' ? `❌ ${r.failedStep ?? ''}` : '尚未拨测';
    return `| ${r.channel} | ${fmt(r.lastProbe)} | ${result} | ${r.endToEndSeconds === null ? '—' : `${r.endToEndSeconds} 秒`} | ${fmt(r.lastInbound)} | ${r.deadLetters} |`;
  });
  return [head, ...body].join('\n');
}
