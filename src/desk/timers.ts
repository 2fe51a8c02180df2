/**
 * Durable timers of a ticket, derived from its state. Every use case calls `syncTimers` in its own transaction
 * after changing the ticket: the timers the state needs are armed (a re-arm with the same dedupe key is a no-op),
 * future timers it no longer needs are cancelled. Timers already due stay pending: the sweep fires them and
 * decides from the ticket's state whether a breach happened (an answer that came after the due time is still a
 * breach) and whether a ping is still useful (an answered ticket is not escalated).
 *
 * Dedupe keys name (ticket, target, due time, threshold), so a due time moved by a pause, a reclassification or a
 * resumed clock arms new timers and the old ones are cancelled, while arming twice never doubles a ping.
 */
import { and, eq, gt, notInArray, sql } from 'drizzle-orm';
import type { BusinessCalendar } from '../core/calendar.ts';
import { dueAt, dueSoonAt, type SlaPolicy } from '../core/sla.ts';
import { isWorkable } from '../core/ticket.ts';
import type { Config } from '../config.ts';
import type { Tx } from '../db/client.ts';
import { tickets, timers } from '../db/schema/index.ts';
import type { DeskDeps } from './deps.ts';
import { pingRows, type Notify } from './pings.ts';
import { enqueue, type TicketRow } from './store.ts';

export type SlaTarget = 'first' | 'resolution' | 'next';
export type TimerKind = 'sla.due_soon' | 'sla.breach' | 'sla.escalate' | 'survey.reminder' | 'survey.unrated' | 'major.page';

export interface TimerData extends Record<string, unknown> {
  target?: SlaTarget;
  /** The target's due time (ISO) when armed; a ping whose ticket now has another due time is stale. */
  due?: string;
  /** Next-response target: the customer message that started it (ISO). */
  since?: string;
  /** Ladder step: minutes after the breach and who is told. */
  afterMinutes?: number;
  notify?: Notify;
  /** The policy counts business time: a ping that comes due outside it (after downtime) waits for the opening. */
  business?: boolean;
  surveySentAt?: string;
}

export interface TimerSpec {
  kind: TimerKind;
  dueAt: Date;
  dedupeKey: string;
  data: TimerData;
}

const MINUTE = 60_000;

export const TARGET_LABELS: Record<SlaTarget, string> = { first: '首次响应', resolution: '解决', next: '下次响应' };

export interface OpenTarget {
  target: SlaTarget;
  due: Date;
  dueSoon: Date;
  since?: Date;
}

/** The SLA targets still running on a ticket (not met, not paused), with their due and due-soon instants. */
export function openTargets(t: TicketRow, calendar: BusinessCalendar): OpenTarget[] {
  const policy = t.slaPolicy;
  if (!isWorkable(t.status)) return [];
  const out: OpenTarget[] = [];
  if (policy.firstResponseMinutes != null && t.firstResponseDueAt && !t.firstResponseAt) {
    out.push({ target: 'first', due: t.firstResponseDueAt, dueSoon: dueSoonAt(policy, calendar, t.createdAt, policy.firstResponseMinutes) });
  }
  if (policy.resolutionMinutes != null && t.resolutionDueAt && !t.slaPausedSince) {
    out.push({ target: 'resolution', due: t.resolutionDueAt, dueSoon: dueSoonAt(policy, calendar, t.createdAt, policy.resolutionMinutes, t.slaPausedMinutes) });
  }
  const next = nextResponseDue(t, calendar);
  if (next) out.push({ target: 'next', due: next.due, dueSoon: next.dueSoon, since: t.nextResponseSince! });
  return out;
}

/** The next-response target, running from the first unanswered customer message (policy.nextResponseMinutes). */
export function nextResponseDue(t: TicketRow, calendar: BusinessCalendar): { due: Date; dueSoon: Date } | null {
  const policy = t.slaPolicy;
  if (policy.nextResponseMinutes == null || !t.nextResponseSince) return null;
  return {
    due: dueAt(policy, calendar, t.nextResponseSince, policy.nextResponseMinutes),
    dueSoon: dueSoonAt(policy, calendar, t.nextResponseSince, policy.nextResponseMinutes),
  };
}

/**
 * When a ladder step pings. Business clock: `afterMinutes` business minutes after the breach, so a breach at 18:20
 * pings the assignee at once and the lead at 09:10 the next working day, never at night; the closing instant of
 * a working period (12:00, 18:30) still counts as working time for a ping.
 */
export function ladderAt(policy: SlaPolicy, calendar: BusinessCalendar, breachAt: Date, afterMinutes: number): Date {
  if (policy.clock !== 'business') return new Date(breachAt.getTime() + afterMinutes * MINUTE);
  if (afterMinutes === 0) return inWorkingTime(calendar, breachAt) ? breachAt : calendar.nextBusinessTime(breachAt);
  return calendar.addBusinessMinutes(breachAt, afterMinutes);
}

/** Business time, or the closing instant of a working period (half-open intervals end there). */
export function inWorkingTime(calendar: BusinessCalendar, at: Date): boolean {
  return calendar.isBusinessTime(at) || calendar.isBusinessTime(new Date(at.getTime() - 1));
}

/** The timers a ticket's current state needs at `now`. Pure: tested without a database. */
export function desiredTimers(t: TicketRow, config: Config, calendar: BusinessCalendar, now: Date): TimerSpec[] {
  // Planted probe complaints test the intake path; they page nobody (and are kept out of the KPIs).
  if (t.isProbe || t.status === 'closed') return [];
  const policy = t.slaPolicy;
  const business = policy.clock === 'business';
  const specs: TimerSpec[] = [];
  for (const o of openTargets(t, calendar)) {
    const due = o.due.toISOString();
    const base = `sla:${t.id}:${o.target}:${due}`;
    const data: TimerData = { target: o.target, due, business, ...(o.since ? { since: o.since.toISOString() } : {}) };
    // A due time a change put in the past (reclassified, reopened) is breached at the change, not retroactively.
    const breachAt = o.due > now ? o.due : now;
    if (o.due > now && o.dueSoon < o.due)
      specs.push({ kind: 'sla.due_soon', dueAt: o.dueSoon, dedupeKey: `${base}:due_soon`, data: { ...data, notify: 'assignee' } });
    specs.push({ kind: 'sla.breach', dueAt: breachAt, dedupeKey: `${base}:breach`, data });
    for (const step of config.sla.ladder) {
      specs.push({
        kind: 'sla.escalate',
        dueAt: ladderAt(policy, calendar, breachAt, step.afterMinutes),
        dedupeKey: `${base}:ladder:${step.afterMinutes}:${step.notify}`,
        data: { ...data, afterMinutes: step.afterMinutes, notify: step.notify },
      });
    }
  }
  // Once the follow-up task started (电话回访), the named person works it: no more survey timers.
  if (t.status === 'resolved' && t.surveySentAt && !t.followUpSince) {
    const sent = t.surveySentAt.toISOString();
    const data: TimerData = { surveySentAt: sent, business };
    specs.push({
      kind: 'survey.reminder',
      dueAt: new Date(t.surveySentAt.getTime() + config.survey.reminderHours * 60 * MINUTE),
      dedupeKey: `survey:${t.id}:${sent}:reminder`,
      data,
    });
    specs.push({
      kind: 'survey.unrated',
      dueAt: new Date(t.surveySentAt.getTime() + config.survey.unratedAfterDays * 1440 * MINUTE),
      dedupeKey: `survey:${t.id}:${sent}:unrated`,
      data,
    });
  }
  return specs;
}

/**
 * Arms what the ticket's state needs and cancels the future timers it no longer needs. Call it inside the use
 * case's transaction, after the ticket row is updated (the caller holds the row lock).
 */
export async function syncTimers(tx: Tx, deps: DeskDeps, ticket: number | TicketRow, now: Date, opts: { fresh?: boolean } = {}): Promise<void> {
  // A row the caller just wrote (a new ticket) saves a read, and has no timers to cancel yet.
  const [t] = typeof ticket === 'number' ? await tx.select().from(tickets).where(eq(tickets.id, ticket)) : [ticket];
  if (!t) return;
  const specs = desiredTimers(t, deps.config, deps.calendar, now);
  const keys = specs.map((s) => s.dedupeKey);
  if (!opts.fresh) {
    await tx
      .update(timers)
      .set({ status: 'cancelled', leaseUntil: null })
      .where(and(eq(timers.ticketId, t.id), eq(timers.status, 'pending'), gt(timers.dueAt, now), ...(keys.length ? [notInArray(timers.dedupeKey, keys)] : [])));
  }
  if (specs.length) {
    await tx
      .insert(timers)
      .values(specs.map((s) => ({ ticketId: t.id, kind: s.kind, dueAt: s.dueAt, dedupeKey: s.dedupeKey, data: s.data })))
      // A cancelled timer comes back when the state needs it again (a pause that lasted no business minute);
      // a pending or fired one stays as it is.
      .onConflictDoUpdate({
        target: timers.dedupeKey,
        set: { status: 'pending', dueAt: sql`excluded.due_at`, data: sql`excluded.data`, leaseUntil: null },
        setWhere: sql`${timers.status} = 'cancelled'`,
      });
  }
  if (t.isMajor && !t.isProbe) await pageMajor(tx, deps, t, now);
}

/** A major complaint pages the leads at once, once per ticket: the timer row is written already fired, as the record. */
async function pageMajor(tx: Tx, deps: DeskDeps, t: TicketRow, now: Date): Promise<void> {
  const key = `major:${t.id}`;
  const inserted = await tx
    .insert(timers)
    .values({ ticketId: t.id, kind: 'major.page', dueAt: now, status: 'fired', firedAt: now, dedupeKey: key, data: { notify: 'leads' } })
    .onConflictDoNothing({ target: timers.dedupeKey })
    .returning({ id: timers.id });
  if (inserted.length === 0) return;
  const rows = await pingRows(tx, deps, [
    { ticketId: t.id, code: t.code, assigneeId: t.assigneeId, notify: 'leads', key, line: `‼️ 重大投诉 ${t.code}「${t.subject}」，请负责人立即跟进。` },
  ]);
  await enqueue(tx, now, rows);
}
