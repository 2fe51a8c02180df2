import { z } from 'zod';
import { DeskError } from '../../desk/errors.ts';
import type { CoreServices } from '../../services.ts';
import { Undeliverable } from '../types.ts';
import { isClosedStatus, HD_STATUS, type HelpdeskApi } from './api.ts';
import { kvKeys, ourTicketOf, type HelpdeskReplyTo, type PushedStatus } from './sender.ts';
import { cutText } from '../../core/text.ts';

/** Feishu gives 3 s for an answer; the same budget as the Feishu channel's. */
export const DEFAULT_TIME_BOX_MS = 2500;
const SOURCE = 'helpdesk';

// The SDK flattens envelopes: header fields and event fields side by side (an event's own `event_id` wins).
const userId = z.object({ open_id: z.string().optional(), union_id: z.string().optional(), user_id: z.string().nullish() }).partial();
const ticketEvent = z.object({
  ticket_id: z.string().min(1),
  guest: z.object({ id: userId.optional(), name: z.string().optional() }).optional(),
  status: z.number().optional(),
  score: z.number().optional(),
  chat_id: z.string().optional(),
  closed_by: z.object({ id: z.union([userId, z.string()]).optional(), name: z.string().optional() }).optional(),
});
const createdEvent = ticketEvent.extend({ event_id: z.string().optional() });
const updatedEvent = z.object({
  event_id: z.string().optional(),
  object: ticketEvent,
  old_object: z.object({ status: z.number().optional(), stage: z.number().optional() }).partial().optional(),
});
const messageEvent = z.object({
  event_id: z.string().optional(),
  message_id: z.string().min(1),
  msg_type: z.string().optional(),
  sender_id: userId.optional(),
  sender_type: z.number().optional(),
  text: z.string().optional(),
  chat_id: z.string().optional(),
  ticket: z.object({ ticket_id: z.string().min(1), status: z.number().optional() }),
  content: z
    .object({ content: z.string().optional(), msg_type: z.string().optional(), image_keys: z.array(z.string()).optional(), image_key: z.string().optional() })
    .partial()
    .optional(),
});

/** What we know of a helpdesk ticket's customer. */
export interface HelpdeskTicketRef {
  guestOpenId: string;
  guestName?: string;
  chatId?: string;
}

/** "5", "5分", " 3 " — a survey answer while our ticket waits for one. */
const SCORE = /^\s*([1-5])\s*分?\s*[。.!！]?\s*$/;

export interface HelpdeskInboundDeps {
  core: CoreServices;
  hd: HelpdeskApi;
  timeBoxMs?: number;
  onInbound?(): void;
}

/**
 * The helpdesk's events, delivered through the Feishu app's event subscription (webhook or long connection):
 * the customer's messages become (or join) tickets, a bare 1–5 answers a pending survey, the helpdesk's own rating
 * answers it too, and a helpdesk ticket closed on their side is recorded on ours and told to the agents.
 *
 * Who is the customer: the ticket's guest (from the ticket events, else a ticket lookup). Messages from anyone else
 * in the ticket (the helpdesk bot, human helpdesk agents, our own relayed replies) are not customer feedback.
 */
export function createHelpdeskInbound(deps: HelpdeskInboundDeps) {
  const { core, hd } = deps;
  const { desk, store, log, clock } = core;
  const { kv } = store;
  const budget = deps.timeBoxMs ?? DEFAULT_TIME_BOX_MS;

  async function timeBox(work: Promise<unknown>, what: string): Promise<Record<string, never>> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), budget)));
    const done = await Promise.race([work, deadline]).finally(() => clearTimeout(timer));
    if (done === 'late') {
      log.warn('helpdesk handler over budget; answered early', { what, budgetMs: budget });
      work.catch((e) => log.error('helpdesk late work failed', { what, err: String(e) }));
    }
    return {};
  }

  const seen = (key: string) => store.seen(SOURCE, key);
  /** Receipts are written by the use case, in the transaction of the change they record (desk/receipts.ts). */
  const receiptOf = (key: string) => ({ source: SOURCE, keys: [key] });
  const alreadyHandled = (e: unknown) => e instanceof DeskError && e.code === 'already_handled';

  async function remember(ticketId: string, ref: HelpdeskTicketRef): Promise<void> {
    const known = await kv.get<HelpdeskTicketRef>(kvKeys.ticket(ticketId));
    const next = { ...known, ...Object.fromEntries(Object.entries(ref).filter(([, v]) => v)) } as HelpdeskTicketRef;
    if (JSON.stringify(next) !== JSON.stringify(known)) await kv.set(kvKeys.ticket(ticketId), next, clock.now());
  }

  /** The ticket's customer: remembered from its events, or looked up once (a message may beat ticket.created). */
  async function refOf(ticketId: string): Promise<HelpdeskTicketRef | undefined> {
    const known = await kv.get<HelpdeskTicketRef>(kvKeys.ticket(ticketId));
    if (known?.guestOpenId) return known;
    let t;
    try {
      t = await hd.get(ticketId);
    } catch (e) {
      // Not ours to see (another helpdesk, a deleted ticket): drop it. A transient failure is re-pushed by Feishu.
      if (!(e instanceof Undeliverable)) throw e;
      log.info('helpdesk ticket lookup refused; message dropped', { ticketId, err: e.message });
      return undefined;
    }
    if (!t?.guestId) return undefined;
    const ref = { guestOpenId: t.guestId, guestName: t.guestName };
    await remember(ticketId, ref);
    return ref;
  }

  async function onTicketCreated(data: unknown): Promise<void> {
    const e = createdEvent.safeParse(data);
    if (!e.success) return log.warn('helpdesk ticket event not understood', { issues: e.error.issues.slice(0, 3) });
    const open = e.data.guest?.id?.open_id;
    if (open) await remember(e.data.ticket_id, { guestOpenId: open, guestName: e.data.guest?.name, chatId: e.data.chat_id });
  }

  async function answerSurvey(hdTicketId: string, guest: string, score: number, key: string, via: string): Promise<boolean> {
    const ours = await ourTicketOf(store, hdTicketId);
    if (!ours) return false;
    // Answered before (a re-push): it was this survey's answer, not a new message.
    if (ours.status !== 'resolved') return seen(key);
    try {
      await desk.answerSurvey({ ticket: ours.code, channel: SOURCE, customerExternalId: guest, score, receipt: receiptOf(key) });
    } catch (err) {
      if (!(err instanceof DeskError)) throw err;
      if (!alreadyHandled(err)) log.info('helpdesk survey answer refused', { code: ours.code, via, reason: err.message });
    }
    return true;
  }

  async function onMessage(data: unknown): Promise<void> {
    const parsed = messageEvent.safeParse(data);
    if (!parsed.success) return log.warn('helpdesk message event not understood', { issues: parsed.error.issues.slice(0, 3) });
    const e = parsed.data;
    const hdTicketId = e.ticket.ticket_id;
    const sender = e.sender_id?.open_id;
    const ref = sender ? await refOf(hdTicketId) : undefined;
    if (!sender || !ref || sender !== ref.guestOpenId) return;
    deps.onInbound?.();

    const text = (e.text ?? e.content?.content ?? '').trim();
    const images = [...(e.content?.image_keys ?? []), ...(e.content?.image_key ? [e.content.image_key] : [])];
    // Images stay on Feishu: GET /open-apis/helpdesk/v1/ticket_images?ticket_id=…&msg_id=… fetches them.
    const attachments = [...new Set(images)].map((key) => ({ kind: 'image', ref: `helpdesk:${hdTicketId}/${e.message_id}/${key}` }));

    const score = SCORE.exec(text);
    // A re-push of a "5" that was an ordinary message earlier must not become a survey answer now.
    if (
      score &&
      attachments.length === 0 &&
      !(await seen(e.message_id)) &&
      (await answerSurvey(hdTicketId, sender, Number(score[1]), `survey:${e.message_id}`, 'message'))
    )
      return;
    if (!text && attachments.length === 0) return;

    const replyTo: HelpdeskReplyTo = {
      helpdeskTicketId: hdTicketId,
      guestOpenId: sender,
      ...(ref.chatId || e.chat_id ? { chatId: ref.chatId ?? e.chat_id } : {}),
    };
    const r = await desk.intake({
      channel: SOURCE,
      dedupeKey: e.message_id,
      extraDedupeKeys: e.event_id ? [`event:${e.event_id}`] : [],
      customer: { externalId: sender, ...(ref.guestName ? { name: cutText(ref.guestName, 100) } : {}) },
      replyTo: { ...replyTo },
      text: text || '[图片]',
      attachments,
    });
    // The customer came back through a new helpdesk ticket while ours was still open: answer them there.
    if (!r.created && !r.duplicate) await desk.rerouteReplies({ ticketId: r.ticketId, replyTo: { ...replyTo }, unlessField: 'helpdeskTicketId' });
  }

  /** Their ticket closed and not by us: the event log says so, and the agents are told (once). */
  async function recordClosedThere(hdTicketId: string, status: number, closedBy: string | undefined, guest: string | undefined): Promise<void> {
    const pushed = await kv.get<PushedStatus>(kvKeys.pushed(hdTicketId));
    if (pushed && isClosedStatus(pushed.status)) return;
    const now = clock.now();
    await kv.set(kvKeys.closed(hdTicketId), { status, closedBy: closedBy ?? null, at: now.toISOString() }, now);
    const ours = await ourTicketOf(store, hdTicketId);
    if (!ours) return;
    const byCustomer = !!closedBy && closedBy === guest;
    await desk
      .recordTwinClosed({
        ticketId: ours.id,
        helpdeskTicketId: hdTicketId,
        helpdeskStatus: status,
        closedBy,
        byCustomer,
        receipt: receiptOf(`closed:${hdTicketId}`),
      })
      .catch((e: unknown) => {
        if (!alreadyHandled(e)) throw e;
      });
  }

  async function onTicketUpdated(data: unknown): Promise<void> {
    const parsed = updatedEvent.safeParse(data);
    if (!parsed.success) return log.warn('helpdesk ticket update not understood', { issues: parsed.error.issues.slice(0, 3) });
    const { object: t, old_object: old } = parsed.data;
    const guest = t.guest?.id?.open_id;
    if (guest) await remember(t.ticket_id, { guestOpenId: guest, guestName: t.guest?.name, chatId: t.chat_id });
    const ref = guest ? { guestOpenId: guest } : await kv.get<HelpdeskTicketRef>(kvKeys.ticket(t.ticket_id));
    // The helpdesk's own satisfaction rating, when it uses the same 1–5 scale.
    if (ref?.guestOpenId && t.score && t.score >= 1 && t.score <= 5 && Number.isInteger(t.score)) {
      await answerSurvey(t.ticket_id, ref.guestOpenId, t.score, `rating:${t.ticket_id}`, 'helpdesk rating');
    }
    if (isClosedStatus(t.status) && !isClosedStatus(old?.status)) {
      const by = t.closed_by?.id;
      const closedBy = typeof by === 'string' ? by : by?.open_id;
      await recordClosedThere(t.ticket_id, t.status ?? HD_STATUS.closedByAgent, closedBy, ref?.guestOpenId);
    }
  }

  const timed = (what: string, fn: (d: unknown) => Promise<void>) => (data: unknown) => timeBox(fn(data), what);
  return {
    handlers: {
      'helpdesk.ticket.created_v1': timed('helpdesk.ticket.created_v1', onTicketCreated),
      'helpdesk.ticket.updated_v1': timed('helpdesk.ticket.updated_v1', onTicketUpdated),
      'helpdesk.ticket_message.created_v1': timed('helpdesk.ticket_message.created_v1', onMessage),
    },
    onMessage,
    onTicketCreated,
    onTicketUpdated,
  };
}
export type HelpdeskInbound = ReturnType<typeof createHelpdeskInbound>;
