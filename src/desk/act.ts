import { and, eq, sql } from 'drizzle-orm';
import { categoryOf, type Config } from '../config.ts';
import { transition, TransitionError, type Command, type TicketEvent } from '../core/ticket.ts';
import { dueAt, elapsedMinutes } from '../core/sla.ts';
import { majorPromiseChange, promisePolicy } from './major-promise.ts';
import { ticketPromise } from './promise.ts';
import type { Database, Tx } from '../db/client.ts';
import { agents, customers, messages, ticketEvents, tickets } from '../db/schema/index.ts';
import { LOCAL_PLATFORM, localAccountRole } from './accounts.ts';
import { fillPlaceholders, findCanned } from './canned.ts';
import { firstMessageOf, learnFrom } from './triage.ts';
import type { AgentRef } from './types.ts';
import { agentActor, customerActor, SYSTEM, type DeskDeps } from './deps.ts';
import { DeskError } from './errors.ts';
import { appendEvents, enqueue, lockTicketByCode, stateOf, type Enqueue, type TicketRow } from './store.ts';
import { syncTimers } from './timers.ts';
import { pingRows } from './pings.ts';
import { leadNames, loadPeople } from './people.ts';
import { recordReceipt, type DeliveryReceipt } from './receipts.ts';

export type AgentActionName = 'claim' | 'respond' | 'resolve' | 'reclassify' | 'escalate' | 'note' | 'major';

export interface AgentAction {
  ticket: string;
  actor: AgentRef;
  /** True when the action came from inside the agents' group (the channel checked it). */
  viaAgentGroup: boolean;
  action: AgentActionName;
  text?: string;
  category?: string;
  waitForCustomer?: boolean;
  major?: boolean;
  /** respond: a canned reply's id; its text (placeholders filled) is sent when `text` is empty. */
  canned?: string;
  /** Set when the action came from an incident card (reply to all / resolve all): recorded on the events. */
  via?: string;
  /**
   * The role a surface that authenticated the person already looked up for this request (the console: session →
   * config roles, local account or admin token). Chat surfaces leave it unset and the config decides.
   */
  role?: Role;
  /** The ticket's version (last event seq) the form was drawn from: a stale tab or a second submit is refused. */
  expectVersion?: number;
  /** resolve: `text` is a note for the customer (sent before the survey), not only the summary in the log. */
  tellCustomer?: boolean;
  /** The platform delivery this action answers: recorded in the same transaction. */
  receipt?: DeliveryReceipt;
}

export interface ActResult {
  ticketId: number;
  code: string;
  /** Chinese line for the toast / chat answer. */
  message: string;
}

export type Role = 'agent' | 'lead' | 'admin';

/**
 * Who may act: the people named in the config's roles; when no roles are configured at all, anyone acting from
 * inside the agents' group (membership of that group is the access control).
 */
export function roleOf(config: Config, actor: AgentRef, viaAgentGroup: boolean): Role | null {
  const is = (list: Config['roles']['agents']) => list.some((p) => p.platform === actor.platform && p.userId === actor.userId);
  if (is(config.roles.admins)) return 'admin';
  if (is(config.roles.leads)) return 'lead';
  if (is(config.roles.agents)) return 'agent';
  const none = config.roles.agents.length + config.roles.leads.length + config.roles.admins.length === 0;
  return none && viaAgentGroup ? 'agent' : null;
}

/** roleOf, plus local accounts (console-only people), whose role lives in the database. */
export async function actorRole(deps: DeskDeps, actor: AgentRef, viaAgentGroup: boolean, checked?: Role): Promise<Role | null> {
  if (checked) return checked;
  if (actor.platform === LOCAL_PLATFORM) return (await localAccountRole(deps.database, actor.userId))?.role ?? null;
  return roleOf(deps.config, actor, viaAgentGroup);
}

/** The ticket's version for stale-form checks: its last event's seq (0 before any). */
export async function ticketVersion(tx: Tx | Database['db'], ticketId: number): Promise<number> {
  const [r] = await tx
    .select({ v: sql<number>`coalesce(max(${ticketEvents.seq}), 0)::int` })
    .from(ticketEvents)
    .where(eq(ticketEvents.ticketId, ticketId));
  return Number(r?.v ?? 0);
}

/** Refuses a form drawn from an older state of the ticket (another tab, another agent, a double submit). */
export async function checkVersion(tx: Tx, ticketId: number, expected: number | undefined): Promise<void> {
  if (expected === undefined) return;
  const now = await ticketVersion(tx, ticketId);
  if (now !== expected)
    throw new DeskError('stale', '工单在你打开此页面后已有新的变化（可能是其他人或另一个标签页的操作），本次操作未执行。请查看最新状态后再操作。');
}

/** Once someone holds a ticket, answering and resolving it are theirs (or a lead's / admin's). */
async function checkHolder(tx: Tx, t: TicketRow, action: AgentActionName, agentId: number, role: Role): Promise<void> {
  if (role !== 'agent' || t.assigneeId === null || t.assigneeId === agentId) return;
  if (action !== 'respond' && action !== 'resolve') return;
  const [holder] = await tx.select({ name: agents.name, userId: agents.userId }).from(agents).where(eq(agents.id, t.assigneeId));
  throw new DeskError(
    'not_your_ticket',
    `工单 ${t.code} 由 ${holder?.name ?? holder?.userId ?? '其他客服'} 负责，只有处理人或负责人可以${action === 'respond' ? '回复' : '解决'}。可以添加内部备注或升级。`,
  );
}

export async function upsertAgent(tx: Tx, actor: AgentRef, role: Role): Promise<number> {
  const [row] = await tx
    .insert(agents)
    .values({ platform: actor.platform, userId: actor.userId, name: actor.name ?? null, role })
    .onConflictDoUpdate({ target: [agents.platform, agents.userId], set: { name: sql`coalesce(excluded.name, ${agents.name})`, role } })
    .returning({ id: agents.id });
  return row.id;
}

/** Longest reply / note / resolution text: a chat message or an e-mail a person reads, not a document dump. */
export const MAX_TEXT = 5000;

const SUCCESS: Record<AgentActionName, string> = {
  claim: '已认领',
  respond: '已回复客户',
  resolve: '已标记解决，满意度回访已发送给客户',
  reclassify: '已重新分类',
  escalate: '已升级，已通知负责人',
  note: '已添加内部备注',
  major: '已更新重大投诉标记',
};

export async function act(deps: DeskDeps, input: AgentAction): Promise<ActResult> {
  const role = await actorRole(deps, input.actor, input.viaAgentGroup, input.role);
  if (!role) throw new DeskError('forbidden', '只有客服成员可以处理工单');
  if ((input.text?.length ?? 0) > MAX_TEXT)
    throw new DeskError('invalid', `内容过长：${input.text!.length} 个字符，最多 ${MAX_TEXT} 个。请精简后再发送，长材料可作为附件或分几次回复。`);
  if (input.action === 'reclassify' && !deps.config.categories.some((c) => c.id === input.category)) {
    throw new DeskError('invalid', `未知分类：${input.category ?? '（空）'}`);
  }
  const now = deps.clock.now();
  const result = await deps.database.db.transaction(async (tx) => {
    await recordReceipt(tx, input.receipt);
    const t = await lockTicketByCode(tx, input.ticket);
    if (!t) throw new DeskError('not_found', `找不到工单 ${input.ticket}`);
    await checkVersion(tx, t.id, input.expectVersion);
    const agentId = await upsertAgent(tx, input.actor, role);
    // An incident card's reply-all / resolve-all answers every member, whoever holds it.
    if (!input.via) await checkHolder(tx, t, input.action, agentId, role);
    const canned = input.action === 'respond' && input.canned && !input.text?.trim() ? await cannedText(tx, deps, t, input.canned) : null;
    if (canned) input = { ...input, text: canned.text };
    const cmd = commandOf(input, agentId);
    const { patch, events } = applyTransition(t, cmd, now);
    if (canned) events[events.length - 1].data.canned = canned.id;
    if (input.via) for (const e of events) e.data.via = input.via;
    const extra: Partial<TicketRow> = {};
    const actor = agentActor(input.actor.platform, input.actor.userId);
    const outbox: Array<(seq: number) => Enqueue> = [];

    if (input.action === 'respond' || input.action === 'note') {
      const [m] = await tx
        .insert(messages)
        .values({
          ticketId: t.id,
          direction: input.action === 'respond' ? 'out' : 'internal',
          authorKind: 'agent',
          authorId: actor,
          body: input.text!.trim(),
          createdAt: now,
        })
        .returning({ id: messages.id });
      events[events.length - 1].data.messageId = m.id;
      if (input.action === 'respond') {
        outbox.push((seq) => ({
          channel: t.channel,
          kind: 'customer.text',
          ticketId: t.id,
          payload: { text: input.text!.trim(), purpose: 'reply' },
          idemKey: `reply:${t.id}:${seq}`,
        }));
        // "Waiting for the customer" pauses the SLA clock until they write again.
        if (input.waitForCustomer && !t.slaPausedSince) extra.slaPausedSince = now;
        // Any agent answer meets the next-response target of the customer's waiting message.
        if (t.nextResponseSince) extra.nextResponseSince = null;
      }
    }
    if (input.action === 'resolve' && input.tellCustomer && input.text?.trim()) {
      // The resolution note is the customer's answer (sent before the survey); the event keeps it as the summary.
      const [m] = await tx
        .insert(messages)
        .values({ ticketId: t.id, direction: 'out', authorKind: 'agent', authorId: actor, body: input.text.trim(), createdAt: now })
        .returning({ id: messages.id });
      events.find((e) => e.type === 'resolved')!.data.messageId = m.id;
      outbox.push((seq) => ({
        channel: t.channel,
        kind: 'customer.text',
        ticketId: t.id,
        payload: { text: `处理结果：${input.text!.trim()}`, purpose: 'reply' },
        idemKey: `resolution:${t.id}:${seq}`,
      }));
    }
    if (input.action === 'resolve') {
      if (t.slaPausedSince) {
        extra.slaPausedMinutes = t.slaPausedMinutes + elapsedMinutes(t.slaPolicy, deps.calendar, t.slaPausedSince, now);
        extra.slaPausedSince = null;
      }
      outbox.push((seq) => ({ channel: t.channel, kind: 'customer.survey', ticketId: t.id, idemKey: `survey:${t.id}:${seq}` }));
    }
    if (input.action === 'reclassify') {
      // The promise follows the new category (a major complaint keeps the major promise); the event keeps the old and
      // new due times.
      const policy = promisePolicy(deps.config, deps.calendar, input.category!, t.isMajor);
      extra.slaPolicy = policy;
      extra.firstResponseDueAt = policy.firstResponseMinutes ? dueAt(policy, deps.calendar, t.createdAt, policy.firstResponseMinutes) : null;
      extra.resolutionDueAt = policy.resolutionMinutes ? dueAt(policy, deps.calendar, t.createdAt, policy.resolutionMinutes, t.slaPausedMinutes) : null;
      Object.assign(events[0].data, {
        firstResponseDue: { from: t.firstResponseDueAt?.toISOString() ?? null, to: extra.firstResponseDueAt?.toISOString() ?? null },
        resolutionDue: { from: t.resolutionDueAt?.toISOString() ?? null, to: extra.resolutionDueAt?.toISOString() ?? null },
      });
      // An agent's correction is a labelled example for the learning classifier (same transaction: both or neither).
      extra.triage = { ...(t.triage ?? {}), source: 'agent', confidence: 1, reason: `客服重新分类（原为「${categoryOf(deps.config, t.category).name}」）` };
      const text = deps.config.triage.learn ? await firstMessageOf(tx, t.id) : null;
      if (text) {
        const model = await learnFrom(tx, deps, text, input.category!, now);
        events[0].data.learned = { examples: model.examples };
      }
    }
    if (input.action === 'major') {
      // The major flag moves the ticket to 投诉 (unless an agent chose the category) under the major promise; clearing
      // it restores the category's own promise.
      const change = majorPromiseChange(deps.config, deps.calendar, t, patch.isMajor!);
      Object.assign(extra, change.patch);
      events.push({ ...change.event, data: { ...change.event.data, agentId } });
    }

    // The escalation names the leads it pages (roles.leads, by name): the case report says who it went to.
    if (input.action === 'escalate') events[0].data.leads = leadNames(deps.config, await loadPeople(tx, deps.config));
    const [updated] = await tx
      .update(tickets)
      .set({ ...patch, ...extra, updatedAt: now })
      .where(eq(tickets.id, t.id))
      .returning();
    const seqs = await appendEvents(tx, t.id, actor, now, events);
    const last = seqs[seqs.length - 1];
    // A manual escalation @-mentions the leads, like the SLA ladder does.
    const escalation =
      input.action === 'escalate'
        ? await pingRows(tx, deps, [
            {
              ticketId: t.id,
              code: t.code,
              assigneeId: t.assigneeId,
              notify: 'leads',
              key: `escalate:${t.id}:${last}`,
              line: `⬆️ 工单 ${t.code}「${t.subject}」已由 ${input.actor.name ?? input.actor.userId} 升级${input.text ? `：${input.text}` : ''}，请负责人关注。`,
            },
          ])
        : [];
    // Customers whose tickets were merged into this one hear its replies and get its survey.
    const merged =
      input.action === 'respond' || input.action === 'resolve' ? await survivorFollowUps(tx, deps, t, input.action, input.text?.trim(), now, last) : [];
    await enqueue(tx, now, [
      ...fanOut(
        deps,
        outbox.map((f) => f(last)),
      ),
      ...escalation,
      ...merged,
      ...cardUpdates(deps, t.id, last),
    ]);
    await syncTimers(tx, deps, updated, now);
    const majorMessage = updated.isMajor
      ? `已标记为重大投诉（${categoryOf(deps.config, updated.category).name}类），时限按重大投诉承诺重算`
      : '已取消重大投诉标记，恢复该分类原有的时限';
    const message = input.action === 'major' ? majorMessage : SUCCESS[input.action];
    return { ticketId: t.id, code: t.code, message };
  });
  deps.wake();
  return result;
}

function commandOf(input: AgentAction, agentId: number): Command {
  switch (input.action) {
    case 'claim':
      return { type: 'claim', agentId };
    case 'respond':
      return { type: 'respond', agentId, text: input.text ?? '', waitForCustomer: input.waitForCustomer };
    case 'note':
      return { type: 'note', agentId, text: input.text ?? '' };
    case 'resolve':
      return { type: 'resolve', agentId, summary: input.text };
    case 'reclassify':
      return { type: 'reclassify', agentId, category: input.category! };
    case 'escalate':
      return { type: 'escalate', agentId, reason: input.text };
    case 'major':
      return { type: 'setMajor', agentId, major: input.major ?? true, reason: input.text ?? '' };
  }
}

/** A canned reply's text for this ticket, placeholders filled ({客户} {工单号} {承诺}). */
async function cannedText(tx: Tx, deps: DeskDeps, t: TicketRow, id: string): Promise<{ id: string; text: string }> {
  const reply = await findCanned(tx, deps.config, id);
  if (!reply) throw new DeskError('invalid', `没有快捷回复 ${id}`);
  const [c] = await tx.select({ name: customers.name }).from(customers).where(eq(customers.id, t.customerId));
  const promise = ticketPromise(deps.config, deps.calendar, t);
  return { id, text: fillPlaceholders(reply.text, { customer: c?.name?.trim() || '客户', code: t.code, promise }) };
}

export function applyTransition(t: TicketRow, cmd: Command, now: Date): { patch: Partial<TicketRow>; events: TicketEvent[] } {
  try {
    return transition(stateOf(t), cmd, now) as { patch: Partial<TicketRow>; events: TicketEvent[] };
  } catch (e) {
    if (e instanceof TransitionError) throw new DeskError(e.code, e.message);
    throw e;
  }
}

/** `channel: 'agents'` means "every agents' surface"; expand it into one row per surface. */
export function fanOut(deps: DeskDeps, items: Enqueue[]): Enqueue[] {
  return items.flatMap((i) => (i.channel === 'agents' ? deps.agentSurfaces.map((s) => ({ ...i, channel: s, idemKey: `${i.idemKey}:${s}` })) : [i]));
}

export function cardUpdates(deps: DeskDeps, ticketId: number, seq: number): Enqueue[] {
  return deps.agentSurfaces.map((s) => ({ channel: s, kind: 'agents.card' as const, ticketId, idemKey: `card:${ticketId}:${seq}:${s}` }));
}

export { customerActor, SYSTEM };

/**
 * What the customers of tickets merged into `t` get when it is answered or resolved (called by `act` in its
 * transaction): the reply, and the survey (on their own ticket, which records their answer).
 */
export async function survivorFollowUps(
  tx: Tx,
  _deps: DeskDeps,
  t: TicketRow,
  action: 'respond' | 'resolve',
  text: string | undefined,
  now: Date,
  seq: number,
): Promise<Enqueue[]> {
  const merged = await tx
    .select()
    .from(tickets)
    .where(and(eq(tickets.mergedIntoId, t.id), eq(tickets.status, 'closed'), eq(tickets.closeReason, 'merged')))
    .orderBy(tickets.id)
    .for('update');
  const out: Enqueue[] = [];
  for (const m of merged) {
    if (action === 'respond' && text) {
      const [s] = await appendEvents(tx, m.id, SYSTEM, now, [{ type: 'survivor_replied', data: { via: t.code, seq } }]);
      out.push({
        channel: m.channel,
        kind: 'customer.text',
        ticketId: m.id,
        payload: { text: `（工单 ${t.code}）${text}`, purpose: 'reply' },
        idemKey: `merged-reply:${m.id}:${s}`,
      });
    }
    if (action === 'resolve') {
      const { patch, events } = applyTransition(m, { type: 'mergedSurveySent', via: t.code }, now);
      await tx
        .update(tickets)
        .set({ ...patch, updatedAt: now })
        .where(eq(tickets.id, m.id));
      const [s] = await appendEvents(tx, m.id, SYSTEM, now, events);
      out.push({ channel: m.channel, kind: 'customer.survey', ticketId: m.id, idemKey: `survey:${m.id}:${s}` });
    }
  }
  return out;
}
