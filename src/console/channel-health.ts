/**
 * Channel health for the overview: the last planted probe (issue 8's results in kv), the last real ticket, dead
 * letters and the channel's own connection state. The last real ticket comes from the (channel, created_at)
 * index instead of scanning every message, so the overview stays fast on a million tickets.
 */
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { outbox, tickets } from '../db/schema/index.ts';
import { kvGet } from '../probes/kv.ts';
import { probeDrivers, STEP_LABELS, type ProbeResult } from '../probes/run.ts';
import type { Services } from '../services.ts';

export interface ChannelHealth {
  channel: string;
  agentSurface: boolean;
  probed: boolean;
  probe: 'ok' | 'failed' | 'never';
  lastProbeAt: Date | null;
  failedStep: string | null;
  endToEndSeconds: number | null;
  lastTicketAt: Date | null;
  deadLetters: number;
  state: string;
}

async function lastRealTicket(database: Database, channel: string): Promise<Date | null> {
  const [row] = await database.db
    .select({ at: tickets.createdAt })
    .from(tickets)
    // Imported earlier records say nothing about whether the channel works today.
    .where(and(eq(tickets.channel, channel), eq(tickets.isProbe, false), eq(tickets.isSandbox, false), isNull(tickets.imported)))
    .orderBy(desc(tickets.createdAt))
    .limit(1);
  return row?.at ?? null;
}

export async function channelHealth(services: Services): Promise<ChannelHealth[]> {
  const db = services.database.db;
  const drivers = probeDrivers(services);
  const dead = await db
    .select({ channel: outbox.channel, n: sql<number>`count(*)::int` })
    .from(outbox)
    .where(eq(outbox.status, 'dead'))
    .groupBy(outbox.channel);
  const channels = services.channels.filter((c) => c.name !== 'probes');
  return Promise.all(
    channels.map(async (c) => {
      const [last, lastTicketAt] = await Promise.all([kvGet<ProbeResult>(db, `probe:last:${c.name}`), lastRealTicket(services.database, c.name)]);
      const health = (c.health?.() ?? {}) as Record<string, unknown>;
      return {
        channel: c.name,
        agentSurface: c.agentSurface,
        probed: drivers.has(c.name),
        probe: !last ? 'never' : last.ok ? 'ok' : 'failed',
        lastProbeAt: last ? new Date(last.at) : null,
        failedStep: last?.failedStep ? STEP_LABELS[last.failedStep] : null,
        endToEndSeconds: last?.seconds ?? null,
        lastTicketAt,
        deadLetters: Number(dead.find((d) => d.channel === c.name)?.n ?? 0),
        state: String(health.state ?? health.status ?? 'ready'),
      } satisfies ChannelHealth;
    }),
  );
}
