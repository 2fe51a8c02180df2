/**
 * Reading tickets for reports without loading a range into memory. PostgreSQL: a server-side cursor (postgres.js
 * `.cursor(n)`, one consistent snapshot); PGlite (one process, small data): keyset pages on (created_at, id).
 * Timestamps travel as epoch-millisecond floats, which both drivers parse cheaply and identically.
 */
import type { Sql } from 'postgres';
import type { PGlite } from '@electric-sql/pglite';
import type { Database } from '../db/client.ts';
import type { MetricTicket } from '../core/metrics.ts';
import type { ImportedFrom } from '../db/schema/tickets.ts';

export type RawRow = Record<string, unknown>;

const ts = (col: string, as: string) => `(extract(epoch from ${col}) * 1000)::float8 as ${as}`;

/** The columns the metrics read (MetricTicket), from `tickets t`. */
export const METRIC_COLUMNS = [
  't.id::float8 as id',
  't.channel',
  't.category',
  't.assignee_id::float8 as assignee_id',
  't.status',
  't.close_reason',
  't.is_probe',
  't.imported is not null as is_imported',
  't.is_major',
  ts('t.created_at', 'created_at'),
  ts('t.first_response_at', 'first_response_at'),
  ts('t.resolved_at', 'resolved_at'),
  ts('t.closed_at', 'closed_at'),
  ts('t.survey_sent_at', 'survey_sent_at'),
  ts('t.survey_answered_at', 'survey_answered_at'),
  ts('t.first_response_due_at', 'first_response_due_at'),
  ts('t.sla_paused_since', 'sla_paused_since'),
  "t.sla_policy->>'clock' as sla_clock",
  "(t.sla_policy->>'firstResponseMinutes')::float8 as sla_first",
  "(t.sla_policy->>'resolutionMinutes')::float8 as sla_resolution",
  't.sla_paused_minutes',
  't.csat_score',
  't.reopen_count',
  't.csat_via',
  ts('t.follow_up_since', 'follow_up_since'),
  't.follow_up_attempts',
].join(', ');

/** Extra columns of the ledger row: who, what, and the head of the ticket's hash chain. */
export const LEDGER_COLUMNS = [
  METRIC_COLUMNS,
  't.code',
  't.priority',
  't.subject',
  't.csat_comment',
  'c.name as customer_name',
  'c.phone as customer_phone',
  'c.email as customer_email',
  'a.name as agent_name',
  'a.user_id as agent_user_id',
  'a.platform as agent_platform',
  't.imported::text as imported_json',
  'h.hash as chain_head',
  'h.seq as chain_length',
  'w.received_by::text as received_by',
  'w.survey_answer::text as survey_answer',
  'w.last_attempt::text as last_attempt',
].join(', ');

/**
 * Who received the ticket (the agent who typed a phone call, visit or letter: `created`.recordedBy) and who took
 * the last survey answer (a phone follow-up names the agent: `survey_answered`.via/by/byName) and the last failed
 * follow-up attempt (`follow_up_attempt`.means/byName), from the event log.
 */
const WHO_FROM_EVENTS = `select
    (array_agg(e.data->'recordedBy' order by e.seq) filter (where e.type = 'created'))[1] as received_by,
    (array_agg(jsonb_build_object('via', e.data->'via', 'by', e.data->'by', 'byName', e.data->'byName') order by e.seq desc)
      filter (where e.type = 'survey_answered'))[1] as survey_answer,
    (array_agg(jsonb_build_object('means', e.data->'means', 'byName', e.data->'byName') order by e.seq desc)
      filter (where e.type = 'follow_up_attempt'))[1] as last_attempt
  from ticket_events e where e.ticket_id = t.id and e.type in ('created', 'survey_answered', 'follow_up_attempt')`;

export const LEDGER_FROM = `tickets t
  join customers c on c.id = t.customer_id
  left join agents a on a.id = t.assignee_id
  left join lateral (select e.hash, e.seq from ticket_events e where e.ticket_id = t.id order by e.seq desc limit 1) h on true
  left join lateral (${WHO_FROM_EVENTS}) w on true`;

const date = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(Number(v)));
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

const policyCache = new Map<string, MetricTicket['slaPolicy']>();
function policy(clock: unknown, first: unknown, resolution: unknown): MetricTicket['slaPolicy'] {
  const key = `${clock}|${first}|${resolution}`;
  let p = policyCache.get(key);
  if (!p) {
    p = { clock: clock === 'calendar' ? 'calendar' : 'business', firstResponseMinutes: num(first), resolutionMinutes: num(resolution) };
    if (policyCache.size < 1000) policyCache.set(key, p);
  }
  return p;
}

export interface SourceTicket extends MetricTicket {
  id: number;
}

export function toMetricTicket(r: RawRow): SourceTicket {
  return {
    id: Number(r.id),
    channel: r.channel as string,
    category: r.category as string,
    assigneeId: num(r.assignee_id),
    status: r.status as string,
    closeReason: (r.close_reason as string | null) ?? null,
    isProbe: r.is_probe === true,
    isImported: r.is_imported === true,
    isMajor: r.is_major === true,
    createdAt: date(r.created_at)!,
    firstResponseAt: date(r.first_response_at),
    resolvedAt: date(r.resolved_at),
    closedAt: date(r.closed_at),
    surveySentAt: date(r.survey_sent_at),
    surveyAnsweredAt: date(r.survey_answered_at),
    firstResponseDueAt: date(r.first_response_due_at),
    slaPolicy: policy(r.sla_clock, r.sla_first, r.sla_resolution),
    slaPausedMinutes: Number(r.sla_paused_minutes ?? 0),
    slaPausedSince: date(r.sla_paused_since),
    csatScore: num(r.csat_score),
    csatVia: (r.csat_via as string | null) ?? null,
    reopenCount: Number(r.reopen_count ?? 0),
    followUpSince: date(r.follow_up_since),
    followUpAttempts: Number(r.follow_up_attempts ?? 0),
  };
}

export interface LedgerTicket extends SourceTicket {
  code: string;
  priority: string;
  subject: string;
  csatComment: string | null;
  customerName: string | null;
  customerPhone: string | null;
  customerEmail: string | null;
  agentName: string | null;
  agentUserId: string | null;
  agentPlatform: string | null;
  chainHead: string | null;
  chainLength: number;
  /** `created`.recordedBy ({ actor, name }) of a ticket an agent typed in; null for self-service channels. */
  receivedBy?: { actor?: string; name?: string | null } | null;
  /** The last survey answer's via / by / byName (a phone follow-up names the agent). */
  surveyAnswer?: { via?: string | null; by?: string | null; byName?: string | null } | null;
  /** The last failed phone follow-up attempt of an unanswered survey (电话回访). */
  lastAttempt?: { means?: string | null; byName?: string | null } | null;
  /** Where an imported earlier record came from (null for Loopdesk's own tickets). */
  imported: ImportedFrom | null;
}

/** One flat literal (no spread): this runs for every ledger row, and spreading 20 fields into a new object is slow. */
export function toLedgerTicket(r: RawRow): LedgerTicket {
  return {
    id: Number(r.id),
    channel: r.channel as string,
    category: r.category as string,
    assigneeId: num(r.assignee_id),
    status: r.status as string,
    closeReason: (r.close_reason as string | null) ?? null,
    isProbe: r.is_probe === true,
    isImported: r.is_imported === true,
    isMajor: r.is_major === true,
    createdAt: date(r.created_at)!,
    firstResponseAt: date(r.first_response_at),
    resolvedAt: date(r.resolved_at),
    closedAt: date(r.closed_at),
    surveySentAt: date(r.survey_sent_at),
    surveyAnsweredAt: date(r.survey_answered_at),
    firstResponseDueAt: date(r.first_response_due_at),
    slaPolicy: policy(r.sla_clock, r.sla_first, r.sla_resolution),
    slaPausedMinutes: Number(r.sla_paused_minutes ?? 0),
    slaPausedSince: date(r.sla_paused_since),
    csatScore: num(r.csat_score),
    csatVia: (r.csat_via as string | null) ?? null,
    reopenCount: Number(r.reopen_count ?? 0),
    followUpSince: date(r.follow_up_since),
    followUpAttempts: Number(r.follow_up_attempts ?? 0),
    code: r.code as string,
    priority: r.priority as string,
    subject: r.subject as string,
    csatComment: (r.csat_comment as string | null) ?? null,
    customerName: (r.customer_name as string | null) ?? null,
    customerPhone: (r.customer_phone as string | null) ?? null,
    customerEmail: (r.customer_email as string | null) ?? null,
    agentName: (r.agent_name as string | null) ?? null,
    agentUserId: (r.agent_user_id as string | null) ?? null,
    agentPlatform: (r.agent_platform as string | null) ?? null,
    chainHead: (r.chain_head as string | null) ?? null,
    chainLength: Number(r.chain_length ?? 0),
    receivedBy: r.received_by ? JSON.parse(r.received_by as string) : null,
    surveyAnswer: r.survey_answer ? JSON.parse(r.survey_answer as string) : null,
    lastAttempt: r.last_attempt ? JSON.parse(r.last_attempt as string) : null,
    imported: r.imported_json ? (JSON.parse(String(r.imported_json)) as ImportedFrom) : null,
  };
}

function pgClient(database: Database): Sql {
  return (database.db as unknown as { $client: Sql }).$client;
}
function pgliteClient(database: Database): PGlite {
  return (database.db as unknown as { $client: PGlite }).$client;
}

/** One raw query with $n parameters, on either driver. */
export async function rawQuery<T = RawRow>(database: Database, text: string, params: unknown[] = []): Promise<T[]> {
  if (database.kind === 'postgres') return (await pgClient(database).unsafe(text, params as never[])) as unknown as T[];
  return (await pgliteClient(database).query<T>(text, params)).rows;
}

export interface StreamQuery {
  columns: string;
  /** FROM clause; the tickets table must be aliased `t`. */
  from: string;
  /** WHERE clause over $1..$n. */
  where: string;
  params: unknown[];
}

export interface OrderKey {
  expr: string;
  type: 'timestamptz' | 'bigint' | 'int';
}
const TICKET_ORDER: OrderKey[] = [
  { expr: 't.created_at', type: 'timestamptz' },
  { expr: 't.id', type: 'bigint' },
];

/** Streams ticket rows in (t.created_at, t.id) order in batches. Memory stays at one batch whatever the range. */
export function streamTickets(database: Database, q: StreamQuery, batchSize = 1000): AsyncGenerator<RawRow[]> {
  return streamQuery(database, q, TICKET_ORDER, batchSize);
}

/** Streams rows ordered by `order` (unique together): a cursor on PostgreSQL, keyset pages on PGlite. */
export async function* streamQuery(database: Database, q: StreamQuery, order: OrderKey[], batchSize = 1000): AsyncGenerator<RawRow[]> {
  const orderBy = order.map((k) => k.expr).join(', ');
  if (database.kind === 'postgres') {
    yield* prefetchingCursor(pgClient(database), `select ${q.columns} from ${q.from} where ${q.where} order by ${orderBy}`, q.params, batchSize);
    return;
  }
  const n = q.params.length;
  const keyCols = order.map((k, i) => `${k.expr}::text as k${i}`).join(', ');
  const tuple = `(${orderBy})`;
  const placeholders = `(${order.map((k, i) => `$${n + 1 + i}::${k.type}`).join(', ')})`;
  let after: string[] | null = null;
  for (;;) {
    const keyset: string = after ? ` and ${tuple} > ${placeholders}` : '';
    const text: string = `select ${q.columns}, ${keyCols} from ${q.from} where (${q.where})${keyset} order by ${orderBy} limit ${batchSize}`;
    const rows: RawRow[] = await rawQuery(database, text, after ? [...q.params, ...after] : q.params);
    if (rows.length === 0) return;
    const last: RawRow = rows[rows.length - 1];
    after = order.map((_, i) => String(last[`k${i}`]));
    yield rows;
    if (rows.length < batchSize) return;
  }
}

/**
 * A server-side cursor that fetches the next batch while the caller works on the current one (one batch ahead):
 * the database and the spreadsheet writer run side by side instead of taking turns.
 */
async function* prefetchingCursor(sql: Sql, text: string, params: unknown[], batchSize: number): AsyncGenerator<RawRow[]> {
  const queue: RawRow[][] = [];
  let finished = false;
  let stop = false;
  let failure: unknown = null;
  const wake: { consumer: (() => void) | null; producer: (() => void) | null } = { consumer: null, producer: null };
  const done = sql
    .unsafe(text, params as never[])
    .cursor(batchSize, async (rows) => {
      if (stop) return sql.CLOSE;
      queue.push(rows as unknown as RawRow[]);
      wake.consumer?.();
      while (queue.length >= 2 && !stop) await new Promise<void>((r) => (wake.producer = r));
      return stop ? sql.CLOSE : undefined;
    })
    .then(
      () => void (finished = true),
      (e: unknown) => {
        failure = e;
        finished = true;
      },
    )
    .finally(() => wake.consumer?.());
  try {
    for (;;) {
      const batch = queue.shift();
      if (batch) {
        wake.producer?.();
        wake.producer = null;
        yield batch;
        continue;
      }
      if (finished) {
        if (failure) throw failure;
        return;
      }
      await new Promise<void>((r) => (wake.consumer = r));
      wake.consumer = null;
    }
  } finally {
    // The caller stopped early (or failed): close the cursor so the connection goes back to the pool.
    stop = true;
    wake.producer?.();
    await done;
  }
}

/** Where-clause for "received in [from, to)", parameters $1 and $2. */
/** Every report's range; sandbox tickets (/sandbox) are left out here, once, for every report and figure. */
export const IN_RANGE = 't.created_at >= $1::timestamptz and t.created_at < $2::timestamptz and not t.is_sandbox';
export const rangeParams = (range: { from: Date; to: Date }) => [range.from.toISOString(), range.to.toISOString()];

/** The major complaints received in the range (probes never), in the order they came: the ledger and the pack list these. */
export async function majorCodesInRange(database: Database, range: { from: Date; to: Date }): Promise<string[]> {
  const rows = await rawQuery<{ code: string }>(
    database,
    `select t.code from tickets t where ${IN_RANGE} and t.is_major and not t.is_probe order by t.created_at, t.id`,
    rangeParams(range),
  );
  return rows.map((r) => r.code);
}
