import { readFile } from 'node:fs/promises';
import { RetryLater, Undeliverable } from '../types.ts';
import type { Logger } from '../../log.ts';
import type { DingTalkSettings } from './settings.ts';

/**
 * A small typed client for the DingTalk OpenAPI (v1.0 on api.dingtalk.com, plus the legacy oapi host for file
 * upload and session webhooks). Errors come out in the outbox's vocabulary: RetryLater for throttling, 5xx and
 * network trouble; Undeliverable for what a retry cannot fix.
 */

/** Legacy errcodes worth another try: busy (-1), token (88), webhook throttled for 10 min (410100), 130101 send too fast. */
const RETRY_ERRCODES = new Set([-1, 88, 410100, 130101]);
/** v1.0 error codes that mean "slow down", whatever the HTTP status. */
const THROTTLED = /throttl|qpslimit|flowcontrol|ratelimit|system\.busy|toomanyrequests/i;

export class DingTalkApiError extends Error {
  override name = 'DingTalkApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The session webhook is gone or refused: the caller falls back to the OpenAPI. */
export class SessionUnavailable extends Error {
  override name = 'SessionUnavailable';
}

export interface CardCreateRequest {
  outTrackId: string;
  cardTemplateId: string;
  cardParamMap: Record<string, string>;
  /** dtv1.card//IM_GROUP.<cid> or dtv1.card//IM_ROBOT.<userId> */
  openSpaceId: string;
  callbackType: 'STREAM' | 'HTTP';
  callbackRouteKey?: string;
  /** staffId → nick: people the card @-mentions (group cards only). */
  atUserIds?: Record<string, string>;
}

export interface DingTalkApiOptions {
  timeoutMs?: number;
  /** Refresh this long before the token expires (DingTalk tokens last 2 h). */
  refreshEarlyMs?: number;
  now?: () => number;
  /** Where the calls go instead of the network: the sandbox's in-process stand-in for the OpenAPI. */
  fetch?: typeof fetch;
}

export function createDingTalkApi(settings: DingTalkSettings, log: Logger, opts: DingTalkApiOptions = {}) {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const refreshEarlyMs = opts.refreshEarlyMs ?? 5 * 60_000;
  const now = opts.now ?? Date.now;
  let token: { value: string; expiresAt: number } | null = null;
  let pending: Promise<string> | null = null;
  const webhookHosts = new Set(['oapi.dingtalk.com', 'api.dingtalk.com', new URL(settings.apiBase).host, new URL(settings.oapiBase).host]);

  async function send(url: string, init: RequestInit, label: string): Promise<Response> {
    try {
      return await (opts.fetch ?? fetch)(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      throw new RetryLater(`dingtalk ${label}: network ${(e as Error).name}: ${(e as Error).message}`);
    }
  }

  async function fetchToken(): Promise<string> {
    const res = await send(
      `${settings.apiBase}/v1.0/oauth2/accessToken`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ appKey: settings.clientId, appSecret: settings.clientSecret }),
      },
      'accessToken',
    );
    const body = (await res.json().catch(() => ({}))) as { accessToken?: string; expireIn?: number; code?: string; message?: string };
    if (!res.ok || !body.accessToken) {
      // A wrong secret will not fix itself; everything else (5xx, throttling) might.
      const err = new DingTalkApiError(res.status, body.code ?? String(res.status), body.message ?? 'no accessToken');
      if (res.status >= 400 && res.status < 500 && !THROTTLED.test(err.code))
        throw new Undeliverable(`钉钉应用凭证无效（${err.code}）：请检查 DINGTALK_CLIENT_ID / DINGTALK_CLIENT_SECRET`);
      throw new RetryLater(`dingtalk accessToken ${err.code}: ${err.message}`);
    }
    const lifetime = (body.expireIn ?? 7200) * 1000;
    token = { value: body.accessToken, expiresAt: now() + lifetime - Math.min(refreshEarlyMs, lifetime / 2) };
    log.debug('dingtalk token refreshed', { expiresInS: body.expireIn });
    return body.accessToken;
  }

  /** Cached, refreshed early, one refresh at a time; the value never reaches a log line. */
  async function accessToken(): Promise<string> {
    if (token && now() < token.expiresAt) return token.value;
    pending ??= fetchToken().finally(() => (pending = null));
    return pending;
  }

  function classify(label: string, status: number, code: string, message: string): Error {
    const text = `dingtalk ${label} ${status} ${code}: ${message}`;
    if (status === 429 || status >= 500 || THROTTLED.test(code) || THROTTLED.test(message)) return new RetryLater(text);
    return new Undeliverable(`钉钉接口拒绝（${label}，${code || status}）：${message}`);
  }

  /** One v1.0 call; a rejected token is dropped and the call tried once more with a fresh one. */
  async function call<T>(label: string, method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const res = await send(
        `${settings.apiBase}${path}`,
        {
          method,
          headers: { 'content-type': 'application/json', accept: 'application/json', 'x-acs-dingtalk-access-token': await accessToken() },
          body: body === undefined ? undefined : JSON.stringify(body),
        },
        label,
      );
      const text = await res.text();
      let json: Record<string, unknown> = {};
      try {
        json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        if (res.ok) throw new RetryLater(`dingtalk ${label}: response is not JSON`);
      }
      const code = typeof json.code === 'string' ? json.code : '';
      if ((res.status === 401 || /InvalidAuthentication|token/i.test(code)) && attempt === 0 && !res.ok) {
        token = null;
        continue;
      }
      if (!res.ok) throw classify(label, res.status, code, typeof json.message === 'string' ? json.message : text.slice(0, 200));
      return json as T;
    }
  }

  return {
    accessToken,
    /** Drops the cached token (tests; a secret rotation). */
    forgetToken: () => void (token = null),

    /** 1:1 robot message to org members (≤ 20 per call). Throttled recipients mean "try again later". */
    async sendToUsers(userIds: string[], msgKey: string, msgParam: Record<string, unknown>): Promise<string> {
      const r = await call<{ processQueryKey?: string; invalidStaffIdList?: string[]; flowControlledStaffIdList?: string[] }>(
        'batchSend',
        'POST',
        '/v1.0/robot/oToMessages/batchSend',
        {
          robotCode: settings.robotCode,
          userIds,
          msgKey,
          msgParam: JSON.stringify(msgParam),
        },
      );
      if (r.flowControlledStaffIdList?.length)
        throw new RetryLater(`dingtalk batchSend: flow controlled for ${r.flowControlledStaffIdList.length} recipient(s)`, 60_000);
      if (r.invalidStaffIdList?.length && r.invalidStaffIdList.length >= userIds.length) {
        throw new Undeliverable(`钉钉用户无效或不在应用可见范围内：${r.invalidStaffIdList.join(', ')}`);
      }
      return r.processQueryKey ?? '';
    },

    /** Robot message into a group it belongs to (this API cannot @ anyone). */
    async sendToGroup(openConversationId: string, msgKey: string, msgParam: Record<string, unknown>): Promise<string> {
      const r = await call<{ processQueryKey?: string }>('groupSend', 'POST', '/v1.0/robot/groupMessages/send', {
        robotCode: settings.robotCode,
        openConversationId,
        msgKey,
        msgParam: JSON.stringify(msgParam),
      });
      return r.processQueryKey ?? '';
    },

    /** New card platform: create and deliver in one call; each delivery result is checked. */
    async createAndDeliverCard(req: CardCreateRequest): Promise<void> {
      const group = req.openSpaceId.includes('IM_GROUP.');
      const body: Record<string, unknown> = {
        cardTemplateId: req.cardTemplateId,
        outTrackId: req.outTrackId,
        callbackType: req.callbackType,
        cardData: { cardParamMap: req.cardParamMap },
        openSpaceId: req.openSpaceId,
        userIdType: 1,
      };
      if (req.callbackRouteKey) body.callbackRouteKey = req.callbackRouteKey;
      if (group) {
        body.imGroupOpenSpaceModel = { supportForward: false };
        body.imGroupOpenDeliverModel = {
          robotCode: settings.robotCode,
          ...(req.atUserIds && Object.keys(req.atUserIds).length ? { atUserIds: req.atUserIds } : {}),
        };
      } else {
        body.imRobotOpenSpaceModel = { supportForward: false };
        body.imRobotOpenDeliverModel = { spaceType: 'IM_ROBOT', robotCode: settings.robotCode };
      }
      let r: { success?: boolean; result?: { deliverResults?: Array<{ success?: boolean; errorMsg?: string; spaceId?: string }> } };
      try {
        r = await call('createAndDeliver', 'POST', '/v1.0/card/instances/createAndDeliver', body);
      } catch (e) {
        // A retry after a lost response finds the card already there: that is success.
        if (e instanceof Undeliverable && /cardAlreadyExist/i.test(e.message)) return;
        throw e;
      }
      const failed = (r.result?.deliverResults ?? []).filter((d) => d.success === false);
      if (failed.length) {
        const why = failed.map((d) => d.errorMsg ?? 'unknown').join('; ');
        if (THROTTLED.test(why)) throw new RetryLater(`dingtalk card deliver: ${why}`);
        throw new Undeliverable(`钉钉卡片投放失败：${why}`);
      }
    },

    async updateCard(outTrackId: string, cardParamMap: Record<string, string>): Promise<void> {
      await call('updateCard', 'PUT', '/v1.0/card/instances', {
        outTrackId,
        cardData: { cardParamMap },
        cardUpdateOptions: { updateCardDataByKey: true, updatePrivateDataByKey: true },
        userIdType: 1,
      });
    },

    /** HTTP mode: tells DingTalk where card button clicks go, signed with the app secret. */
    async registerCardCallback(callbackUrl: string): Promise<void> {
      await call('registerCallback', 'POST', '/v1.0/card/callbacks/register', {
        callbackRouteKey: settings.callbackRouteKey,
        callbackUrl,
        apiSecret: settings.clientSecret,
        forceUpdate: true,
      });
    },

    /** The reply channel a robot message brings along: no token needed, valid for about 90 minutes. */
    async sendBySession(webhook: string, body: Record<string, unknown>): Promise<void> {
      let url: URL;
      try {
        url = new URL(webhook);
      } catch {
        throw new SessionUnavailable('bad session webhook');
      }
      // The URL arrives inside a payload: only DingTalk's own hosts (or the configured base) may receive our text.
      if (!webhookHosts.has(url.host)) throw new SessionUnavailable(`session webhook host ${url.host} not allowed`);
      const res = await send(url.toString(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, 'sessionWebhook');
      if (res.status >= 500 || res.status === 429) throw new RetryLater(`dingtalk sessionWebhook ${res.status}`);
      const r = (await res.json().catch(() => ({}))) as { errcode?: number; errmsg?: string };
      if (!res.ok) throw new SessionUnavailable(`session webhook ${res.status}`);
      if (r.errcode && RETRY_ERRCODES.has(r.errcode))
        throw new RetryLater(`dingtalk sessionWebhook errcode ${r.errcode}: ${r.errmsg ?? ''}`, r.errcode === 410100 ? 60_000 : undefined);
      if (r.errcode) throw new SessionUnavailable(`session webhook errcode ${r.errcode}: ${r.errmsg ?? ''}`);
    },

    /** Legacy media upload (the ledger file), then sent as `sampleFile`. */
    async uploadFile(path: string, name: string): Promise<string> {
      const data = await readFile(path);
      const form = new FormData();
      form.append('media', new Blob([data]), name);
      const res = await send(
        `${settings.oapiBase}/media/upload?access_token=${encodeURIComponent(await accessToken())}&type=file`,
        { method: 'POST', body: form },
        'mediaUpload',
      );
      if (res.status >= 500 || res.status === 429) throw new RetryLater(`dingtalk mediaUpload ${res.status}`);
      const r = (await res.json().catch(() => ({}))) as { errcode?: number; errmsg?: string; media_id?: string };
      if (r.errcode && RETRY_ERRCODES.has(r.errcode)) throw new RetryLater(`dingtalk mediaUpload errcode ${r.errcode}`);
      if (r.errcode || !r.media_id) throw new Undeliverable(`钉钉文件上传失败（${r.errcode ?? res.status}）：${r.errmsg ?? ''}`);
      return r.media_id;
    },
  };
}
export type DingTalkApi = ReturnType<typeof createDingTalkApi>;
