import type { Env } from '../../config.ts';

export interface ContactEmailSettings {
  smtpUrl: string;
  address: string;
  domain: string;
  fromName: string;
  /** Whether the support mailbox is read (EMAIL_IMAP_URL): without it the mail says replies are not read. */
  repliesRead: boolean;
}

export interface AliyunSmsSettings {
  provider: 'aliyun';
  signName: string;
  templates: { ack: string; reply: string; survey: string };
  accessKeyId: string;
  accessKeySecret: string;
  /** Host (and port) plus protocol, from ALIYUN_SMS_ENDPOINT. */
  endpoint: string;
  protocol: 'http' | 'https';
}

export interface TencentSmsSettings {
  provider: 'tencent';
  signName: string;
  templates: { ack: string; reply: string; survey: string };
  secretId: string;
  secretKey: string;
  sdkAppId: string;
  region: string;
  endpoint: string;
  protocol: 'http' | 'https';
}

export type SmsSettings = AliyunSmsSettings | TencentSmsSettings;

/** E-mail needs only SMTP and a sender address: no IMAP inbox (DESIGN.md, public contract). */
export function contactEmailSettings(env: Env, companyName: string): ContactEmailSettings | null {
  if (!env.EMAIL_SMTP_URL || !env.EMAIL_ADDRESS) return null;
  const address = env.EMAIL_ADDRESS.toLowerCase();
  return {
    smtpUrl: env.EMAIL_SMTP_URL,
    address,
    domain: address.split('@')[1],
    fromName: env.EMAIL_FROM_NAME ?? companyName,
    repliesRead: !!env.EMAIL_IMAP_URL,
  };
}

/**
 * SMS is on when SMS_PROVIDER is set; then every setting it needs must be there, or the service refuses to start
 * with the names of the missing ones (a half-configured SMS route would fail every customer silently).
 */
export function smsSettings(env: Env): SmsSettings | null {
  if (!env.SMS_PROVIDER) return null;
  const common = {
    SMS_SIGN_NAME: env.SMS_SIGN_NAME,
    SMS_TEMPLATE_ACK: env.SMS_TEMPLATE_ACK,
    SMS_TEMPLATE_REPLY: env.SMS_TEMPLATE_REPLY,
    SMS_TEMPLATE_SURVEY: env.SMS_TEMPLATE_SURVEY,
  };
  const keys =
    env.SMS_PROVIDER === 'aliyun'
      ? { ALIYUN_SMS_ACCESS_KEY_ID: env.ALIYUN_SMS_ACCESS_KEY_ID, ALIYUN_SMS_ACCESS_KEY_SECRET: env.ALIYUN_SMS_ACCESS_KEY_SECRET }
      : {
          TENCENT_SMS_SECRET_ID: env.TENCENT_SMS_SECRET_ID,
          TENCENT_SMS_SECRET_KEY: env.TENCENT_SMS_SECRET_KEY,
          TENCENT_SMS_SDK_APP_ID: env.TENCENT_SMS_SDK_APP_ID,
        };
  const missing = Object.entries({ ...common, ...keys })
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length) throw new Error(`SMS_PROVIDER=${env.SMS_PROVIDER} needs ${missing.join(', ')}`);
  const templates = { ack: env.SMS_TEMPLATE_ACK!, reply: env.SMS_TEMPLATE_REPLY!, survey: env.SMS_TEMPLATE_SURVEY! };
  if (env.SMS_PROVIDER === 'tencent') {
    const u = new URL(env.TENCENT_SMS_ENDPOINT);
    return {
      provider: 'tencent',
      signName: env.SMS_SIGN_NAME!,
      templates,
      secretId: env.TENCENT_SMS_SECRET_ID!,
      secretKey: env.TENCENT_SMS_SECRET_KEY!,
      sdkAppId: env.TENCENT_SMS_SDK_APP_ID!,
      region: env.TENCENT_SMS_REGION,
      endpoint: u.host,
      protocol: u.protocol === 'http:' ? 'http' : 'https',
    };
  }
  const u = new URL(env.ALIYUN_SMS_ENDPOINT);
  return {
    provider: 'aliyun',
    signName: env.SMS_SIGN_NAME!,
    templates,
    accessKeyId: env.ALIYUN_SMS_ACCESS_KEY_ID!,
    accessKeySecret: env.ALIYUN_SMS_ACCESS_KEY_SECRET!,
    endpoint: u.host,
    protocol: u.protocol === 'http:' ? 'http' : 'https',
  };
}
