import { createHmac, timingSafeEqual } from 'node:crypto';

/** DingTalk's robot HTTP callbacks: sign = Base64(HMAC-SHA256(appSecret, timestamp + "\n" + appSecret)). */
export function robotSignature(timestamp: string, secret: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');
}

/** Card HTTP callbacks: x-ddpaas-signature = Base64(HMAC-SHA256(apiSecret, timestamp)). */
export function cardSignature(timestamp: string, secret: string): string {
  return createHmac('sha256', secret).update(timestamp).digest('base64');
}

/**
 * DingTalk documents ±1 h, but it signs each callback when it sends it: 5 minutes covers clock skew and network
 * delay (Feishu's window is the same). A signature covers the timestamp only, so within the window a reused one
 * is refused unless it comes with the same body (the desk's channel store, `claimSignature`).
 */
export const SIGNATURE_WINDOW_MS = 5 * 60_000;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function checkSignature(expected: (ts: string) => string, timestamp: string | undefined, sign: string | undefined, nowMs: number): SignatureCheck {
  if (!timestamp || !sign) return { ok: false, reason: '缺少 timestamp / sign 签名头' };
  const ts = Number(timestamp);
  if (!Number.isFinite(ts)) return { ok: false, reason: 'timestamp 无效' };
  if (Math.abs(nowMs - ts) > SIGNATURE_WINDOW_MS) return { ok: false, reason: '签名已过期（时间戳超出 5 分钟）' };
  const a = Buffer.from(expected(timestamp));
  const b = Buffer.from(sign);
  if (a.length !== b.length || !timingSafeEqual(a, b)) return { ok: false, reason: '签名不正确' };
  return { ok: true };
}
