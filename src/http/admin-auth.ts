import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Services } from '../services.ts';
import type { AppEnv } from './env.ts';
import { ApiError } from './errors.ts';

/** Bearer ADMIN_TOKEN, compared in constant time; without a configured token the admin API is closed, not open. */
export function adminAuth(services: Services): MiddlewareHandler<AppEnv> {
  const expected = services.env.ADMIN_TOKEN ? createHash('sha256').update(services.env.ADMIN_TOKEN).digest() : null;
  return async (c, next) => {
    if (!expected) throw new ApiError('unauthorized', '未配置 ADMIN_TOKEN，管理接口已关闭');
    const given = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1] ?? '';
    if (!given || !timingSafeEqual(createHash('sha256').update(given).digest(), expected)) {
      throw new ApiError('unauthorized', '需要有效的管理令牌（Authorization: Bearer ADMIN_TOKEN）');
    }
    await next();
  };
}
