/**
 * A fake Feishu + DingTalk OAuth server on 127.0.0.1, speaking the documented endpoints (see src/console/oauth.ts):
 * the authorize pages redirect straight back with a one-time code for the person the test says is signing in.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface FeishuPerson {
  open_id: string;
  union_id?: string;
  name: string;
}
export interface DingTalkPerson {
  unionId: string;
  nick: string;
  /** staffId the app may look up; null = getbyunionid refuses (person outside the org). */
  staffId: string | null;
}

export const FAKE_APPS = {
  feishu: { id: 'cli_console_test', secret: 'feishu-secret-0123456789' },
  dingtalk: { id: 'dingconsoletest', secret: 'dingtalk-secret-0123456789' },
};

export interface FakeOAuth {
  url: string;
  feishuUser: FeishuPerson;
  dingtalkUser: DingTalkPerson;
  /** Every call, for assertions: method + path. */
  calls: string[];
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  let s = '';
  for await (const chunk of req) s += chunk;
  try {
    return JSON.parse(s || '{}') as Record<string, unknown>;
  } catch {
    return {};
  }
}

export async function startFakeOAuth(): Promise<FakeOAuth> {
  const codes = new Map<string, { platform: 'feishu' | 'dingtalk'; redirectUri: string; person: FeishuPerson | DingTalkPerson }>();
  const tokens = new Map<string, FeishuPerson | DingTalkPerson>();
  const appTokens = new Set<string>();
  const fake: FakeOAuth = {
    url: '',
    feishuUser: { open_id: 'ou_agent', name: '王五' },
    dingtalkUser: { unionId: 'union_lead', nick: '李组长', staffId: 'staff_lead' },
    calls: [],
    close: async () => {},
  };
  const server: Server = createServer(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    fake.calls.push(`${req.method} ${u.pathname}`);
    const send = (status: number, obj: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    const issue = (platform: 'feishu' | 'dingtalk', param: string) => {
      const redirect = u.searchParams.get('redirect_uri') ?? '';
      const code = randomBytes(8).toString('hex');
      codes.set(code, { platform, redirectUri: redirect, person: platform === 'feishu' ? { ...fake.feishuUser } : { ...fake.dingtalkUser } });
      const back = new URL(redirect);
      back.searchParams.set(param, code);
      back.searchParams.set('state', u.searchParams.get('state') ?? '');
      res.writeHead(302, { location: back.toString() });
      res.end();
    };
    try {
      if (req.method === 'GET' && u.pathname === '/open-apis/authen/v1/authorize') {
        if (u.searchParams.get('client_id') !== FAKE_APPS.feishu.id || u.searchParams.get('response_type') !== 'code')
          return send(400, { code: 20001, msg: 'bad authorize request' });
        return issue('feishu', 'code');
      }
      if (req.method === 'POST' && u.pathname === '/open-apis/authen/v2/oauth/token') {
        const b = await body(req);
        const c = codes.get(String(b.code));
        codes.delete(String(b.code));
        if (b.grant_type !== 'authorization_code' || b.client_id !== FAKE_APPS.feishu.id || b.client_secret !== FAKE_APPS.feishu.secret)
          return send(400, { code: 20002, error: 'invalid_client' });
        if (c?.platform !== 'feishu' || c.redirectUri !== b.redirect_uri)
          return send(400, { code: 20003, error: 'invalid_grant', error_description: 'code invalid or used' });
        const token = `u-${randomBytes(8).toString('hex')}`;
        tokens.set(token, c.person);
        return send(200, { code: 0, access_token: token, expires_in: 7200, token_type: 'Bearer', scope: '' });
      }
      if (req.method === 'GET' && u.pathname === '/open-apis/authen/v1/user_info') {
        const p = tokens.get((req.headers.authorization ?? '').replace(/^Bearer\s+/, '')) as FeishuPerson | undefined;
        if (!p) return send(401, { code: 99991668, msg: 'invalid access token' });
        return send(200, { code: 0, msg: 'success', data: { name: p.name, open_id: p.open_id, union_id: p.union_id ?? `on_${p.open_id}`, tenant_key: 't1' } });
      }
      if (req.method === 'GET' && u.pathname === '/oauth2/auth') {
        if (u.searchParams.get('client_id') !== FAKE_APPS.dingtalk.id || u.searchParams.get('scope') !== 'openid')
          return send(400, { message: 'bad authorize request' });
        return issue('dingtalk', 'authCode');
      }
      if (req.method === 'POST' && u.pathname === '/v1.0/oauth2/userAccessToken') {
        const b = await body(req);
        const c = codes.get(String(b.code));
        codes.delete(String(b.code));
        if (b.clientId !== FAKE_APPS.dingtalk.id || b.clientSecret !== FAKE_APPS.dingtalk.secret || b.grantType !== 'authorization_code')
          return send(400, { code: 'InvalidClient', message: 'bad client' });
        if (c?.platform !== 'dingtalk') return send(400, { code: 'InvalidAuthCode', message: '不合法的临时授权码' });
        const token = `d-${randomBytes(8).toString('hex')}`;
        tokens.set(token, c.person);
        return send(200, { accessToken: token, refreshToken: 'r', expireIn: 7200, corpId: 'ding-corp' });
      }
      if (req.method === 'GET' && u.pathname === '/v1.0/contact/users/me') {
        const p = tokens.get(String(req.headers['x-acs-dingtalk-access-token'] ?? '')) as DingTalkPerson | undefined;
        if (!p) return send(401, { code: 'InvalidAuthentication', message: '不合法的access_token' });
        return send(200, { nick: p.nick, unionId: p.unionId, openId: `open_${p.unionId}`, stateCode: '86' });
      }
      if (req.method === 'POST' && u.pathname === '/v1.0/oauth2/accessToken') {
        const b = await body(req);
        if (b.appKey !== FAKE_APPS.dingtalk.id || b.appSecret !== FAKE_APPS.dingtalk.secret)
          return send(400, { code: 'invalidClientIdOrSecret', message: 'bad app' });
        const token = `app-${randomBytes(6).toString('hex')}`;
        appTokens.add(token);
        return send(200, { accessToken: token, expireIn: 7200 });
      }
      if (req.method === 'POST' && u.pathname === '/topapi/user/getbyunionid') {
        const b = await body(req);
        if (!appTokens.has(u.searchParams.get('access_token') ?? '')) return send(200, { errcode: 40014, errmsg: '不合法的access_token' });
        const p = fake.dingtalkUser;
        if (b.unionid !== p.unionId || !p.staffId) return send(200, { errcode: 60121, errmsg: '找不到该用户' });
        return send(200, { errcode: 0, errmsg: 'ok', result: { contact_type: 0, userid: p.staffId } });
      }
      send(404, { msg: `fake oauth: no route ${req.method} ${u.pathname}` });
    } catch (e) {
      send(500, { msg: String(e) });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise<void>((r) => server.close(() => r()));
  return fake;
}
