import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { Env, Config } from '../config.ts';
import { consoleRoleOf } from '../console/oauth.ts';
import { readSession, sessionKey, tokenFingerprint } from '../console/session.ts';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * From this machine, directly. A request that came through a proxy (X-Forwarded-For and friends) is not, even when
 * the proxy itself connects from 127.0.0.1: otherwise an nginx in front would open the sandbox to everyone.
 */
export function fromLoopback(c: Context): boolean {
  if (c.req.header('x-forwarded-for') || c.req.header('forwarded') || c.req.header('x-real-ip')) return false;
  try {
    return LOOPBACK.has(getConnInfo(c).remote.address ?? '');
  } catch {
    // No socket to ask (Workers, app.request without one): not provably local.
    return false;
  }
}

/** A console session whose role, looked up now, is admin (the same rules as the console's own pages). */
export function adminSession(c: Context, env: Env, config: Config, nowSeconds: number): boolean {
  const key = sessionKey(env);
  if (!key) return false;
  const s = readSession(c, key, nowSeconds);
  if (!s) return false;
  if (s.method === 'token') return Boolean(env.ADMIN_TOKEN && s.tk === tokenFingerprint(env.ADMIN_TOKEN));
  return consoleRoleOf(config, s.method, [s.userId, ...(s.altIds ?? [])]) === 'admin';
}
