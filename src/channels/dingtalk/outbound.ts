import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import type { TicketView } from '../../../cards/view.ts';
import { surveyCardParams, ticketCardParams } from '../../../cards/dingtalk/params.ts';
import { incidentMarkdown, incidentTitle, surveyMarkdown, surveyTitle, ticketMarkdownWithCommands, ticketTitle } from '../../../cards/dingtalk/markdown.ts';
import type { Config } from '../../config.ts';
import type { CommandReply } from '../../desk/commands.ts';
import { Undeliverable, type AgentRef, type ChannelSender, type DeliveryContext, type OutboxRow } from '../types.ts';
import { SessionUnavailable, type DingTalkApi } from './api.ts';
import type { DingTalkReplyTo } from './payloads.ts';
import type { DingTalkSettings } from './settings.ts';

export const CHANNEL = 'dingtalk';
const SURVEY_REF = 'dingtalk-survey';
/** A session webhook this close to expiry is not worth the try. */
const SESSION_MARGIN_MS = 60_000;

/** Fresh session webhooks by conversation: the latest message of a chat brings the longest-lived one. */
export function createSessionBook() {
  const book = new Map<string, { url: string; expiresAt: number }>();
  return {
    remember(conversationId: string, url: string | undefined, expiresAt: number | undefined) {
      if (!url || !expiresAt) return;
      const old = book.get(conversationId);
      if (!old || old.expiresAt < expiresAt) book.set(conversationId, { url, expiresAt });
    },
    /** The freshest usable webhook among the book and the ones passed in. */
    pick(nowMs: number, conversationId: string | undefined, ...candidates: Array<{ url?: string; expiresAt?: number }>): string | null {
      const all = [...candidates, ...(conversationId && book.has(conversationId) ? [book.get(conversationId)!] : [])];
      const best = all.filter((c) => c.url && c.expiresAt && c.expiresAt - SESSION_MARGIN_MS > nowMs).sort((a, b) => b.expiresAt! - a.expiresAt!)[0];
      return best?.url ?? null;
    },
  };
}
export type SessionBook = ReturnType<typeof createSessionBook>;

type Message = { kind: 'text'; text: string } | { kind: 'markdown'; title: string; text: string };

const hashId = (prefix: string, key: string) => `${prefix}${createHash('sha256').update(key).digest('base64url').slice(0, 32)}`;

/** The people a notice must reach, by the config's roles (DingTalk user ids are staff ids). */
function recipients(config: Config, notify: unknown, view: TicketView | null, mention: unknown): AgentRef[] {
  const list: AgentRef[] = [];
  if (Array.isArray(mention)) list.push(...(mention as AgentRef[]));
  if (notify === 'assignee' && view?.assignee) list.push(view.assignee);
  // An unassigned ticket's first ping goes to the leads: someone has to pick it up.
  if (notify === 'leads' || (notify === 'assignee' && !view?.assignee)) list.push(...config.roles.leads);
  if (notify === 'admins') list.push(...config.roles.admins, ...config.roles.leads);
  const seen = new Set<string>();
  return list.filter((p) => p.platform === CHANNEL && !seen.has(p.userId) && seen.add(p.userId));
}

export function createDingTalkSender(settings: DingTalkSettings, api: DingTalkApi, sessions: SessionBook): ChannelSender {
  const agentGroup = () => {
    if (!settings.agentConversationId) throw new Undeliverable('未配置 DINGTALK_AGENT_CONVERSATION_ID（客服群）');
    return settings.agentConversationId;
  };

  function sessionBody(m: Message, atUserIds: string[] = []): Record<string, unknown> {
    const at = atUserIds.length ? { at: { atUserIds, isAtAll: false } } : {};
    // The visible text must carry "@userId" for the mention to notify (and render) in the client.
    const tail = atUserIds.length ? `\n\n${atUserIds.map((u) => `@${u}`).join(' ')}` : '';
    return m.kind === 'text'
      ? { msgtype: 'text', text: { content: m.text + tail }, ...at }
      : { msgtype: 'markdown', markdown: { title: m.title, text: m.text + tail }, ...at };
  }
  const openApiMessage = (m: Message) =>
    m.kind === 'text' ? { key: 'sampleText', param: { content: m.text } } : { key: 'sampleMarkdown', param: { title: m.title, text: m.text } };

  /** Session webhook while it is valid (fast, can @), else the OpenAPI. */
  async function toConversation(ctx: DeliveryContext, route: DingTalkReplyTo, m: Message, atUserIds: string[] = []): Promise<'session' | 'api'> {
    const url = sessions.pick(ctx.now().getTime(), route.conversationId, { url: route.sessionWebhook, expiresAt: route.sessionWebhookExpiredTime });
    if (url) {
      try {
        await api.sendBySession(url, sessionBody(m, atUserIds));
        return 'session';
      } catch (e) {
        if (!(e instanceof SessionUnavailable)) throw e;
        ctx.log.info('dingtalk session webhook unusable, using the OpenAPI', { reason: e.message });
      }
    }
    const { key, param } = openApiMessage(m);
    if (route.conversationType === '2') {
      await api.sendToGroup(route.conversationId, key, param);
    } else {
      if (!route.senderStaffId) throw new Undeliverable('客户不是本企业成员（无 staffId），会话已过期，无法主动发送消息');
      await api.sendToUsers([route.senderStaffId], key, param);
    }
    return 'api';
  }

  const cardRefs = async (ctx: DeliveryContext, ticketId: number) => (await ctx.ticketRoute(ticketId)).cardRefs;

  async function customerRoute(ctx: DeliveryContext, ticketId: number) {
    const r = await ctx.ticketRoute(ticketId);
    const route = r.replyTo as unknown as DingTalkReplyTo;
    if (!route?.conversationId) throw new Undeliverable(`工单 ${r.code} 没有钉钉会话信息`);
    return { code: r.code, route };
  }

  async function deliverAgentsCard(row: OutboxRow, ctx: DeliveryContext) {
    const ticketId = row.ticketId!;
    const view = await ctx.ticketView(ticketId);
    const refs = await cardRefs(ctx, ticketId);
    const group = agentGroup();
    if (settings.cardTemplateId) {
      const ref = refs[CHANNEL];
      if (ref && !ref.startsWith('md:')) {
        await api.updateCard(ref, ticketCardParams(view));
      } else {
        // Deterministic per ticket: a retry after a lost response meets cardAlreadyExist instead of a second card.
        const outTrackId = `ldt_${view.code}_${new Date(view.createdAt).getTime().toString(36)}`;
        await api.createAndDeliverCard({
          outTrackId,
          cardTemplateId: settings.cardTemplateId,
          cardParamMap: ticketCardParams(view),
          openSpaceId: `dtv1.card//IM_GROUP.${group}`,
          callbackType: settings.mode === 'http' ? 'HTTP' : 'STREAM',
          callbackRouteKey: settings.mode === 'http' ? settings.callbackRouteKey : undefined,
        });
        await ctx.saveCardRef(ticketId, CHANNEL, outTrackId);
      }
      // The survey card follows the ticket too: once answered (or closed unrated) it shows the outcome.
      const survey = refs[SURVEY_REF];
      if (survey && view.status !== 'resolved') {
        const params = surveyCardParams(view.code, view.csatScore);
        if (view.csatScore === null) Object.assign(params, { answered: 'true', markdown: `### 工单 ${view.code}\n回访已结束。` });
        await api.updateCard(survey, params);
      }
      return;
    }
    // Markdown messages cannot be edited: post again only when something an agent acts on has changed.
    const fingerprint = `md:${createHash('sha256')
      .update(
        JSON.stringify([view.status, view.assignee?.userId, view.category.id, view.escalated, view.isMajor, view.reopenCount, view.excerpt, view.csatScore]),
      )
      .digest('base64url')
      .slice(0, 16)}`;
    if (refs[CHANNEL] === fingerprint) return;
    await api.sendToGroup(group, 'sampleMarkdown', { title: ticketTitle(view), text: ticketMarkdownWithCommands(view) });
    await ctx.saveCardRef(ticketId, CHANNEL, fingerprint);
  }

  /**
   * The incident card as a markdown message (no template for it). Markdown cannot be edited, so it is posted again
   * only when the count crosses a step (3, 10, 30, 100, 300…) or the incident's state changes: a burst of 500
   * is a handful of messages.
   */
  async function deliverIncident(row: OutboxRow, ctx: DeliveryContext) {
    const id = Number(row.payload.incidentId);
    const { view, cardRefs: refs } = await ctx.incidentCard(id);
    const step = [1000, 300, 100, 30, 10, 3].find((n) => view.count >= n) ?? 0;
    const fingerprint = `md:${view.status}:${step}:${view.waiting === 0}`;
    if (refs[CHANNEL] === fingerprint) return;
    await api.sendToGroup(agentGroup(), 'sampleMarkdown', { title: incidentTitle(view), text: incidentMarkdown(view) });
    await ctx.saveIncidentCardRef(id, CHANNEL, fingerprint);
  }

  async function deliverSurvey(row: OutboxRow, ctx: DeliveryContext) {
    const { code, route } = await customerRoute(ctx, row.ticketId!);
    const single = route.conversationType !== '2';
    if (settings.cardTemplateId && (!single || route.senderStaffId)) {
      const outTrackId = hashId('lds_', row.idemKey);
      await api.createAndDeliverCard({
        outTrackId,
        cardTemplateId: settings.cardTemplateId,
        cardParamMap: { ...surveyCardParams(code, null), kind: 'survey' },
        openSpaceId: single ? `dtv1.card//IM_ROBOT.${route.senderStaffId}` : `dtv1.card//IM_GROUP.${route.conversationId}`,
        callbackType: settings.mode === 'http' ? 'HTTP' : 'STREAM',
        callbackRouteKey: settings.mode === 'http' ? settings.callbackRouteKey : undefined,
      });
      await ctx.saveCardRef(row.ticketId!, SURVEY_REF, outTrackId);
      return;
    }
    await toConversation(ctx, route, { kind: 'markdown', title: surveyTitle(code), text: surveyMarkdown(code, single ? 'single' : 'group') });
  }

  /** Notices that must reach a person: @ through the group's session webhook, else a group message plus a 1:1 DM. */
  async function deliverAgentsText(row: OutboxRow, ctx: DeliveryContext) {
    const text = String(row.payload.text ?? '');
    const view = row.ticketId !== null ? await ctx.ticketView(row.ticketId) : null;
    const people = recipients(ctx.config, row.payload.notify, view, row.payload.mention);
    const ids = people.map((p) => p.userId);
    const group = agentGroup();
    const url = sessions.pick(ctx.now().getTime(), group);
    if (url) {
      try {
        await api.sendBySession(url, sessionBody({ kind: 'text', text }, ids));
        return;
      } catch (e) {
        if (!(e instanceof SessionUnavailable)) throw e;
      }
    }
    // groupMessages/send cannot @ anyone, so the people named get the notice 1:1 as well (a real push notification).
    const names = people.map((p) => `@${p.name ?? p.userId}`).join(' ');
    await api.sendToGroup(group, 'sampleText', { content: names ? `${text}\n${names}` : text });
    for (let i = 0; i < ids.length; i += 20) await api.sendToUsers(ids.slice(i, i + 20), 'sampleText', { content: `【Loopdesk 提醒】${text}` });
  }

  async function deliverFile(ctx: DeliveryContext, path: string, name: string, text: string | undefined, replyTo: Record<string, unknown> | undefined) {
    const group = agentGroup();
    const mediaId = await api.uploadFile(path, name);
    if (text) await toConversation(ctx, { conversationId: group, conversationType: '2', ...(replyTo as object) }, { kind: 'text', text });
    await api.sendToGroup(group, 'sampleFile', { mediaId, fileName: name, fileType: extname(name).slice(1) || 'file' });
  }

  async function deliverReply(row: OutboxRow, ctx: DeliveryContext) {
    const reply = row.payload.reply as CommandReply;
    const replyTo = (row.payload.replyTo ?? {}) as Record<string, unknown>;
    const route: DingTalkReplyTo = {
      conversationId: typeof replyTo.conversationId === 'string' ? replyTo.conversationId : agentGroup(),
      conversationType: '2',
      sessionWebhook: typeof replyTo.sessionWebhook === 'string' ? replyTo.sessionWebhook : undefined,
      sessionWebhookExpiredTime: typeof replyTo.sessionWebhookExpiredTime === 'number' ? replyTo.sessionWebhookExpiredTime : undefined,
    };
    const at = typeof replyTo.atUserId === 'string' ? [replyTo.atUserId] : [];
    switch (reply.kind) {
      case 'text':
        await toConversation(ctx, route, { kind: 'text', text: reply.text }, at);
        return;
      case 'markdown':
        await toConversation(ctx, route, { kind: 'markdown', title: reply.title, text: reply.markdown }, at);
        return;
      case 'ticket': {
        const md = ticketMarkdownWithCommands(reply.view);
        await toConversation(
          ctx,
          route,
          { kind: 'markdown', title: reply.text ?? ticketTitle(reply.view), text: reply.text ? `**${reply.text}**\n\n${md}` : md },
          at,
        );
        return;
      }
      case 'file':
        await deliverFile(ctx, reply.path, reply.name, reply.text, replyTo);
        return;
      case 'card': {
        // A Feishu card (e.g. /stats with charts): its markdown version stands in for it here.
        const title = reply.text.split('\n')[0].replace(/^[#*\s]+|[*\s]+$/g, '') || 'Loopdesk';
        await toConversation(ctx, route, { kind: 'markdown', title, text: reply.text }, at);
      }
    }
  }

  return {
    name: CHANNEL,
    async deliver(row, ctx) {
      switch (row.kind) {
        case 'agents.card':
          return deliverAgentsCard(row, ctx);
        case 'agents.text':
          return deliverAgentsText(row, ctx);
        case 'agents.reply':
          return deliverReply(row, ctx);
        case 'agents.incident':
          return deliverIncident(row, ctx);
        case 'agents.file':
          return deliverFile(ctx, String(row.payload.path), String(row.payload.name), row.payload.text as string | undefined, undefined);
        case 'customer.text': {
          const { route } = await customerRoute(ctx, row.ticketId!);
          await toConversation(ctx, route, { kind: 'text', text: String(row.payload.text ?? '') });
          return;
        }
        case 'customer.survey':
          return deliverSurvey(row, ctx);
        default:
          throw new Undeliverable(`钉钉渠道不支持的消息类型：${String(row.kind)}`);
      }
    },
  };
}
