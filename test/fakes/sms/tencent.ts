import { createHash, createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeTencentSms {
  PhoneNumberSet: string[];
  SmsSdkAppId: string;
  SignName: string;
  TemplateId: string;
  TemplateParamSet: string[];
  SessionContext?: string;
}

const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/**
 * Tencent Cloud SMS (SendSms, API 2021-01-11) on 127.0.0.1, speaking its wire format: JSON POST to `/`, the action
 * in `X-TC-Action`, answers `{ Response: { SendStatusSet, RequestId } }` or `{ Response: { Error: { Code, Message } } }`.
 * The TC3-HMAC-SHA256 signature is recomputed from what arrived (signed content-type and host, body hash, the
 * credential scope's date and service) and a wrong one is refused as Tencent does (AuthFailure.SignatureFailure).
 */
export async function startFakeTencentSms(opts: { secretId: string; secretKey: string }) {
  const sent: FakeTencentSms[] = [];
  const requests: Array<{ action: string; ok: boolean }> = [];
  const faults: Array<{ code: string; message: string; inStatus: boolean }> = [];

  function signatureProblem(req: IncomingMessage, body: string): string | null {
    const m = /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/([^/]+)\/tc3_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      req.headers.authorization ?? '',
    );
    if (!m) return 'AuthFailure.SignatureFailure';
    const [, id, date, service, signedHeaders, signature] = m;
    if (id !== opts.secretId) return 'AuthFailure.SecretIdNotFound';
    const timestamp = Number(req.headers['x-tc-timestamp']);
    if (new Date(timestamp * 1000).toISOString().slice(0, 10) !== date) return 'AuthFailure.SignatureFailure';
    const host = String(req.headers.host ?? '').replace(/:\d+$/, ''); // the SDK signs the host name without the port
    const headers = signedHeaders
      .split(';')
      .map((h) => `${h}:${h === 'host' ? host : String(req.headers[h] ?? '')}\n`)
      .join('');
    const canonical = ['POST', '/', '', headers, signedHeaders, createHash('sha256').update(body).digest('hex')].join('\n');
    const toSign = ['TC3-HMAC-SHA256', String(timestamp), `${date}/${service}/tc3_request`, createHash('sha256').update(canonical).digest('hex')].join('\n');
    const key = hmac(hmac(hmac(`TC3${opts.secretKey}`, date), service), 'tc3_request');
    return createHmac('sha256', key).update(toSign).digest('hex') === signature ? null : 'AuthFailure.SignatureFailure';
  }

  const answer = (res: ServerResponse, response: Record<string, unknown>) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ Response: { ...response, RequestId: randomUUID() } }));
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const action = String(req.headers['x-tc-action'] ?? '');
      const problem = signatureProblem(req, body);
      requests.push({ action, ok: !problem });
      if (problem) return answer(res, { Error: { Code: problem, Message: 'The provided credentials could not be validated.' } });
      if (action !== 'SendSms' || req.headers['x-tc-version'] !== '2021-01-11')
        return answer(res, { Error: { Code: 'InvalidAction', Message: `unknown action ${action}` } });
      const fault = faults.shift();
      if (fault && !fault.inStatus) return answer(res, { Error: { Code: fault.code, Message: fault.message } });
      const p = JSON.parse(body) as FakeTencentSms;
      if (fault)
        return answer(res, {
          SendStatusSet: p.PhoneNumberSet.map((n) => ({
            SerialNo: '',
            PhoneNumber: n,
            Fee: 0,
            SessionContext: p.SessionContext ?? '',
            Code: fault.code,
            Message: fault.message,
            IsoCode: 'CN',
          })),
        });
      sent.push(p);
      answer(res, {
        SendStatusSet: p.PhoneNumberSet.map((n) => ({
          SerialNo: `2433:${Date.now()}`,
          PhoneNumber: n,
          Fee: 1,
          SessionContext: p.SessionContext ?? '',
          Code: 'Ok',
          Message: 'send success',
          IsoCode: 'CN',
        })),
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sent,
    requests,
    /** The next SendSms calls fail: `inStatus` puts the code in SendStatusSet (per number), else in Response.Error. */
    fail(...answers: Array<{ code: string; message?: string; inStatus?: boolean }>) {
      faults.push(...answers.map((a) => ({ code: a.code, message: a.message ?? a.code, inStatus: a.inStatus ?? false })));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
