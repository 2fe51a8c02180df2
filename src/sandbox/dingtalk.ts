import { createDingTalkApi } from '../channels/dingtalk/api.ts';
import { createInbound, type Outcome } from '../channels/dingtalk/inbound.ts';
import { createDingTalkSender, createSessionBook } from '../channels/dingtalk/outbound.ts';
import type { DingTalkSettings } from '../channels/dingtalk/settings.ts';
import type { CoreServices } from '../services.ts';
import type { SandboxChats } from './chats.ts';
import { dingTalkOpenApiStandIn } from './dingtalk-openapi.ts';
import type { Toast } from './feishu.ts';
import { DT_AGENTS_CID, dtP2pCid, staffIdOf, type Persona } from './personas.ts';

const ROBOT = 'ding_sandbox';
const TEMPLATE_ID = 'sandbox_loopdesk_card.schema';
/** DingTalk cards in the sandbox: the imported template (DINGTALK_CARD_TEMPLATE_ID set), or markdown messages and typed commands (unset). */
export type DingTalkCards = 'template' | 'markdown';
/** Session webhooks live about 90 minutes in DingTalk. */
const SESSION_MS = 90 * 60_000;

const TOASTS: Record<Outcome, Toast> = {
  action: { type: 'success', content: '已提交，卡片稍后更新' },
  survey: { type: 'success', content: '感谢您的评价' },
  duplicate: { type: 'info', content: '该操作已处理' },
  refused: { type: 'warning', content: '操作未执行（原因见群消息）' },
  ticket: { type: 'info', content: '已提交' },
  command: { type: 'info', content: '已提交' },
  ignored: { type: 'info', content: '已提交' },
};

/**
 * DingTalk, played in process with the template card (DINGTALK_CARD_TEMPLATE_ID set): robot messages and card
 * callbacks go through the channel's own inbound code; the channel's own sender talks to the stand-in OpenAPI.
 * DingTalk answers a click with nothing: the card changes when the outbox updates it, as in the real client.
 */
export function sandboxDingTalk(core: CoreServices, chats: SandboxChats) {
  const log = core.log.child({ channel: 'dingtalk', sandbox: true });
  const settings: DingTalkSettings = {
    clientId: ROBOT,
    clientSecret: 'sandbox',
    robotCode: ROBOT,
    agentConversationId: DT_AGENTS_CID,
    cardTemplateId: TEMPLATE_ID,
    mode: 'stream',
    apiBase: 'https://api.dingtalk.com',
    oapiBase: 'https://oapi.dingtalk.com',
    gatewayUrl: 'https://api.dingtalk.com/v1.0/gateway/connections/open',
    publicBaseUrl: core.env.PUBLIC_BASE_URL.replace(/\/$/, ''),
    callbackRouteKey: 'loopdesk_sandbox',
  };
  const api = createDingTalkApi(settings, log, { fetch: dingTalkOpenApiStandIn(chats), timeoutMs: 5000 });
  const sessions = createSessionBook();
  const sender = createDingTalkSender(settings, api, sessions);
  const inbound = createInbound({ ...core, log }, settings, sessions);

  /** A robot message (`/v1.0/im/bot/messages/get` shape); `clientId` makes the msgId, so a double submit is one message. */
  async function say(p: Persona, text: string, clientId: string): Promise<string> {
    const cid = p.role === 'customer' ? dtP2pCid(p) : DT_AGENTS_CID;
    const msgId = `msg_sandbox_${clientId}`;
    if (!chats.get(msgId)) chats.add({ id: msgId, chatId: cid, senderId: staffIdOf(p), msgType: 'dt-text', content: { text } });
    await inbound.robotMessage({
      msgId,
      msgtype: 'text',
      conversationId: cid,
      conversationType: p.role === 'customer' ? '1' : '2',
      ...(p.role === 'agent' ? { conversationTitle: '客服群' } : {}),
      senderId: `$:LWCP_v1:$${staffIdOf(p)}`,
      senderStaffId: staffIdOf(p),
      senderNick: p.name,
      sessionWebhook: `${settings.oapiBase}/robot/sendBySession?session=${cid}`,
      sessionWebhookExpiredTime: core.clock.now().getTime() + SESSION_MS,
      robotCode: ROBOT,
      isInAtList: true,
      createAt: core.clock.now().getTime(),
      text: { content: text },
    });
    return msgId;
  }

  /** A click on a template card's request button: its params, with the card's local variables from the form. */
  async function click(
    p: Persona,
    messageId: string,
    value: Record<string, unknown>,
    form: Record<string, string> | undefined,
    clientId: string,
  ): Promise<Toast> {
    const msg = chats.get(messageId)!;
    const { $locals, ...fixed } = value as { $locals?: unknown };
    const params: Record<string, unknown> = { ...fixed };
    if (Array.isArray($locals)) for (const k of $locals) if (typeof k === 'string' && form?.[k]) params[k] = form[k];
    const outcome = await inbound.cardCallback(
      {
        outTrackId: String(msg.content.outTrackId ?? ''),
        userId: staffIdOf(p),
        corpId: 'ding_sandbox_corp',
        spaceType: p.role === 'customer' ? 'IM_ROBOT' : 'IM_GROUP',
        spaceId: p.role === 'customer' ? staffIdOf(p) : DT_AGENTS_CID,
        content: JSON.stringify({ cardPrivateData: { actionIds: [String(params.action ?? '')], params } }),
      },
      `sandbox:${clientId}`,
      true,
    );
    return TOASTS[outcome];
  }

  /** Switches as a deployment does by setting or unsetting DINGTALK_CARD_TEMPLATE_ID: the channel's sender reads it per delivery. */
  const setCards = (mode: DingTalkCards) => void (settings.cardTemplateId = mode === 'template' ? TEMPLATE_ID : null);
  const cards = (): DingTalkCards => (settings.cardTemplateId ? 'template' : 'markdown');

  return { sender, say, click, setCards, cards };
}
export type SandboxDingTalk = ReturnType<typeof sandboxDingTalk>;
