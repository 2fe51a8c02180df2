/**
 * Triage at intake and on reclassification: the two-layer classifier with its model kept in the `kv` table, the
 * escalation-risk (重大投诉) checks, and likely duplicates across customers.
 */
import { and, desc, eq, gte, isNull, ne, sql } from 'drizzle-orm';
import { categoryOf } from '../config.ts';
import { emptyModel, train, type BayesModel } from '../core/bayes.ts';
import { classify, type Classification } from '../core/classify.ts';
import { detectMajor, type MajorSignal } from '../core/major.ts';
import { bigramVector, cosine } from '../core/similarity.ts';
import type { Database, DbOrTx, Tx } from '../db/client.ts';
import { kv, messages, tickets } from '../db/schema/index.ts';
import type { TriageInfo } from '../db/schema/tickets.ts';
import type { DeskDeps } from './deps.ts';

export const MODEL_KEY = 'triage:model';
/** Intake reads the model from memory; another instance's reclassification shows up within this. */
export const MODEL_TTL_MS = 30_000;

const cache = new WeakMap<Database, { model: BayesModel | null; at: number }>();

/** The learned model, cached per process for a short while (every intake classifies; few reclassify). */
export async function currentModel(deps: Pick<DeskDeps, 'database'>, nowMs = Date.now()): Promise<BayesModel | null> {
  const hit = cache.get(deps.database);
  if (hit && nowMs - hit.at < MODEL_TTL_MS) return hit.model;
  const [row] = await deps.database.db.select({ value: kv.value }).from(kv).where(eq(kv.key, MODEL_KEY));
  const model = (row?.value as BayesModel | undefined) ?? null;
  cache.set(deps.database, { model, at: nowMs });
  return model;
}

/** Drops the cached model (after a reclassification here, or in tests to prove the model was persisted). */
export function forgetModel(database: Database): void {
  cache.delete(database);
}

/** Both layers, as intake uses them. */
export async function classifyMessage(deps: Pick<DeskDeps, 'database' | 'config'>, text: string): Promise<Classification> {
  return classify(deps.config, text, await currentModel(deps));
}

/**
 * One labelled example from an agent's reclassification, in the caller's transaction: the model row is locked, so
 * concurrent reclassifications each add their example; the cache here follows the committed model.
 */
export async function learnFrom(tx: Tx, deps: DeskDeps, text: string, label: string, now: Date): Promise<BayesModel> {
  await tx.insert(kv).values({ key: MODEL_KEY, value: emptyModel(), updatedAt: now }).onConflictDoNothing({ target: kv.key });
  const [row] = await tx.select({ value: kv.value }).from(kv).where(eq(kv.key, MODEL_KEY)).for('update');
  const model = train(row.value as BayesModel, text, label);
  await tx.update(kv).set({ value: model, updatedAt: now }).where(eq(kv.key, MODEL_KEY));
  forgetModel(deps.database);
  return model;
}

/** The text a ticket was opened with (what the customer wrote first; the subject is only its first line). */
export async function firstMessageOf(db: DbOrTx, ticketId: number): Promise<string | null> {
  const [m] = await db
    .select({ body: messages.body })
    .from(messages)
    .where(and(eq(messages.ticketId, ticketId), eq(messages.direction, 'in')))
    .orderBy(messages.id)
    .limit(1);
  return m?.body ?? null;
}

export function triageInfo(c: Classification | { source: string; confidence: number; reason: string }): TriageInfo {
  return { source: c.source, confidence: Math.round(c.confidence * 100) / 100, reason: c.reason };
}

export function categoryChoice(deps: Pick<DeskDeps, 'config'>, id: string): Classification {
  const c = categoryOf(deps.config, id);
  return { category: c.id, priority: c.priority, confidence: 1, reason: '客户选择的分类', source: 'customer' };
}

/** Escalation risk in one customer message (regulators, press, courts, money loss, data leaks; negations ignored). */
export const majorSignal = (text: string): MajorSignal => detectMajor(text);

/**
 * The customer's run of messages no agent has answered yet (this one included), and when the run began. The bot's
 * acknowledgement is not an answer.
 */
export async function unansweredRun(tx: Tx, ticketId: number): Promise<{ count: number; since: Date | null }> {
  const [row] = await tx
    .select({ count: sql<number>`count(*)::int`, since: sql<Date | string | null>`min(${messages.createdAt})` })
    .from(messages)
    .where(
      and(
        eq(messages.ticketId, ticketId),
        eq(messages.direction, 'in'),
        sql`${messages.id} > coalesce((select max(m2.id) from ${messages} m2 where m2.ticket_id = ${ticketId} and m2.direction = 'out'), 0)`,
      ),
    );
  return { count: Number(row?.count ?? 0), since: row?.since ? new Date(row.since) : null };
}

/**
 * The third unanswered message (config `triage.unanswered`) is an escalation risk, once the customer has been
 * waiting a while: three quick lines typed in one go ("你好" "在吗" "我的订单…") are one message in chat terms.
 */
export function unansweredIsMajor(deps: Pick<DeskDeps, 'config'>, run: { count: number; since: Date | null }, now: Date): boolean {
  const u = deps.config.triage.unanswered;
  if (run.count < u.messages || !run.since) return false;
  return now.getTime() - run.since.getTime() >= u.minMinutes * 60_000;
}

export interface SimilarTicket {
  id: number;
  code: string;
  customerId: number;
  channel: string;
  subject: string;
  incidentId: number | null;
  score: number;
}

/**
 * Other customers' open tickets (not probes, not already in an incident) created since `since` whose first line is
 * at least `threshold` similar to the text (character-bigram cosine), best first.
 */
export async function similarOpenTickets(
  tx: DbOrTx,
  opts: { text: string; since: Date; threshold: number; excludeCustomerId: number; excludeTicketId?: number; limit?: number },
): Promise<SimilarTicket[]> {
  const rows = await tx
    .select({
      id: tickets.id,
      code: tickets.code,
      customerId: tickets.customerId,
      channel: tickets.channel,
      subject: tickets.subject,
      incidentId: tickets.incidentId,
    })
    .from(tickets)
    .where(
      and(
        sql`${tickets.status} <> 'closed'`,
        gte(tickets.createdAt, opts.since),
        ne(tickets.customerId, opts.excludeCustomerId),
        eq(tickets.isProbe, false),
        isNull(tickets.incidentId),
        ...(opts.excludeTicketId ? [ne(tickets.id, opts.excludeTicketId)] : []),
      ),
    )
    .orderBy(desc(tickets.id))
    .limit(opts.limit ?? 300);
  const v = bigramVector(opts.text);
  return rows
    .map((r) => ({ ...r, score: cosine(v, bigramVector(r.subject)) }))
    .filter((r) => r.score >= opts.threshold)
    .sort((a, b) => b.score - a.score);
}
