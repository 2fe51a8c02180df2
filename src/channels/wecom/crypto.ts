import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * WXBizMsgCrypt, the callback envelope of 企业微信: msg_signature = sha1(sort(token, timestamp, nonce, encrypt));
 * encrypt = base64(AES-256-CBC(key = base64(EncodingAESKey + "="), iv = key[0..16], PKCS#7 to 32 bytes) of
 * random(16) ‖ length(4, big-endian) ‖ message ‖ receiveId), where receiveId is the corp id.
 */
export class WecomCryptoError extends Error {
  override name = 'WecomCryptoError';
}

export function msgSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return createHash('sha1').update([token, timestamp, nonce, encrypt].sort().join('')).digest('hex');
}

export function createWecomCrypto(token: string, encodingAesKey: string, receiveId: string) {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  if (key.length !== 32) throw new WecomCryptoError('EncodingAESKey must decode to 32 bytes');
  const iv = key.subarray(0, 16);

  return {
    verify(signature: string, timestamp: string, nonce: string, encrypt: string): boolean {
      const expected = Buffer.from(msgSignature(token, timestamp, nonce, encrypt));
      const given = Buffer.from(signature);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
    decrypt(encrypt: string): string {
      let plain: Buffer;
      try {
        const d = createDecipheriv('aes-256-cbc', key, iv);
        d.setAutoPadding(false);
        plain = Buffer.concat([d.update(Buffer.from(encrypt, 'base64')), d.final()]);
      } catch (e) {
        throw new WecomCryptoError(`decrypt failed: ${(e as Error).message}`);
      }
      const pad = plain[plain.length - 1];
      if (pad < 1 || pad > 32 || plain.length < 20 + pad) throw new WecomCryptoError('bad padding');
      const body = plain.subarray(16, plain.length - pad);
      const len = body.readUInt32BE(0);
      if (4 + len > body.length) throw new WecomCryptoError('bad length');
      const id = body.subarray(4 + len).toString('utf8');
      if (id !== receiveId) throw new WecomCryptoError('receiveId mismatch');
      return body.subarray(4, 4 + len).toString('utf8');
    },
    encrypt(message: string): string {
      const msg = Buffer.from(message, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32BE(msg.length, 0);
      const raw = Buffer.concat([randomBytes(16), len, msg, Buffer.from(receiveId, 'utf8')]);
      const pad = 32 - (raw.length % 32);
      const c = createCipheriv('aes-256-cbc', key, iv);
      c.setAutoPadding(false);
      return Buffer.concat([c.update(Buffer.concat([raw, Buffer.alloc(pad, pad)])), c.final()]).toString('base64');
    },
  };
}

/** The few fields of the callback XML we read; CDATA or plain text. */
export function xmlField(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>(?:<!\\[CDATA\\[([\\s\\S]*?)\\]\\]>|([^<]*))</${name}>`).exec(xml);
  return m ? (m[1] ?? m[2]) : undefined;
}
