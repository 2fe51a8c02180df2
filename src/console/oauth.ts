/**
 * Sign-in with Feishu or DingTalk (OAuth 2.0 authorization code, user login). Who may enter, and as what, comes
 * from config.roles; the platform only tells us who the person is.
 *
 * Feishu (Lark): authorize at {accounts}/open-apis/authen/v1/authorize → code; POST {open}/open-apis/authen/v2/oauth/token
 *   {grant_type, client_id, client_secret, code, redirect_uri} → access_token; GET {open}/open-apis/authen/v1/user_info
 *   (Bearer) → open_id. config.roles names Feishu people by open_id (what the agents' group events carry);
 *   union_id and user_id are accepted too.
 * DingTalk: authorize at login.dingtalk.com/oauth2/auth → authCode; POST {api}/v1.0/oauth2/userAccessToken
 *   {clientId, clientSecret, code, grantType} → accessToken; GET {api}/v1.0/contact/users/me → unionId. The agents'
 *   group names people by staffId (userid), so the unionId is turned into a staffId with the app's token
 *   (POST {oapi}/topapi/user/getbyunionid); config.roles may name either.
 * A non-default FEISHU_DOMAIN / DINGTALK_API_BASE serves every step (private deployments, tests' fake server).
 */
import type { Config, Env } from '../config.ts';
import { roleOf } from '../desk/act.ts';
import type { ConsoleRole } from './session.ts';

export type ProviderId = 'feishu' | 'dingtalk';

export interface OAuthIdentity {
  platform: ProviderId;
  userId: string;
  altIds: string[];
  name: string;
}

export interface OAuthProvider {
  id: ProviderId;
  label: string;
  /** The query parameter the platform puts the code in. */
  codeParam: string;
  authorizeUrl(state: string, redirectUri: string): string;
  exchange(code: string, redirectUri: string): Promise<OAuthIdentity>;
}

export class OAuthError extends Error {
  override name = 'OAuthError';
}

const TIMEOUT_MS = 10_000;

async function callJson(url: string, init: RequestInit, step: string): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (e) {
    throw new OAuthError(`${step}：无法连接（${(e as Error).message}）`);
  }
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new OAuthError(`${step}：HTTP ${res.status}，返回的不是 JSON`);
  }
  if (!res.ok) throw new OAuthError(`${step}：HTTP ${res.status} ${String(body.msg ?? body.message ?? body.error_description ?? body.error ?? '')}`.trim());
  return body;
}

const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) });

function feishuBases(domain: string): { accounts: string; open: string } {
  const v = domain.trim().toLowerCase();
  if (v === '' || v === 'feishu') return { accounts: 'https://accounts.feishu.cn', open: 'https://open.feishu.cn' };
  if (v === 'lark') return { accounts: 'https://accounts.larksuite.com', open: 'https://open.larksuite.com' };
  const base = domain.trim().replace(/\/+$/, '');
  return { accounts: base, open: base };
}

export function feishuProvider(env: Env): OAuthProvider | null {
  if (!env.FEISHU_APP_ID || !env.FEISHU_APP_SECRET) return null;
  const { accounts, open } = feishuBases(env.FEISHU_DOMAIN);
  const clientId = env.FEISHU_APP_ID;
  const clientSecret = env.FEISHU_APP_SECRET;
  return {
    id: 'feishu',
    label: '飞书',
    codeParam: 'code',
    authorizeUrl(state, redirectUri) {
      const u = new URL(`${accounts}/open-apis/authen/v1/authorize`);
      u.search = new URLSearchParams({ client_id: clientId, redirect_uri: redirectUri, response_type: 'code', state }).toString();
      return u.toString();
    },
    async exchange(code, redirectUri) {
      const tok = await callJson(
        `${open}/open-apis/authen/v2/oauth/token`,
        json({ grant_type: 'authorization_code', client_id: clientId, client_secret: clientSecret, code, redirect_uri: redirectUri }),
        '飞书换取 user_access_token',
      );
      const accessToken = typeof tok.access_token === 'string' ? tok.access_token : null;
      if ((tok.code !== undefined && tok.code !== 0) || !accessToken)
        throw new OAuthError(`飞书换取 user_access_token 失败：${String(tok.error_description ?? tok.msg ?? tok.error ?? tok.code)}`);
      const info = await callJson(`${open}/open-apis/authen/v1/user_info`, { headers: { authorization: `Bearer ${accessToken}` } }, '飞书获取用户信息');
      const data = (info.data ?? {}) as Record<string, unknown>;
      if (info.code !== 0 || typeof data.open_id !== 'string') throw new OAuthError(`飞书获取用户信息失败：${String(info.msg ?? info.code)}`);
      const alt = [data.union_id, data.user_id].filter((x): x is string => typeof x === 'string' && x.length > 0);
      return { platform: 'feishu', userId: data.open_id, altIds: alt, name: String(data.name ?? data.en_name ?? data.open_id) };
    },
  };
}

export function dingtalkProvider(env: Env): OAuthProvider | null {
  if (!env.DINGTALK_CLIENT_ID || !env.DINGTALK_CLIENT_SECRET) return null;
  const api = env.DINGTALK_API_BASE.replace(/\/+$/, '');
  const isDefault = api === 'https://api.dingtalk.com';
  const login = isDefault ? 'https://login.dingtalk.com' : api;
  const oapi = isDefault ? 'https://oapi.dingtalk.com' : api;
  const clientId = env.DINGTALK_CLIENT_ID;
  const clientSecret = env.DINGTALK_CLIENT_SECRET;
  return {
    id: 'dingtalk',
    label: '钉钉',
    codeParam: 'authCode',
    authorizeUrl(state, redirectUri) {
      const u = new URL(`${login}/oauth2/auth`);
      u.search = new URLSearchParams({
        redirect_uri: redirectUri,
        response_type: 'code',
        client_id: clientId,
        scope: 'openid',
        state,
        prompt: 'consent',
      }).toString();
      return u.toString();
    },
    async exchange(code) {
      const tok = await callJson(
        `${api}/v1.0/oauth2/userAccessToken`,
        json({ clientId, clientSecret, code, grantType: 'authorization_code' }),
        '钉钉换取用户 token',
      );
      if (typeof tok.accessToken !== 'string') throw new OAuthError(`钉钉换取用户 token 失败：${String(tok.message ?? tok.code ?? '')}`);
      const me = await callJson(`${api}/v1.0/contact/users/me`, { headers: { 'x-acs-dingtalk-access-token': tok.accessToken } }, '钉钉获取用户信息');
      if (typeof me.unionId !== 'string' || !me.unionId) throw new OAuthError('钉钉获取用户信息失败：没有 unionId');
      const staffId = await staffIdOf(me.unionId).catch(() => null);
      return { platform: 'dingtalk', userId: staffId ?? me.unionId, altIds: staffId ? [me.unionId] : [], name: String(me.nick ?? staffId ?? me.unionId) };
    },
  };

  /** unionId → staffId (userid), as the agents' group knows the person; null when the app may not look it up. */
  async function staffIdOf(unionId: string): Promise<string | null> {
    const app = await callJson(`${api}/v1.0/oauth2/accessToken`, json({ appKey: clientId, appSecret: clientSecret }), '钉钉应用 token');
    if (typeof app.accessToken !== 'string') return null;
    const r = await callJson(
      `${oapi}/topapi/user/getbyunionid?access_token=${encodeURIComponent(app.accessToken)}`,
      json({ unionid: unionId }),
      '钉钉 unionId 换 userid',
    );
    const userid = (r.result as { userid?: unknown } | undefined)?.userid;
    return r.errcode === 0 && typeof userid === 'string' && userid ? userid : null;
  }
}

export function oauthProviders(env: Env): OAuthProvider[] {
  return [feishuProvider(env), dingtalkProvider(env)].filter((p): p is OAuthProvider => p !== null);
}

const RANK: Record<ConsoleRole, number> = { agent: 1, lead: 2, admin: 3 };

/** The highest role config.roles gives any of the person's ids; null = not on the team. */
export function consoleRoleOf(config: Config, platform: string, ids: string[]): ConsoleRole | null {
  let best: ConsoleRole | null = null;
  for (const userId of ids) {
    const r = roleOf(config, { platform, userId } as Parameters<typeof roleOf>[1], false);
    if (r && (!best || RANK[r as ConsoleRole] > RANK[best])) best = r as ConsoleRole;
  }
  return best;
}

export const roleAtLeast = (role: ConsoleRole, min: ConsoleRole) => RANK[role] >= RANK[min];
