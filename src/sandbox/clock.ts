/**
 * The sandbox's fast clock: 「快进」 jumps the sandbox's own world ahead (+1 小时, +1 工作日) so that SLA reminders,
 * escalations and the survey reminder and the 电话回访 task can be seen without waiting. It is an injected clock, real
 * time plus an offset, given only to the sandbox's own desk and to a sweep that fires only the timers of sandbox
 * tickets. Real tickets never see it: an action from the sandbox's group on a ticket that is not a sandbox ticket
 * goes to the service's own desk, on the real clock. Time never runs back, so the offset is kept (in `kv`) across
 * restarts: sandbox tickets already written ahead stay ahead.
 */
import { eq, sql } from 'drizzle-orm';
import type { Clock } from '../core/clock.ts';
import { sqlTime } from '../db/client.ts';
import { outbox, tickets } from '../db/schema/index.ts';
import { createDesk, type Desk } from '../desk/index.ts';
import { sweepDueTimers } from '../jobs/sweep.ts';
import { kvGet, kvSet } from '../probes/kv.ts';
import type { CoreServices } from '../services.ts';
import type { ChannelSender } from '../channels/types.ts';
import { loadTicketView } from '../desk/view.ts';

export const SANDBOX_CLOCK_KEY = 'sandbox.clock';
export type Jump = 'hour' | 'workday';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** While ahead, the sandbox's own sweep runs this often (the service's sweep only fires what is due in real time). */
export const SANDBOX_SWEEP_MS = 10_000;

export interface SandboxWorld {
  clock: Clock;
  /** The desk the sandbox's channels use: sandbox tickets on the sandbox clock, every other ticket on the real one. */
  desk: Desk;
  /** The services the sandbox's channels are built from (its desk and clock, typed commands included). */
  core: CoreServices;
  offsetMs(): number;
  load(): Promise<void>;
  jump(by: Jump): Promise<{ offsetMs: number; now: Date; fired: number }>;
  /** Fires the sandbox tickets' timers due on the sandbox clock and delivers what they queued at once. */
  sweep(): Promise<number>;
  /** The sender, drawing a sandbox ticket's card at the sandbox's time (time left, 已超时) and any other at the real one. */
  drawAhead(sender: ChannelSender): ChannelSender;
}

export function sandboxWorld(real: CoreServices): SandboxWorld {
  let offset = 0;
  let loaded: Promise<void> | null = null;
  const clock: Clock = { now: () => new Date(real.clock.now().getTime() + offset) };
  const ahead = createDesk({ ...real.desk.deps, clock });
  const db = real.database.db;

  const isSandboxTicket = async (code: string) => {
    const [t] = await db.select({ s: tickets.isSandbox }).from(tickets).where(eq(tickets.code, code));
    return t?.s === true;
  };
  const isSandboxId = async (id: number) => {
    const [t] = await db.select({ s: tickets.isSandbox }).from(tickets).where(eq(tickets.id, id));
    return t?.s === true;
  };
  /**
   * Rows the sandbox desk wrote carry its time (ahead of the real one); the outbox worker runs on real time, so they
   * are made due now. Only rows created after the real now can be the sandbox's: real rows are never from the future.
   */
  const deliverNow = async () => {
    if (offset === 0) return;
    const now = real.clock.now();
    await db.execute(
      sql`update ${outbox} set run_at = ${sqlTime(now)}
          where status = 'pending' and attempts = 0 and created_at > ${sqlTime(now)} and run_at <= ${sqlTime(clock.now())}`,
    );
    real.desk.deps.wake();
  };
  /** Runs a use case on the sandbox clock when the world is ahead and every ticket it touches is a sandbox ticket. */
  const routed = async <T>(codes: string[], run: (d: Desk) => Promise<T>): Promise<T> => {
    if (offset === 0) return run(real.desk);
    const own = (await Promise.all(codes.map(isSandboxTicket))).every(Boolean);
    if (!own) return run(real.desk);
    try {
      return await run(ahead);
    } finally {
      await deliverNow();
    }
  };

  const desk: Desk = {
    ...real.desk,
    // Only sandbox personas write through the sandbox's channels: their tickets are sandbox tickets.
    intake: (msg) => (offset === 0 ? real.desk.intake(msg) : ahead.intake(msg).finally(deliverNow)),
    act: (a) => routed([a.ticket], (d) => d.act(a)),
    answerSurvey: (a) => routed([a.ticket], (d) => d.answerSurvey(a)),
    recordFollowUp: (a) => routed([a.ticket], (d) => d.recordFollowUp(a)),
    merge: (a) => routed([a.ticket, a.into], (d) => d.merge(a)),
    unmerge: (a) => routed([a.ticket], (d) => d.unmerge(a)),
  };

  const load = () =>
    (loaded ??= kvGet<{ offsetMs: number }>(db, SANDBOX_CLOCK_KEY).then(
      (v) => void (offset = Math.max(0, Number(v?.offsetMs) || 0)),
      (e) => {
        loaded = null;
        throw e;
      },
    ));

  async function sweep(): Promise<number> {
    await load(); // after a restart, before anyone opened the page
    if (offset === 0) return 0;
    const r = await sweepDueTimers({ ...real.desk.deps, clock }, clock.now(), { sandboxOnly: true });
    await deliverNow();
    return r.fired;
  }

  async function jump(by: Jump) {
    await load();
    const from = clock.now();
    offset += by === 'hour' ? HOUR : nextWorkingDay(real, from).getTime() - from.getTime();
    await kvSet(db, SANDBOX_CLOCK_KEY, { offsetMs: offset });
    const fired = await sweep();
    return { offsetMs: offset, now: clock.now(), fired };
  }

  const viewAhead = (id: number) => loadTicketView(db, real.config, real.calendar, id, clock.now(), real.env.PUBLIC_BASE_URL);
  const drawAhead = (sender: ChannelSender): ChannelSender => ({
    name: sender.name,
    deliver: (row, ctx) =>
      sender.deliver(row, offset === 0 ? ctx : { ...ctx, ticketView: async (id) => ((await isSandboxId(id)) ? viewAhead(id) : ctx.ticketView(id)) }),
  });

  // Typed commands act through the sandbox's desk; what they report (/stats today, /sla) stays on the real clock.
  const core: CoreServices = { ...real, clock, desk, runCommand: (input) => real.runCommand(input, { desk }) };
  return { clock, desk, core, offsetMs: () => offset, load, jump, sweep, drawAhead };
}

/** The same wall time on the next working day of the business calendar (调休 make-up days count, holidays do not). */
function nextWorkingDay(core: CoreServices, from: Date): Date {
  let at = new Date(from.getTime() + DAY);
  while (!core.calendar.isWorkingDay(core.calendar.localDate(at))) at = new Date(at.getTime() + DAY);
  return at;
}
