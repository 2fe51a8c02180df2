import * as lark from '@larksuiteoapi/node-sdk';
import type { Env } from '../../config.ts';

/** The Feishu part of the environment, resolved once (DESIGN.md "Environment"). */
export interface FeishuSettings {
  appId: string;
  appSecret: string;
  verificationToken?: string;
  encryptKey?: string;
  /** What the SDK takes: Domain.Feishu, Domain.Lark, or a base URL used verbatim (private deployments, tests). */
  domain: lark.Domain | string;
  eventMode: 'ws' | 'webhook';
  agentChatId?: string;
}

/** `feishu` | `lark` | a base URL; the SDK uses a string verbatim, so a trailing slash would double up. */
export function resolveDomain(value: string): lark.Domain | string {
  const v = value.trim();
  if (v === '' || v.toLowerCase() === 'feishu') return lark.Domain.Feishu;
  if (v.toLowerCase() === 'lark') return lark.Domain.Lark;
  if (!/^https?:\/\//i.test(v)) throw new Error(`FEISHU_DOMAIN must be "feishu", "lark" or a base URL (got ${JSON.stringify(value)})`);
  return v.replace(/\/+$/, '');
}

/** Null when the app is not configured: the channel is then simply not part of this deployment. */
export function feishuSettings(env: Env): FeishuSettings | null {
  if (!env.FEISHU_APP_ID || !env.FEISHU_APP_SECRET) return null;
  return {
    appId: env.FEISHU_APP_ID,
    appSecret: env.FEISHU_APP_SECRET,
    verificationToken: env.FEISHU_VERIFICATION_TOKEN,
    encryptKey: env.FEISHU_ENCRYPT_KEY,
    domain: resolveDomain(env.FEISHU_DOMAIN),
    eventMode: env.FEISHU_EVENT_MODE,
    agentChatId: env.FEISHU_AGENT_CHAT_ID,
  };
}
