import { runTicketAction } from '../../desk/action-table.ts';
import { DeskError } from '../../desk/errors.ts';
import type { CoreServices } from '../../services.ts';
import type { AgentRef } from '../types.ts';
import { cardCallbackSchema, cardParamsOf, contentOf, robotMessageSchema, surveyAnswerOf, type DingTalkReplyTo, type RobotMessage } from './payloads.ts';
import { RECEIPT_SOURCE, recentSet } from './receipts.ts';
import { CHANNEL, type SessionBook } from './outbound.ts';
import type { DingTalkSettings } from './settings.ts';
import { cutText } from '../../core/text.ts';

export type Outcome = 'ticket' | 'duplicate' | 'command' | 'survey' | 'action' | 'ignored' | 'refused';

/**
 * Robot messages and card clicks, after they were acknowledged: decode, deduplicate, hand to the desk. The same
 * code serves the stream and the HTTP callbacks.
 */
export function createInbound(core: CoreServices, settings: DingTalkSettings, sessions: SessionBook) {
  const { desk, log } = core;
  // Most redeliveries arrive within a minute; the durable receipts catch the rest.
  const recent = recentSet(10 * 60_000);

  // Card callbacks carry only the staff id; the configured roles know the person's name.
  const nameOf = (userId: string) =>
    [...core.config.roles.agents, ...core.config.roles.leads, ...core.config.roles.admins].find((p) => p.platform === CHANNEL && p.userId === userId)?.name ??
    null;

  const customerIdOf = (m: RobotMessage) =>
    m.conversationType === '2' ? `group:${m.conversationId}` : `user:${m.senderStaffId || m.senderId || m.conversationId}`;

  /** The customer's ticket that waits for a survey answer, if any. */
  async function awaitingSurvey(externalId: string): Promise<{ code: string; route: DingTalkReplyTo } | null> {
    const row = await core.store.awaitingSurvey(CHANNEL, externalId);
    return row ? { code: row.ticket.code, route: row.ticket.replyTo as unknown as DingTalkReplyTo } : null;
  }

  /**
   * In a customer group the ticket belongs to the group, but only the member who opened it rates it: another
   * member's "5" is not the customer's satisfaction. 1:1 conversations have one person.
   */
  function isOpener(route: DingTalkReplyTo, who: { staffId?: string; senderId?: string }): boolean {
    if (route.conversationType !== '2') return true;
    if (route.senderStaffId) return route.senderStaffId === who.staffId;
    return !!route.senderId && route.senderId === who.senderId;
  }

  const notYourSurvey = (code: string, route: DingTalkReplyTo) =>
    `感谢参与！工单 ${code} 的满意度评价需由提交这条反馈的${route.senderNick ? ` ${route.senderNick} ` : ''}本人完成。如果您也有问题要反馈，请直接 @我 描述，我们会单独受理。`;

  async function agentMessage(msg: RobotMessage, keys: string[]): Promise<Outcome> {
    // Recorded with the queued answer, in one transaction (a command that acts is refused if run twice).
    const receipt = { source: RECEIPT_SOURCE, keys };
    const { text } = contentOf(msg, settings.robotCode);
    const actor: AgentRef = { platform: CHANNEL, userId: msg.senderStaffId || msg.senderId || 'unknown', name: msg.senderNick ?? null };
    const replyTo = {
      conversationId: msg.conversationId,
      sessionWebhook: msg.sessionWebhook,
      sessionWebhookExpiredTime: msg.sessionWebhookExpiredTime,
      atUserId: msg.senderStaffId,
    };
    if (!text.startsWith('/')) {
      const queued = await desk
        .enqueueReply(CHANNEL, { kind: 'text', text: '需要我做什么？请发送命令，例如 /help、/open、/claim 工单号。' }, msg.msgId, replyTo, receipt)
        .then(
          () => true,
          (e: unknown) => (e instanceof DeskError && e.code === 'already_handled' ? false : Promise.reject(e)),
        );
      return queued ? 'ignored' : 'duplicate';
    }
    try {
      const answer = await core.runCommand({ text, actor, viaAgentGroup: true, surface: CHANNEL, deliveryId: msg.msgId });
      await desk.enqueueReply(CHANNEL, answer, msg.msgId, replyTo, receipt);
    } catch (e) {
      if (e instanceof DeskError && e.code === 'already_handled') return 'duplicate';
      throw e;
    }
    return 'command';
  }

  async function customerMessage(msg: RobotMessage, streamId: string | undefined): Promise<Outcome> {
    const { text, attachments } = contentOf(msg, settings.robotCode);
    const externalId = customerIdOf(msg);
    const vote = attachments.length === 0 ? surveyAnswerOf(text) : null;
    if (vote) {
      // A redelivered "5" must not become a new ticket once the first one closed the survey.
      if (await core.store.seen(RECEIPT_SOURCE, msg.msgId)) return 'duplicate';
      const waiting = await awaitingSurvey(externalId);
      if (waiting) {
        const code = waiting.code;
        const receipt = { source: RECEIPT_SOURCE, keys: [msg.msgId, ...(streamId ? [`stream:${streamId}`] : [])] };
        if (!isOpener(waiting.route, { staffId: msg.senderStaffId || undefined, senderId: msg.senderId })) {
          // The polite answer and the receipt commit together: a re-delivery is a duplicate, not a second answer.
          const replyTo = {
            conversationId: msg.conversationId,
            sessionWebhook: msg.sessionWebhook,
            sessionWebhookExpiredTime: msg.sessionWebhookExpiredTime,
            atUserId: msg.senderStaffId,
          };
          await desk.enqueueReply(CHANNEL, { kind: 'text', text: notYourSurvey(code, waiting.route) }, `survey-refused:${msg.msgId}`, replyTo, receipt);
          log.info('dingtalk survey answer refused', { code: 'not_your_ticket' });
          return 'refused';
        }
        try {
          await desk.answerSurvey({ ticket: code, channel: CHANNEL, customerExternalId: externalId, score: vote.score, comment: vote.comment, receipt });
          return 'survey';
        } catch (e) {
          if (!(e instanceof DeskError)) throw e;
          if (e.code === 'already_handled') return 'duplicate';
          log.info('dingtalk survey answer refused', { code: e.code });
        }
      }
    }
    const replyTo: DingTalkReplyTo = {
      conversationId: msg.conversationId,
      conversationType: msg.conversationType,
      senderStaffId: msg.senderStaffId || undefined,
      senderId: msg.senderId,
      senderNick: msg.senderNick,
      sessionWebhook: msg.sessionWebhook,
      sessionWebhookExpiredTime: msg.sessionWebhookExpiredTime,
    };
    try {
      const r = await desk.intake({
        channel: CHANNEL,
        dedupeKey: msg.msgId,
        extraDedupeKeys: streamId ? [`stream:${streamId}`] : [],
        customer: { externalId, name: cutText((msg.conversationType === '2' ? msg.conversationTitle : msg.senderNick) ?? '', 100) || undefined },
        replyTo: replyTo as unknown as Record<string, unknown>,
        text,
        attachments,
      });
      return r.duplicate ? 'duplicate' : 'ticket';
    } catch (e) {
      if (e instanceof DeskError) {
        log.info('dingtalk message refused', { code: e.code });
        return 'refused';
      }
      throw e;
    }
  }

  /** One robot message (stream `data` or HTTP body); `streamId` is the frame's messageId when there is one. */
  async function robotMessage(raw: unknown, streamId?: string): Promise<Outcome> {
    const parsed = robotMessageSchema.safeParse(raw);
    if (!parsed.success) {
      log.warn('dingtalk robot message not understood', { issue: parsed.error.issues[0]?.message });
      return 'refused';
    }
    const msg = parsed.data;
    const keys = [msg.msgId, ...(streamId ? [`stream:${streamId}`] : [])];
    if (!keys.every((k) => recent.add(k))) return 'duplicate';
    try {
      sessions.remember(msg.conversationId, msg.sessionWebhook, msg.sessionWebhookExpiredTime);
      const agents = msg.conversationType === '2' && !!settings.agentConversationId && msg.conversationId === settings.agentConversationId;
      return agents ? await agentMessage(msg, keys) : await customerMessage(msg, streamId);
    } catch (e) {
      // Not handled: let a redelivery try again.
      for (const k of keys) recent.delete(k);
      throw e;
    }
  }

  /** One card button click. `key` identifies the delivery (stream messageId, or a digest of the HTTP body). */
  async function cardCallback(raw: unknown, key: string, durable: boolean): Promise<Outcome> {
    const parsed = cardCallbackSchema.safeParse(raw);
    if (!parsed.success) return 'refused';
    const cb = parsed.data;
    const params = cardParamsOf(cb);
    if (!params) {
      log.warn('dingtalk card callback without valid params', { outTrackId: cb.outTrackId });
      return 'refused';
    }
    if (!recent.add(`card:${key}`)) return 'duplicate';
    // Stream deliveries are re-sent: the use case records the click in the transaction of its change.
    const receipt = durable ? { source: RECEIPT_SOURCE, keys: [`card:${key}`] } : undefined;
    const agentsReply = (text: string) =>
      desk.enqueueReply(CHANNEL, { kind: 'text', text }, `card:${key}`, { conversationId: settings.agentConversationId ?? undefined, atUserId: cb.userId });
    try {
      if (params.action === 'csat') {
        if (!params.score) return 'refused';
        const t = (await core.store.ticket({ code: params.ticket }))?.ticket;
        const route = (t?.replyTo ?? {}) as unknown as DingTalkReplyTo;
        // In a group the customer is the group (and only its opener rates); 1:1, it is the person who clicked.
        if (t && !isOpener(route, { staffId: cb.userId, senderId: cb.userId })) {
          await desk.enqueueReply(
            CHANNEL,
            { kind: 'text', text: notYourSurvey(params.ticket, route) },
            `card:${key}`,
            { conversationId: route.conversationId, atUserId: cb.userId },
            receipt,
          );
          return 'refused';
        }
        const externalId = route.conversationType === '2' ? `group:${route.conversationId}` : `user:${cb.userId}`;
        await desk.answerSurvey({
          ticket: params.ticket,
          channel: CHANNEL,
          customerExternalId: externalId,
          score: params.score,
          comment: params.comment?.trim() || undefined,
          receipt,
        });
        return 'survey';
      }
      if (params.action === 'merge' && !params.into) return 'refused';
      if (params.action === 'respond' && !params.reply?.trim() && !params.canned) {
        await agentsReply(`请先在卡片输入框填写回复内容，或发送 /reply ${params.ticket} 内容`);
        return 'refused';
      }
      // Our ticket cards live only in the agents' group; a click elsewhere (a forwarded card) is not "inside" it.
      const viaAgentGroup = !cb.spaceId || !settings.agentConversationId || cb.spaceId.includes(settings.agentConversationId);
      // The one action table (desk/action-table.ts), shared with Feishu cards and the console.
      await runTicketAction(desk, {
        action: params.action,
        ticket: params.ticket,
        actor: { platform: CHANNEL, userId: cb.userId, name: nameOf(cb.userId) },
        viaAgentGroup,
        fields: {
          reply: params.action === 'respond' ? params.reply?.trim() : undefined,
          canned: params.canned || undefined,
          category: params.category,
          into: params.into,
        },
        receipt,
      });
      return 'action';
    } catch (e) {
      if (e instanceof DeskError && e.code === 'already_handled') return 'duplicate';
      if (!(e instanceof DeskError)) {
        recent.delete(`card:${key}`);
        throw e;
      }
      if (params.action !== 'csat') await agentsReply(`${params.ticket}：${e.message}`);
      return 'refused';
    }
  }

  return { robotMessage, cardCallback };
}
export type Inbound = ReturnType<typeof createInbound>;

/**
 * Work after the ack: one lane per key (a conversation's messages stay in order, so a customer's second message
 * joins the ticket the first one opened), and at most `limit` lanes at once (the database pool is small).
 */
export function createLanes(limit: number, onError: (e: unknown) => void) {
  const lanes = new Map<string, Promise<void>>();
  let active = 0;
  const waiting: Array<() => void> = [];
  const inflight = new Set<Promise<void>>();
  async function slot<T>(fn: () => Promise<T>): Promise<T> {
    if (active >= limit) await new Promise<void>((r) => waiting.push(r));
    active++;
    // PGlite answers in microtasks; without a macrotask break, back-to-back jobs starve the socket and the
    // acks of frames still unread would wait for the whole backlog.
    await new Promise<void>((r) => setImmediate(r));
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  }
  return {
    push(key: string, fn: () => Promise<unknown>) {
      const prev = lanes.get(key) ?? Promise.resolve();
      const next = prev
        .then(() => slot(fn))
        .then(
          () => {},
          (e) => onError(e),
        );
      lanes.set(key, next);
      inflight.add(next);
      void next.finally(() => {
        inflight.delete(next);
        if (lanes.get(key) === next) lanes.delete(key);
      });
    },
    /** Resolves when everything queued so far is done (stop, tests). */
    async idle() {
      while (inflight.size) await Promise.all([...inflight]);
    },
  };
}
