/**
 * Optional auto-assignment (config `assignment`): round robin among the agents on duty, skipping anyone at the
 * open-ticket cap, or per category (bugs to the product on-call) with the rotation for the rest. Nobody eligible
 * → the ticket stays unassigned and claimable by anyone, as without assignment.
 *
 * On duty: `agents.duty` 'on' / 'off' (set with /duty), or 'auto' = within business hours.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { AgentRef } from './types.ts';
import type { Tx } from '../db/client.ts';
import { agents, kv, tickets } from '../db/schema/index.ts';
import { roleOf } from './act.ts';
import { activeLocalAgents } from './accounts.ts';
import type { DeskDeps } from './deps.ts';

const key = (p: { platform: string; userId: string }) => `${p.platform}:${p.userId}`;

export interface Assignment {
  agentId: number;
  agent: AgentRef;
  /** round_robin | category:<id> */
  rule: string;
}

/** Rows for the rotation's people (created on first use, like agents who act), by platform:userId. */
async function agentRows(tx: Tx, deps: DeskDeps, pool: AgentRef[]) {
  await tx
    .insert(agents)
    .values(pool.map((p) => ({ platform: p.platform, userId: p.userId, name: p.name ?? null, role: roleOf(deps.config, p, false) ?? 'agent' })))
    .onConflictDoNothing({ target: [agents.platform, agents.userId] });
  const rows = await tx
    .select()
    .from(agents)
    .where(sql`(${agents.platform} || ':' || ${agents.userId}) in ${pool.map(key)}`);
  return new Map(rows.map((r) => [key(r), r]));
}

export async function openCounts(tx: Tx, agentIds: number[]): Promise<Map<number, number>> {
  if (agentIds.length === 0) return new Map();
  const rows = await tx
    .select({ id: tickets.assigneeId, n: sql<number>`count(*)::int` })
    .from(tickets)
    .where(and(inArray(tickets.assigneeId, agentIds), sql`${tickets.status} in ('new', 'claimed', 'responded', 'reopened')`))
    .groupBy(tickets.assigneeId);
  return new Map(rows.map((r) => [Number(r.id), Number(r.n)]));
}

/** Picks the agent for a new ticket of `category`, or null (assignment off, nobody on duty or everyone full). */
export async function autoAssign(tx: Tx, deps: DeskDeps, category: string, now: Date): Promise<Assignment | null> {
  const c = await assignmentCandidates(tx, deps, category, now);
  return c ? takeTurn(tx, c, now) : null;
}

export interface Candidates {
  pool: AgentRef[];
  rule: string;
  rows: Map<string, typeof agents.$inferSelect>;
  eligible: (p: AgentRef) => boolean;
}

/** Who may take a new ticket of `category` (reads only, no lock); null when assignment is off or nobody is named. */
export async function assignmentCandidates(tx: Tx, deps: DeskDeps, category: string, now: Date): Promise<Candidates | null> {
  const cfg = deps.config.assignment;
  if (cfg.mode === 'off') return null;
  const byCategory = cfg.mode === 'category' ? cfg.byCategory[category] : undefined;
  // Local accounts (console-only agents) join the default rotation after the config's agents.
  const pool = byCategory?.length ? byCategory : (cfg.agents ?? [...deps.config.roles.agents, ...(await activeLocalAgents(tx))]);
  const rule = byCategory?.length ? `category:${category}` : 'round_robin';
  if (pool.length === 0) return null;

  const rows = await agentRows(tx, deps, pool);
  const counts = await openCounts(
    tx,
    [...rows.values()].map((r) => r.id),
  );
  const business = deps.calendar.isBusinessTime(now);
  const eligible = (p: AgentRef) => {
    const r = rows.get(key(p));
    if (!r) return false;
    const onDuty = r.duty === 'on' || (r.duty === 'auto' && r.onDuty && business);
    return onDuty && (counts.get(r.id) ?? 0) < cfg.maxOpenPerAgent;
  };
  return { pool, rule, rows, eligible };
}

const cursorKey = (rule: string) => `assign:cursor:${rule}`;

/**
 * The rotation's turn: its cursor is one locked row, so concurrent intakes take turns instead of picking the same
 * person. The lock lasts to commit: intake takes it last, beside the ticket number.
 */
export async function takeTurn(tx: Tx, c: Candidates, now: Date): Promise<Assignment | null> {
  const { pool, rule, rows, eligible } = c;
  const lock = () =>
    tx
      .select({ value: kv.value })
      .from(kv)
      .where(eq(kv.key, cursorKey(rule)))
      .for('update');
  let [cursor] = await lock();
  if (!cursor) {
    // The rotation's first ticket makes the row (an insert on every ticket would wait on the locked row each time).
    await tx
      .insert(kv)
      .values({ key: cursorKey(rule), value: { last: null }, updatedAt: now })
      .onConflictDoNothing({ target: kv.key });
    [cursor] = await lock();
  }
  const last = (cursor.value as { last: string | null }).last;
  const start = last ? pool.findIndex((p) => key(p) === last) + 1 : 0;
  for (let i = 0; i < pool.length; i++) {
    const p = pool[(start + i) % pool.length];
    if (!eligible(p)) continue;
    await tx
      .update(kv)
      .set({ value: { last: key(p) }, updatedAt: now })
      .where(eq(kv.key, cursorKey(rule)));
    const r = rows.get(key(p))!;
    return { agentId: r.id, agent: { platform: r.platform, userId: r.userId, name: r.name }, rule };
  }
  return null;
}

/** /duty on|off: 'on' also covers time outside business hours (on call); 'off' takes the agent out of the rotation and duty pings. */
export async function setDuty(tx: Tx, agentId: number, duty: 'on' | 'off' | 'auto'): Promise<void> {
  await tx
    .update(agents)
    .set({ duty, onDuty: duty !== 'off' })
    .where(eq(agents.id, agentId));
}
