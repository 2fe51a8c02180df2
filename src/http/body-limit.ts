import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError } from './errors.ts';
import type { AppEnv } from './env.ts';

/** Any route: nothing we accept comes near this (Feishu events, DingTalk callbacks, forms, the inbound API). */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Refuses a body over `maxBytes` before reading it (by Content-Length), or as soon as a streamed body passes the
 * limit: a 10 MB post costs us at most `maxBytes`, never the whole upload.
 */
export function limitBody(maxBytes: number): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError('payload_too_large', `请求体过大（上限 ${Math.round(maxBytes / 1024)} KB）`);
    },
  });
}

/** One limit per request, before anything reads the body: the tightest prefix that matches, else the default. */
export function bodyLimits(tighter: Array<[prefix: string, maxBytes: number]>): MiddlewareHandler<AppEnv> {
  const limits = tighter.map(([prefix, bytes]) => [prefix, limitBody(bytes)] as const);
  const fallback = limitBody(DEFAULT_BODY_LIMIT_BYTES);
  return (c, next) => (limits.find(([prefix]) => c.req.path.startsWith(prefix))?.[1] ?? fallback)(c, next);
}
