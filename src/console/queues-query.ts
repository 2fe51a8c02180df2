/**
 * The agents' queues: 待认领 (nobody holds it), 我的工单 (held by the viewer), 即将超时 / 已超时 (anyone's, by due
 * time), 待电话回访 (unanswered surveys turned into a named person's follow-up task, oldest first). SLA states are
 * computed by desk/view slaView, exactly as the cards compute them. Bounded: each queue reads at
 * most QUEUE_LIMIT rows; 待认领 and 我的工单 are counted exactly in one aggregate, while 即将超时 / 已超时 are counted among
 * the 3 × QUEUE_LIMIT working tickets due first (a desk with more overdue tickets than that has a bigger problem).
 */
import { and, asc, desc, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { BusinessCalendar } from '../core/calendar.ts';
import type { Database } from '../db/client.ts';
import { agents, customers, ticketEvents, tickets } from '../db/schema/index.ts';
import { slaView } from '../desk/view.ts';
import type { SlaView } from '../../cards/view.ts';
import { WORKING_STATUSES } from './rollup.ts';

export const QUEUE_LIMIT = 100;

export interface QueueRow {
  code: string;
  subject: string;
  category: string;
  channel: string;
  status: string;
  isMajor: boolean;
  isProbe: boolean;
  createdAt: Date;
  customerName: string | null;
  assigneeName: string | null;
  /** The most pressing of the ticket's SLA targets (breached > due soon > the rest), with its due time. */
  sla: SlaView;
}

/** A follow-up task (电话回访): who must call, since when, and how many attempts failed so far. */
export interface FollowUpRow {
  code: string;
  subject: string;
  customerName: string | null;
  since: Date;
  person: string | null;
  mine: boolean;
  attempts: number;
}

export interface Queues {
  unclaimed: QueueRow[];
  followUps: FollowUpRow[];
  mine: QueueRow[];
  due: QueueRow[];
  counts: { unclaimed: number; mine: number; dueSoon: number; breached: number; followUps: number };
  /** SLA reminders recorded on the viewer's tickets (what a chat agent gets as an @-mention). */
  reminders: Array<{ code: string; type: string; at: Date; data: Record<string, unknown> }>;
}

const RANK: Record<string, number> = { breached: 4, due_soon: 3, paused: 2, on_track: 1, met: 0, none: -1 };
const working = inArray(tickets.status, [...WORKING_STATUSES]);

/** The agents row(s) the viewer acts as (a DingTalk person may be known by staffId or unionId). */
export async function viewerAgentIds(database: Database, platform: string, userIds: string[]): Promise<number[]> {
  if (userIds.length === 0) return [];
  const rows = await database.db
    .select({ id: agents.id })
    .from(agents)
    .where(and(eq(agents.platform, platform), inArray(agents.userId, userIds)));
  return rows.map((r) => r.id);
}

export async function loadQueues(database: Database, calendar: BusinessCalendar, now: Date, myAgentIds: number[]): Promise<Queues> {
  const db = database.db;
  const select = () =>
    db
      .select({ t: tickets, customerName: customers.name, assigneeName: agents.name, assigneeUser: agents.userId })
      .from(tickets)
      .innerJoin(customers, eq(customers.id, tickets.customerId))
      .leftJoin(agents, eq(agents.id, tickets.assigneeId));
  const mineCond = myAgentIds.length ? and(working, inArray(tickets.assigneeId, myAgentIds)) : sql`false`;
  // The nearest open target: first response while unanswered, else resolution (paused clocks sort last).
  const nearestDue = sql`least(case when ${tickets.firstResponseAt} is null then ${tickets.firstResponseDueAt} end, case when ${tickets.slaPausedSince} is null then ${tickets.resolutionDueAt} end)`;
  const [unclaimedRows, mineRows, dueRows, [counts], reminders] = await Promise.all([
    select()
      .where(and(working, isNull(tickets.assigneeId)))
      .orderBy(asc(tickets.createdAt), asc(tickets.id))
      .limit(QUEUE_LIMIT),
    select().where(mineCond).orderBy(sql`${nearestDue} asc nulls last`, asc(tickets.id)).limit(QUEUE_LIMIT),
    select()
      .where(and(working, sql`(${nearestDue} is not null or ${tickets.nextResponseSince} is not null)`))
      .orderBy(sql`${nearestDue} asc nulls last`, asc(tickets.id))
      .limit(QUEUE_LIMIT * 3),
    db
      .select({
        unclaimed: sql<number>`count(*) filter (where ${tickets.assigneeId} is null)::int`,
        mine: sql<number>`count(*) filter (where ${mineCond})::int`,
      })
      .from(tickets)
      .where(working),
    myAgentIds.length
      ? db
          .select({ code: tickets.code, type: ticketEvents.type, at: ticketEvents.at, data: ticketEvents.data })
          .from(ticketEvents)
          .innerJoin(tickets, eq(tickets.id, ticketEvents.ticketId))
          .where(and(mineCond, inArray(ticketEvents.type, ['sla_due_soon', 'sla_breached', 'sla_escalated'])))
          .orderBy(desc(ticketEvents.at))
          .limit(20)
      : Promise.resolve([]),
  ]);
  const toRow = (r: (typeof unclaimedRows)[number]): QueueRow => {
    const views = [slaView(r.t, calendar, now, 'first'), slaView(r.t, calendar, now, 'resolution'), slaView(r.t, calendar, now, 'next')];
    const worst = views.reduce((a, b) => (RANK[b.state] > RANK[a.state] || (RANK[b.state] === RANK[a.state] && (b.dueAt ?? '9') < (a.dueAt ?? '9')) ? b : a));
    return {
      code: r.t.code,
      subject: r.t.subject,
      category: r.t.category,
      channel: r.t.channel,
      status: r.t.status,
      isMajor: r.t.isMajor,
      isProbe: r.t.isProbe,
      createdAt: r.t.createdAt,
      customerName: r.customerName,
      assigneeName: r.assigneeName ?? r.assigneeUser ?? null,
      sla: worst,
    };
  };
  const due = dueRows
    .map(toRow)
    .filter((r) => r.sla.state === 'breached' || r.sla.state === 'due_soon')
    .sort((a, b) => (a.sla.dueAt ?? '').localeCompare(b.sla.dueAt ?? ''));
  const followUps = await loadFollowUps(database, myAgentIds);
  return {
    unclaimed: unclaimedRows.map(toRow),
    followUps,
    mine: mineRows.map(toRow),
    due: due.slice(0, QUEUE_LIMIT),
    counts: {
      unclaimed: counts.unclaimed,
      mine: counts.mine,
      dueSoon: due.filter((r) => r.sla.state === 'due_soon').length,
      breached: due.filter((r) => r.sla.state === 'breached').length,
      followUps: followUps.length,
    },
    reminders: reminders.map((r) => ({ ...r, data: r.data as Record<string, unknown> })),
  };
}

/** 待电话回访: resolved tickets whose unanswered survey became a follow-up task, the viewer's first, oldest first. */
export async function loadFollowUps(database: Database, myAgentIds: number[]): Promise<FollowUpRow[]> {
  const rows = await database.db
    .select({ t: tickets, customerName: customers.name, name: agents.name, userId: agents.userId })
    .from(tickets)
    .innerJoin(customers, eq(customers.id, tickets.customerId))
    .leftJoin(agents, eq(agents.id, tickets.followUpAgentId))
    .where(and(eq(tickets.status, 'resolved'), isNotNull(tickets.followUpSince)))
    .orderBy(asc(tickets.followUpSince), asc(tickets.id))
    .limit(QUEUE_LIMIT);
  const mine = (id: number | null) => id !== null && myAgentIds.includes(id);
  return rows
    .map((r) => ({
      code: r.t.code,
      subject: r.t.subject,
      customerName: r.customerName,
      since: r.t.followUpSince!,
      person: r.name ?? r.userId ?? null,
      mine: mine(r.t.followUpAgentId),
      attempts: r.t.followUpAttempts,
    }))
    .sort((a, b) => Number(b.mine) - Number(a.mine));
}
