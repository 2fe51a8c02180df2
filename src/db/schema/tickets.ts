import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, smallint, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { agents, customers } from './people.ts';
import { incidents } from './incidents.ts';
import type { CloseReason, Status } from '../../core/ticket.ts';
import type { SlaPolicy } from '../../core/sla.ts';

/** How the ticket was classified, shown on the card (source: rules | learned | default | customer | agent). */
/** Where an imported earlier record came from (src/imports/): kept on the ticket and in its `imported` event. */
export interface ImportedFrom {
  /** SHA-256 of the source file as read, and its name. */
  sha256: string;
  file: string;
  /** Row number in the spreadsheet (the header row's numbering), and the record's own code there, if any. */
  row: number;
  originalCode: string | null;
  /** When it was imported (ISO). */
  importedAt: string;
  /** The old sheet's words that have no column of their own (处理人, 结果, 回访方式…). */
  handler: string | null;
  result: string | null;
  followUp: string | null;
}

export interface TriageInfo {
  source: string;
  confidence: number;
  reason: string;
  /** Likely duplicates found at intake (other customers' open tickets), best first. */
  duplicates?: Array<{ id: number; code: string; score: number }>;
}

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const tickets = pgTable(
  'tickets',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** Human code, e.g. FB-20261129-0007 (date in the calendar's zone, sequence per day). */
    code: text('code').notNull(),
    channel: text('channel').notNull(),
    customerId: bigint('customer_id', { mode: 'number' })
      .notNull()
      .references(() => customers.id),
    /** How to reach the customer back on their channel (chat id, open id, reply token…). */
    replyTo: jsonb('reply_to').$type<Record<string, unknown>>().notNull(),
    subject: text('subject').notNull(),
    category: text('category').notNull(),
    priority: text('priority').notNull().default('normal'),
    status: text('status').$type<Status>().notNull(),
    assigneeId: bigint('assignee_id', { mode: 'number' }).references(() => agents.id),
    /** Unguessable token for the customer's own ticket page (web channel). */
    accessToken: text('access_token').notNull(),
    isProbe: boolean('is_probe').notNull().default(false),
    /** Made in the sandbox (/sandbox): kept out of the ledger and every figure, like probes. */
    isSandbox: boolean('is_sandbox').notNull().default(false),
    isMajor: boolean('is_major').notNull().default(false),
    /** An earlier record imported from the company's old spreadsheet (导入): shown in the ledger, kept out of every figure. */
    imported: jsonb('imported').$type<ImportedFrom>(),
    escalated: boolean('escalated').notNull().default(false),
    /** True while the clock is paused because the ticket waits on the customer. */
    waitingOnCustomer: boolean('waiting_on_customer').notNull().default(false),
    createdAt: ts('created_at').notNull(),
    claimedAt: ts('claimed_at'),
    firstResponseAt: ts('first_response_at'),
    lastResponseAt: ts('last_response_at'),
    lastCustomerMessageAt: ts('last_customer_message_at'),
    resolvedAt: ts('resolved_at'),
    surveySentAt: ts('survey_sent_at'),
    surveyAnsweredAt: ts('survey_answered_at'),
    closedAt: ts('closed_at'),
    /** satisfied | unrated | merged */
    closeReason: text('close_reason').$type<CloseReason>(),
    firstResponseDueAt: ts('first_response_due_at'),
    resolutionDueAt: ts('resolution_due_at'),
    /** The first customer message still waiting for an agent's answer (next-response target); null when answered. */
    nextResponseSince: ts('next_response_since'),
    /** The policy (targets, clock, calendar version) the due times were computed from: old rows never change. */
    slaPolicy: jsonb('sla_policy').$type<SlaPolicy>().notNull(),
    /** Paused minutes so far and the open pause, if any. */
    slaPausedMinutes: integer('sla_paused_minutes').notNull().default(0),
    slaPausedSince: ts('sla_paused_since'),
    csatScore: smallint('csat_score'),
    csatComment: text('csat_comment'),
    /** Who gave the survey answer: 'customer' (their own) or 'phone' (an agent recorded what they said). */
    csatVia: text('csat_via'),
    reopenCount: integer('reopen_count').notNull().default(0),
    /** The unanswered survey became a phone follow-up task (电话回访) at this instant; null otherwise. */
    followUpSince: ts('follow_up_since'),
    /** The named person who must call the customer back (the assignee, else the first lead). */
    followUpAgentId: bigint('follow_up_agent_id', { mode: 'number' }).references(() => agents.id),
    /** Failed follow-up attempts so far; the ticket closes as unrated only when it reaches survey.followUpAttempts. */
    followUpAttempts: integer('follow_up_attempts').notNull().default(0),
    /** Classification reason and confidence, and likely duplicates (triage). */
    triage: jsonb('triage').$type<TriageInfo>(),
    /** Closed as merged into this ticket (reversible by an admin). */
    mergedIntoId: bigint('merged_into_id', { mode: 'number' }),
    /** Part of a burst grouped under one incident card. */
    incidentId: bigint('incident_id', { mode: 'number' }).references(() => incidents.id),
    /** Platform references of the agents' card (message ids per surface) so it can be updated in place. */
    cardRefs: jsonb('card_refs').$type<Record<string, string>>().notNull().default({}),
    /** Salt of this ticket's personal-data digests (records/chain.ts); null once the customer's data is erased. */
    evidenceSalt: text('evidence_salt').default(sql`replace(gen_random_uuid()::text, '-', '')`),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('tickets_code').on(t.code),
    uniqueIndex('tickets_access_token').on(t.accessToken),
    index('tickets_created_at').on(t.createdAt),
    index('tickets_customer_open').on(t.customerId, t.channel).where(sql`status <> 'closed'`),
    index('tickets_open_status').on(t.status, t.createdAt).where(sql`status <> 'closed'`),
    // Web console: the day rollup finds changed days by updated_at; list filters walk (filter, created_at).
    index('tickets_updated_at').on(t.updatedAt),
    index('tickets_category_created').on(t.category, t.createdAt),
    index('tickets_channel_created').on(t.channel, t.createdAt),
    index('tickets_assignee_created').on(t.assigneeId, t.createdAt),
    index('tickets_major_created').on(t.createdAt).where(sql`is_major`),
    index('tickets_customer_created').on(t.customerId, t.createdAt),
    index('tickets_merged_into').on(t.mergedIntoId).where(sql`merged_into_id is not null`),
    index('tickets_incident').on(t.incidentId).where(sql`incident_id is not null`),
    index('tickets_follow_up').on(t.followUpSince).where(sql`follow_up_since is not null and status = 'resolved'`),
  ],
);

/** Conversation: what the customer wrote (in), what the company sent (out), agents' notes (internal). */
export const messages = pgTable(
  'messages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    ticketId: bigint('ticket_id', { mode: 'number' })
      .notNull()
      .references(() => tickets.id),
    direction: text('direction').$type<'in' | 'out' | 'internal'>().notNull(),
    /** customer | agent | bot */
    authorKind: text('author_kind').notNull(),
    authorId: text('author_id'),
    body: text('body').notNull(),
    attachments: jsonb('attachments').$type<Array<{ kind: string; name?: string; ref: string }>>().notNull().default([]),
    platformMessageId: text('platform_message_id'),
    createdAt: ts('created_at').notNull(),
    /** Set when the body and attachments were erased on the customer's request (the event keeps their digest). */
    erasedAt: ts('erased_at'),
  },
  (t) => [index('messages_ticket').on(t.ticketId, t.id)],
);

/**
 * Append-only, hash-chained event log: hash = sha256(prevHash + canonical row). Editing or deleting a row
 * breaks every later hash of that ticket, which `loopdesk ticket show` reports.
 */
export const ticketEvents = pgTable(
  'ticket_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    ticketId: bigint('ticket_id', { mode: 'number' })
      .notNull()
      .references(() => tickets.id),
    seq: integer('seq').notNull(),
    type: text('type').notNull(),
    /** 'customer:<id>' | 'agent:<platform>:<userId>' | 'system' */
    actor: text('actor').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    at: ts('at').notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
    /** Chain version of this row (core/hash.ts): rows written before version 2 keep verifying as they were. */
    v: smallint('v').notNull().default(1),
  },
  (t) => [uniqueIndex('ticket_events_ticket_seq').on(t.ticketId, t.seq), index('ticket_events_type_at').on(t.type, t.at)],
);

/** Per-day sequence for ticket codes. */
export const ticketCodeCounters = pgTable('ticket_code_counters', {
  day: text('day').primaryKey(),
  last: integer('last').notNull(),
});
