import type { Env } from '../config.ts';

/** A chat platform of this deployment (its credentials are set): the sandbox then stays off unless SANDBOX=on. */
export function platformConfigured(env: Env): boolean {
  return Boolean(env.FEISHU_APP_ID || env.DINGTALK_CLIENT_ID || env.WECOM_CORP_ID || env.FEISHU_HELPDESK_ID);
}

/** SANDBOX=on / off wins; unset means on only for a deployment that has no platform yet (a fresh clone). */
export function sandboxEnabled(env: Env): boolean {
  if (env.SANDBOX === 'off') return false;
  if (env.SANDBOX === 'on') return true;
  return !platformConfigured(env);
}

/** What `npm start` prints on a fresh clone: the one URL a newcomer needs (loopback, where the sandbox answers). */
export function sandboxBanner(port: number): string {
  return `\n  沙盒已开启（试用飞书卡片与完整闭环，无需任何账号）：http://localhost:${port}/sandbox\n  Sandbox: open http://localhost:${port}/sandbox — SANDBOX=off turns it off.\n\n`;
}

/**
 * The sandbox plays Feishu under the channel name `feishu` (the Feishu inbound code names its tickets so). With a
 * real Feishu app configured that name is taken, and the sandbox must not answer for the real one.
 */
export const feishuTaken = (env: Env) => Boolean(env.FEISHU_APP_ID);
export const dingTalkTaken = (env: Env) => Boolean(env.DINGTALK_CLIENT_ID);
