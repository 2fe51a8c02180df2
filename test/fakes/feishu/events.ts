import { randomBytes, randomUUID } from 'node:crypto';
import { encrypt, signature } from '../../../src/channels/feishu/verify.ts';

/** Envelopes shaped like Feishu's (schema 2.0), for both modes. */
export interface Envelope {
  schema: '2.0';
  header: { event_id: string; event_type: string; create_time: string; token: string; app_id: string; tenant_key: string };
  event: Record<string, unknown>;
}

export interface EventDefaults {
  appId: string;
  verificationToken: string;
}

let seq = 0;
export const newId = (prefix: string) => `${prefix}_${Date.now().toString(36)}${(++seq).toString(36)}${randomBytes(3).toString('hex')}`;

function envelope(d: EventDefaults, type: string, event: Record<string, unknown>, eventId?: string): Envelope {
  return {
    schema: '2.0',
    header: {
      event_id: eventId ?? newId('ev'),
      event_type: type,
      create_time: String(Date.now()),
      token: d.verificationToken,
      app_id: d.appId,
      tenant_key: 'tk_fake',
    },
    event,
  };
}

export interface MessageSpec {
  openId: string;
  chatId: string;
  chatType?: 'p2p' | 'group';
  text?: string;
  /** Raw content for post / image / file messages. */
  messageType?: string;
  content?: Record<string, unknown>;
  /** Mentions: `@_user_1` placeholders in the text are mapped in order. */
  mentions?: Array<{ openId: string; name: string; bot?: boolean }>;
  messageId?: string;
  eventId?: string;
  rootId?: string;
  parentId?: string;
  senderType?: string;
}

export function messageEvent(d: EventDefaults, m: MessageSpec): Envelope {
  const mentions = (m.mentions ?? []).map((x, i) => ({
    key: `@_user_${i + 1}`,
    id: { open_id: x.openId, union_id: `on_${x.openId}`, user_id: '' },
    name: x.name,
    mentioned_type: x.bot ? 'bot' : 'user',
    tenant_key: 'tk_fake',
  }));
  return envelope(
    d,
    'im.message.receive_v1',
    {
      sender: { sender_id: { open_id: m.openId, union_id: `on_${m.openId}`, user_id: null }, sender_type: m.senderType ?? 'user', tenant_key: 'tk_fake' },
      message: {
        message_id: m.messageId ?? newId('om'),
        ...(m.rootId ? { root_id: m.rootId } : {}),
        ...(m.parentId ? { parent_id: m.parentId } : {}),
        create_time: String(Date.now()),
        chat_id: m.chatId,
        chat_type: m.chatType ?? 'p2p',
        message_type: m.messageType ?? 'text',
        content: JSON.stringify(m.content ?? { text: m.text ?? '' }),
        ...(mentions.length ? { mentions } : {}),
      },
    },
    m.eventId,
  );
}

export interface CardActionSpec {
  openId: string;
  value: Record<string, unknown>;
  formValue?: Record<string, unknown>;
  /** The message the card is (context.open_message_id) and the chat it sits in. */
  messageId: string;
  chatId: string;
  eventId?: string;
}

export function cardActionEvent(d: EventDefaults, c: CardActionSpec): Envelope {
  const e = envelope(
    d,
    'card.action.trigger',
    {
      operator: { tenant_key: 'tk_fake', open_id: c.openId, union_id: `on_${c.openId}`, user_id: null },
      token: `c-${randomUUID()}`,
      action: {
        value: c.value,
        tag: 'button',
        timezone: 'Asia/Shanghai',
        name: String(c.value.action ?? 'button'),
        ...(c.formValue ? { form_value: c.formValue } : {}),
      },
      host: 'im_message',
      context: { open_message_id: c.messageId, open_chat_id: c.chatId },
    },
    c.eventId,
  );
  // Card callbacks carry create_time in µs.
  e.header.create_time = String(Date.now() * 1000);
  return e;
}

export interface SignOptions {
  encryptKey?: string;
  /** Seconds; default now. */
  timestamp?: number;
  nonce?: string;
  /** Overrides the computed signature. */
  signature?: string;
}

/** The HTTP request Feishu would send for this envelope: encrypted and signed when an encrypt key is set. */
export function webhookRequest(body: unknown, o: SignOptions = {}): { body: string; headers: Record<string, string> } {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (!o.encryptKey) return { body: JSON.stringify(body), headers };
  const raw = JSON.stringify({ encrypt: encrypt(JSON.stringify(body), o.encryptKey, randomBytes(16)) });
  const ts = String(o.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = o.nonce ?? randomBytes(8).toString('hex');
  headers['x-lark-request-timestamp'] = ts;
  headers['x-lark-request-nonce'] = nonce;
  headers['x-lark-signature'] = o.signature ?? signature(ts, nonce, o.encryptKey, raw);
  return { body: raw, headers };
}

/** 服务台 (helpdesk) events, shaped like the docs' samples (schema 2.0; ids as strings, times in ms). */
export interface HelpdeskTicketSpec {
  ticketId: string;
  chatId?: string;
  guestOpenId: string;
  guestName?: string;
  status?: number;
  stage?: number;
  score?: number;
}

function helpdeskTicketObject(t: HelpdeskTicketSpec, extra: Record<string, unknown> = {}) {
  return {
    ticket_id: t.ticketId,
    helpdesk_id: 'hd_fake',
    guest: { id: { open_id: t.guestOpenId, union_id: `on_${t.guestOpenId}`, user_id: null }, name: t.guestName ?? '测试客户' },
    stage: t.stage ?? 2,
    status: t.status ?? 1,
    ...(t.score !== undefined ? { score: t.score } : {}),
    created_at: Date.now(),
    updated_at: Date.now(),
    channel: 0,
    solve: 1,
    customized_fields: [],
    ...(t.chatId ? { chat_id: t.chatId } : {}),
    ...extra,
  };
}

export function helpdeskTicketCreatedEvent(d: EventDefaults, t: HelpdeskTicketSpec, eventId?: string): Envelope {
  return envelope(d, 'helpdesk.ticket.created_v1', helpdeskTicketObject(t), eventId);
}

export function helpdeskTicketUpdatedEvent(
  d: EventDefaults,
  t: HelpdeskTicketSpec,
  old: { status: number },
  o: { closedByOpenId?: string; eventId?: string } = {},
): Envelope {
  const extra = o.closedByOpenId ? { closed_by: { id: { open_id: o.closedByOpenId }, name: '' } } : {};
  return envelope(
    d,
    'helpdesk.ticket.updated_v1',
    { object: helpdeskTicketObject(t, extra), old_object: { status: old.status, updated_at: Date.now() - 1000 } },
    o.eventId,
  );
}

export interface HelpdeskMessageSpec {
  ticketId: string;
  chatId?: string;
  senderOpenId: string;
  /** Unverified meaning (docs samples disagree); the desk goes by the ticket's guest, not by this. */
  senderType?: number;
  text: string;
  messageId?: string;
  eventId?: string;
  ticketStatus?: number;
}

export function helpdeskMessageEvent(d: EventDefaults, m: HelpdeskMessageSpec): Envelope {
  return envelope(
    d,
    'helpdesk.ticket_message.created_v1',
    {
      ticket_message_id: String(Date.now()),
      message_id: m.messageId ?? newId('om'),
      msg_type: 'text',
      position: '1',
      sender_id: { open_id: m.senderOpenId, union_id: `on_${m.senderOpenId}`, user_id: '' },
      sender_type: m.senderType ?? 1,
      text: m.text,
      ticket: { ticket_id: m.ticketId, status: m.ticketStatus ?? 2 },
      // The event's own id (used by answerUserQuery), distinct from the header's.
      event_id: randomUUID(),
      ...(m.chatId ? { chat_id: m.chatId } : {}),
      content: { content: m.text, msg_type: 'text' },
    },
    m.eventId,
  );
}
