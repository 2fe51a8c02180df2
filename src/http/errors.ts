import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Context } from 'hono';
import { ZodError } from 'zod';
import { DeskError, type DeskErrorCode } from '../desk/errors.ts';
import type { AppEnv } from './env.ts';

export type ApiErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'internal'
  | 'not_implemented';

const STATUS: Record<ApiErrorCode, ContentfulStatusCode> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  not_implemented: 501,
};

/** The one error shape of the HTTP API: { error: { code, message, requestId } }. */
export class ApiError extends HTTPException {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(STATUS[code], { message });
  }
}

const DESK_TO_API: Partial<Record<DeskErrorCode, ApiErrorCode>> = {
  not_found: 'not_found',
  forbidden: 'forbidden',
  not_your_ticket: 'forbidden',
  invalid: 'bad_request',
  empty_text: 'bad_request',
  bad_score: 'bad_request',
};

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof DeskError) return new ApiError(DESK_TO_API[err.code] ?? 'conflict', err.message);
  if (err instanceof ZodError) {
    const first = err.issues[0];
    return new ApiError(
      'bad_request',
      `${first.path.join('.') || '请求'}：${first.message}`,
      err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  if (err instanceof HTTPException)
    return new ApiError(err.status === 401 ? 'unauthorized' : err.status === 413 ? 'payload_too_large' : 'bad_request', err.message);
  return new ApiError('internal', '服务器内部错误');
}

export function errorResponse(c: Context<AppEnv>, err: unknown) {
  const e = toApiError(err);
  if (e.code === 'internal') c.get('log').error('unhandled error', { err: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  return c.json(
    { error: { code: e.code, message: e.message, requestId: c.get('requestId'), ...(e.details ? { details: e.details } : {}) } },
    e.status as ContentfulStatusCode,
  );
}
