import * as lark from '@larksuiteoapi/node-sdk';
import type { FeishuApi } from '../feishu/client.ts';

/**
 * The helpdesk (服务台) Open API calls we make, through the SDK's `client.helpdesk.v1` with the helpdesk credential
 * (`X-Lark-Helpdesk-Authorization: Bearer base64(helpdesk_id:helpdesk_token)`, added by `withHelpDeskCredential()`),
 * on top of the tenant token. Errors go through the Feishu channel's `call` (token refresh, outbox vocabulary).
 */

/** `PUT /open-apis/helpdesk/v1/tickets/:id` status values (服务台 docs, 更新工单详情). */
export const HD_STATUS = { waiting: 1, processing: 2, queued: 3, pending: 4, waitingOnUser: 5, closedByBot: 50, closedByAgent: 51 } as const;
/** `solved`: 1 未解决, 2 已解决. */
export const HD_SOLVED = { no: 1, yes: 2 } as const;
export const isClosedStatus = (s: number | undefined) => s === HD_STATUS.closedByBot || s === HD_STATUS.closedByAgent;

/** Body of `POST /open-apis/helpdesk/v1/events/subscribe` (type / subtype pairs, as in the docs' example). */
export const HELPDESK_EVENTS = [
  { type: 'helpdesk.ticket', subtype: 'ticket.created_v1' },
  { type: 'helpdesk.ticket', subtype: 'ticket.updated_v1' },
  { type: 'helpdesk.ticket_message', subtype: 'ticket_message.created_v1' },
];

export interface HelpdeskTicketInfo {
  ticketId: string;
  guestId?: string;
  guestName?: string;
  status?: number;
  score?: number;
}

export function createHelpdeskApi(api: FeishuApi) {
  const hd = api.client.helpdesk.v1;
  const cred = () => lark.withHelpDeskCredential();
  return {
    async subscribe(): Promise<void> {
      await api.call('helpdesk.event.subscribe', () => hd.event.subscribe({ data: { events: HELPDESK_EVENTS } }, cred()));
    },
    /** Text into the ticket's conversation; content is the IM text content (`{"text": …}`). */
    async sendText(ticketId: string, text: string): Promise<string | undefined> {
      const res = await api.call('helpdesk.ticketMessage.create', () =>
        hd.ticketMessage.create({ path: { ticket_id: ticketId }, data: { msg_type: 'text', content: JSON.stringify({ text }) } }, cred()),
      );
      return res.data?.message_id;
    },
    /** Data only: Feishu does not close the chat page when the status becomes "closed" (docs). */
    async update(ticketId: string, data: { status?: number; solved?: number; comment?: string }): Promise<void> {
      await api.call('helpdesk.ticket.update', () => hd.ticket.update({ path: { ticket_id: ticketId }, data }, cred()));
    },
    async get(ticketId: string): Promise<HelpdeskTicketInfo | null> {
      const res = await api.call('helpdesk.ticket.get', () => hd.ticket.get({ path: { ticket_id: ticketId } }, cred()));
      const t = res.data?.ticket;
      if (!t) return null;
      return { ticketId: t.ticket_id, guestId: t.guest?.id, guestName: t.guest?.name, status: t.status, score: t.score };
    },
    /** The ticket's latest messages (content as Feishu stores it: the IM content JSON, or plain text). */
    async recentMessages(ticketId: string, pageSize = 200): Promise<Array<{ content: string; messageId?: string }>> {
      const res = await api.call('helpdesk.ticketMessage.list', () =>
        hd.ticketMessage.list({ path: { ticket_id: ticketId }, params: { page: 1, page_size: pageSize } }, cred()),
      );
      return (res.data?.messages ?? []).map((m) => ({ content: m.content, messageId: m.message_id }));
    },
  };
}
export type HelpdeskApi = ReturnType<typeof createHelpdeskApi>;

/** The text of a listed message, whether Feishu returns the content JSON or the plain text. */
export function textOfContent(content: string): string {
  try {
    const v = JSON.parse(content) as unknown;
    if (v && typeof v === 'object' && typeof (v as { text?: unknown }).text === 'string') return (v as { text: string }).text;
  } catch {
    /* plain text */
  }
  return content;
}
