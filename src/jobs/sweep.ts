/**
 * The SLA sweep: fires due timers. A plain async function, called by the node-cron tick and by Workers'
 * `scheduled()` alike, with the clock's `now` as a parameter (never SQL now()), so tests move a fake clock.
 *
 * Exactly once, across instances, restarts and crashes:
 * - claim: `FOR UPDATE SKIP LOCKED` plus a lease, committed on its own. Another sweeper skips leased rows; rows
 *   of a sweeper that died are claimed again once the lease runs out.
 * - fire: one transaction per batch locks the tickets (in id order, like the desk: ticket before timer), marks
 *   the timers fired only if they are still pending, appends the events and writes the outbox rows. A crash
 *   before the commit leaves the timers pending; after it, they are fired and their pings queued.
 * - a timer fires once however late the sweep runs: after a day of downtime each threshold pings once, and the
 *   breach is recorded with its true time (the due time), not the sweep's.
 */
import { inArray, sql } from 'drizzle-orm';
import { formatMinutes } from '../core/sla.ts';
import { appendChained } from '../records/chain.ts';
import { isWorkable, type TicketEvent } from '../core/ticket.ts';
import { queryRows, sqlTime, type Tx } from '../db/client.ts';
import { tickets, timers } from '../db/schema/index.ts';
import { cardUpdates } from '../desk/act.ts';
import { SYSTEM, type DeskDeps } from '../desk/deps.ts';
import { pingRows, type Ping } from '../desk/pings.ts';
import { leadNames, peopleDirectory } from '../desk/people.ts';
import { enqueue, type Enqueue, type TicketRow } from '../desk/store.ts';
import { startFollowUp } from '../desk/follow-up.ts';
import { inWorkingTime, nextResponseDue, TARGET_LABELS, type SlaTarget, type TimerData, type TimerKind } from '../desk/timers.ts';
import { excerpt } from '../core/text.ts';

export interface SweepOptions {
  /** Timers claimed and fired per transaction (default 1000): the pings of one batch are grouped per recipient. */
  batchSize?: number;
  /** How long a claim holds before another sweeper may take the timers over (default 60 s). */
  leaseSeconds?: number;
  /** Only the timers of sandbox tickets: the sandbox's fast clock sweeps its own world ahead of real time (sandbox/clock.ts). */
  sandboxOnly?: boolean;
}

export interface SweepResult {
  claimed: number;
  /** Timers that did something (recorded a breach, queued a ping or a reminder, started a phone follow-up). */
  fired: number;
  /** Timers that found nothing to do (target met, ticket paused, due time moved). */
  skipped: number;
  /** Pings that came due outside business time (after downtime) and wait for the next opening. */
  deferred: number;
  breaches: number;
  /** agents.text rows written (after grouping). */
  pings: number;
  batches: number;
}

export interface ClaimedTimer {
  id: number;
  ticketId: number;
  kind: TimerKind;
  dueAt: Date;
  dedupeKey: string;
  data: TimerData;
}

/** A ping that comes due while the service was down waits for working time if it is this late at night. */
const LATE_GRACE_MS = 15 * 60_000;
const PING_KINDS: ReadonlySet<TimerKind> = new Set(['sla.due_soon', 'sla.escalate', 'survey.reminder']);

/** Claims due timers: pending, due, not leased (or the lease ran out). Commits the lease on its own. */
export async function claimDueTimers(deps: DeskDeps, now: Date, opts: SweepOptions = {}): Promise<ClaimedTimer[]> {
  const leaseUntil = new Date(now.getTime() + (opts.leaseSeconds ?? 60) * 1000);
  const rows = await queryRows<{ id: number | string; ticket_id: number | string; kind: string; due_at: Date | string; dedupe_key: string; data: TimerData }>(
    deps.database.db,
    sql`update ${timers} set lease_until = ${sqlTime(leaseUntil)}
        where ${timers.id} in (
          select id from ${timers}
          where status = 'pending' and due_at <= ${sqlTime(now)} and (lease_until is null or lease_until < ${sqlTime(now)})
            ${opts.sandboxOnly ? sql`and ticket_id in (select id from ${tickets} where is_sandbox)` : sql``}
          order by due_at, id limit ${opts.batchSize ?? 1000}
          for update skip locked)
        returning id, ticket_id, kind, due_at, dedupe_key, data`,
  );
  return rows
    .map((r) => ({
      id: Number(r.id),
      ticketId: Number(r.ticket_id),
      kind: r.kind as TimerKind,
      dueAt: new Date(r.due_at),
      dedupeKey: r.dedupe_key,
      data: r.data,
    }))
    .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.id - b.id);
}

/** Fires every timer due at `now`, batch after batch. */
export async function sweepDueTimers(deps: DeskDeps, now: Date = deps.clock.now(), opts: SweepOptions = {}): Promise<SweepResult> {
  const batchSize = opts.batchSize ?? 1000;
  const total: SweepResult = { claimed: 0, fired: 0, skipped: 0, deferred: 0, breaches: 0, pings: 0, batches: 0 };
  for (;;) {
    const claimed = await claimDueTimers(deps, now, { ...opts, batchSize });
    if (claimed.length === 0) break;
    total.claimed += claimed.length;
    total.batches++;
    try {
      const r = await fireTimers(deps, claimed, now);
      total.fired += r.fired;
      total.skipped += r.skipped;
      total.deferred += r.deferred;
      total.breaches += r.breaches;
      total.pings += r.pings;
    } catch (e) {
      // The claimed timers stay pending under their lease; this or another sweeper retries them after it.
      deps.log.error('sla sweep batch failed', { timers: claimed.length, err: String(e) });
      break;
    }
    if (claimed.length < batchSize) break;
  }
  if (total.fired > 0) deps.wake();
  if (total.claimed > 0) deps.log.info('sla sweep', { ...total });
  return total;
}

type Outcome =
  | { type: 'skip'; reason: string }
  | { type: 'defer'; until: Date }
  | { type: 'breach' }
  | { type: 'ping'; ping: Ping; event: TicketEvent; stateChange: boolean }
  | { type: 'survey_reminder' }
  | { type: 'follow_up' };

/** Fires claimed timers in one transaction (plus one per follow-up task started, which is the desk's own use case). */
export async function fireTimers(deps: DeskDeps, claimed: ClaimedTimer[], now: Date): Promise<Omit<SweepResult, 'claimed' | 'batches'>> {
  const result = { fired: 0, skipped: 0, deferred: 0, breaches: 0, pings: 0 };
  const followUps: ClaimedTimer[] = [];

  await deps.database.db.transaction(async (tx) => {
    const ids = [...new Set(claimed.map((c) => c.ticketId))].sort((a, b) => a - b);
    const rows = await tx.select().from(tickets).where(inArray(tickets.id, ids)).orderBy(tickets.id).for('update');
    const byId = new Map(rows.map((t) => [t.id, t]));

    const decided = claimed.map((timer) => ({ timer, outcome: decide(deps, byId.get(timer.ticketId), timer, now) }));
    for (const d of decided) if (d.outcome.type === 'follow_up') followUps.push(d.timer);

    // Deferred pings move to the next opening and stay pending.
    const deferred = decided.filter((d) => d.outcome.type === 'defer');
    for (const d of deferred) {
      await tx.execute(
        sql`update ${timers} set due_at = ${sqlTime((d.outcome as { until: Date }).until)}, lease_until = null where id = ${d.timer.id} and status = 'pending'`,
      );
    }
    result.deferred = deferred.length;

    // Mark fired only what is still pending: a sweeper whose lease ran out loses the race here, not in the outbox.
    const toFire = decided.filter((d) => d.outcome.type !== 'defer' && d.outcome.type !== 'follow_up');
    if (toFire.length === 0) return;
    const values = sql.join(
      toFire.map(
        (d) => sql`(${d.timer.id}::bigint, ${JSON.stringify({ outcome: d.outcome.type === 'skip' ? `skipped: ${d.outcome.reason}` : d.outcome.type })}::jsonb)`,
      ),
      sql`, `,
    );
    const owned = await queryRows<{ id: number | string }>(
      tx,
      sql`update ${timers} as t set status = 'fired', fired_at = ${sqlTime(now)}, lease_until = null, data = t.data || v.extra
          from (values ${values}) as v(id, extra)
          where t.id = v.id and t.status = 'pending'
          returning t.id`,
    );
    const mine = new Set(owned.map((r) => Number(r.id)));
    const live = toFire.filter((d) => mine.has(d.timer.id));

    const events = new Map<number, Array<TicketEvent & { at: Date }>>();
    const addEvent = (ticketId: number, e: TicketEvent, at: Date) => events.set(ticketId, [...(events.get(ticketId) ?? []), { ...e, at }]);
    const changed = new Set<number>();
    const pings: Ping[] = [];
    const customer: Array<{ ticket: TicketRow; timer: ClaimedTimer }> = [];
    for (const { timer, outcome } of live) {
      const t = byId.get(timer.ticketId)!;
      switch (outcome.type) {
        case 'skip':
          result.skipped++;
          break;
        case 'breach':
          result.fired++;
          result.breaches++;
          changed.add(t.id);
          // The true breach time: the due time (or the change that put it in the past), however late the sweep ran.
          addEvent(
            t.id,
            {
              type: 'sla_breached',
              data: {
                target: timer.data.target,
                dueAt: timer.data.due,
                breachedAt: timer.dueAt.toISOString(),
                detectedAt: now.toISOString(),
                timer: timer.dedupeKey,
              },
            },
            timer.dueAt,
          );
          break;
        case 'ping':
          result.fired++;
          pings.push(outcome.ping);
          if (outcome.stateChange) changed.add(t.id);
          addEvent(t.id, outcome.event, now);
          break;
        case 'survey_reminder':
          result.fired++;
          customer.push({ ticket: t, timer });
          addEvent(t.id, { type: 'survey_reminded', data: { surveySentAt: timer.data.surveySentAt } }, now);
          break;
      }
    }

    const lastSeq = await appendMany(tx, events);
    const out: Enqueue[] = [];
    for (const { ticket, timer } of customer) {
      out.push({
        channel: ticket.channel,
        kind: 'customer.text',
        ticketId: ticket.id,
        payload: { text: surveyReminderText(ticket), purpose: 'notice' },
        idemKey: `survey-reminder:${timer.dedupeKey}`,
      });
    }
    const pingOut = await pingRows(tx, deps, pings);
    result.pings = pingOut.length;
    out.push(...pingOut);
    // The card shows the SLA state: refresh it when the state changed (due soon, breached).
    for (const id of changed) out.push(...cardUpdates(deps, id, lastSeq.get(id)!));
    await enqueue(tx, now, out);
  });

  // Silence is not satisfaction: the unanswered survey becomes a named person's phone follow-up (the desk's use case,
  // its own transaction, idempotent on the ticket's state); the timer is marked fired after it, so a crash in between
  // starts nothing twice and skips nothing.
  for (const timer of followUps) {
    const started = await startFollowUp(deps, timer.ticketId, now);
    const outcome = JSON.stringify({ outcome: started ? 'follow_up' : 'skipped: not awaiting survey' });
    await deps.database.db.execute(
      sql`update ${timers} set status = 'fired', fired_at = ${sqlTime(now)}, lease_until = null, data = data || ${outcome}::jsonb
          where id = ${timer.id} and status = 'pending'`,
    );
    if (started) result.fired++;
    else result.skipped++;
  }
  return result;
}

/** What a due timer does, from the ticket's state now (the ticket row is locked). */
function decide(deps: DeskDeps, t: TicketRow | undefined, timer: ClaimedTimer, now: Date): Outcome {
  const outcome = outcomeOf(deps, t, timer, now);
  // After downtime, a ping due in working hours does not go out at 3 a.m.: it waits for the next opening.
  // Breaches are records, not pings: they are written whenever the sweep runs.
  const ping = outcome.type === 'ping' || outcome.type === 'survey_reminder';
  if (
    ping &&
    PING_KINDS.has(timer.kind) &&
    timer.data.business &&
    now.getTime() - timer.dueAt.getTime() > LATE_GRACE_MS &&
    !inWorkingTime(deps.calendar, now)
  ) {
    return { type: 'defer', until: deps.calendar.nextBusinessTime(now) };
  }
  return outcome;
}

function outcomeOf(deps: DeskDeps, t: TicketRow | undefined, timer: ClaimedTimer, now: Date): Outcome {
  if (!t) return { type: 'skip', reason: 'no ticket' };
  const d = timer.data;
  switch (timer.kind) {
    case 'survey.reminder':
      return t.status === 'resolved' && t.surveySentAt?.toISOString() === d.surveySentAt
        ? { type: 'survey_reminder' }
        : { type: 'skip', reason: 'survey answered' };
    case 'survey.unrated':
      if (t.status !== 'resolved' || t.followUpSince || t.surveySentAt?.toISOString() !== d.surveySentAt) return { type: 'skip', reason: 'survey answered' };
      return { type: 'follow_up' };
    case 'sla.breach': {
      const done = doneAt(t, d);
      if (done && done <= timer.dueAt) return { type: 'skip', reason: 'met' };
      if (d.target === 'resolution' && !done && t.slaPausedSince && t.slaPausedSince <= timer.dueAt) return { type: 'skip', reason: 'paused' };
      return { type: 'breach' };
    }
    case 'sla.due_soon':
    case 'sla.escalate': {
      if (t.isProbe) return { type: 'skip', reason: 'probe' };
      if (doneAt(t, d)) return { type: 'skip', reason: 'met' };
      if (!isWorkable(t.status)) return { type: 'skip', reason: 'not open' };
      if (d.target === 'resolution' && t.slaPausedSince) return { type: 'skip', reason: 'paused' };
      const due = currentDue(deps, t, d.target!);
      if (!due || due.toISOString() !== d.due) return { type: 'skip', reason: 'due time moved' };
      const target = TARGET_LABELS[d.target!];
      const policy = t.slaPolicy;
      const subject = excerpt(t.subject, 30);
      if (timer.kind === 'sla.due_soon') {
        if (now >= due) return { type: 'skip', reason: 'already due' };
        const left = Math.max(
          1,
          Math.ceil((policy.clock === 'business' ? deps.calendar.businessMinutesBetween(now, due) : (due.getTime() - now.getTime()) / 60_000) - 1e-9),
        );
        return {
          type: 'ping',
          stateChange: true,
          ping: {
            ticketId: t.id,
            code: t.code,
            assigneeId: t.assigneeId,
            notify: 'assignee',
            key: timer.dedupeKey,
            line: `⏰ ${t.code}「${subject}」${target}即将超时：剩余 ${formatMinutes(left, policy.clock)}（${localTime(deps, due)} 截止）`,
          },
          event: { type: 'sla_due_soon', data: { target: d.target, dueAt: d.due, notified: 'assignee', timer: timer.dedupeKey } },
        };
      }
      const late = Math.floor((now.getTime() - due.getTime()) / 60_000);
      const step = deps.config.sla.ladder.findIndex((s) => s.afterMinutes === d.afterMinutes && s.notify === d.notify);
      const who = d.notify === 'leads' ? '，已升级至负责人' : d.notify === 'admins' ? '，已升级至管理员' : '';
      return {
        type: 'ping',
        stateChange: false,
        ping: {
          ticketId: t.id,
          code: t.code,
          assigneeId: t.assigneeId,
          notify: d.notify ?? 'assignee',
          key: timer.dedupeKey,
          line: `🚨 ${t.code}「${subject}」${target}已超时${late >= 1 ? ` ${formatMinutes(late)}` : ''}（${localTime(deps, due)} 截止）${who}`,
        },
        event: {
          type: 'sla_escalated',
          // A step to the leads names them (roles.leads), like a manual escalation does.
          data: {
            target: d.target,
            dueAt: d.due,
            step,
            afterMinutes: d.afterMinutes,
            notified: d.notify,
            timer: timer.dedupeKey,
            ...(d.notify === 'leads' ? { leads: leadNames(deps.config, peopleDirectory(deps.config, [])) } : {}),
          },
        },
      };
    }
    default:
      return { type: 'skip', reason: `unknown kind ${timer.kind}` };
  }
}

/** When the target was met, or null if it is still open. */
function doneAt(t: TicketRow, d: TimerData): Date | null {
  switch (d.target as SlaTarget) {
    case 'first':
      return t.firstResponseAt;
    case 'resolution':
      return t.resolvedAt ?? (t.status === 'closed' ? t.closedAt : null);
    case 'next':
      // The window the timer was armed for was answered when the ticket no longer waits on that message.
      if (t.nextResponseSince?.toISOString() !== d.since) return t.lastResponseAt ?? t.updatedAt;
      return isWorkable(t.status) ? null : (t.resolvedAt ?? t.closedAt);
  }
  return null;
}

function currentDue(deps: DeskDeps, t: TicketRow, target: SlaTarget): Date | null {
  if (target === 'first') return t.firstResponseDueAt;
  if (target === 'resolution') return t.resolutionDueAt;
  return nextResponseDue(t, deps.calendar)?.due ?? null;
}

/** Appends events of many tickets through the one chain writer (one read of the chain heads, one insert). */
async function appendMany(tx: Tx, events: Map<number, Array<TicketEvent & { at: Date }>>): Promise<Map<number, number>> {
  const seqs = await appendChained(tx, new Map([...events].map(([id, list]) => [id, list.map((e) => ({ ...e, actor: SYSTEM }))])));
  return new Map([...seqs].map(([id, s]) => [id, s[s.length - 1]]));
}

function localTime(deps: DeskDeps, d: Date): string {
  return new Intl.DateTimeFormat('zh-CN', {
    timeZone: deps.calendar.timeZone,
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  })
    .format(d)
    .replaceAll('/', '-');
}

function surveyReminderText(t: TicketRow): string {
  return `您好，您的反馈（工单 ${t.code}）已处理完毕，我们还没有收到您的评价。请花几秒钟为本次服务打分（1–5 分）；如果一直没有收到您的评价，我们的客服会再与您联系回访。`;
}
