import { randomUUID } from 'node:crypto';
import { createFeishuApi } from '../channels/feishu/client.ts';
import type { FeishuSettings } from '../channels/feishu/config.ts';
import { createFeishuInbound } from '../channels/feishu/inbound.ts';
import { createPacer } from '../channels/feishu/rate-limit.ts';
import { createFeishuSender } from '../channels/feishu/sender.ts';
import type { ChannelSender } from '../channels/types.ts';
import type { CoreServices } from '../services.ts';
import type { SandboxChats } from './chats.ts';
import { feishuOpenApiStandIn } from './feishu-openapi.ts';
import { AGENTS_CHAT_ID, BOT_OPEN_ID, p2pChatId, type Persona } from './personas.ts';

export interface Toast {
  type: string;
  content: string;
}

/** Envelope fields Feishu puts on every event (schema 2.0); the dispatcher reads the type from the header. */
function envelope(type: string, event: Record<string, unknown>, eventId: string) {
  return {
    schema: '2.0',
    header: { event_id: eventId, event_type: type, create_time: String(Date.now()), token: 'sandbox', app_id: 'cli_sandbox', tenant_key: 'tk_sandbox' },
    event,
  };
}

/**
 * Feishu, played in process: the channel's own inbound handlers take events shaped like Feishu's, and the channel's
 * own sender talks through the Lark SDK to the stand-in Open API, which writes into the sandbox's chats.
 */
export function sandboxFeishu(core: CoreServices, chats: SandboxChats) {
  const log = core.log.child({ channel: 'feishu', sandbox: true });
  const settings: FeishuSettings = {
    appId: 'cli_sandbox',
    appSecret: 'sandbox',
    domain: 'https://open.feishu.cn',
    eventMode: 'webhook',
    agentChatId: AGENTS_CHAT_ID,
  };
  const api = createFeishuApi(settings, log, { httpInstance: feishuOpenApiStandIn(chats), timeoutMs: 5000 });
  const inbound = createFeishuInbound({ core: { ...core, log }, settings, api });
  // Nothing to protect in process: a faster pacer keeps the page lively.
  const sender: ChannelSender = createFeishuSender({ api, agentChatId: AGENTS_CHAT_ID, pacer: createPacer(50), company: core.config.company.name });

  /**
   * A message typed by a persona: shown in its chat at once, then delivered as `im.message.receive_v1`. `clientId`
   * makes the message id, so a double submit is the same message (the inbound receipts drop the second).
   */
  async function say(p: Persona, text: string, clientId: string): Promise<string> {
    const chatId = p.role === 'customer' ? p2pChatId(p) : AGENTS_CHAT_ID;
    const messageId = `om_sandbox_in_${clientId}`;
    if (!chats.get(messageId)) chats.add({ id: messageId, chatId, senderId: p.openId, msgType: 'text', content: { text } });
    await inbound.dispatcher.invoke(
      envelope(
        'im.message.receive_v1',
        {
          sender: { sender_id: { open_id: p.openId, union_id: `on_${p.openId}`, user_id: null }, sender_type: 'user', tenant_key: 'tk_sandbox' },
          message: {
            message_id: messageId,
            create_time: String(Date.now()),
            chat_id: chatId,
            chat_type: p.role === 'customer' ? 'p2p' : 'group',
            message_type: 'text',
            content: JSON.stringify({ text }),
          },
        },
        `ev_sandbox_${clientId}`,
      ),
      { needCheck: false },
    );
    return messageId;
  }

  /** A click on a card button: `card.action.trigger` with the button's value and the form's fields. */
  async function click(
    p: Persona,
    messageId: string,
    value: Record<string, unknown>,
    formValue: Record<string, unknown> | undefined,
    clientId: string,
  ): Promise<Toast> {
    const msg = chats.get(messageId)!;
    const answer = (await inbound.dispatcher.invoke(
      envelope(
        'card.action.trigger',
        {
          operator: { tenant_key: 'tk_sandbox', open_id: p.openId, union_id: `on_${p.openId}`, user_id: null },
          token: `c-${randomUUID()}`,
          action: { value, tag: 'button', timezone: 'Asia/Shanghai', name: String(value.action ?? 'button'), ...(formValue ? { form_value: formValue } : {}) },
          host: 'im_message',
          context: { open_message_id: messageId, open_chat_id: msg.chatId },
        },
        `ev_sandbox_card_${clientId}`,
      ),
      { needCheck: false },
    )) as { toast?: Toast; card?: { type: string; data: Record<string, unknown> } } | undefined;
    // Feishu shows the card a callback answers with in place of the clicked one.
    if (answer?.card?.type === 'raw') chats.update(messageId, answer.card.data);
    return answer?.toast ?? { type: 'info', content: '已提交' };
  }

  return { sender, say, click, botOpenId: BOT_OPEN_ID };
}
export type SandboxFeishu = ReturnType<typeof sandboxFeishu>;
