import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { renderIncidentCard, renderMarkdownCard, renderNoticeCard, renderSurveyCard, renderTicketCard, type Card } from '../../../cards/feishu/index.ts';
import type { CommandReply } from '../../desk/commands.ts';
import type { Config } from '../../config.ts';
import { RetryLater, Undeliverable, type AgentRef, type ChannelSender, type DeliveryContext, type OutboxRow } from '../types.ts';
import type { FeishuApi } from './client.ts';
import type { Pacer } from './rate-limit.ts';

/** What a Feishu ticket keeps to answer its customer (set at intake). */
export interface FeishuReplyTo {
  chatId: string;
  chatType: 'p2p' | 'group' | string;
  openId: string;
  messageId: string;
}

/** Feishu's `uuid` (≤ 50 chars): one message per key per hour, so a retried send never doubles. */
export const uuidFor = (idemKey: string) => createHash('sha256').update(idemKey).digest('hex').slice(0, 48);

type Message = { msg_type: string; content: string };
const text = (t: string): Message => ({ msg_type: 'text', content: JSON.stringify({ text: t }) });
const interactive = (c: Card): Message => ({ msg_type: 'interactive', content: JSON.stringify(c) });

const FILE_TYPES: Record<string, 'pdf' | 'doc' | 'xls' | 'ppt' | 'mp4' | 'opus'> = {
  '.pdf': 'pdf',
  '.doc': 'doc',
  '.docx': 'doc',
  '.xls': 'xls',
  '.xlsx': 'xls',
  '.csv': 'xls',
  '.ppt': 'ppt',
  '.pptx': 'ppt',
  '.mp4': 'mp4',
  '.opus': 'opus',
};

/**
 * Who an `agents.text` notice @-mentions: the assignee, the leads or the admins (config roles, Feishu open_ids),
 * plus any explicit `mention` list. A notice meant for someone that resolves to nobody mentions everyone.
 */
export function mentionsFor(payload: Record<string, unknown>, config: Config, assignee: AgentRef | null): string[] | 'all' {
  const feishu = (list: AgentRef[]) => list.filter((p) => p.platform === 'feishu').map((p) => p.userId);
  const ids = new Set<string>(feishu((payload.mention as AgentRef[] | undefined) ?? []));
  const notify = payload.notify as string | undefined;
  if (notify === 'assignee' && assignee) feishu([assignee]).forEach((id) => ids.add(id));
  if (notify === 'leads') feishu(config.roles.leads).forEach((id) => ids.add(id));
  if (notify === 'admins') feishu(config.roles.admins).forEach((id) => ids.add(id));
  if (ids.size === 0 && (notify || payload.mention)) return 'all';
  return [...ids];
}

export interface SenderDeps {
  api: FeishuApi;
  agentChatId?: string;
  /** Per chat / user / message spacing (5 QPS by default). */
  pacer: Pacer;
  company: string;
}

export function createFeishuSender(deps: SenderDeps): ChannelSender {
  const { api, pacer } = deps;
  const im = api.client.im.v1;

  function agentChat(): string {
    if (!deps.agentChatId) throw new Undeliverable("FEISHU_AGENT_CHAT_ID is not set: nowhere to post agents' cards");
    return deps.agentChatId;
  }

  /**
   * One paced call. A 230020 (per-chat limit) holds the key off for a second and tries again here, twice: a burst
   * then queues behind the pacer instead of spending the row's outbox attempts.
   */
  async function paced<T>(key: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      await pacer.take(key);
      try {
        return await fn();
      } catch (e) {
        if (attempt >= 2 || !(e instanceof RetryLater) || !e.message.includes('230020')) throw e;
        await pacer.holdOff(key, e.afterMs ?? 1000);
      }
    }
  }

  async function create(receiveIdType: 'chat_id' | 'open_id', receiveId: string, msg: Message, idemKey: string): Promise<string> {
    const res = await paced(`${receiveIdType}:${receiveId}`, () =>
      api.call('message.create', () =>
        im.message.create({ params: { receive_id_type: receiveIdType }, data: { receive_id: receiveId, ...msg, uuid: uuidFor(idemKey) } }),
      ),
    );
    return res.data?.message_id ?? '';
  }

  async function reply(messageId: string, chatId: string, msg: Message, idemKey: string): Promise<string> {
    const res = await paced(`chat_id:${chatId}`, () =>
      api.call('message.reply', () => im.message.reply({ path: { message_id: messageId }, data: { ...msg, uuid: uuidFor(idemKey) } })),
    );
    return res.data?.message_id ?? '';
  }

  async function patch(messageId: string, card: Card): Promise<void> {
    await paced(`message:${messageId}`, () =>
      api.call('message.patch', () => im.message.patch({ path: { message_id: messageId }, data: { content: JSON.stringify(card) } })),
    );
  }

  async function upload(path: string, name: string): Promise<string> {
    const res = await api.call('file.create', async () => {
      const r = await im.file.create({
        data: { file_type: FILE_TYPES[extname(name).toLowerCase()] ?? 'stream', file_name: name, file: createReadStream(path) },
      });
      // The SDK unwraps this one: a business error comes back as no file_key.
      if (!r?.file_key) return { code: -1, msg: 'upload returned no file_key' };
      return { code: 0, msg: '', file_key: r.file_key };
    });
    return res.file_key!;
  }

  /** The card as it is now: PATCH the posted one, or post it (once: uuid) and remember its message id. */
  async function deliverCard(row: OutboxRow, ctx: DeliveryContext): Promise<void> {
    const ticketId = row.ticketId!;
    const card = renderTicketCard(await ctx.ticketView(ticketId));
    const ref = (await ctx.ticketRoute(ticketId)).cardRefs.feishu;
    if (ref) {
      try {
        return await patch(ref, card);
      } catch (e) {
        // Older than 14 days, recalled, or otherwise gone: post a fresh card and point the ticket at it.
        if (!(e instanceof Undeliverable)) throw e;
        ctx.log.warn('feishu card patch refused; posting a new card', { ticketId, reason: e.message });
      }
    }
    const id = await create('chat_id', agentChat(), interactive(card), `${row.idemKey}:${ref ?? ''}`);
    if (id) await ctx.saveCardRef(ticketId, 'feishu', id);
  }

  /** The incident card: PATCH it, or post it once (one uuid per incident, whichever row gets there first). */
  async function deliverIncident(row: OutboxRow, ctx: DeliveryContext): Promise<void> {
    const id = Number(row.payload.incidentId);
    const { view, cardRefs } = await ctx.incidentCard(id);
    const card = renderIncidentCard(view);
    const ref = cardRefs.feishu;
    if (ref) {
      try {
        return await patch(ref, card);
      } catch (e) {
        if (!(e instanceof Undeliverable)) throw e;
        ctx.log.warn('feishu incident card patch refused; posting a new card', { incidentId: id, reason: e.message });
      }
    }
    const messageId = await create('chat_id', agentChat(), interactive(card), `incident-card:${id}:${ref ?? ''}`);
    if (messageId) await ctx.saveIncidentCardRef(id, 'feishu', messageId);
  }

  async function toCustomer(ctx: DeliveryContext, row: OutboxRow, build: (to: FeishuReplyTo) => { msg: Message; asReply: boolean }): Promise<void> {
    const route = await ctx.ticketRoute(row.ticketId!);
    const to = route.replyTo as unknown as FeishuReplyTo;
    if (route.channel !== 'feishu' || !to?.chatId) throw new Undeliverable(`ticket ${route.code} is not a Feishu conversation`);
    const { msg, asReply } = build(to);
    if (asReply && to.messageId) {
      try {
        await reply(to.messageId, to.chatId, msg, row.idemKey);
        return;
      } catch (e) {
        // The message we answer may have been recalled; the conversation is still there.
        if (!(e instanceof Undeliverable) || /230002|230013/.test(e.message)) throw e;
      }
    }
    if (to.chatType === 'p2p' && to.openId) await create('open_id', to.openId, msg, row.idemKey);
    else await create('chat_id', to.chatId, msg, row.idemKey);
  }

  async function deliverReply(row: OutboxRow): Promise<void> {
    const answer = row.payload.reply as CommandReply;
    const replyTo = (row.payload.replyTo ?? {}) as { messageId?: string; chatId?: string };
    const chatId = replyTo.chatId ?? agentChat();
    let msg: Message;
    switch (answer.kind) {
      case 'text':
        msg = text(answer.text);
        break;
      case 'markdown':
        msg = interactive(renderMarkdownCard(answer.title, answer.markdown));
        break;
      case 'ticket': {
        const c = renderTicketCard(answer.view);
        if (answer.text) (c.body as { elements: unknown[] }).elements.unshift({ tag: 'markdown', content: answer.text.replace(/</g, '&lt;') });
        msg = interactive(c);
        break;
      }
      case 'card':
        msg = interactive(answer.card);
        break;
      case 'file': {
        const key = await upload(answer.path, answer.name);
        msg = { msg_type: 'file', content: JSON.stringify({ file_key: key }) };
        break;
      }
    }
    if (replyTo.messageId) await reply(replyTo.messageId, chatId, msg, row.idemKey);
    else await create('chat_id', chatId, msg, row.idemKey);
    if (answer.kind === 'file' && answer.text) await create('chat_id', chatId, text(answer.text), `${row.idemKey}:text`);
  }

  return {
    name: 'feishu',
    async deliver(row, ctx) {
      switch (row.kind) {
        case 'agents.card':
          return deliverCard(row, ctx);
        case 'agents.text': {
          const view = row.ticketId !== null ? await ctx.ticketView(row.ticketId) : null;
          const assignee = view?.assignee ? { platform: view.assignee.platform, userId: view.assignee.userId } : null;
          const card = renderNoticeCard(String(row.payload.text ?? ''), mentionsFor(row.payload, ctx.config, assignee));
          await create('chat_id', agentChat(), interactive(card), row.idemKey);
          return;
        }
        case 'agents.file': {
          const key = await upload(String(row.payload.path), String(row.payload.name ?? 'file'));
          await create('chat_id', agentChat(), { msg_type: 'file', content: JSON.stringify({ file_key: key }) }, row.idemKey);
          if (row.payload.text) await create('chat_id', agentChat(), text(String(row.payload.text)), `${row.idemKey}:text`);
          return;
        }
        case 'agents.reply':
          return deliverReply(row);
        case 'agents.incident':
          return deliverIncident(row, ctx);
        case 'customer.text': {
          const body = String(row.payload.text ?? '');
          const purpose = row.payload.purpose;
          return toCustomer(ctx, row, (to) => ({
            // In a shared group, @ the customer so they notice; the bot speaks for the company.
            msg: text(to.chatType === 'group' ? `<at user_id="${to.openId}"></at> ${body}` : body),
            asReply: purpose === 'ack' || to.chatType === 'group',
          }));
        }
        case 'customer.survey': {
          const view = await ctx.ticketView(row.ticketId!);
          const card = renderSurveyCard(view, deps.company);
          return toCustomer(ctx, row, () => ({ msg: interactive(card), asReply: false }));
        }
        default:
          throw new Undeliverable(`feishu: unknown outbox kind ${row.kind}`);
      }
    },
  };
}
