import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { ERASED_TEXT } from '../core/hash.ts';
import type { ActionName, SlaView, TicketView } from '../../cards/view.ts';
import { categoryOf, type Config } from '../config.ts';
import type { BusinessCalendar } from '../core/calendar.ts';
import { elapsedMinutes, formatMinutes, formatMinutesEn, slaState } from '../core/sla.ts';
import { ticketPromise } from './promise.ts';
import { isWorkable, STATUS_LABELS, type Status } from '../core/ticket.ts';
import type { DbOrTx } from '../db/client.ts';
import { agents, customers, incidents, messages, ticketEvents, tickets } from '../db/schema/index.ts';
import { isContactChannel } from '../core/contact.ts';
import { cannedFor, fillPlaceholders, listCanned } from './canned.ts';
import type { TicketRow } from './store.ts';
import { excerpt } from '../core/text.ts';

export const CHANNEL_LABELS: Record<string, string> = {
  feishu: '飞书',
  dingtalk: '钉钉',
  web: '官网留言',
  email: '邮件',
  api: '开放接口',
  wecom: '微信客服',
  helpdesk: '飞书服务台',
  phone: '电话',
  visit: '来访',
  letter: '信函',
};

/** 张* / 138****5678 / a***@example.com: agents' cards and the default ledger never show full contacts. */
export function maskName(name: string | null | undefined): string {
  if (!name) return '匿名客户';
  if (name === ERASED_TEXT) return name; // erased on request: the ledger says so instead of masking it
  const chars = [...name.trim()];
  return chars.length <= 1 ? `${chars[0] ?? ''}*` : `${chars[0]}${'*'.repeat(Math.min(chars.length - 1, 2))}`;
}

export function maskContact(phone: string | null | undefined, email: string | null | undefined): string | null {
  if (phone) {
    const d = phone.replace(/\s+/g, '');
    return d.length >= 7 ? `${d.slice(0, 3)}****${d.slice(-4)}` : `${d.slice(0, 1)}****`;
  }
  if (email) {
    const [user, domain] = email.split('@');
    return `${user.slice(0, 1)}***@${domain ?? ''}`;
  }
  return null;
}

/** The SLA state of one target as the card shows it. Labels use the policy's clock ("24小时" of business time). */
export function slaView(row: TicketRow, calendar: BusinessCalendar, now: Date, target: 'first' | 'resolution' | 'next'): SlaView {
  const policy = row.slaPolicy;
  const clock = policy.clock;
  const minutes =
    target === 'first'
      ? policy.firstResponseMinutes
      : target === 'resolution'
        ? policy.resolutionMinutes
        : row.nextResponseSince
          ? policy.nextResponseMinutes
          : null;
  const doneAt = target === 'first' ? row.firstResponseAt : target === 'resolution' ? (row.resolvedAt ?? row.closedAt) : null;
  const paused = target === 'resolution';
  const s = slaState({
    policy,
    calendar,
    start: target === 'next' ? (row.nextResponseSince ?? row.createdAt) : row.createdAt,
    targetMinutes: minutes,
    pausedMinutes: paused ? row.slaPausedMinutes : 0,
    pausedSince: paused ? row.slaPausedSince : null,
    doneAt,
    now,
  });
  const due = s.dueAt ? s.dueAt.toISOString() : null;
  // Paused so far, this pause included, in the policy's clock.
  const pausedTotal = paused ? row.slaPausedMinutes + (row.slaPausedSince ? elapsedMinutes(policy, calendar, row.slaPausedSince, doneAt ?? now) : 0) : 0;
  const pausedNote = pausedTotal >= 1 ? `（累计暂停 ${formatMinutes(pausedTotal, clock)}）` : '';
  const pausedNoteEn = pausedTotal >= 1 ? ` (paused ${formatMinutesEn(pausedTotal, clock)} in total)` : '';
  switch (s.state) {
    case 'none':
      return { state: 'none', label: '无时限承诺', labelEn: 'No target', dueAt: null };
    case 'met':
      return { state: 'met', label: `已达成${pausedNote}`, labelEn: `Met${pausedNoteEn}`, dueAt: due };
    case 'paused':
      return {
        state: 'paused',
        label: `等待客户中（已暂停计时），剩余 ${formatMinutes(s.remainingMinutes ?? 0, clock)}${pausedNote}`,
        labelEn: `Paused (waiting on customer), ${formatMinutesEn(s.remainingMinutes ?? 0, clock)} left${pausedNoteEn}`,
        dueAt: due,
      };
    case 'breached': {
      // Lateness in wall-clock time: at night a business clock stands still, yet the customer is still waiting.
      const end = doneAt ?? (paused && row.slaPausedSince && s.dueAt && row.slaPausedSince > s.dueAt ? row.slaPausedSince : now);
      const late = s.dueAt ? Math.max(0, Math.ceil((end.getTime() - s.dueAt.getTime()) / 60_000 - 1e-9)) : (s.overdueMinutes ?? 0);
      return {
        state: 'breached',
        label: `已超时 ${formatMinutes(late, 'calendar')}${pausedNote}`,
        labelEn: `Breached by ${formatMinutesEn(late, 'calendar')}${pausedNoteEn}`,
        dueAt: due,
      };
    }
    case 'due_soon':
      return {
        state: 'due_soon',
        label: `即将超时，剩余 ${formatMinutes(s.remainingMinutes ?? 0, clock)}${pausedNote}`,
        labelEn: `Due soon: ${formatMinutesEn(s.remainingMinutes ?? 0, clock)} left${pausedNoteEn}`,
        dueAt: due,
      };
    default:
      return {
        state: 'on_track',
        label: `剩余 ${formatMinutes(s.remainingMinutes ?? 0, clock)}${pausedNote}`,
        labelEn: `${formatMinutesEn(s.remainingMinutes ?? 0, clock)} left${pausedNoteEn}`,
        dueAt: due,
      };
  }
}

export function actionsFor(status: Status, opts: { duplicates?: boolean } = {}): ActionName[] {
  if (!isWorkable(status)) return [];
  const base: ActionName[] =
    status === 'new' || status === 'reopened' ? ['claim', 'respond', 'resolve', 'reclassify', 'escalate'] : ['respond', 'resolve', 'reclassify', 'escalate'];
  return [...base, 'major', ...(opts.duplicates ? (['merge'] as const) : [])];
}

const SOURCE_LABELS: Record<string, string> = { rules: '规则', learned: '历史学习', default: '默认', customer: '客户选择', agent: '人工' };

/** Classification, likely duplicates still open, incident, merge target and canned replies of a ticket. */
async function triageView(
  db: DbOrTx,
  config: Config,
  calendar: BusinessCalendar,
  t: TicketRow,
  customerName: string,
): Promise<Pick<TicketView, 'classification' | 'duplicates' | 'incident' | 'mergedInto' | 'canned'>> {
  const workable = isWorkable(t.status);
  const info = t.triage;
  const dupIds = workable && !t.incidentId ? (info?.duplicates ?? []).map((d) => d.id) : [];
  const open = dupIds.length
    ? await db
        .select({ id: tickets.id, code: tickets.code, subject: tickets.subject })
        .from(tickets)
        .where(and(inArray(tickets.id, dupIds), sql`${tickets.status} <> 'closed'`))
    : [];
  const [inc] = t.incidentId
    ? await db.select({ code: incidents.code, count: incidents.ticketCount }).from(incidents).where(eq(incidents.id, t.incidentId))
    : [];
  const [into] = t.mergedIntoId ? await db.select({ code: tickets.code }).from(tickets).where(eq(tickets.id, t.mergedIntoId)) : [];
  const promise = ticketPromise(config, calendar, t);
  const canned = workable ? cannedFor(await listCanned(db, config), t.category).slice(0, 20) : [];
  return {
    classification: info
      ? { source: info.source, sourceLabel: SOURCE_LABELS[info.source] ?? info.source, confidence: info.confidence, reason: info.reason }
      : undefined,
    duplicates: (info?.duplicates ?? [])
      .filter((d) => open.some((o) => o.id === d.id))
      .map((d) => ({ code: d.code, subject: open.find((o) => o.id === d.id)!.subject, score: d.score })),
    incident: inc ? { code: inc.code, count: inc.count } : null,
    mergedInto: into?.code ?? null,
    canned: canned.map((c) => ({ id: c.id, title: c.title, text: fillPlaceholders(c.text, { customer: customerName, code: t.code, promise }) })),
  };
}

/** A message to this ticket's customer ended as a dead letter (see services.ts onDead). */
export async function undeliveredToCustomer(db: DbOrTx, ticketId: number): Promise<boolean> {
  const [row] = await db
    .select({ seq: ticketEvents.seq })
    .from(ticketEvents)
    .where(and(eq(ticketEvents.ticketId, ticketId), eq(ticketEvents.type, 'delivery_failed')))
    .limit(1);
  return !!row;
}

export async function loadTicketView(
  db: DbOrTx,
  config: Config,
  calendar: BusinessCalendar,
  ticketId: number,
  now: Date,
  baseUrl?: string,
): Promise<TicketView> {
  const [row] = await db
    .select({ t: tickets, c: customers, a: agents })
    .from(tickets)
    .innerJoin(customers, eq(customers.id, tickets.customerId))
    .leftJoin(agents, eq(agents.id, tickets.assigneeId))
    .where(eq(tickets.id, ticketId));
  if (!row) throw new Error(`ticket ${ticketId} not found`);
  const [lastIn] = await db
    .select({ body: messages.body })
    .from(messages)
    .where(and(eq(messages.ticketId, ticketId), eq(messages.direction, 'in')))
    .orderBy(desc(messages.id))
    .limit(1);
  const { t, c, a } = row;
  const cat = categoryOf(config, t.category);
  const body = lastIn?.body ?? t.subject;
  const triage = await triageView(db, config, calendar, t, maskName(c.name));
  return {
    ...triage,
    id: t.id,
    code: t.code,
    status: t.status,
    // The card says a silent customer is being called back, and how far it got (the notice named the person).
    statusLabel:
      t.status === 'resolved' && t.followUpSince
        ? `已解决·待电话回访（已尝试 ${t.followUpAttempts}/${config.survey.followUpAttempts} 次）`
        : (STATUS_LABELS[t.status] ?? t.status),
    category: { id: cat.id, name: cat.name, nameEn: cat.nameEn },
    categories: config.categories.map((x) => ({ id: x.id, name: x.name, nameEn: x.nameEn })),
    priority: t.priority,
    channel: t.channel,
    channelLabel: CHANNEL_LABELS[t.channel] ?? t.channel,
    customer: { name: maskName(c.name), contact: maskContact(c.phone, c.email) },
    subject: t.subject,
    excerpt: excerpt(body, 300),
    assignee: a ? { name: a.name ?? a.userId, platform: a.platform, userId: a.userId } : null,
    isMajor: t.isMajor,
    escalated: t.escalated,
    isProbe: t.isProbe,
    createdAt: t.createdAt.toISOString(),
    firstResponse: slaView(t, calendar, now, 'first'),
    resolution: slaView(t, calendar, now, 'resolution'),
    nextResponse: slaView(t, calendar, now, 'next'),
    paused: t.slaPausedSince !== null,
    reopenCount: t.reopenCount,
    csatScore: t.csatScore,
    csatComment: t.csatComment,
    actions: actionsFor(t.status, { duplicates: (triage.duplicates?.length ?? 0) > 0 }),
    callCustomer: isContactChannel(t.channel) && (await undeliveredToCustomer(db, t.id)),
    url: baseUrl ? `${baseUrl.replace(/\/$/, '')}/console/tickets/${t.code}` : null,
  };
}
