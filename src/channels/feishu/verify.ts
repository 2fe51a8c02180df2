import { createCipheriv, createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';

/** Feishu re-pushes for up to ~7 h, but each push is freshly signed: an older signature is a replay. */
export const MAX_SKEW_SECONDS = 300;

export class VerifyError extends Error {
  override name = 'VerifyError';
  constructor(
    readonly status: 400 | 401,
    message: string,
  ) {
    super(message);
  }
}

export interface WebhookCheck {
  raw: string;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  encryptKey?: string;
  verificationToken?: string;
  nowMs: number;
  maxSkewSeconds?: number;
}

export type VerifiedWebhook = { kind: 'challenge'; challenge: string } | { kind: 'event'; body: Record<string, unknown> };

/** AES-256-CBC, key = sha256(encryptKey), IV = the first 16 bytes (feishu.md §1). */
export function decrypt(encrypted: string, encryptKey: string): string {
  const buf = Buffer.from(encrypted, 'base64');
  if (buf.length < 32) throw new Error('ciphertext too short');
  const key = createHash('sha256').update(encryptKey).digest();
  const d = createDecipheriv('aes-256-cbc', key, buf.subarray(0, 16));
  return Buffer.concat([d.update(buf.subarray(16)), d.final()]).toString('utf8');
}

/** The inverse, for the fake server, tests and the benchmark. */
export function encrypt(plain: string, encryptKey: string, iv: Buffer): string {
  const key = createHash('sha256').update(encryptKey).digest();
  const c = createCipheriv('aes-256-cbc', key, iv);
  return Buffer.concat([iv, c.update(plain, 'utf8'), c.final()]).toString('base64');
}

/** hex(sha256(timestamp + nonce + encryptKey + rawBody)) — over the raw bytes, never a re-serialisation. */
export function signature(timestamp: string, nonce: string, encryptKey: string, raw: string): string {
  return createHash('sha256')
    .update(timestamp + nonce + encryptKey + raw)
    .digest('hex');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function parseObject(text: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new VerifyError(400, `${what} is not JSON`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new VerifyError(400, `${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

/** v2 events carry the token in `header.token`, v1 events and the URL challenge at the top. */
function tokenOf(body: Record<string, unknown>): unknown {
  const header = body.header as Record<string, unknown> | undefined;
  return header && typeof header === 'object' ? header.token : body.token;
}

/**
 * Authenticates one webhook delivery before anything else looks at it:
 * - with an Encrypt Key: the signature over the raw body, a fresh timestamp, then decryption;
 * - without one: the Verification Token inside the body (the SDK checks nothing in that case).
 * The URL-verification challenge is answered only when its token is ours.
 */
export function verifyWebhook(input: WebhookCheck): VerifiedWebhook {
  const { raw, headers, encryptKey, verificationToken } = input;
  const outer = parseObject(raw, 'body');
  let body = outer;
  if (typeof outer.encrypt === 'string') {
    if (!encryptKey) throw new VerifyError(400, 'encrypted body but FEISHU_ENCRYPT_KEY is not set');
    let plain: string;
    try {
      plain = decrypt(outer.encrypt, encryptKey);
    } catch {
      throw new VerifyError(401, 'cannot decrypt body (wrong encrypt key?)');
    }
    body = parseObject(plain, 'decrypted body');
  }

  if (body.type === 'url_verification') {
    if (typeof body.challenge !== 'string') throw new VerifyError(400, 'challenge missing');
    if (verificationToken && !(typeof body.token === 'string' && sameText(body.token, verificationToken)))
      throw new VerifyError(401, 'wrong verification token');
    return { kind: 'challenge', challenge: body.challenge };
  }

  if (encryptKey) {
    const ts = headers['x-lark-request-timestamp'];
    const nonce = headers['x-lark-request-nonce'];
    const sig = headers['x-lark-signature'];
    if (!ts || !nonce || !sig) throw new VerifyError(401, 'signature headers missing');
    const seconds = Number(ts);
    const skew = input.maxSkewSeconds ?? MAX_SKEW_SECONDS;
    if (!Number.isFinite(seconds) || Math.abs(input.nowMs / 1000 - seconds) > skew) throw new VerifyError(401, 'stale or invalid timestamp');
    if (!sameText(signature(ts, nonce, encryptKey, raw), sig.toLowerCase())) throw new VerifyError(401, 'bad signature');
  }
  if (verificationToken) {
    const token = tokenOf(body);
    if (!(typeof token === 'string' && sameText(token, verificationToken))) throw new VerifyError(401, 'wrong verification token');
  } else if (!encryptKey) {
    throw new VerifyError(401, 'neither FEISHU_ENCRYPT_KEY nor FEISHU_VERIFICATION_TOKEN is set: refusing unauthenticated events');
  }
  return { kind: 'event', body };
}
