/**
 * Console sessions in signed cookies (no server-side store, so several instances share them) and CSRF tokens.
 *
 * - Key: SESSION_SECRET when set, else derived from ADMIN_TOKEN (HMAC, domain-separated). Rotating the secret
 *   signs everyone out. Without either, nobody can sign in: the console is closed, not open.
 * - Cookie value: base64url(JSON payload) "." base64url(HMAC-SHA256(key, payload)); compared in constant time.
 * - The role is NOT trusted from the cookie for platform users: every request maps the user through config.roles
 *   again, so removing someone from the config locks them out at once. A token session is tied to a fingerprint
 *   of the ADMIN_TOKEN it was opened with.
 * - CSRF: signed double-submit. A random `loopdesk_csrf` cookie (SameSite=Strict) and, in every POST form, the
 *   HMAC of it under the session key; the Origin header, when the browser sends one, must be our own origin.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import type { Env } from '../config.ts';

export const SESSION_COOKIE = 'loopdesk_console';
export const CSRF_COOKIE = 'loopdesk_csrf';
export const OAUTH_COOKIE = 'loopdesk_oauth';
/** A working day and a bit: long enough for a shift, short enough that a forgotten browser does not stay in. */
export const SESSION_TTL_SECONDS = 12 * 3600;
const OAUTH_TTL_SECONDS = 600;

export type ConsoleRole = 'agent' | 'lead' | 'admin';
export type LoginMethod = 'token' | 'feishu' | 'dingtalk' | 'local';

export interface SessionPayload {
  v: 1;
  method: LoginMethod;
  /** Platform user id the roles are looked up with (Feishu open_id, DingTalk staffId or unionId); 'admin' for token; the account id for local. */
  userId: string;
  /** Other ids of the same person that config.roles may name (DingTalk: unionId and staffId). */
  altIds?: string[];
  name: string;
  /** Token sessions: first bytes of sha256(ADMIN_TOKEN); a rotated token ends them. */
  tk?: string;
  iat: number;
  exp: number;
}

export interface OAuthState {
  provider: 'feishu' | 'dingtalk';
  state: string;
  next: string;
  exp: number;
}

export function sessionKey(env: Env): Buffer | null {
  if (env.SESSION_SECRET) return createHash('sha256').update(`loopdesk-console-session:${env.SESSION_SECRET}`).digest();
  if (env.ADMIN_TOKEN) return createHmac('sha256', env.ADMIN_TOKEN).update('loopdesk console session key v1').digest();
  return null;
}

export function tokenFingerprint(adminToken: string): string {
  return createHash('sha256').update(`console:${adminToken}`).digest('base64url').slice(0, 12);
}

const mac = (key: Buffer, data: string) => createHmac('sha256', key).update(data).digest('base64url');

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function seal(key: Buffer, payload: object): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${mac(key, `v1.${body}`)}`;
}

export function unseal<T extends { exp: number }>(key: Buffer, value: string | undefined, nowSeconds: number): T | null {
  if (!value || value.length > 4096) return null;
  const dot = value.indexOf('.');
  if (dot <= 0) return null;
  const body = value.slice(0, dot);
  if (!safeEqual(value.slice(dot + 1), mac(key, `v1.${body}`))) return null;
  try {
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T;
    if (typeof payload.exp !== 'number' || payload.exp <= nowSeconds) return null;
    return payload;
  } catch {
    return null;
  }
}

/** Secure cookies when the service is reached over HTTPS (PUBLIC_BASE_URL or the request itself). */
function secure(c: Context, env: Env): boolean {
  return env.PUBLIC_BASE_URL.startsWith('https:') || new URL(c.req.url).protocol === 'https:';
}

export function readSession(c: Context, key: Buffer, nowSeconds: number): SessionPayload | null {
  const s = unseal<SessionPayload>(key, getCookie(c, SESSION_COOKIE), nowSeconds);
  return s && s.v === 1 ? s : null;
}

export function writeSession(c: Context, env: Env, key: Buffer, payload: SessionPayload): void {
  setCookie(c, SESSION_COOKIE, seal(key, payload), {
    path: '/console',
    httpOnly: true,
    sameSite: 'Lax',
    secure: secure(c, env),
    maxAge: payload.exp - payload.iat,
  });
}

export function clearSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/console' });
}

export function writeOAuthState(c: Context, env: Env, key: Buffer, st: Omit<OAuthState, 'exp'>, nowSeconds: number): void {
  // Lax: the platform's redirect back to us is a top-level GET, which Lax cookies accompany.
  setCookie(c, OAUTH_COOKIE, seal(key, { ...st, exp: nowSeconds + OAUTH_TTL_SECONDS }), {
    path: '/console/auth',
    httpOnly: true,
    sameSite: 'Lax',
    secure: secure(c, env),
    maxAge: OAUTH_TTL_SECONDS,
  });
}

export function takeOAuthState(c: Context, key: Buffer, nowSeconds: number): OAuthState | null {
  const st = unseal<OAuthState>(key, getCookie(c, OAUTH_COOKIE), nowSeconds);
  deleteCookie(c, OAUTH_COOKIE, { path: '/console/auth' });
  return st;
}

/** The CSRF cookie's value, creating it when missing; returns the token forms carry. */
export function csrfToken(c: Context, env: Env, key: Buffer): string {
  let nonce = getCookie(c, CSRF_COOKIE);
  if (!nonce || !/^[\w-]{20,64}$/.test(nonce)) {
    nonce = randomBytes(18).toString('base64url');
    setCookie(c, CSRF_COOKIE, nonce, { path: '/console', httpOnly: true, sameSite: 'Strict', secure: secure(c, env) });
  }
  return mac(key, `csrf.${nonce}`);
}

/** True when the form's token matches the cookie and the request comes from our own pages. */
export function checkCsrf(c: Context, env: Env, key: Buffer, token: unknown): boolean {
  const nonce = getCookie(c, CSRF_COOKIE);
  if (!nonce || typeof token !== 'string' || !token) return false;
  if (!safeEqual(token, mac(key, `csrf.${nonce}`))) return false;
  const origin = c.req.header('origin');
  if (origin && origin !== 'null') {
    const own = new Set([new URL(c.req.url).origin, new URL(env.PUBLIC_BASE_URL).origin]);
    if (!own.has(origin)) return false;
  }
  return true;
}

/** Only same-site paths under /console are followed after login (no open redirect). */
export function safeNext(next: string | undefined | null): string {
  if (!next?.startsWith('/console/') || next.startsWith('//') || /[\\\r\n]/.test(next) || next.startsWith('/console/auth/')) return '/console/overview';
  return next;
}
