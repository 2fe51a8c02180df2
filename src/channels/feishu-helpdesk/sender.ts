import type { ChannelStore } from '../../desk/channel-store.ts';
import type { Logger } from '../../log.ts';
import { Undeliverable, type ChannelSender, type DeliveryContext, type OutboxRow } from '../types.ts';
import { HD_SOLVED, HD_STATUS, textOfContent, type HelpdeskApi } from './api.ts';
import { cutText } from '../../core/text.ts';

/** What a helpdesk ticket of ours keeps to answer its customer (set at intake). */
export interface HelpdeskReplyTo {
  helpdeskTicketId: string;
  guestOpenId: string;
  chatId?: string;
}

export const kvKeys = {
  /** The helpdesk ticket's customer (from the ticket events, or a ticket lookup). */
  ticket: (id: string) => `helpdesk:ticket:${id}`,
  /** The status we last pushed to the helpdesk ticket. */
  pushed: (id: string) => `helpdesk:pushed:${id}`,
  /** The helpdesk ticket was closed on the helpdesk side. */
  closed: (id: string) => `helpdesk:closed:${id}`,
  /** A message we sent (outbox idempotency key → helpdesk message id). */
  sent: (idemKey: string) => `helpdesk:sent:${idemKey}`,
};

export interface PushedStatus {
  status: number;
  solved: number;
}

export function surveyText(code: string): string {
  return [`您的反馈（工单 ${code}）已处理完毕，请为本次服务打分：直接回复数字 1–5。`, '5 非常满意　4 满意　3 一般　2 不满意　1 非常不满意'].join('\n');
}

/** Our status → the helpdesk ticket's (null: theirs is left as the helpdesk runs it). */
export function helpdeskStatusFor(status: string): PushedStatus | null {
  switch (status) {
    case 'resolved':
      // Solved on our side, the survey is out: waiting on the customer.
      return { status: HD_STATUS.waitingOnUser, solved: HD_SOLVED.yes };
    case 'closed':
      return { status: HD_STATUS.closedByAgent, solved: HD_SOLVED.yes };
    case 'reopened':
      return { status: HD_STATUS.processing, solved: HD_SOLVED.no };
    default:
      return null;
  }
}

export interface StatusSyncDeps {
  store: ChannelStore;
  hd: HelpdeskApi;
  log: Logger;
  now(): Date;
}

/**
 * Keeps the helpdesk ticket's status in step with ours. A state push (idempotent PUT), remembered in kv so each
 * change is pushed once; run after every delivery to the ticket and by a periodic sweep (an unrated close sends
 * the customer nothing, so only the sweep sees it).
 */
export function createStatusSync(deps: StatusSyncDeps) {
  const { kv } = deps.store;

  async function sync(ticketId: number): Promise<boolean> {
    const t = (await deps.store.ticket({ id: ticketId }))?.ticket;
    if (t?.channel !== 'helpdesk') return false;
    const hdId = (t.replyTo as Partial<HelpdeskReplyTo>).helpdeskTicketId;
    const want = helpdeskStatusFor(t.status);
    if (!hdId || !want) return false;
    const last = await kv.get<PushedStatus>(kvKeys.pushed(hdId));
    if (last && last.status === want.status && last.solved === want.solved) return false;
    // Closed on their side: ours no longer drives theirs (a push would reopen it, or overwrite who closed it).
    if (await kv.get(kvKeys.closed(hdId))) return false;
    try {
      await deps.hd.update(hdId, want);
    } catch (e) {
      if (!(e instanceof Undeliverable)) throw e;
      // Gone or not ours to change: remember the refusal, so the sweep does not retry it every minute.
      deps.log.warn('helpdesk refused the status update', { ticketId, helpdeskTicketId: hdId, err: e.message });
      await kv.set(kvKeys.pushed(hdId), { ...want, refused: cutText(e.message, 200) }, deps.now());
      return false;
    }
    await kv.set(kvKeys.pushed(hdId), want, deps.now());
    return true;
  }

  /** Every helpdesk ticket of ours changed in the last `days`; returns how many were pushed. */
  async function sweep(days = 7): Promise<number> {
    const since = new Date(deps.now().getTime() - days * 86_400_000);
    const ids = await deps.store.ticketsChangedSince('helpdesk', ['resolved', 'closed', 'reopened'], since);
    let n = 0;
    for (const id of ids) {
      try {
        if (await sync(id)) n++;
      } catch (e) {
        deps.log.warn('helpdesk status sync failed', { ticketId: id, err: String(e) });
      }
    }
    return n;
  }

  return { sync, sweep };
}
export type StatusSync = ReturnType<typeof createStatusSync>;

/**
 * customer.text and customer.survey → a message in the helpdesk ticket. The ticket-message API has no idempotency
 * key, so a retry first looks for the message in the ticket (a lost answer may hide a sent message).
 */
export function createHelpdeskSender(deps: { kv: ChannelStore['kv']; hd: HelpdeskApi; status: StatusSync; log: Logger }): ChannelSender {
  const { kv } = deps;

  async function alreadySent(row: OutboxRow, hdId: string, text: string): Promise<boolean> {
    if (await kv.get(kvKeys.sent(row.idemKey))) return true;
    if (row.attempts === 0) return false;
    const recent = await deps.hd.recentMessages(hdId);
    return recent.some((m) => textOfContent(m.content) === text);
  }

  return {
    name: 'helpdesk',
    async deliver(row: OutboxRow, ctx: DeliveryContext) {
      if (row.kind !== 'customer.text' && row.kind !== 'customer.survey') throw new Undeliverable(`helpdesk channel cannot deliver ${row.kind}`);
      const route = await ctx.ticketRoute(row.ticketId!);
      const to = route.replyTo as Partial<HelpdeskReplyTo>;
      if (route.channel !== 'helpdesk' || !to.helpdeskTicketId) throw new Undeliverable(`ticket ${route.code} is not a helpdesk ticket`);
      const text = row.kind === 'customer.survey' ? surveyText(route.code) : String(row.payload.text ?? '');
      if (!(await alreadySent(row, to.helpdeskTicketId, text))) {
        const messageId = await deps.hd.sendText(to.helpdeskTicketId, text);
        await kv.set(kvKeys.sent(row.idemKey), { messageId: messageId ?? null, ticketId: to.helpdeskTicketId }, ctx.now());
      }
      // The message is out; a failed status push must not resend it (the sweep retries the push).
      await deps.status.sync(row.ticketId!).catch((e) => deps.log.warn('helpdesk status sync failed', { ticketId: row.ticketId, err: String(e) }));
    },
  };
}

/** Our open-or-resolved ticket for a helpdesk ticket (the survey answer and "closed on their side" look it up). */
export async function ourTicketOf(store: ChannelStore, hdTicketId: string) {
  return (await store.ticketByReplyTo('helpdesk', 'helpdeskTicketId', hdTicketId))?.ticket;
}
