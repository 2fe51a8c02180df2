import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * One signature scheme both ways (requests to us, webhooks from us), the way Stripe and Slack do it:
 * `X-Loopdesk-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`, with
 * `X-Loopdesk-Timestamp` in Unix seconds. Signing the timestamp with the body stops replays outside the window.
 */
export const SIGNATURE_HEADER = 'x-loopdesk-signature';
export const TIMESTAMP_HEADER = 'x-loopdesk-timestamp';
export const SOURCE_HEADER = 'x-loopdesk-source';
export const DELIVERY_HEADER = 'x-loopdesk-delivery';

export function sign(secret: string, timestamp: number | string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifySignature(
  secret: string,
  headers: { timestamp?: string | null; signature?: string | null },
  rawBody: string,
  now: Date,
  toleranceSeconds: number,
): SignatureCheck {
  const ts = headers.timestamp?.trim() ?? '';
  if (!/^\d{9,11}$/.test(ts)) return { ok: false, reason: `缺少或无效的 ${TIMESTAMP_HEADER}（Unix 秒）` };
  const skew = Math.abs(now.getTime() / 1000 - Number(ts));
  if (skew > toleranceSeconds) return { ok: false, reason: `时间戳超出允许范围（±${toleranceSeconds} 秒）` };
  const given = Buffer.from(headers.signature?.trim() ?? '');
  const expected = Buffer.from(sign(secret, ts, rawBody));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: '签名不匹配' };
  return { ok: true };
}

/** Headers for a signed POST of `body`. */
export function signedHeaders(secret: string, body: string, now: Date, extra: Record<string, string> = {}): Record<string, string> {
  const ts = Math.floor(now.getTime() / 1000);
  return { 'content-type': 'application/json', [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: sign(secret, ts, body), ...extra };
}
