import * as dysmsapi from '@alicloud/dysmsapi20170525';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { RetryLater, Undeliverable } from '../types.ts';
import type { AliyunSmsSettings } from './settings.ts';

/** What a template is filled with (README 「短信模板」): every value ≤ 35 characters, as the provider requires. */
export interface SmsMessage {
  mobile: string;
  template: string;
  params: Record<string, string>;
  /** Our outbox key, echoed in the provider's delivery receipt (OutId): SendSms itself has no idempotency. */
  outId: string;
}

export interface SmsClient {
  send(msg: SmsMessage): Promise<{ bizId: string }>;
}

// The SDK is CommonJS with `exports.default = Client`; ESM loaders differ on how many `default`s they wrap.
type ClientClass = new (config: $OpenApiUtil.Config) => { sendSms(req: dysmsapi.SendSmsRequest): Promise<dysmsapi.SendSmsResponse> };
const mod = dysmsapi as unknown as { default: ClientClass | { default: ClientClass } };
const Client: ClientClass = 'default' in mod.default ? mod.default.default : mod.default;

/** Codes that may pass later: throttling, the provider's own faults, an empty balance. Any other `isv.` is final. */
const TRANSIENT = /^(isp\.|Throttling|ServiceUnavailable|InternalError)|LIMIT_CONTROL|AMOUNT_NOT_ENOUGH/;

/** Alibaba Cloud SMS (dysmsapi 2017-05-25 SendSms) through the official SDK, signed with ACS3-HMAC-SHA256. */
export function createAliyunSms(settings: AliyunSmsSettings): SmsClient {
  const client = new Client(
    new $OpenApiUtil.Config({
      accessKeyId: settings.accessKeyId,
      accessKeySecret: settings.accessKeySecret,
      endpoint: settings.endpoint,
      protocol: settings.protocol,
      // Mainland SMS: the provider advises ≥ 1 s; the outbox retries a timeout later.
      connectTimeout: 5000,
      readTimeout: 10_000,
    }),
  );
  return {
    async send(msg) {
      let body: dysmsapi.SendSmsResponseBody | undefined;
      try {
        const res = await client.sendSms(
          new dysmsapi.SendSmsRequest({
            phoneNumbers: msg.mobile,
            signName: settings.signName,
            templateCode: msg.template,
            templateParam: JSON.stringify(msg.params),
            outId: msg.outId.slice(0, 256),
          }),
        );
        body = res.body;
      } catch (e) {
        // HTTP 4xx/5xx and network errors arrive as exceptions carrying the provider's Code and the HTTP status.
        const err = e as { code?: string; message?: string; statusCode?: number; data?: { statusCode?: number } };
        const status = err.statusCode ?? err.data?.statusCode;
        const text = `阿里云短信 ${err.code ?? ''}${status ? ` HTTP ${status}` : ''}: ${err.message ?? String(e)}`;
        // A refused request (bad signature, unknown key, bad parameter) fails the same way every time.
        if (status && status < 500 && status !== 429 && !TRANSIENT.test(err.code ?? '')) throw new Undeliverable(text);
        throw new RetryLater(text);
      }
      if (body?.code === 'OK') return { bizId: body.bizId ?? '' };
      const text = `阿里云短信 ${body?.code ?? '无返回'}: ${body?.message ?? ''}`;
      if (!body?.code || TRANSIENT.test(body.code)) throw new RetryLater(text);
      throw new Undeliverable(text);
    },
  };
}
