import * as lark from '@larksuiteoapi/node-sdk';
import { RetryLater, Undeliverable } from '../types.ts';
import type { Logger } from '../../log.ts';
import type { FeishuSettings } from './config.ts';

/** Token rejected: the SDK caches it until expiry and never refreshes on these (feishu.md §3). */
const TOKEN_INVALID = new Set([99991661, 99991663, 99991664]);
/** App-level (99991400) and per-chat/per-user (230020) frequency limits: wait and try again. */
const RATE_LIMITED = new Set([99991400, 230020]);
/** Codes that will not change on a retry; the text is what the agents' group is told. */
export const PERMANENT_REASONS: Record<number, string> = {
  230001: '请求参数错误',
  230002: '机器人不在该群中',
  230006: '机器人能力未启用',
  230013: '用户不在应用的可用范围内',
  230025: '消息内容超长',
  230031: '消息已超过 14 天，无法更新',
  230099: '卡片内容无效',
};

export class FeishuApiError extends Error {
  override name = 'FeishuApiError';
  constructor(
    readonly code: number,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A Feishu error → the outbox's vocabulary. Unknown 4xx business codes are permanent; 5xx and network are not. */
export function classify(e: unknown): Error {
  if (e instanceof RetryLater || e instanceof Undeliverable) return e;
  const resp = (e as { response?: { status?: number; headers?: Record<string, unknown>; data?: { code?: number; msg?: string } } }).response;
  const code = e instanceof FeishuApiError ? e.code : resp?.data?.code;
  const status = e instanceof FeishuApiError ? e.status : resp?.status;
  const msg = e instanceof FeishuApiError ? e.message : (resp?.data?.msg ?? (e as Error)?.message ?? String(e));
  const label = `feishu ${code ?? status ?? 'network'}: ${msg}`;
  if (code !== undefined && RATE_LIMITED.has(code)) {
    const reset = Number(resp?.headers?.['x-ogw-ratelimit-reset']);
    return new RetryLater(label, Number.isFinite(reset) && reset > 0 ? reset * 1000 : code === 230020 ? 1000 : undefined);
  }
  if (status === 429) return new RetryLater(label);
  if (code !== undefined && PERMANENT_REASONS[code]) return new Undeliverable(`${PERMANENT_REASONS[code]}（${code}）${msg ? `: ${msg}` : ''}`);
  if (status !== undefined && status >= 500) return new RetryLater(label);
  if (code !== undefined && code !== 0 && status !== undefined && status < 500) return new Undeliverable(label);
  return new RetryLater(label);
}

const codeOf = (e: unknown): number | undefined =>
  e instanceof FeishuApiError ? e.code : (e as { response?: { data?: { code?: number } } }).response?.data?.code;

export interface FeishuApi {
  client: lark.Client;
  /**
   * Runs one Open API call: a business error (code ≠ 0 in a 200) becomes an exception, an invalid token is
   * dropped from the cache and the call retried once, and what still fails is classified for the outbox.
   */
  call<T extends { code?: number; msg?: string }>(label: string, fn: () => Promise<T>): Promise<T>;
  /** The bot's own open_id (to tell "@bot" from other mentions). */
  botOpenId(): Promise<string | null>;
}

export interface ClientOptions {
  /** Per call; a hung request must not hold an outbox lane (the uuid makes the retry safe). */
  timeoutMs?: number;
  /** 服务台 credentials: sent as X-Lark-Helpdesk-Authorization on calls made with `lark.withHelpDeskCredential()`. */
  helpDesk?: { id: string; token: string };
  /** Where the SDK's HTTP calls go instead of the network: the sandbox's in-process stand-in for the Open API. */
  httpInstance?: lark.HttpInstance;
}

export function createFeishuApi(settings: FeishuSettings, log: Logger, opts: ClientOptions = {}): FeishuApi {
  // A cache of our own: the SDK default is process-global and keyed by app id, so tokens leak between instances.
  const cache = new lark.DefaultCache();
  const client = new lark.Client({
    appId: settings.appId,
    appSecret: settings.appSecret,
    domain: settings.domain,
    appType: lark.AppType.SelfBuild,
    disableTokenCache: false,
    cache,
    logger: sdkLogger(log),
    loggerLevel: lark.LoggerLevel.warn,
    helpDeskId: opts.helpDesk?.id,
    helpDeskToken: opts.helpDesk?.token,
    ...(opts.httpInstance ? { httpInstance: opts.httpInstance } : {}),
  });
  const timeoutMs = opts.timeoutMs ?? 15_000;
  let bot: Promise<string | null> | null = null;

  async function once<T extends { code?: number; msg?: string }>(label: string, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RetryLater(`feishu ${label}: no answer in ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const res = await Promise.race([fn(), timeout]);
      if (res && typeof res.code === 'number' && res.code !== 0) throw new FeishuApiError(res.code, res.msg ?? '', 200);
      return res;
    } finally {
      clearTimeout(timer);
    }
  }

  async function call<T extends { code?: number; msg?: string }>(label: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await once(label, fn);
    } catch (e) {
      const code = codeOf(e);
      if (code === undefined || !TOKEN_INVALID.has(code)) throw classify(e);
      log.info('feishu token rejected, refreshing', { label, code });
      await cache.set(lark.CTenantAccessToken, undefined as unknown as string, 0, { namespace: settings.appId });
      try {
        return await once(label, fn);
      } catch (e2) {
        throw classify(e2);
      }
    }
  }

  return {
    client,
    call,
    botOpenId() {
      bot ??= call('bot.info', () =>
        client.request<{ code?: number; msg?: string; bot?: { open_id?: string } }>({ method: 'GET', url: '/open-apis/bot/v3/info' }),
      )
        .then((r) => r.bot?.open_id ?? null)
        .catch((e) => {
          log.warn('feishu bot info unavailable; @bot is recognised by mention type only', { err: String(e) });
          bot = null;
          return null;
        });
      return bot;
    },
  };
}

/** The SDK logs arrays of values; ours takes a message and fields. */
export function sdkLogger(log: Logger): lark.Logger {
  const line = (args: unknown[]) => args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
  return {
    error: (...a: unknown[]) => log.error('feishu sdk', { detail: line(a) }),
    warn: (...a: unknown[]) => log.warn('feishu sdk', { detail: line(a) }),
    info: (...a: unknown[]) => log.debug('feishu sdk', { detail: line(a) }),
    debug: (...a: unknown[]) => log.debug('feishu sdk', { detail: line(a) }),
    trace: () => {},
  };
}
