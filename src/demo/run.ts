/**
 * Plays the demo plan through the desk's own use cases (intake, act, merge, incident actions, survey) with an
 * injected clock, and fires SLA timers with the sweep job at the simulated times: every figure of the demo is computed
 * by the product, every event is hash-chained by the one writer. Nothing is sent: no channel is attached, and the
 * outbox rows the use cases wrote are marked delivered at the end (so a service started on the demo data does not
 * send six months of messages).
 */
import { eq, sql } from 'drizzle-orm';
import type { Config } from '../config.ts';
import { createCalendar } from '../core/calendar.ts';
import { fixedClock } from '../core/clock.ts';
import type { Database } from '../db/client.ts';
import { incidents, tickets } from '../db/schema/index.ts';
import { createDesk, DeskError } from '../desk/index.ts';
import type { DeskDeps } from '../desk/deps.ts';
import { sweepDueTimers } from '../jobs/sweep.ts';
import { silentLogger, type Logger } from '../log.ts';
import { writeDemoMark } from './marker.ts';
import { DEMO_AGENTS, DEMO_LEAD, planDemo, type DemoCustomer, type DemoStep } from './plan.ts';

export interface DemoOptions {
  endAt: Date;
  /** Days of history (default 183: six months). */
  days?: number;
  perWorkingDay?: number;
  seed?: number;
  log?: Logger;
  /** Called now and then with the simulated day (progress on the terminal). */
  onProgress?: (day: string, done: number, total: number) => void;
}

export interface DemoSummary {
  fromDay: string;
  toDay: string;
  steps: number;
  tickets: number;
  sweeps: number;
  breaches: number;
  /** Planned reclassifications not needed: the learning classifier had already filed the text right. */
  learned: number;
  /** Steps the desk refused (a state the plan did not foresee); each is logged. Expected: 0. */
  refused: Array<{ key: string; type: string; reason: string }>;
  elapsedMs: number;
}

/**
 * Timers fire at most this late in simulated time (the real sweep ticks every 15 s). Breaches keep their true time
 * whatever the delay; a due-soon ping (30 min before a 2 h target at the default ratio) still comes before the breach.
 * Sweeping at every step instead costs a claim statement per step, ~15 % of the run.
 */
const SWEEP_EVERY_MS = 15 * 60_000;

export async function generateDemo(database: Database, deploymentConfig: Config, opts: DemoOptions): Promise<DemoSummary> {
  // The demo's agents act under the deployment's own rules; when the config names who may act, they are added to it.
  const config: Config = {
    ...deploymentConfig,
    roles: { ...deploymentConfig.roles, agents: [...deploymentConfig.roles.agents, ...DEMO_AGENTS], leads: [...deploymentConfig.roles.leads, DEMO_LEAD] },
  };
  const started = performance.now();
  const log = opts.log ?? silentLogger;
  const calendar = createCalendar(config.calendar, (m) => log.warn(m));
  const clock = fixedClock(opts.endAt);
  const seed = opts.seed ?? 20260101;
  const plan = planDemo(calendar, { endAt: opts.endAt, days: opts.days ?? 183, perWorkingDay: opts.perWorkingDay ?? 30, seed });
  const fromDay = plan.length ? calendar.localDate(plan[0].at) : calendar.localDate(opts.endAt);
  const toDay = calendar.localDate(opts.endAt);
  await writeDemoMark(database, { status: 'generating', startedAt: new Date().toISOString(), fromDay, toDay, seed });
  // The embedded database need not flush its log at every commit while the demo is written: a crash leaves the
  // 'generating' mark (committed above), and such a directory is refused until deleted. (PostgreSQL: pooled
  // sessions, left as they are.)
  if (database.kind === 'pglite') await database.db.execute(sql`set synchronous_commit = off`);

  // No agents' surface and no outbox worker: the rows the desk writes are kept as the record and marked delivered below.
  const deps: DeskDeps = { database, config, calendar, clock, log, agentSurfaces: [], wake: () => {} };
  const desk = createDesk(deps);
  const codes = new Map<string, { code: string; customer: DemoCustomer }>();
  const summary: DemoSummary = { fromDay, toDay, steps: plan.length, tickets: 0, sweeps: 0, breaches: 0, learned: 0, refused: [], elapsedMs: 0 };
  let lastSweep = 0;
  let lastDay = '';

  const sweep = async (at: Date) => {
    const r = await sweepDueTimers(deps, at);
    summary.sweeps++;
    summary.breaches += r.breaches;
    lastSweep = at.getTime();
  };

  for (let i = 0; i < plan.length; i++) {
    const step = plan[i];
    if (step.at.getTime() - lastSweep >= SWEEP_EVERY_MS) await sweep(step.at);
    clock.set(step.at);
    try {
      await play(step);
    } catch (e) {
      if (!(e instanceof DeskError)) throw e;
      summary.refused.push({ key: step.key, type: step.type, reason: e.message });
      log.warn('demo step refused', { key: step.key, type: step.type, reason: e.message });
    }
    const day = calendar.localDate(step.at);
    if (day !== lastDay) {
      lastDay = day;
      opts.onProgress?.(day, i, plan.length);
    }
  }
  clock.set(opts.endAt);
  await sweep(opts.endAt);

  await database.db.execute(sql`update outbox set status = 'sent', sent_at = created_at, attempts = 1, lease_until = null where status = 'pending'`);
  summary.tickets = codes.size;
  summary.elapsedMs = Math.round(performance.now() - started);
  await writeDemoMark(database, {
    status: 'complete',
    startedAt: new Date(Date.now() - summary.elapsedMs).toISOString(),
    finishedAt: new Date().toISOString(),
    fromDay,
    toDay,
    seed,
    tickets: summary.tickets,
  });
  return summary;

  async function play(step: DemoStep): Promise<void> {
    if (step.type === 'message') {
      const c = step.customer;
      const r = await desk.intake({
        channel: c.channel,
        dedupeKey: `demo-${step.key}-${step.at.getTime()}`,
        customer: { externalId: c.externalId, name: c.name, phone: c.phone, email: c.email },
        replyTo: { demo: true, to: c.externalId },
        text: step.text,
        receivedAt: step.at,
      });
      if (!codes.has(step.key)) codes.set(step.key, { code: r.code, customer: c });
      return;
    }
    const t = codes.get(step.key);
    if (!t) throw new Error(`demo plan: ${step.key} acted on before its first message`);
    switch (step.type) {
      case 'act':
        if (step.action === 'reclassify') {
          // The classifier learns from earlier reclassifications: once it files such a text right, nobody needs to.
          const [row] = await database.db.select({ category: tickets.category }).from(tickets).where(eq(tickets.code, t.code));
          if (row?.category === step.category) {
            summary.learned++;
            return;
          }
        }
        await desk.act({
          ticket: t.code,
          actor: step.agent,
          viaAgentGroup: true,
          action: step.action,
          text: step.text,
          category: step.category,
          waitForCustomer: step.waitForCustomer,
        });
        return;
      case 'survey':
        await desk.answerSurvey({
          ticket: t.code,
          channel: t.customer.channel,
          customerExternalId: t.customer.externalId,
          score: step.score,
          comment: step.comment,
        });
        return;
      case 'visit':
        // The first call comes after the task started: fire the due timers up to now first (the sweep would have).
        if (step.attempt === 1) await sweep(step.at);
        await desk.recordFollowUpAttempt({ ticket: t.code, actor: step.agent, viaAgentGroup: true, means: step.means, result: step.result });
        return;
      case 'merge':
        await desk.merge({ ticket: t.code, into: codes.get(step.into)!.code, actor: step.agent, viaAgentGroup: true });
        return;
      case 'incident': {
        const [row] = await database.db
          .select({ code: incidents.code })
          .from(tickets)
          .innerJoin(incidents, eq(incidents.id, tickets.incidentId))
          .where(eq(tickets.code, t.code));
        if (!row) throw new DeskError('not_found', `${t.code} 不属于任何事件`);
        await desk.incidentAct({ incident: row.code, actor: step.agent, viaAgentGroup: true, action: step.action, text: step.text });
        return;
      }
    }
  }
}
