/**
 * The console's ticket list: filters, text search and keyset pagination on (created_at, id), newest first.
 * Every path is bounded on a million tickets:
 * - plain filters walk tickets_created_at (or the (category|channel|assignee, created_at) indexes) and stop at 51 rows;
 * - a ticket code is an exact lookup; a phone number or e-mail goes through customers_phone / customers_email;
 * - other text is matched (ILIKE) against the subject of the newest SEARCH_WINDOW tickets that pass the filters,
 *   and the page says so and offers to continue further back (no trigram index on PGlite);
 * - the SLA-state filter applies to tickets still being worked (the backlog), computed in code exactly as the
 *   agents' cards compute it (desk/view slaView), so the list and the cards never disagree.
 */
import { inArray, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Config } from '../config.ts';
import type { BusinessCalendar } from '../core/calendar.ts';
import type { Database } from '../db/client.ts';
import { agents, customers, tickets } from '../db/schema/index.ts';
import { slaView } from '../desk/view.ts';
import { addDays, dayStart } from '../reports/range.ts';
import { rawQuery } from '../reports/source.ts';
import { WORKING_STATUSES } from './rollup.ts';
import { TICKET_CODE_TYPED } from '../core/ticket-code.ts';

export const PAGE_SIZE = 50;
export const SEARCH_WINDOW = 20_000;

const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const empty = (v: unknown) => (v === '' ? undefined : v);
export const slaStates = ['breached', 'due_soon', 'on_track', 'paused'] as const;
export type SlaFilter = (typeof slaStates)[number];

export const listQuery = z.object({
  status: z.preprocess(empty, z.enum(['open', 'new', 'claimed', 'responded', 'reopened', 'resolved', 'closed']).optional()),
  category: z.preprocess(empty, z.string().max(40).optional()),
  channel: z.preprocess(empty, z.string().max(40).optional()),
  agent: z.preprocess(empty, z.union([z.literal('none'), z.coerce.number().int().positive()]).optional()),
  sla: z.preprocess(empty, z.enum(slaStates).optional()),
  major: z.preprocess(empty, z.literal('1').optional()),
  probe: z.preprocess(empty, z.literal('1').optional()),
  from: z.preprocess(empty, isoDay.optional()),
  to: z.preprocess(empty, isoDay.optional()),
  q: z.preprocess((v) => (typeof v === 'string' ? v.trim() || undefined : v), z.string().max(100).optional()),
  after: z.preprocess(
    empty,
    z
      .string()
      .regex(/^\d{1,15}_\d{1,18}$/)
      .optional(),
  ),
});
export type ListQuery = z.infer<typeof listQuery>;

export type TicketRow = typeof tickets.$inferSelect;
export interface ListRow {
  t: TicketRow;
  customerName: string | null;
  agentName: string | null;
  sla: { state: string; label: string };
}
export interface ListResult {
  rows: ListRow[];
  /** Cursor of the next page, null at the end. */
  next: string | null;
  /** Text search stopped at SEARCH_WINDOW tickets; `next` continues from there. */
  searchCapped: boolean;
}

const RANK: Record<string, number> = { breached: 4, due_soon: 3, paused: 2, on_track: 1, met: 0, none: -1 };

/** The ticket's SLA state as one word: the worse of first response and resolution (breached > due soon > paused). */
export function ticketSla(t: TicketRow, calendar: BusinessCalendar, now: Date): { state: string; label: string } {
  const first = slaView(t, calendar, now, 'first');
  const res = slaView(t, calendar, now, 'resolution');
  const worst = RANK[first.state] >= RANK[res.state] ? { v: first, which: '首次响应' } : { v: res, which: '解决' };
  return { state: worst.v.state, label: worst.v.state === 'none' ? '无时限' : `${worst.which}：${worst.v.label}` };
}

const CODE = TICKET_CODE_TYPED;
const PHONE = /^\+?\d[\d\s-]{5,18}\d$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

interface Sql {
  where: string[];
  params: unknown[];
}
const param = (s: Sql, v: unknown) => {
  s.params.push(v);
  return `$${s.params.length}`;
};

function filters(q: ListQuery, timeZone: string, withCursor: boolean): Sql {
  const s: Sql = { where: [], params: [] };
  if (q.status === 'open') s.where.push(`t.status in (${WORKING_STATUSES.map((x) => `'${x}'`).join(', ')})`);
  else if (q.status) s.where.push(`t.status = ${param(s, q.status)}`);
  if (q.category) s.where.push(`t.category = ${param(s, q.category)}`);
  if (q.channel) s.where.push(`t.channel = ${param(s, q.channel)}`);
  if (q.agent === 'none') s.where.push('t.assignee_id is null');
  else if (q.agent) s.where.push(`t.assignee_id = ${param(s, q.agent)}::bigint`);
  if (q.major) s.where.push('t.is_major');
  if (!q.probe) s.where.push('not t.is_probe');
  if (q.from) s.where.push(`t.created_at >= ${param(s, dayStart(q.from, timeZone).toISOString())}::timestamptz`);
  if (q.to) s.where.push(`t.created_at < ${param(s, dayStart(addDays(q.to, 1), timeZone).toISOString())}::timestamptz`);
  if (q.q && CODE.test(q.q)) s.where.push(`t.code = ${param(s, q.q.toUpperCase())}`);
  else if (q.q && EMAIL.test(q.q)) s.where.push(`t.customer_id in (select id from customers where lower(email) = ${param(s, q.q.toLowerCase())})`);
  else if (q.q && PHONE.test(q.q)) s.where.push(`t.customer_id in (select id from customers where phone = ${param(s, q.q.replace(/[\s-]/g, ''))})`);
  if (withCursor && q.after) {
    const [ms, id] = q.after.split('_');
    const at = param(s, new Date(Number(ms)).toISOString());
    const idp = param(s, id);
    s.where.push(`t.created_at <= ${at}::timestamptz and (t.created_at < ${at}::timestamptz or t.id < ${idp}::bigint)`);
  }
  return s;
}

const freeText = (q: ListQuery) => (q.q && !CODE.test(q.q) && !EMAIL.test(q.q) && !PHONE.test(q.q) ? q.q : null);
const cursorOf = (t: { createdAt: Date; id: number }) => `${t.createdAt.getTime()}_${t.id}`;

export async function listTickets(database: Database, config: Config, calendar: BusinessCalendar, now: Date, q: ListQuery): Promise<ListResult> {
  if (q.sla) return listBySla(database, calendar, now, q);
  const s = filters(q, calendar.timeZone, true);
  const where = s.where.length ? s.where.join(' and ') : 'true';
  const text = freeText(q);
  let ids: number[];
  let next: string | null = null;
  let searchCapped = false;
  if (text) {
    const like = param(s, `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
    const rows = await rawQuery<{ k: string; id: number; ms: number }>(
      database,
      `with scan as materialized (select t.id, t.created_at, t.subject from tickets t where ${where} order by t.created_at desc, t.id desc limit ${SEARCH_WINDOW})
       select 'hit' as k, h.id::float8 as id, 0::float8 as ms from (select id, created_at from scan where subject ilike ${like} order by created_at desc, id desc limit ${PAGE_SIZE + 1}) h
       union all
       select 'edge', e.id::float8, (extract(epoch from e.created_at) * 1000)::float8 from (select id, created_at from scan order by created_at asc, id asc limit 1) e
       union all
       select 'n', count(*)::float8, 0 from scan`,
      s.params,
    );
    ids = rows.filter((r) => r.k === 'hit').map((r) => Number(r.id));
    const scanned = Number(rows.find((r) => r.k === 'n')?.id ?? 0);
    const edge = rows.find((r) => r.k === 'edge');
    if (ids.length <= PAGE_SIZE && scanned >= SEARCH_WINDOW && edge) {
      searchCapped = true;
      next = `${Number(edge.ms)}_${Number(edge.id)}`;
    }
  } else {
    const rows = await rawQuery<{ id: number }>(
      database,
      `select t.id::float8 as id from tickets t where ${where} order by t.created_at desc, t.id desc limit ${PAGE_SIZE + 1}`,
      s.params,
    );
    ids = rows.map((r) => Number(r.id));
  }
  const more = ids.length > PAGE_SIZE;
  const page = await loadRows(database, ids.slice(0, PAGE_SIZE), calendar, now);
  if (more && page.length) next = cursorOf(page[page.length - 1].t);
  return { rows: page, next, searchCapped };
}

async function loadRows(database: Database, ids: number[], calendar: BusinessCalendar, now: Date): Promise<ListRow[]> {
  if (ids.length === 0) return [];
  const rows = await database.db
    .select({ t: tickets, customerName: customers.name, agentName: agents.name, agentUser: agents.userId })
    .from(tickets)
    .innerJoin(customers, eq(customers.id, tickets.customerId))
    .leftJoin(agents, eq(agents.id, tickets.assigneeId))
    .where(inArray(tickets.id, ids));
  const order = new Map(ids.map((id, i) => [id, i]));
  return rows
    .sort((a, b) => order.get(a.t.id)! - order.get(b.t.id)!)
    .map((r) => ({ t: r.t, customerName: r.customerName, agentName: r.agentName ?? r.agentUser, sla: ticketSla(r.t, calendar, now) }));
}

/** SLA states only exist for the backlog: read the open tickets that pass the other filters and judge each. */
async function listBySla(database: Database, calendar: BusinessCalendar, now: Date, q: ListQuery): Promise<ListResult> {
  if (q.status && q.status !== 'open' && !(WORKING_STATUSES as readonly string[]).includes(q.status)) return { rows: [], next: null, searchCapped: false };
  const s = filters({ ...q, status: q.status ?? 'open' }, calendar.timeZone, false);
  const text = freeText(q);
  if (text) s.where.push(`t.subject ilike ${param(s, `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`)}`);
  const ids = await rawQuery<{ id: number }>(database, `select t.id::float8 as id from tickets t where ${s.where.join(' and ')}`, s.params);
  // Judge every candidate on the few columns the SLA reads; load whole rows for the page only.
  const judged: Array<{ id: number; createdAt: Date }> = [];
  for (let i = 0; i < ids.length; i += 5000) {
    const chunk = ids.slice(i, i + 5000).map((r) => Number(r.id));
    const rows = await database.db.select(SLA_COLUMNS).from(tickets).where(inArray(tickets.id, chunk));
    for (const r of rows) if (ticketSla(r as TicketRow, calendar, now).state === q.sla) judged.push({ id: r.id, createdAt: r.createdAt });
  }
  const [ms, id] = q.after ? q.after.split('_').map(Number) : [Infinity, Infinity];
  const matching = judged
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id)
    .filter((r) => r.createdAt.getTime() < ms || (r.createdAt.getTime() === ms && r.id < id));
  const page = await loadRows(
    database,
    matching.slice(0, PAGE_SIZE).map((r) => r.id),
    calendar,
    now,
  );
  return { rows: page, next: matching.length > PAGE_SIZE ? cursorOf(page[page.length - 1].t) : null, searchCapped: false };
}

const SLA_COLUMNS = {
  id: tickets.id,
  createdAt: tickets.createdAt,
  firstResponseAt: tickets.firstResponseAt,
  resolvedAt: tickets.resolvedAt,
  closedAt: tickets.closedAt,
  slaPolicy: tickets.slaPolicy,
  slaPausedMinutes: tickets.slaPausedMinutes,
  slaPausedSince: tickets.slaPausedSince,
  nextResponseSince: tickets.nextResponseSince,
};

export async function listAgents(database: Database): Promise<Array<{ id: number; name: string }>> {
  const rows = await database.db.select({ id: agents.id, name: agents.name, userId: agents.userId, platform: agents.platform }).from(agents).orderBy(agents.id);
  return rows.map((r) => ({ id: r.id, name: `${r.name ?? r.userId}` }));
}
