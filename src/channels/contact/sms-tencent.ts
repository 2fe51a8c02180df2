import * as tencentSms from 'tencentcloud-sdk-nodejs-sms';
import { RetryLater, Undeliverable } from '../types.ts';
import type { TencentSmsSettings } from './settings.ts';
import type { SmsClient } from './sms.ts';

type SendSmsRequest = {
  PhoneNumberSet: string[];
  SmsSdkAppId: string;
  SignName: string;
  TemplateId: string;
  TemplateParamSet: string[];
  SessionContext?: string;
};
type SendSmsResponse = { SendStatusSet?: Array<{ Code: string; Message: string; SerialNo?: string }>; RequestId?: string };
type ClientClass = new (config: {
  credential: { secretId: string; secretKey: string };
  region: string;
  profile: { httpProfile: { endpoint: string; protocol: string; reqTimeout: number } };
}) => {
  SendSms(req: SendSmsRequest): Promise<SendSmsResponse>;
};
// CommonJS with `exports.sms`; some ESM loaders put it under `default` only.
const mod = tencentSms as unknown as { sms?: { v20210111: { Client: ClientClass } }; default?: { sms: { v20210111: { Client: ClientClass } } } };
const Client: ClientClass = (mod.sms ?? mod.default!.sms).v20210111.Client;

/** Throttling, the provider's own faults and an empty package may pass later; any other refusal is final. */
const TRANSIENT = /^(InternalError|LimitExceeded|RequestLimitExceeded|FailedOperation\.InsufficientBalanceInSmsPackage|ResourceUnavailable)/;

/**
 * Tencent Cloud SMS (SendSms 2021-01-11) through the official SDK (TC3-HMAC-SHA256). Its templates take positional
 * variables {1} {2} {3}: our named values are passed in their order (ack: code, time, token; others: code, token).
 */
export function createTencentSms(settings: TencentSmsSettings): SmsClient {
  const client = new Client({
    credential: { secretId: settings.secretId, secretKey: settings.secretKey },
    region: settings.region,
    profile: { httpProfile: { endpoint: settings.endpoint, protocol: `${settings.protocol}://`, reqTimeout: 10 } },
  });
  return {
    async send(msg) {
      let res: SendSmsResponse;
      try {
        res = await client.SendSms({
          PhoneNumberSet: [`+86${msg.mobile}`],
          SmsSdkAppId: settings.sdkAppId,
          SignName: settings.signName,
          TemplateId: msg.template,
          TemplateParamSet: Object.values(msg.params),
          // Echoed in the delivery receipt; SendSms itself has no idempotency.
          SessionContext: msg.outId.slice(0, 512),
        });
      } catch (e) {
        const err = e as { code?: string; message?: string; httpCode?: number };
        const text = `腾讯云短信 ${err.code ?? ''}${err.httpCode ? ` HTTP ${err.httpCode}` : ''}: ${err.message ?? String(e)}`;
        // No code and no HTTP status: the request never got an answer (network, timeout).
        if ((!err.code && !err.httpCode) || (err.httpCode ?? 0) >= 500 || TRANSIENT.test(err.code ?? '')) throw new RetryLater(text);
        throw new Undeliverable(text);
      }
      const status = res.SendStatusSet?.[0];
      if (status?.Code === 'Ok') return { bizId: status.SerialNo ?? '' };
      const text = `腾讯云短信 ${status?.Code ?? '无返回'}: ${status?.Message ?? ''}`;
      if (!status || TRANSIENT.test(status.Code)) throw new RetryLater(text);
      throw new Undeliverable(text);
    },
  };
}
