import * as lark from '@larksuiteoapi/node-sdk';
import { z } from 'zod';
import { renderIncidentCard, renderSurveyCard, renderTicketCard, toast, type CallbackAnswer } from '../../../cards/feishu/index.ts';
import { WAIT_YES } from '../../../cards/feishu/ticket.ts';
import { DeskError, type DeskErrorCode } from '../../desk/errors.ts';
import { runTicketAction } from '../../desk/action-table.ts';
import type { DeliveryReceipt } from '../../desk/receipts.ts';
import type { CoreServices } from '../../services.ts';
import { sdkLogger, type FeishuApi } from './client.ts';
import type { FeishuSettings } from './config.ts';
import type { FeishuReplyTo } from './sender.ts';
import { cleanDeep, cutText } from '../../core/text.ts';
import { TICKET_CODE } from '../../core/ticket-code.ts';

/** Feishu gives 3 s for an answer (events and card callbacks); leave room for the network. */
export const DEFAULT_TIME_BOX_MS = 2500;

type Mention = { key: string; id?: { open_id?: string }; name?: string; mentioned_type?: string };
export interface MessageEvent {
  event_id?: string;
  sender: { sender_id?: { open_id?: string }; sender_type?: string };
  message: {
    message_id: string;
    root_id?: string;
    parent_id?: string;
    chat_id: string;
    chat_type: string;
    message_type: string;
    content: string;
    mentions?: Mention[];
  };
}
export interface CardActionEvent {
  event_id?: string;
  operator: { open_id?: string };
  action: { value?: unknown; form_value?: Record<string, unknown>; option?: string };
  context?: { open_message_id?: string; open_chat_id?: string };
}

const CODE = TICKET_CODE;
const actionValue = z.object({
  action: z.enum(['claim', 'respond', 'resolve', 'reclassify', 'escalate', 'csat', 'merge', 'major']),
  ticket: z.string().regex(CODE),
  score: z.coerce.number().int().min(1).max(5).optional(),
  into: z.string().regex(CODE).optional(),
  major: z.boolean().optional(),
});
const incidentValue = z.object({ action: z.enum(['incident_reply', 'incident_resolve']), incident: z.string().regex(/^INC-\d{8}-\d{2,}$/) });

export interface Parsed {
  text: string;
  attachments: Array<{ kind: string; name?: string; ref: string }>;
  mentionsBot: boolean;
}

/**
 * text / post / image / file → text plus attachment references (`<message_id>/<key>`: the agent opens them with
 * GET /open-apis/im/v1/messages/:message_id/resources/:key). `@_user_N` placeholders become names; the bot's own
 * mention is dropped.
 */
export function parseMessage(m: MessageEvent['message'], botOpenId: string | null): Parsed {
  const isBot = (x: Mention) => (botOpenId ? x.id?.open_id === botOpenId : x.mentioned_type === 'bot');
  // Signed events still come in odd shapes (`content: "null"`, mentions that are not a list): read defensively.
  const mentions = (Array.isArray(m.mentions) ? m.mentions : []).filter((x): x is Mention => isObject(x) && typeof x.key === 'string' && x.key !== '');
  const mentionsBot = mentions.some(isBot);
  const named = (s: string) =>
    mentions
      .reduce((acc, x) => acc.split(x.key).join(isBot(x) ? '' : `@${x.name ?? ''}`), s)
      .replace(/[ \t]+/g, ' ')
      .trim();
  let content: Record<string, unknown> = {};
  try {
    const value: unknown = JSON.parse(typeof m.content === 'string' && m.content ? m.content : '{}');
    if (isObject(value)) content = value;
  } catch {
    /* keep empty: an unreadable body still becomes a message with a type note */
  }
  const ref = (key: string) => `${m.message_id}/${key}`;
  switch (m.message_type) {
    case 'text':
      return { text: named(String(content.text ?? '')), attachments: [], mentionsBot };
    case 'post': {
      // Received posts are { title, content: [[{tag,…}]] } (some clients wrap them in a locale key).
      const wrapped = content.content ? content : Object.values(content)[0];
      const body = isObject(wrapped) ? wrapped : {};
      const attachments: Parsed['attachments'] = [];
      const paragraphs = Array.isArray(body.content) ? body.content : [];
      const lines = paragraphs.map((para: unknown) =>
        (Array.isArray(para) ? para : [])
          .filter(isObject)
          .map((raw) => {
            const el = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === 'string' ? v : undefined])) as Record<
              string,
              string | undefined
            >;
            if (el.tag === 'text') return el.text ?? '';
            if (el.tag === 'a') return `${el.text ?? ''}(${el.href ?? ''})`;
            if (el.tag === 'at') return el.user_id && mentions.find((x) => x.key === el.user_id && isBot(x)) ? '' : `@${el.user_name ?? el.user_id ?? ''}`;
            if (el.tag === 'img' && el.image_key) attachments.push({ kind: 'image', ref: ref(el.image_key) });
            if (el.tag === 'media' && el.file_key) attachments.push({ kind: 'file', ref: ref(el.file_key) });
            if (el.tag === 'code_block') return el.text ?? '';
            return '';
          })
          .join(''),
      );
      const title = typeof body.title === 'string' && body.title ? `${body.title}\n` : '';
      return { text: named(`${title}${lines.join('\n')}`), attachments, mentionsBot };
    }
    case 'image':
      return { text: '', attachments: [{ kind: 'image', ref: ref(String(content.image_key ?? '')) }], mentionsBot };
    case 'file':
      return { text: '', attachments: [{ kind: 'file', name: String(content.file_name ?? ''), ref: ref(String(content.file_key ?? '')) }], mentionsBot };
    default:
      return { text: `[${m.message_type} 消息]`, attachments: [], mentionsBot };
  }
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** What a message event must hold to be read at all; anything else is acknowledged and refused (Feishu re-pushes errors). */
const messageEventShape = z.object({
  message: z.object({
    message_id: z.string().min(1),
    chat_id: z.string().min(1),
    chat_type: z.string(),
    message_type: z.string(),
    content: z.string().optional(),
  }),
  sender: z.object({ sender_id: z.object({ open_id: z.string().min(1) }).optional(), sender_type: z.string().optional() }),
});

const REFUSAL_IS_ERROR: ReadonlySet<DeskErrorCode> = new Set(['forbidden', 'not_your_ticket', 'not_found', 'invalid', 'stale']);

export interface InboundDeps {
  core: CoreServices;
  settings: FeishuSettings;
  api: FeishuApi;
  timeBoxMs?: number;
}

/**
 * The two event handlers, shared by both modes (long connection and webhook): customer messages become tickets,
 * agents' group messages become commands or thread replies, card clicks act on tickets and answer surveys.
 */
export function createFeishuInbound(deps: InboundDeps) {
  const { core, settings, api } = deps;
  const { desk, store, log } = core;
  const budget = deps.timeBoxMs ?? DEFAULT_TIME_BOX_MS;

  /** Answer by the deadline whatever the database does; late work finishes on its own and is logged. */
  async function timeBox<T>(work: Promise<T>, late: () => T, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), budget)));
    const done = await Promise.race([work, deadline]).finally(() => clearTimeout(timer));
    if (done !== 'late') return done as T;
    log.warn('feishu handler over budget; answered early', { what, budgetMs: budget });
    work.catch((e) => log.error('feishu late work failed', { what, err: String(e) }));
    return late();
  }

  async function ticketOfCard(messageIds: string[]): Promise<{ id: number; code: string } | undefined> {
    const row = await store.ticket({ cardRef: { surface: 'feishu', refs: messageIds } });
    return row && { id: row.ticket.id, code: row.ticket.code };
  }

  async function onAgentMessage(e: MessageEvent, parsed: Parsed, openId: string): Promise<void> {
    const m = e.message;
    // Written by the use case in the transaction of what it does (desk/receipts.ts): a crash cannot lose a reply.
    const receipt = { source: 'feishu', keys: [m.message_id, ...(e.event_id ? [`event:${e.event_id}`] : [])] };
    const thread = [m.root_id, m.parent_id].filter((x): x is string => !!x);
    const ticket = await ticketOfCard(thread);
    const isCommand = parsed.text.startsWith('/');
    if (!ticket && !isCommand && !parsed.mentionsBot) return;
    const replyTo = { messageId: m.message_id, chatId: m.chat_id };
    const actor = { platform: 'feishu', userId: openId };
    try {
      if (ticket && !isCommand) {
        if (!parsed.text && parsed.attachments.length === 0) return;
        // @bot in the card's thread = an answer for the customer; without it, a note only agents see.
        const action = parsed.mentionsBot ? 'respond' : 'note';
        const body = parsed.text || parsed.attachments.map((a) => `[${a.kind === 'image' ? '图片' : '文件'} ${a.ref}]`).join(' ');
        try {
          await desk.act({ ticket: ticket.code, actor, viaAgentGroup: true, action, text: body, receipt });
        } catch (err) {
          if (!(err instanceof DeskError) || err.code === 'already_handled') throw err;
          await desk.enqueueReply('feishu', { kind: 'text', text: `${ticket.code}：${err.message}` }, m.message_id, replyTo, receipt);
        }
        return;
      }
      if (!isCommand) {
        await desk.enqueueReply('feishu', { kind: 'text', text: '在工单卡片上操作，或输入 /help 查看命令。' }, m.message_id, replyTo, receipt);
        return;
      }
      // A command may act before its answer is queued; a re-push runs it again, and the state machine refuses a
      // repeated action while the answer's outbox key keeps the first answer.
      const reply = await core.runCommand({ text: parsed.text, actor, viaAgentGroup: true, surface: 'feishu', deliveryId: m.message_id });
      // A ticket card in a command answer is a read-only copy: the buttons live on the ticket's own card.
      const answer = reply.kind === 'ticket' ? { ...reply, view: { ...reply.view, actions: [] } } : reply;
      await desk.enqueueReply('feishu', answer, m.message_id, replyTo, receipt);
    } catch (err) {
      if (err instanceof DeskError && err.code === 'already_handled') return;
      throw err;
    }
  }

  async function onMessage(e: MessageEvent): Promise<void> {
    if (!messageEventShape.safeParse(e).success) {
      log.warn('feishu message event refused: malformed', { eventId: typeof e?.event_id === 'string' ? e.event_id : undefined });
      return;
    }
    const m = e.message;
    const openId = e.sender?.sender_id?.open_id;
    if (!m || !openId || (e.sender.sender_type && e.sender.sender_type !== 'user')) return;
    const parsed = parseMessage(m, await api.botOpenId());
    if (settings.agentChatId && m.chat_id === settings.agentChatId) return onAgentMessage(e, parsed, openId);
    // In a customer group only what is addressed to the bot is feedback (with im:message.group_msg we see more).
    if (m.chat_type !== 'p2p' && !parsed.mentionsBot) return;
    if (!parsed.text && parsed.attachments.length === 0) return;
    const replyTo: FeishuReplyTo = { chatId: m.chat_id, chatType: m.chat_type, openId, messageId: m.message_id };
    await desk.intake({
      channel: 'feishu',
      dedupeKey: m.message_id,
      extraDedupeKeys: e.event_id ? [`event:${e.event_id}`] : [],
      customer: { externalId: openId },
      replyTo: { ...replyTo },
      text: parsed.text,
      attachments: parsed.attachments,
    });
  }

  /** The incident card's buttons act on every member ticket; the card must be the incident's own. */
  async function actOnIncident(
    e: CardActionEvent,
    v: z.infer<typeof incidentValue>,
    openId: string,
    receipt: DeliveryReceipt | undefined,
  ): Promise<CallbackAnswer> {
    const inc = await store.incidentByCode(v.incident);
    if (!inc) return toast('error', `找不到事件 ${v.incident}`);
    if (!e.context?.open_message_id || inc.cardRefs.feishu !== e.context.open_message_id) return toast('error', '卡片与事件不符，操作被拒绝');
    const reply = e.action.form_value?.reply;
    const r = await desk.incidentAct({
      incident: v.incident,
      actor: { platform: 'feishu', userId: openId },
      viaAgentGroup: !!settings.agentChatId && e.context.open_chat_id === settings.agentChatId,
      action: v.action,
      text: typeof reply === 'string' ? reply : undefined,
      receipt,
    });
    return toast('success', r.message, renderIncidentCard(await store.incidentView(inc.id)));
  }

  async function act(e: CardActionEvent, receipt: DeliveryReceipt | undefined): Promise<CallbackAnswer> {
    const incident = incidentValue.safeParse(e.action?.value);
    if (incident.success && e.operator?.open_id) return actOnIncident(e, incident.data, e.operator.open_id, receipt);
    const parsed = actionValue.safeParse(e.action?.value);
    const openId = e.operator?.open_id;
    if (!parsed.success || !openId) return toast('error', '无效的操作');
    const v = parsed.data;
    const form = e.action.form_value ?? {};
    const str = (x: unknown) => (typeof x === 'string' ? x : undefined);

    if (v.action === 'csat') {
      if (!v.score) return toast('error', '请选择 1–5 分');
      const comment = cutText(str(form.comment)?.trim() ?? '', 1000) || undefined;
      const r = await desk.answerSurvey({ ticket: v.ticket, channel: 'feishu', customerExternalId: openId, score: v.score, comment, receipt });
      const view = await core.deliveryContext.ticketView((await ticketOfCode(v.ticket))!.id);
      return toast('success', r.message, renderSurveyCard(view, core.config.company.name, { score: v.score, comment }));
    }

    // A button acts on the ticket of the card it sits on; a value naming another ticket is forged.
    const t = await ticketOfCode(v.ticket);
    if (!t) return toast('error', `找不到工单 ${v.ticket}`);
    if (!e.context?.open_message_id || t.cardRefs.feishu !== e.context.open_message_id) return toast('error', '卡片与工单不符，操作被拒绝');
    const viaAgentGroup = !!settings.agentChatId && e.context.open_chat_id === settings.agentChatId;
    if (v.action === 'merge' && !v.into) return toast('error', '无效的操作');
    // The one action table (desk/action-table.ts): the console's ticket page runs the same names the same way.
    const r = await runTicketAction(desk, {
      action: v.action,
      ticket: v.ticket,
      actor: { platform: 'feishu', userId: openId },
      viaAgentGroup,
      fields: {
        reply: v.action === 'respond' ? (str(form.reply) ?? '') : undefined,
        canned: str(form.canned),
        waitForCustomer: str(form.waitForCustomer) === WAIT_YES,
        category: str(form.category) ?? e.action.option,
        into: v.into,
        major: v.major,
      },
      receipt,
    });
    return toast('success', r.message, renderTicketCard(await core.deliveryContext.ticketView(r.ticketId)));
  }

  async function ticketOfCode(code: string) {
    return (await store.ticket({ code }))?.ticket;
  }

  /** Every click gets a toast: success with the new card, or the reason it was refused (nothing changed). */
  async function onCardAction(e: CardActionEvent): Promise<CallbackAnswer> {
    // The receipt is written by the use case, in the transaction of the change it records (an incident click: in
    // each member's transaction and the incident's, desk/incidents.ts).
    const receipt = e.event_id ? { source: 'feishu', keys: [`card:${e.event_id}`] } : undefined;
    const work = act(e, receipt).catch(async (err): Promise<CallbackAnswer> => {
      if (err instanceof DeskError && err.code === 'already_handled') return toast('info', err.message);
      if (err instanceof DeskError) return toast(REFUSAL_IS_ERROR.has(err.code) ? 'error' : 'warning', err.message);
      log.error('feishu card action failed', { err: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      return toast('error', '系统繁忙，请稍后重试');
    });
    return timeBox(work, () => toast('info', '正在处理，卡片稍后更新'), 'card.action.trigger');
  }

  /** Messages: a failure inside the budget is thrown (Feishu re-pushes, receipts dedupe); a late one is logged. */
  async function onMessageTimed(e: MessageEvent): Promise<Record<string, never>> {
    await timeBox(onMessage(e), () => undefined, 'im.message.receive_v1');
    return {};
  }

  const dispatcher = new lark.EventDispatcher({ logger: sdkLogger(log), loggerLevel: lark.LoggerLevel.warn }).register({
    // Ids and texts are cleaned before any lookup or receipt: PostgreSQL refuses NUL and lone surrogates.
    'im.message.receive_v1': (data: unknown) => onMessageTimed(cleanDeep(data) as MessageEvent),
    'card.action.trigger': (data: unknown) => onCardAction(cleanDeep(data) as CardActionEvent),
  } as Record<string, (data: unknown) => Promise<unknown>>);

  return { dispatcher, onMessage, onCardAction };
}
export type FeishuInbound = ReturnType<typeof createFeishuInbound>;
