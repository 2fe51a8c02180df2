import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';

/** Fixed-window counter per key; old windows are swept as they are touched, so memory stays bounded. */
export function createRateLimiter(max: number, windowMs: number, now: () => number = Date.now) {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    hit(key: string): { ok: true } | { ok: false; retryAfterMs: number } {
      const t = now();
      if (windows.size > 10_000) for (const [k, w] of windows) if (t - w.start >= windowMs) windows.delete(k);
      const w = windows.get(key);
      if (!w || t - w.start >= windowMs) {
        windows.set(key, { start: t, count: 1 });
        return { ok: true };
      }
      if (w.count >= max) return { ok: false, retryAfterMs: w.start + windowMs - t };
      w.count++;
      return { ok: true };
    },
  };
}

const PRIVATE = /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|::1$|::ffff:127\.|fc|fd)/;

/**
 * The client's address: the socket's, unless the socket is a local reverse proxy (loopback or private range),
 * whose X-Forwarded-For first hop is then trusted. A client on the open internet cannot spoof its way out.
 */
export function clientAddress(c: Context): string {
  let socket: string | undefined;
  try {
    socket = getConnInfo(c).remote.address;
  } catch {
    socket = undefined; // not on Node (app.request in tests, Workers)
  }
  const forwarded = c.req.header('cf-connecting-ip') ?? c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
  if (!socket) return forwarded || 'unknown';
  return PRIVATE.test(socket) && forwarded ? forwarded : socket;
}
