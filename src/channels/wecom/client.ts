/** Our own small typed client for the 微信客服 endpoints we use (企业微信 server API). */

export class WecomApiError extends Error {
  override name = 'WecomApiError';
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
    readonly path: string,
  ) {
    super(`${path}: ${errcode} ${errmsg}`);
  }
}

/** Token errors: the cached access_token was revoked or expired early; fetch a new one and retry. */
const TOKEN_ERRORS = new Set([40014, 42001, 41001]);

export interface KfMessage {
  msgid: string;
  open_kfid: string;
  external_userid?: string;
  send_time: number;
  /** 3 = from the WeChat customer, 4 = system event, 5 = from a servicer */
  origin: number;
  servicer_userid?: string;
  msgtype: string;
  text?: { content: string; menu_id?: string };
  image?: { media_id: string };
  voice?: { media_id: string };
  video?: { media_id: string };
  file?: { media_id: string };
  location?: { name?: string; address?: string; latitude?: number; longitude?: number };
  link?: { title?: string; desc?: string; url?: string };
  event?: { event_type: string; [k: string]: unknown };
}

export interface SyncMsgResult {
  next_cursor: string;
  has_more: number;
  msg_list: KfMessage[];
}

export type SendMsgBody =
  | { touser: string; open_kfid: string; msgid?: string; msgtype: 'text'; text: { content: string } }
  | {
      touser: string;
      open_kfid: string;
      msgid?: string;
      msgtype: 'msgmenu';
      msgmenu: { head_content?: string; list: Array<{ type: 'click'; click: { id: string; content: string } }>; tail_content?: string };
    };

export function createWecomClient(opts: { apiBase: string; corpId: string; secret: string; now: () => number; fetch?: typeof fetch }) {
  const f = opts.fetch ?? fetch;
  let token: { value: string; expiresAt: number } | null = null;
  let fetching: Promise<string> | null = null;

  async function getToken(): Promise<string> {
    if (token && token.expiresAt > opts.now()) return token.value;
    if (fetching) return fetching;
    fetching = (async () => {
      const url = `${opts.apiBase}/cgi-bin/gettoken?corpid=${encodeURIComponent(opts.corpId)}&corpsecret=${encodeURIComponent(opts.secret)}`;
      const body = await getJson<{ errcode: number; errmsg: string; access_token?: string; expires_in?: number }>(
        await f(url, { signal: AbortSignal.timeout(10_000) }),
        '/cgi-bin/gettoken',
      );
      if (body.errcode !== 0 || !body.access_token) throw new WecomApiError(body.errcode, body.errmsg, '/cgi-bin/gettoken');
      // Refresh five minutes early: a token that expires mid-request fails the call.
      token = { value: body.access_token, expiresAt: opts.now() + Math.max(60, (body.expires_in ?? 7200) - 300) * 1000 };
      return token.value;
    })();
    try {
      return await fetching;
    } finally {
      fetching = null;
    }
  }

  async function getJson<T>(res: Response, path: string): Promise<T> {
    if (!res.ok) throw new WecomApiError(-res.status, `HTTP ${res.status}`, path);
    return (await res.json()) as T;
  }

  async function post<T extends { errcode: number; errmsg: string }>(path: string, body: unknown, retried = false): Promise<T> {
    const t = await getToken();
    const res = await f(`${opts.apiBase}${path}?access_token=${encodeURIComponent(t)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const json = await getJson<T>(res, path);
    if (TOKEN_ERRORS.has(json.errcode) && !retried) {
      token = null;
      return post<T>(path, body, true);
    }
    if (json.errcode !== 0) throw new WecomApiError(json.errcode, json.errmsg, path);
    return json;
  }

  return {
    getToken,
    get tokenValid() {
      return token !== null && token.expiresAt > opts.now();
    },
    /** Messages after `cursor`; `token` is the one from the callback (valid 10 minutes, looser rate limits). */
    syncMsg: (req: { cursor?: string; token?: string; open_kfid: string; limit?: number }) =>
      post<SyncMsgResult & { errcode: number; errmsg: string }>('/cgi-bin/kf/sync_msg', { limit: 1000, voice_format: 0, ...req }),
    sendMsg: (body: SendMsgBody) => post<{ errcode: number; errmsg: string; msgid: string }>('/cgi-bin/kf/send_msg', body),
  };
}
export type WecomClient = ReturnType<typeof createWecomClient>;
