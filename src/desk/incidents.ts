/**
 * Bursts: when similar tickets arrive faster than agents can read them (an outage), they are grouped under one
 * incident card instead of one card each. Every customer still gets their own acknowledgement, reply and survey;
 * every ticket keeps its own SLA, event log and ledger row. Only the agents' group is spared: card posts and SLA
 * pings of member tickets become (debounced) updates of the one incident card.
 */
import { and, eq, gte, inArray, sql } from 'drizzle-orm';
import type { IncidentView } from '../../cards/view.ts';
import type { AgentRef } from './types.ts';
import { bigramVector, cosine } from '../core/similarity.ts';
import type { DbOrTx, Tx } from '../db/client.ts';
import { incidents, ticketCodeCounters, tickets } from '../db/schema/index.ts';
import { act, roleOf } from './act.ts';
import { CHANNEL_LABELS } from './view.ts';
import { SYSTEM, type DeskDeps } from './deps.ts';
import { DeskError } from './errors.ts';
import { appendEvents, enqueue } from './store.ts';
import { similarOpenTickets } from './triage.ts';
import { cutText } from '../core/text.ts';
import { incidentCardRows } from './incident-routing.ts';
import { recordReceipt, type DeliveryReceipt } from './receipts.ts';

const CENTROID_TERMS = 300;
const SAMPLES = 5;

const toMap = (o: Record<string, number>) => new Map(Object.entries(o));

function addToCentroid(centroid: Record<string, number>, v: Map<string, number>): Record<string, number> {
  const m = toMap(centroid);
  for (const [k, x] of v) m.set(k, (m.get(k) ?? 0) + x);
  return Object.fromEntries([...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, CENTROID_TERMS));
}

async function nextIncidentCode(tx: Tx, localDate: string): Promise<string> {
  const day = localDate.replaceAll('-', '');
  const [row] = await tx
    .insert(ticketCodeCounters)
    .values({ day: `inc:${day}`, last: 1 })
    .onConflictDoUpdate({ target: ticketCodeCounters.day, set: { last: sql`${ticketCodeCounters.last} + 1` } })
    .returning({ last: ticketCodeCounters.last });
  return `INC-${day}-${String(row.last).padStart(2, '0')}`;
}

export interface Placement {
  incidentId: number;
  code: string;
  created: boolean;
  /** Similarity to the incident (or to the tickets that opened it). */
  score: number;
}

/**
 * Places a new ticket (not yet inserted) in a burst: it joins an open incident it resembles, or, when enough
 * similar tickets of other customers arrived within the window, opens one with them. Creating is serialised by
 * an advisory lock (two intakes of one burst must not open two incidents); joining locks the incident row.
 */
export async function placeInIncident(tx: Tx, deps: DeskDeps, t: { text: string; customerId: number }, now: Date): Promise<Placement | null> {
  const b = deps.config.triage.bursts;
  if (!b.enabled) return null;
  const since = new Date(now.getTime() - b.windowMinutes * 60_000);
  const v = bigramVector(t.text);
  if (v.size === 0) return null;

  async function join(): Promise<Placement | null> {
    const open = await tx
      .select({ id: incidents.id, centroid: incidents.centroid })
      .from(incidents)
      .where(and(eq(incidents.status, 'open'), gte(incidents.lastTicketAt, since)));
    let best: { id: number; score: number } | null = null;
    for (const o of open) {
      const score = cosine(v, toMap(o.centroid));
      if (score >= b.threshold && (!best || score > best.score)) best = { id: o.id, score };
    }
    if (!best) return null;
    const [inc] = await tx.select().from(incidents).where(eq(incidents.id, best.id)).for('update');
    await tx
      .update(incidents)
      .set({
        centroid: addToCentroid(inc.centroid, v),
        samples: inc.samples.length < SAMPLES ? [...inc.samples, cutText(t.text, 200)] : inc.samples,
        ticketCount: inc.ticketCount + 1,
        lastTicketAt: now,
        updatedAt: now,
      })
      .where(eq(incidents.id, inc.id));
    return { incidentId: inc.id, code: inc.code, created: false, score: Math.round(best.score * 100) / 100 };
  }

  const joined = await join();
  if (joined) return joined;
  const similar = await similarOpenTickets(tx, { text: t.text, since, threshold: b.threshold, excludeCustomerId: t.customerId, limit: 200 });
  if (similar.length + 1 < b.minTickets) return null;
  await tx.execute(sql`select pg_advisory_xact_lock(7412001)`);
  const raced = await join();
  if (raced) return raced;

  const members = await tx
    .select()
    .from(tickets)
    .where(
      inArray(
        tickets.id,
        similar.map((s) => s.id),
      ),
    )
    .for('update');
  const fresh = members.filter((m) => m.incidentId === null && m.status !== 'closed');
  if (fresh.length + 1 < b.minTickets) return null;
  let centroid: Record<string, number> = addToCentroid({}, v);
  for (const m of fresh) centroid = addToCentroid(centroid, bigramVector(m.subject));
  const code = await nextIncidentCode(tx, deps.calendar.localDate(now));
  const [inc] = await tx
    .insert(incidents)
    .values({
      code,
      title: cutText(t.text.split('\n')[0].trim(), 60),
      centroid,
      samples: [cutText(t.text, 200), ...fresh.map((m) => m.subject)].slice(0, SAMPLES),
      ticketCount: fresh.length + 1,
      createdAt: now,
      lastTicketAt: now,
      updatedAt: now,
    })
    .returning({ id: incidents.id });
  await tx
    .update(tickets)
    .set({ incidentId: inc.id, updatedAt: now })
    .where(
      inArray(
        tickets.id,
        fresh.map((m) => m.id),
      ),
    );
  for (const m of fresh) {
    const score = similar.find((s) => s.id === m.id)?.score ?? 0;
    await appendEvents(tx, m.id, SYSTEM, now, [{ type: 'incident_joined', data: { incident: code, score: Math.round(score * 100) / 100 } }]);
  }
  // Members that already have their own card keep it (updated in place, now naming the incident).
  await enqueue(tx, now, [
    ...incidentCardRows(deps.agentSurfaces, inc.id, now),
    ...fresh.flatMap((m) =>
      deps.agentSurfaces.map((s) => ({ channel: s, kind: 'agents.card' as const, ticketId: m.id, idemKey: `card:${m.id}:incident:${inc.id}:${s}` })),
    ),
  ]);
  return { incidentId: inc.id, code, created: true, score: Math.round((similar[0]?.score ?? 1) * 100) / 100 };
}

const STATUS_LABEL: Record<string, string> = { open: '处理中', resolved: '已解决' };

export async function loadIncidentView(db: DbOrTx, id: number): Promise<IncidentView> {
  const [inc] = await db.select().from(incidents).where(eq(incidents.id, id));
  if (!inc) throw new Error(`incident ${id} not found`);
  const rows = await db
    .select({
      status: tickets.status,
      channel: tickets.channel,
      n: sql<number>`count(*)::int`,
      major: sql<number>`count(*) filter (where ${tickets.isMajor})::int`,
    })
    .from(tickets)
    .where(eq(tickets.incidentId, id))
    .groupBy(tickets.status, tickets.channel);
  const by = (pred: (s: string) => boolean) => rows.filter((r) => pred(r.status)).reduce((a, r) => a + Number(r.n), 0);
  const channels = new Map<string, number>();
  for (const r of rows) channels.set(r.channel, (channels.get(r.channel) ?? 0) + Number(r.n));
  const workable = by((s) => s === 'new' || s === 'claimed' || s === 'reopened');
  const responded = by((s) => s === 'responded');
  return {
    id: inc.id,
    code: inc.code,
    title: inc.title,
    status: inc.status,
    statusLabel: STATUS_LABEL[inc.status] ?? inc.status,
    count: by(() => true),
    waiting: workable,
    responded,
    resolved: by((s) => s === 'resolved'),
    closed: by((s) => s === 'closed'),
    major: rows.reduce((a, r) => a + Number(r.major), 0),
    channels: [...channels.entries()].sort((a, b) => b[1] - a[1]).map(([c, n]) => ({ channel: c, label: CHANNEL_LABELS[c] ?? c, count: n })),
    samples: inc.samples,
    createdAt: inc.createdAt.toISOString(),
    lastTicketAt: inc.lastTicketAt.toISOString(),
    actions: workable + responded > 0 ? ['incident_reply', 'incident_resolve'] : [],
  };
}

export async function incidentByCode(db: DbOrTx, code: string) {
  const [row] = await db.select().from(incidents).where(eq(incidents.code, code.toUpperCase()));
  return row;
}

export async function saveIncidentCardRef(db: DbOrTx, id: number, surface: string, ref: string): Promise<void> {
  await db
    .update(incidents)
    .set({ cardRefs: sql`${incidents.cardRefs} || ${JSON.stringify({ [surface]: ref })}::jsonb` })
    .where(eq(incidents.id, id));
}

export interface IncidentAction {
  incident: string;
  actor: AgentRef;
  viaAgentGroup: boolean;
  /** incident_reply: the same answer to every waiting customer; incident_resolve: (answer and) resolve them all. */
  action: 'incident_reply' | 'incident_resolve';
  text?: string;
  /** The click's receipt: each member's change records its own part, the incident's last transaction the whole. */
  receipt?: DeliveryReceipt;
}

export interface IncidentActResult {
  code: string;
  done: number;
  skipped: number;
  message: string;
}

/**
 * Acts on every member ticket, one ticket per transaction through `act` (each keeps its own log, outbox rows and
 * timers; a refusal on one does not undo the others). The incident closes once no member is left to work.
 * A receipt is written in the transaction of each change it records (`<key>:<ticket>:<action>` with the member's
 * change, the key itself with the incident's): after a crash half-way, the platform's re-push does the rest, and a
 * re-push of a finished click changes nothing.
 */
export async function incidentAct(deps: DeskDeps, input: IncidentAction): Promise<IncidentActResult> {
  const role = roleOf(deps.config, input.actor, input.viaAgentGroup);
  if (!role) throw new DeskError('forbidden', '只有客服成员可以处理工单');
  const inc = await incidentByCode(deps.database.db, input.incident);
  if (!inc) throw new DeskError('not_found', `找不到事件 ${input.incident}`);
  const text = input.text?.trim() ?? '';
  if (input.action === 'incident_reply' && !text) throw new DeskError('empty_text', '请填写要发给全部客户的回复');
  const { receipt } = input;
  const part = (code: string, action: string): DeliveryReceipt | undefined =>
    receipt && { source: receipt.source, keys: receipt.keys.map((k) => `${k}:${code}:${action}`) };
  const members = await deps.database.db
    .select({ code: tickets.code, status: tickets.status, firstResponseAt: tickets.firstResponseAt })
    .from(tickets)
    .where(and(eq(tickets.incidentId, inc.id), sql`${tickets.status} in ('new', 'claimed', 'responded', 'reopened')`))
    .orderBy(tickets.id);
  let done = 0;
  let skipped = 0;
  // A member's change this click already made before a crash counts as done; the re-push does not repeat it.
  const doneBefore = (e: unknown) => {
    if (!(e instanceof DeskError && e.code === 'already_handled')) throw e;
  };
  const base = { actor: input.actor, viaAgentGroup: input.viaAgentGroup, via: inc.code };
  for (const m of members) {
    try {
      if (text) await act(deps, { ...base, ticket: m.code, action: 'respond', text, receipt: part(m.code, 'respond') }).catch(doneBefore);
      if (input.action === 'incident_resolve')
        await act(deps, { ...base, ticket: m.code, action: 'resolve', text: text || undefined, receipt: part(m.code, 'resolve') }).catch(doneBefore);
      done++;
    } catch (e) {
      if (!(e instanceof DeskError)) throw e;
      skipped++;
    }
  }
  const now = deps.clock.now();
  await deps.database.db.transaction(async (tx) => {
    await recordReceipt(tx, receipt);
    const [left] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(tickets)
      .where(and(eq(tickets.incidentId, inc.id), sql`${tickets.status} in ('new', 'claimed', 'responded', 'reopened')`));
    if (input.action === 'incident_resolve' && Number(left.n) === 0) {
      await tx.update(incidents).set({ status: 'resolved', resolvedAt: now, updatedAt: now }).where(eq(incidents.id, inc.id));
    }
    await enqueue(tx, now, incidentCardRows(deps.agentSurfaces, inc.id, now));
  });
  deps.wake();
  const what = input.action === 'incident_reply' ? '已回复' : '已解决并发送回访';
  return { code: inc.code, done, skipped, message: `事件 ${inc.code}：${done} 个工单${what}${skipped ? `，${skipped} 个跳过（已处理或未回复过客户）` : ''}` };
}
