import { ticketCodePrefix } from '../core/ticket-code.ts';
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { categoryOf } from '../config.ts';
import { classify } from '../core/classify.ts';
import { initialState, isWorkable, transition, type TicketEvent } from '../core/ticket.ts';
import { dueAt, elapsedMinutes } from '../core/sla.ts';
import { majorCategoryOf, majorPromiseChange, promisePolicy } from './major-promise.ts';
import { customerPromise } from '../core/promise.ts';
import { ticketPromise } from './promise.ts';
import { customers, inboundReceipts, messages, tickets } from '../db/schema/index.ts';
import type { DeskDeps } from './deps.ts';
import { DeskError } from './errors.ts';
import { agentActor, customerActor, SYSTEM } from './deps.ts';
import { isContactChannel } from '../core/contact.ts';
import { appendEvents, enqueue, lockOpenTicketOf, newAccessToken, nextTicketCode, stateOf } from './store.ts';
import { syncTimers } from './timers.ts';
import { assignmentCandidates, takeTurn } from './assign.ts';
import { placeInIncident } from './incidents.ts';
import { categoryChoice, currentModel, majorSignal, similarOpenTickets, triageInfo, unansweredIsMajor, unansweredRun } from './triage.ts';
import { cutText } from '../core/text.ts';
import { createGate, type Gate } from '../core/gate.ts';
import type { Database, Tx } from '../db/client.ts';

const attachment = z.object({ kind: z.string(), name: z.string().optional(), ref: z.string() });

/** What every channel hands the desk: one customer message, normalised. */
export const inboundMessageSchema = z.object({
  channel: z.string().min(1),
  /** The platform's id for this message (Feishu message_id, DingTalk msgId, web submission id…). */
  dedupeKey: z.string().min(1),
  /** Other ids of the same delivery (Feishu event_id): any of them seen before → duplicate. */
  extraDedupeKeys: z.array(z.string().min(1)).default([]),
  customer: z.object({
    externalId: z.string().min(1),
    name: z.string().max(100).optional(),
    phone: z.string().max(40).optional(),
    email: z.string().max(200).optional(),
  }),
  replyTo: z.record(z.string(), z.unknown()),
  text: z.string(),
  attachments: z.array(attachment).default([]),
  /** A category the customer chose (web form); classification decides otherwise. */
  category: z.string().optional(),
  isProbe: z.boolean().default(false),
  receivedAt: z.date().optional(),
  /** A phone call, visit or letter typed in by an agent: who recorded it (kept on the event). */
  recordedBy: z.object({ platform: z.string(), userId: z.string(), name: z.string().nullish() }).optional(),
  /** Consent to processing the contact for this request (web form), with a digest of the notice shown. */
  consent: z.object({ given: z.boolean(), notice: z.string() }).optional(),
});
export type InboundMessage = z.input<typeof inboundMessageSchema>;

export interface IntakeResult {
  ticketId: number;
  code: string;
  accessToken: string;
  /** false when the message joined an open ticket */
  created: boolean;
  /** true when this platform id was seen before: nothing changed */
  duplicate: boolean;
  promise: string;
}

/**
 * Intake transactions in flight per database. PGlite has one connection and serves queries in arrival order, so a
 * burst of queued intakes would make every card send and click wait behind all of them: one intake at a time leaves
 * the others waiting here, and an outbox claim or a click waits for one intake at most. On PostgreSQL the pool has
 * 10 connections; intakes take at most 6 of them.
 */
export const INTAKE_SLOTS = { pglite: 1, postgres: 6 } as const;
const gates = new WeakMap<Database, Gate>();
export function intakeGate(database: Database): Gate {
  let gate = gates.get(database);
  if (!gate) gates.set(database, (gate = createGate(INTAKE_SLOTS[database.kind])));
  return gate;
}

export async function intake(deps: DeskDeps, input: InboundMessage): Promise<IntakeResult> {
  const msg = inboundMessageSchema.parse(input);
  const { config, calendar } = deps;
  const now = msg.receivedAt ?? deps.clock.now();
  const text = msg.text.trim();
  if (!text && msg.attachments.length === 0) throw new DeskError('empty_text', '消息内容为空');
  // Read before the transaction: the model is cached, and PGlite cannot run a query beside an open transaction.
  const model = await currentModel(deps, now.getTime());

  const result = await intakeGate(deps.database)
    .run(() =>
      deps.database.db.transaction(async (tx) => {
        // Receipts first: a concurrent re-delivery blocks on the unique key until we commit, then sees the conflict.
        const keys = [msg.dedupeKey, ...msg.extraDedupeKeys].map((k) => ({ source: msg.channel, externalId: k }));
        const fresh = await tx.insert(inboundReceipts).values(keys).onConflictDoNothing().returning({ externalId: inboundReceipts.externalId });
        if (fresh.length < keys.length) {
          // Some id was seen: undo our new receipts by rolling back, then report the ticket of the original delivery.
          throw new Duplicate();
        }

        const [customer] = await tx
          .insert(customers)
          .values({ channel: msg.channel, externalId: msg.customer.externalId, name: msg.customer.name, phone: msg.customer.phone, email: msg.customer.email })
          .onConflictDoUpdate({
            target: [customers.channel, customers.externalId],
            set: {
              name: sql`coalesce(excluded.name, ${customers.name})`,
              phone: sql`coalesce(excluded.phone, ${customers.phone})`,
              email: sql`coalesce(excluded.email, ${customers.email})`,
            },
          })
          .returning({ id: customers.id, isSandbox: customers.isSandbox });
        const actor = customerActor(customer.id);

        const open = await lockOpenTicketOf(tx, customer.id, msg.channel);
        if (open) {
          // Joins the customer's open ticket; a paused clock resumes.
          const { patch, events } = transition(stateOf(open), { type: 'customerMessage', text }, now) as {
            patch: Partial<typeof open>;
            events: Array<TicketEvent & { actor?: string }>;
          };
          // Escalation risk in this message, or the customer's Nth message nobody has answered.
          if (!open.isMajor && !msg.isProbe) {
            const signal = majorSignal(text);
            const run = signal.major ? null : await unansweredRun(tx, open.id);
            const unanswered = run && unansweredIsMajor(deps, { count: run.count + 1, since: run.since ?? now }, now);
            if (signal.major || unanswered) {
              const reasons = signal.major ? signal.reasons : [`客户连续 ${run!.count + 1} 条消息未获回复`];
              patch.isMajor = true;
              events.push({ type: 'major_flagged', actor: SYSTEM, data: { agentId: null, reason: reasons.join('；'), reasons, matches: signal.matches } });
            }
          }
          const policy = open.slaPolicy;
          let pausedMinutes = open.slaPausedMinutes;
          if (open.slaPausedSince) pausedMinutes += elapsedMinutes(policy, calendar, open.slaPausedSince, now);
          const resolutionDueAt =
            policy.resolutionMinutes && open.slaPausedSince
              ? dueAt(policy, calendar, open.createdAt, policy.resolutionMinutes, pausedMinutes)
              : open.resolutionDueAt;
          if (open.slaPausedSince) events[0].data.pausedMinutes = pausedMinutes - open.slaPausedMinutes;
          // A message that makes the ticket a major complaint puts it under the major promise (and in 投诉).
          const flagged = patch.isMajor && !open.isMajor;
          const promiseChange = flagged ? majorPromiseChange(config, calendar, { ...open, slaPausedMinutes: pausedMinutes, resolutionDueAt }, true) : null;
          if (promiseChange) events.push({ ...promiseChange.event, actor: SYSTEM });
          const [updated] = await tx
            .update(tickets)
            .set({
              ...patch,
              slaPausedMinutes: pausedMinutes,
              slaPausedSince: null,
              resolutionDueAt,
              ...promiseChange?.patch,
              lastCustomerMessageAt: now,
              nextResponseSince: nextResponseSinceAfter(open, now),
              updatedAt: now,
            })
            .where(eq(tickets.id, open.id))
            .returning();
          await syncTimers(tx, deps, updated, now);
          const message = await insertCustomerMessage(tx, open.id, customer.id, msg, text, now);
          events[0].data.messageId = message.id;
          if (msg.recordedBy) events[0].data.recordedBy = recorder(msg.recordedBy);
          const [seq] = await appendEvents(tx, open.id, actor, now, events);
          await tx
            .update(inboundReceipts)
            .set({ ticketId: open.id })
            .where(sql`${inboundReceipts.source} = ${msg.channel} and ${inboundReceipts.externalId} in ${keys.map((k) => k.externalId)}`);
          await enqueue(
            tx,
            now,
            deps.agentSurfaces.map((s) => ({ channel: s, kind: 'agents.card' as const, ticketId: open.id, idemKey: `card:${open.id}:${seq}:${s}` })),
          );
          return {
            ticketId: open.id,
            code: open.code,
            accessToken: open.accessToken,
            created: false,
            duplicate: false,
            promise: ticketPromise(config, calendar, updated),
          };
        }

        const chosen = msg.category && config.categories.some((c) => c.id === msg.category) ? msg.category : undefined;
        const cls = chosen ? categoryChoice(deps, chosen) : classify(config, text, model);
        const major = msg.isProbe ? null : majorSignal(text);
        // A major complaint is a complaint under its own promise, whatever the words looked like (never 「其他类问题」).
        const category = categoryOf(config, major?.major ? (majorCategoryOf(config) ?? cls.category) : cls.category);
        const priority = category.id !== cls.category ? category.priority : cls.priority;
        // A burst of similar tickets shares one incident card; otherwise likely duplicates are shown on the card.
        const gist = subjectOf(text);
        const placement = msg.isProbe || !text ? null : await placeInIncident(tx, deps, { text: gist, customerId: customer.id }, now);
        const duplicates =
          msg.isProbe || placement || !text
            ? []
            : (
                await similarOpenTickets(tx, {
                  text: gist,
                  since: new Date(now.getTime() - config.triage.duplicates.windowHours * 3_600_000),
                  threshold: config.triage.duplicates.threshold,
                  excludeCustomerId: customer.id,
                })
              )
                .slice(0, 3)
                .map((d) => ({ id: d.id, code: d.code, score: Math.round(d.score * 100) / 100 }));
        // Incident members are worked together from the incident card; others may be handed to an agent on duty.
        const candidates = msg.isProbe || placement ? null : await assignmentCandidates(tx, deps, category.id, now);
        const policy = promisePolicy(config, calendar, category.id, major?.major ?? false);
        const promise = customerPromise({ categoryName: category.name, policy, calendar, receivedAt: now, hours: config.calendar.hours }).text;
        // The day's counter row is locked from the moment the number is taken until commit, and every intake of the day
        // takes it (the rotation's cursor likewise): so the ticket is written under a placeholder and numbered and
        // assigned last, in the few statements that need them (ticket row, events, acknowledgement). Same transaction,
        // so a failure rolls the number back: no gaps.
        const [draft] = await tx
          .insert(tickets)
          .values({
            code: `~${newAccessToken()}`,
            channel: msg.channel,
            customerId: customer.id,
            replyTo: msg.replyTo,
            subject: gist,
            category: category.id,
            priority,
            status: 'new',
            accessToken: newAccessToken(),
            isProbe: msg.isProbe,
            // Only the sandbox makes sandbox customers, so this flag cannot be claimed from outside.
            isSandbox: customer.isSandbox,
            isMajor: major?.major ?? false,
            triage: {
              ...triageInfo(cls),
              ...(category.id !== cls.category ? { reason: `重大投诉，由「${categoryOf(config, cls.category).name}」转为「${category.name}」` } : {}),
              ...(duplicates.length ? { duplicates } : {}),
            },
            incidentId: placement?.incidentId ?? null,
            createdAt: now,
            lastCustomerMessageAt: now,
            firstResponseDueAt: policy.firstResponseMinutes ? dueAt(policy, calendar, now, policy.firstResponseMinutes) : null,
            resolutionDueAt: policy.resolutionMinutes ? dueAt(policy, calendar, now, policy.resolutionMinutes) : null,
            slaPolicy: policy,
            updatedAt: now,
          })
          .returning();
        // A major complaint's timers page the leads naming the code: those wait for the number.
        if (!draft.isMajor) await syncTimers(tx, deps, draft, now, { fresh: true });
        const message = await insertCustomerMessage(tx, draft.id, customer.id, msg, text, now);
        await tx
          .update(inboundReceipts)
          .set({ ticketId: draft.id })
          .where(sql`${inboundReceipts.source} = ${msg.channel} and ${inboundReceipts.externalId} in ${keys.map((k) => k.externalId)}`);

        const code = await nextTicketCode(tx, calendar.localDate(now), ticketCodePrefix(msg.isProbe));
        const assignment = candidates ? await takeTurn(tx, candidates, now) : null;
        const assigned = assignment ? transition(initialState(category.id), { type: 'assign', agentId: assignment.agentId, rule: assignment.rule }, now) : null;
        const [ticket] = await tx
          .update(tickets)
          .set({
            code,
            ...(assigned && assignment ? { status: assigned.patch.status, assigneeId: assignment.agentId, claimedAt: assigned.patch.claimedAt } : {}),
          })
          .where(eq(tickets.id, draft.id))
          .returning();
        if (ticket.isMajor) await syncTimers(tx, deps, ticket, now, { fresh: true });
        // The promise text is kept in the log as evidence of what the customer was told; the acknowledgement is the
        // bot's (it does not count as a first response).
        const triageEvents: Array<TicketEvent & { actor?: string }> = [
          ...(major?.major
            ? [
                {
                  type: 'major_flagged',
                  actor: SYSTEM,
                  data: { agentId: null, reason: major.reasons.join('；'), reasons: major.reasons, matches: major.matches },
                },
              ]
            : []),
          ...(placement
            ? [{ type: 'incident_joined', actor: SYSTEM, data: { incident: placement.code, created: placement.created, score: placement.score } }]
            : []),
          ...(assigned && assignment
            ? assigned.events.map((e) => ({ ...e, actor: SYSTEM, data: { ...e.data, agent: `${assignment.agent.platform}:${assignment.agent.userId}` } }))
            : []),
        ];
        const seqs = await appendEvents(tx, ticket.id, actor, now, [
          {
            type: 'created',
            data: {
              code,
              channel: msg.channel,
              category: category.id,
              ...(category.id !== cls.category ? { classifiedAs: cls.category } : {}),
              priority,
              confidence: cls.confidence,
              reason: cls.reason,
              source: cls.source,
              probe: msg.isProbe,
              ...(customer.isSandbox ? { sandbox: true } : {}),
              messageId: message.id,
              policy,
              ...(msg.recordedBy ? { recordedBy: recorder(msg.recordedBy) } : {}),
              ...(msg.consent ? { consent: msg.consent } : {}),
            },
          },
          ...triageEvents,
          { type: 'acknowledged', actor: SYSTEM, data: { text: ackText(code, promise, msg.channel) } },
        ]);
        const ackSeq = seqs[seqs.length - 1];
        await enqueue(tx, now, [
          {
            channel: msg.channel,
            kind: 'customer.text',
            ticketId: ticket.id,
            payload: { text: ackText(code, promise, msg.channel), purpose: 'ack' },
            idemKey: `ack:${ticket.id}:${ackSeq}`,
          },
          ...deps.agentSurfaces.map((s) => ({ channel: s, kind: 'agents.card' as const, ticketId: ticket.id, idemKey: `card:${ticket.id}:${seqs[0]}:${s}` })),
        ]);
        return { ticketId: ticket.id, code, accessToken: ticket.accessToken, created: true, duplicate: false, promise };
      }),
    )
    .catch(async (e) => {
      if (!(e instanceof Duplicate)) throw e;
      return duplicateResult(deps, msg, text);
    });
  deps.wake();
  return result;
}

/**
 * The next-response target runs from the first customer message an agent has not answered yet, once the ticket has
 * had its first response (before that, the first-response target covers it) and while agents work it.
 */
/** The customer's message on their ticket (new or open), keyed by the platform's message id against re-delivery. */
async function insertCustomerMessage(tx: Tx, ticketId: number, customerId: number, msg: z.output<typeof inboundMessageSchema>, text: string, now: Date) {
  const [message] = await tx
    .insert(messages)
    .values({
      ticketId,
      direction: 'in',
      authorKind: 'customer',
      authorId: String(customerId),
      body: text,
      attachments: msg.attachments,
      platformMessageId: msg.dedupeKey,
      createdAt: now,
    })
    .returning({ id: messages.id });
  return message;
}

function nextResponseSinceAfter(t: typeof tickets.$inferSelect, now: Date): Date | null {
  if (t.nextResponseSince) return t.nextResponseSince;
  return t.firstResponseAt && isWorkable(t.status) ? now : null;
}

class Duplicate extends Error {}

/**
 * The ticket of the original delivery, but only for its own sender with the same words: a delivery id is not a
 * secret (a form's submissionId, a follow-up id), so a reused one from someone else must not hand over their link.
 */
async function duplicateResult(deps: DeskDeps, msg: z.output<typeof inboundMessageSchema>, text: string): Promise<IntakeResult> {
  const keys = [msg.dedupeKey, ...msg.extraDedupeKeys];
  const [row] = await deps.database.db
    .select({
      id: tickets.id,
      code: tickets.code,
      accessToken: tickets.accessToken,
      category: tickets.category,
      slaPolicy: tickets.slaPolicy,
      createdAt: tickets.createdAt,
      firstResponseDueAt: tickets.firstResponseDueAt,
      customer: customers,
    })
    .from(inboundReceipts)
    .innerJoin(tickets, eq(tickets.id, inboundReceipts.ticketId))
    .innerJoin(customers, eq(customers.id, tickets.customerId))
    .where(sql`${inboundReceipts.source} = ${msg.channel} and ${inboundReceipts.externalId} in ${keys}`)
    .limit(1);
  if (!row) throw new Error(`duplicate delivery ${keys.join(',')} without a ticket`);
  const [original] = await deps.database.db
    .select({ body: messages.body })
    .from(messages)
    .where(sql`${messages.ticketId} = ${row.id} and ${messages.platformMessageId} = ${msg.dedupeKey} and ${messages.direction} = 'in'`)
    .limit(1);
  const given = msg.customer;
  const sameSender =
    row.customer.channel === msg.channel &&
    row.customer.externalId === given.externalId &&
    (given.phone === undefined || given.phone === row.customer.phone) &&
    (given.email === undefined || given.email === row.customer.email);
  if (!sameSender || (original && original.body !== text)) throw new DeskError('reused_id', '该提交编号已被使用，请刷新页面后重新提交');
  return {
    ticketId: row.id,
    code: row.code,
    accessToken: row.accessToken,
    created: false,
    duplicate: true,
    promise: ticketPromise(deps.config, deps.calendar, row),
  };
}

export function ackText(code: string, promise: string, channel?: string): string {
  // A customer outside a chat cannot "reply to this conversation": their e-mail or SMS carries the private link.
  const more = channel && isContactChannel(channel) ? '如需补充，请通过下方链接提交。' : '如需补充，直接回复本对话即可。';
  return `您好，我们已收到您的反馈，工单号 ${code}。${promise}${more}`;
}

/** The agent who typed in a phone call, visit or letter, as the event log names them. */
const recorder = (a: { platform: string; userId: string; name?: string | null }) => ({ actor: agentActor(a.platform, a.userId), name: a.name ?? null });

function subjectOf(text: string): string {
  const first = text.split('\n').find((l) => l.trim()) ?? text;
  return cutText(first.trim(), 80) || '（附件）';
}
