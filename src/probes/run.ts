import { and, eq, like, sql } from 'drizzle-orm';
import { messages, outbox, tickets } from '../db/schema/index.ts';
import { enqueue } from '../desk/store.ts';
import type { Services } from '../services.ts';
import { closeProbeTicket } from './close.ts';
import { kvSet } from './kv.ts';
import { issueProbeMarker, probeText } from './marker.ts';
import type { ProbeableChannel, ProbeDriver } from './types.ts';
import { webProbe } from './web.ts';

export type StepName = 'sent' | 'ticket' | 'ack' | 'card';
export const STEP_LABELS: Record<StepName, string> = { sent: '发送模拟投诉', ticket: '创建工单', ack: '向客户发送受理回执', card: '客服群收到工单卡片' };

export interface ProbeStep {
  step: StepName;
  ok: boolean;
  /** Seconds from the start of the probe to this step. */
  seconds: number | null;
  detail?: string;
}

export interface ProbeResult {
  channel: string;
  runId: string;
  at: string;
  ok: boolean;
  /** End to end: from sending to the card in the agents' group. */
  seconds: number | null;
  ticket: string | null;
  failedStep: StepName | null;
  steps: ProbeStep[];
  trigger: string;
}

/** The channels a machine can play the customer on, with their drivers. */
/** kv keys of the probe log: `probe:log:<ISO time>:<channel>`. */
export const PROBE_LOG_PREFIX = 'probe:log:';

export function probeDrivers(services: Services): Map<string, ProbeDriver> {
  const drivers = new Map<string, ProbeDriver>();
  for (const c of services.channels as ProbeableChannel[]) {
    if (c.name === 'web') drivers.set('web', webProbe);
    else if (c.probe) drivers.set(c.name, c.probe);
  }
  const wanted = services.config.probes.channels;
  if (wanted) for (const name of [...drivers.keys()]) if (!wanted.includes(name)) drivers.delete(name);
  return drivers;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Plants one complaint per channel through its public entry and follows it: ticket created (and marked as a
 * probe), acknowledgement delivered, card posted in every agents' group. The ticket is then closed as a probe.
 * A failure is told to the agents' group at once, naming the channel and the step.
 */
export async function runProbes(services: Services, opts: { channels?: string[]; trigger?: string } = {}): Promise<ProbeResult[]> {
  const drivers = probeDrivers(services);
  const names = [...drivers.keys()].filter((n) => !opts.channels || opts.channels.includes(n));
  const results = await Promise.all(names.map((n) => probeOne(services, n, drivers.get(n)!, opts.trigger ?? 'manual')));
  const failed = results.filter((r) => !r.ok);
  if (failed.length) await alertFailures(services, failed);
  return results;
}

async function probeOne(services: Services, channel: string, driver: ProbeDriver, trigger: string): Promise<ProbeResult> {
  const { database, clock, config, env, log } = services;
  const db = database.db;
  const surfaces = services.desk.deps.agentSurfaces;
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) / 100) / 10;
  const deadline = started + config.probes.timeoutSeconds * 1000;
  const { runId, marker } = await issueProbeMarker(db, channel, clock.now());
  const result: ProbeResult = { channel, runId, at: clock.now().toISOString(), ok: false, seconds: null, ticket: null, failedStep: null, steps: [], trigger };
  const pass = (step: StepName, detail?: string) => result.steps.push({ step, ok: true, seconds: elapsed(), detail });
  const fail = (step: StepName, detail: string) => {
    result.steps.push({ step, ok: false, seconds: elapsed(), detail });
    result.failedStep = step;
  };
  let ticketId: number | null = null;

  try {
    await driver.send({ runId, marker, text: probeText(runId), baseUrl: (config.probes.baseUrl ?? env.PUBLIC_BASE_URL).replace(/\/$/, '') });
    pass('sent');

    // Follow the ticket; each step must come before the deadline.
    let step: StepName = 'ticket';
    let lastProblem = '超时';
    while (performance.now() < deadline) {
      await driver.nudge?.().catch((e) => (lastProblem = `读取新消息失败：${(e as Error).message}`));
      await services.outbox.wake();
      if (step === 'ticket') {
        const [row] = await db
          .select({ id: tickets.id, code: tickets.code, isProbe: tickets.isProbe })
          .from(messages)
          .innerJoin(tickets, eq(tickets.id, messages.ticketId))
          .where(and(eq(tickets.channel, channel), like(messages.body, `%${runId}%`)))
          .limit(1);
        if (row) {
          ticketId = row.id;
          result.ticket = row.code;
          if (!row.isProbe) {
            fail('ticket', `工单 ${row.code} 未被识别为拨测工单`);
            break;
          }
          pass('ticket', row.code);
          step = 'ack';
        }
      }
      if (step === 'ack' && ticketId !== null) {
        const rows = await db
          .select({ status: outbox.status, lastError: outbox.lastError })
          .from(outbox)
          .where(and(eq(outbox.ticketId, ticketId), eq(outbox.kind, 'customer.text'), sql`${outbox.payload}->>'purpose' = 'ack'`));
        const dead = rows.find((r) => r.status === 'dead');
        if (dead) {
          fail('ack', `回执无法送达：${dead.lastError ?? ''}`);
          break;
        }
        if (rows.some((r) => r.status === 'sent') && (!driver.ackReceived || (await driver.ackReceived(result.ticket!)))) {
          pass('ack');
          step = 'card';
        } else if (rows[0]?.lastError) lastProblem = `回执发送重试中：${rows[0].lastError}`;
      }
      if (step === 'card' && ticketId !== null) {
        if (surfaces.length === 0) {
          fail('card', '未配置客服群（飞书或钉钉）');
          break;
        }
        const rows = await db
          .select({ channel: outbox.channel, status: outbox.status, lastError: outbox.lastError })
          .from(outbox)
          .where(and(eq(outbox.ticketId, ticketId), eq(outbox.kind, 'agents.card')));
        const missing = surfaces.filter((s) => !rows.some((r) => r.channel === s && r.status === 'sent'));
        const dead = rows.find((r) => r.status === 'dead');
        if (dead) {
          fail('card', `${dead.channel} 卡片无法发送：${dead.lastError ?? ''}`);
          break;
        }
        if (missing.length === 0) {
          pass('card', surfaces.join(', '));
          result.ok = true;
          result.seconds = elapsed();
          break;
        }
        const retrying = rows.find((r) => missing.includes(r.channel) && r.lastError);
        if (retrying) lastProblem = `${retrying.channel} 卡片发送重试中：${retrying.lastError}`;
      }
      await sleep(200);
    }
    if (!result.ok && !result.failedStep) fail(step, `${config.probes.timeoutSeconds} 秒内未完成（${lastProblem}）`);
  } catch (e) {
    fail('sent', (e as Error).message);
  }

  if (ticketId !== null) {
    await closeProbeTicket(services.desk.deps, ticketId, { ok: result.ok, failedStep: result.failedStep }).catch((e) =>
      log.warn('probe close failed', { ticketId, err: String(e) }),
    );
  }
  await kvSet(db, `probe:last:${channel}`, result, clock.now());
  // Every run is kept (ISO time first, so keys sort by time): the audit pack lists the probes of its range.
  await kvSet(db, `${PROBE_LOG_PREFIX}${result.at}:${channel}`, result, clock.now());
  log[result.ok ? 'info' : 'warn']('probe finished', { channel, ok: result.ok, seconds: result.seconds, failedStep: result.failedStep, ticket: result.ticket });
  return result;
}

async function alertFailures(services: Services, failed: ProbeResult[]): Promise<void> {
  const lines = failed.map((r) => {
    const step = r.steps.find((s) => !s.ok);
    return `- ${r.channel}：第 ${r.steps.length} 步「${STEP_LABELS[r.failedStep!]}」失败${step?.detail ? `：${step.detail}` : ''}${r.ticket ? `（拨测工单 ${r.ticket}）` : ''}`;
  });
  const text = `⚠️ 渠道拨测失败，客户的反馈可能无法送达或无人知晓，请立即检查：\n${lines.join('\n')}`;
  const deps = services.desk.deps;
  const now = services.clock.now();
  await services.database.db.transaction((tx) =>
    enqueue(
      tx,
      now,
      deps.agentSurfaces.map((s) => ({
        channel: s,
        kind: 'agents.text' as const,
        ticketId: null,
        payload: { text, notify: 'leads' },
        idemKey: `probe-alert:${failed.map((r) => r.runId).join('-')}:${s}`,
      })),
    ),
  );
  if (deps.agentSurfaces.length === 0) services.log.error('probe failed and no agents group is configured', { failed: failed.map((r) => r.channel) });
  deps.wake();
}
