import { createHash } from 'node:crypto';
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { CONTACT_OUTBOX_CHANNEL } from '../core/contact.ts';
import type { AgentRef } from './types.ts';
import type { Tx } from '../db/client.ts';
import { agents, localAccounts } from '../db/schema/index.ts';
import type { DeskDeps } from './deps.ts';
import type { Enqueue } from './store.ts';

/** Who a ping is for. 'assignee' on an unclaimed ticket becomes 'duty': the agents on duty. */
export type Notify = 'assignee' | 'leads' | 'admins' | 'duty';

export interface Ping {
  ticketId: number;
  code: string;
  assigneeId: number | null;
  notify: Notify;
  /** One line of the message, e.g. "FB-… 首次响应已超时 35分钟". */
  line: string;
  /** The timer's dedupe key (ticket, timer, threshold): the outbox key is derived from it. */
  key: string;
}

/**
 * Turns pings into `agents.text` outbox rows: one message per surface and recipient set, so ten breaches of one
 * agent's tickets in a sweep are one message with ten lines, not ten @-mentions. The people to mention are
 * resolved here (assignee from the agents table, leads and admins from the config, duty from `agents.on_duty`),
 * per surface, because a Feishu open_id cannot be mentioned in DingTalk.
 */
export async function pingRows(tx: Tx, deps: DeskDeps, pings: Ping[]): Promise<Enqueue[]> {
  if (pings.length === 0) return [];
  const mails = await localAccountMails(tx, pings);
  if (deps.agentSurfaces.length === 0) return mails;
  return [...mails, ...(await chatPingRows(tx, deps, pings))];
}

/**
 * Pings for an assignee who is a local account (no chat to be @-mentioned in) with an e-mail address: one mail per
 * ping, through the contact channel's SMTP sender. Without an address the reminder is on their 工作台 (我的提醒).
 */
async function localAccountMails(tx: Tx, pings: Ping[]): Promise<Enqueue[]> {
  const ids = [...new Set(pings.filter((p) => p.notify === 'assignee' && p.assigneeId !== null).map((p) => p.assigneeId!))];
  if (ids.length === 0) return [];
  const rows = await tx
    .select({ id: agents.id, email: localAccounts.email })
    .from(agents)
    .innerJoin(localAccounts, sql`${agents.platform} = 'local' and ${agents.userId} = ${localAccounts.id}::text`)
    .where(and(inArray(agents.id, ids), isNull(localAccounts.disabledAt)));
  const to = new Map(rows.filter((r) => r.email).map((r) => [r.id, r.email!]));
  return pings
    .filter((p) => p.notify === 'assignee' && p.assigneeId !== null && to.has(p.assigneeId))
    .map((p) => ({
      channel: CONTACT_OUTBOX_CHANNEL,
      kind: 'agents.mail' as const,
      // Not the ticket's row: a failed reminder must not read as "the customer could not be reached".
      ticketId: null,
      payload: { to: to.get(p.assigneeId!)!, subject: `时限提醒 [${p.code}]`, text: p.line, path: `/console/tickets/${p.code}` },
      idemKey: `ping-mail:${p.key}`,
    }));
}

async function chatPingRows(tx: Tx, deps: DeskDeps, pings: Ping[]): Promise<Enqueue[]> {
  const assigneeIds = [...new Set(pings.map((p) => p.assigneeId).filter((id): id is number => id !== null))];
  const byId = new Map<number, AgentRef>();
  if (assigneeIds.length) {
    for (const a of await tx.select().from(agents).where(inArray(agents.id, assigneeIds)))
      byId.set(a.id, { platform: a.platform, userId: a.userId, name: a.name });
  }
  const needsDuty = pings.some((p) => p.notify === 'duty' || (p.notify === 'assignee' && (p.assigneeId === null || !byId.has(p.assigneeId))));
  const duty: AgentRef[] = needsDuty
    ? (await tx.select().from(agents).where(eq(agents.onDuty, true)).orderBy(agents.id)).map((a) => ({ platform: a.platform, userId: a.userId, name: a.name }))
    : [];
  const { roles } = deps.config;

  const groups = new Map<string, { surface: string; notify: string; mention: AgentRef[]; pings: Ping[] }>();
  for (const p of pings) {
    const assignee = p.assigneeId !== null ? byId.get(p.assigneeId) : undefined;
    const notify: Notify = p.notify === 'assignee' && !assignee ? 'duty' : p.notify;
    const people = notify === 'assignee' ? [assignee!] : notify === 'leads' ? roles.leads : notify === 'admins' ? roles.admins : duty;
    for (const surface of deps.agentSurfaces) {
      const mention = dedupe(people.filter((x) => x.platform === surface).map((x) => ({ platform: x.platform, userId: x.userId, name: x.name ?? null })));
      // Nobody on duty on this surface: the whole group is the audience.
      const shown = notify === 'duty' && mention.length === 0 ? 'all' : notify;
      const key = `${surface}|${shown}|${mention.map((m) => m.userId).join(',')}`;
      const g = groups.get(key) ?? { surface, notify: shown, mention, pings: [] };
      g.pings.push(p);
      groups.set(key, g);
    }
  }

  return [...groups.values()].map((g) => {
    const single = g.pings.length === 1 ? g.pings[0] : null;
    const keys = g.pings.map((p) => p.key).sort();
    return {
      channel: g.surface,
      kind: 'agents.text' as const,
      ticketId: single ? single.ticketId : null,
      payload: {
        text: single ? single.line : [`SLA 提醒（${g.pings.length} 项）：`, ...g.pings.map((p) => `• ${p.line}`)].join('\n'),
        notify: g.notify,
        mention: g.mention,
        items: g.pings.map((p) => ({ ticket: p.code, timer: p.key })),
      },
      // Same timers, same key: a retried sweep transaction cannot post the same group twice.
      idemKey: single ? `ping:${single.key}:${g.surface}` : `ping:${g.surface}:${createHash('sha256').update(keys.join('\n')).digest('hex').slice(0, 32)}`,
    };
  });
}

function dedupe(list: AgentRef[]): AgentRef[] {
  const seen = new Set<string>();
  return list.filter((x) => !seen.has(x.userId) && seen.add(x.userId)).sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
}
