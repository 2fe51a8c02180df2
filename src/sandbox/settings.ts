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

/**
 * The sandbox plays Feishu under the channel name `feishu` (the Feishu inbound code names its tickets so). With a
 * real Feishu app configured that name is taken, and the sandbox must not answer for the real one.
 */
export const feishuTaken = (env: Env) => Boolean(env.FEISHU_APP_ID);
