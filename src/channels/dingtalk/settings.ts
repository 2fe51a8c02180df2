import type { Env } from '../../config.ts';

/** Everything the DingTalk channel reads from the environment, resolved once. */
export interface DingTalkSettings {
  clientId: string;
  clientSecret: string;
  /** For an internal (企业内部) app the robot code is the AppKey. */
  robotCode: string;
  agentConversationId: string | null;
  cardTemplateId: string | null;
  mode: 'stream' | 'http';
  apiBase: string;
  /** Legacy host (file upload); the fake serves both, so a non-default API base is used for both. */
  oapiBase: string;
  gatewayUrl: string;
  publicBaseUrl: string;
  /** Route key for HTTP-mode card callbacks (registered at start with /v1.0/card/callbacks/register). */
  callbackRouteKey: string;
}

export const DEFAULT_API_BASE = 'https://api.dingtalk.com';

export function dingTalkSettings(env: Env): DingTalkSettings | null {
  if (!env.DINGTALK_CLIENT_ID || !env.DINGTALK_CLIENT_SECRET) return null;
  const apiBase = env.DINGTALK_API_BASE.replace(/\/$/, '');
  const robotCode = env.DINGTALK_ROBOT_CODE ?? env.DINGTALK_CLIENT_ID;
  return {
    clientId: env.DINGTALK_CLIENT_ID,
    clientSecret: env.DINGTALK_CLIENT_SECRET,
    robotCode,
    agentConversationId: env.DINGTALK_AGENT_CONVERSATION_ID ?? null,
    cardTemplateId: env.DINGTALK_CARD_TEMPLATE_ID ?? null,
    mode: env.DINGTALK_EVENT_MODE,
    apiBase,
    oapiBase: apiBase === DEFAULT_API_BASE ? 'https://oapi.dingtalk.com' : apiBase,
    gatewayUrl: env.DINGTALK_GATEWAY_URL,
    publicBaseUrl: env.PUBLIC_BASE_URL.replace(/\/$/, ''),
    callbackRouteKey: `loopdesk_${robotCode}`.replace(/[^\w-]/g, '_').slice(0, 64),
  };
}
