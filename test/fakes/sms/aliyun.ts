import { createHash, createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSms {
  phoneNumbers: string;
  signName: string;
  templateCode: string;
  templateParam: Record<string, string>;
  outId: string | null;
}

/** Same percent-encoding as the SDK's canonical query (RFC 3986: also ! ' ( ) *). */
const encode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * Alibaba Cloud SMS (dysmsapi 2017-05-25) on 127.0.0.1, speaking its wire format: RPC style, the action in
 * `x-acs-action`, parameters in the query, JSON answers `{ RequestId, Code, Message, BizId }`. Every request's
 * ACS3-HMAC-SHA256 signature is recomputed from what arrived (method, path, sorted query, signed headers, body hash)
 * and a wrong one is refused as Alibaba refuses it (HTTP 400 SignatureDoesNotMatch).
 */
export async function startFakeAliyunSms(opts: { accessKeyId: string; accessKeySecret: string }) {
  const sent: FakeSms[] = [];
  const requests: Array<{ action: string; ok: boolean }> = [];
  /** Answers to give instead of success, in order: an HTTP status with a body, or an `isv.` code with HTTP 200. */
  const faults: Array<{ status: number; code: string; message: string }> = [];

  function signatureProblem(req: IncomingMessage, url: URL, body: Buffer): string | null {
    const auth = req.headers.authorization ?? '';
    const m = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]+)$/.exec(auth);
    if (!m) return 'missing or malformed Authorization';
    if (m[1] !== opts.accessKeyId) return 'InvalidAccessKeyId.NotFound';
    const payloadHash = createHash('sha256').update(body).digest('hex');
    if (req.headers['x-acs-content-sha256'] !== payloadHash) return 'x-acs-content-sha256 does not match the body';
    const signed = m[2].split(';');
    if (!signed.includes('host') || !signed.includes('x-acs-date') || !signed.includes('x-acs-signature-nonce'))
      return 'host, x-acs-date and x-acs-signature-nonce must be signed';
    const keys = [...new Set(url.searchParams.keys())].sort();
    const query = keys.map((k) => `${k}=${encode(url.searchParams.get(k) ?? '')}`).join('&');
    const headers = signed.map((h) => `${h}:${String(req.headers[h] ?? '').trim()}\n`).join('');
    const canonical = [req.method, url.pathname, query, headers, signed.join(';'), payloadHash].join('\n');
    const toSign = `ACS3-HMAC-SHA256\n${createHash('sha256').update(canonical).digest('hex')}`;
    const expected = createHmac('sha256', opts.accessKeySecret).update(toSign).digest('hex');
    return expected === m[3] ? null : 'SignatureDoesNotMatch';
  }

  function answer(res: ServerResponse, status: number, body: Record<string, unknown>) {
    res.writeHead(status, { 'content-type': 'application/json;charset=utf-8' });
    res.end(JSON.stringify({ RequestId: randomUUID().toUpperCase(), ...body }));
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const action = String(req.headers['x-acs-action'] ?? '');
      const problem = signatureProblem(req, url, Buffer.concat(chunks));
      requests.push({ action, ok: !problem });
      if (problem)
        return answer(res, problem.startsWith('InvalidAccessKeyId') ? 404 : 400, {
          Code: problem.startsWith('InvalidAccessKeyId') ? problem : 'SignatureDoesNotMatch',
          Message: problem,
        });
      if (action !== 'SendSms' || req.headers['x-acs-version'] !== '2017-05-25')
        return answer(res, 404, { Code: 'InvalidAction.NotFound', Message: `unknown action ${action}` });
      const fault = faults.shift();
      if (fault) return answer(res, fault.status, { Code: fault.code, Message: fault.message });
      const q = url.searchParams;
      const missing = ['PhoneNumbers', 'SignName', 'TemplateCode'].filter((k) => !q.get(k));
      if (missing.length) return answer(res, 200, { Code: 'isv.INVALID_PARAMETERS', Message: `missing ${missing.join(', ')}` });
      let params: Record<string, string> = {};
      try {
        params = JSON.parse(q.get('TemplateParam') ?? '{}');
      } catch {
        return answer(res, 200, { Code: 'isv.INVALID_JSON_PARAM', Message: 'JSON参数不合法，只接受字符串值' });
      }
      if (Object.values(params).some((v) => typeof v !== 'string' || v.length > 35))
        return answer(res, 200, { Code: 'isv.PARAM_LENGTH_LIMIT', Message: '参数超出长度限制' });
      sent.push({
        phoneNumbers: q.get('PhoneNumbers')!,
        signName: q.get('SignName')!,
        templateCode: q.get('TemplateCode')!,
        templateParam: params,
        outId: q.get('OutId'),
      });
      answer(res, 200, { Code: 'OK', Message: 'OK', BizId: `${Date.now()}^0` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    sent,
    requests,
    /** The next SendSms calls get these answers instead of success. */
    fail(...answers: Array<{ status?: number; code: string; message?: string }>) {
      faults.push(...answers.map((a) => ({ status: a.status ?? 200, code: a.code, message: a.message ?? a.code })));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
export type FakeAliyunSms = Awaited<ReturnType<typeof startFakeAliyunSms>>;
