import { describe, expect, it } from 'vitest';
import { contactRoute, mainlandMobile, recordedChannelOf, splitContact } from '../../src/core/contact.ts';
import { composeMail, promiseTime, smsParams } from '../../src/channels/contact/compose.ts';
import { contactEmailSettings, smsSettings } from '../../src/channels/contact/settings.ts';
import { parseEnv } from '../../src/config.ts';

describe('customer contacts', () => {
  it.each([
    ['13800138000', '13800138000'],
    ['+86 138 0013 8000', '13800138000'],
    ['0086-13800138000', '13800138000'],
    ['8613800138000', '13800138000'],
    ['138-0013-8000', '13800138000'],
    ['12800138000', null], // no such mobile prefix
    ['021-12345678', null], // landline
    ['+1 415 555 0100', null],
    ['', null],
  ])('mainlandMobile(%j) = %j', (raw, want) => expect(mainlandMobile(raw)).toBe(want));

  it('prefers e-mail, then SMS, and only routes that are configured', () => {
    const both = { email: 'a@b.cn', phone: '13800138000' };
    expect(contactRoute(both, { email: true, sms: true })).toEqual({ kind: 'email', address: 'a@b.cn' });
    expect(contactRoute(both, { email: false, sms: true })).toEqual({ kind: 'sms', mobile: '13800138000' });
    expect(contactRoute(both, { email: false, sms: false })).toBeNull();
    expect(contactRoute({ phone: '021-12345678' }, { email: true, sms: true })).toBeNull();
    expect(contactRoute({ email: 'not-an-address' }, { email: true, sms: true })).toBeNull();
  });

  it('splits a typed contact and reads the channel word', () => {
    expect(splitContact(' Li@Example.COM ')).toEqual({ email: 'li@example.com' });
    expect(splitContact('138 0013 8000')).toEqual({ phone: '13800138000' });
    expect(splitContact('微信 abc')).toBeNull();
    expect(['电话', '来访', '信函', 'PHONE', 'visit', '微信'].map(recordedChannelOf)).toEqual(['phone', 'visit', 'letter', 'phone', 'visit', null]);
  });

  it('fills the three SMS templates with short values and words the mail by purpose', () => {
    expect(smsParams({ purpose: 'ack', code: 'FB-20260302-0001', token: 't'.repeat(24), time: '3月2日 12:00' })).toEqual({
      template: 'ack',
      params: { code: 'FB-20260302-0001', time: '3月2日 12:00', token: 't'.repeat(24) },
    });
    expect(smsParams({ purpose: 'notice', code: 'C', token: 'T', time: 'x' })).toEqual({ template: 'reply', params: { code: 'C', token: 'T' } });
    expect(smsParams({ purpose: 'survey', code: 'C', token: 'T', time: 'x' }).template).toBe('survey');
    expect(promiseTime(new Date('2026-03-02T04:00:00Z'), 'Asia/Shanghai')).toBe('3月2日 12:00');
    expect(promiseTime(null, 'Asia/Shanghai')).toBe('尽快');
    const mail = composeMail({ purpose: 'reply', code: 'C', text: '已处理', link: 'https://x/t/T', company: '示例', repliesRead: false });
    expect(mail.subject).toBe('您的反馈有新回复 [C]');
    expect(mail.text).toContain('https://x/t/T');
    expect(mail.text).toContain('本邮箱不接收回复');
    expect(composeMail({ purpose: 'ack', code: 'C', text: 'a', link: 'l', company: 'c', repliesRead: true }).text).toContain(
      '如需补充，请打开上面的链接提交。',
    );
  });

  it('SMS settings: off without SMS_PROVIDER, and a half-configured provider names what is missing', () => {
    expect(smsSettings(parseEnv({}))).toBeNull();
    expect(() => smsSettings(parseEnv({ SMS_PROVIDER: 'aliyun', SMS_SIGN_NAME: '示例' }))).toThrow(
      'SMS_PROVIDER=aliyun needs SMS_TEMPLATE_ACK, SMS_TEMPLATE_REPLY, SMS_TEMPLATE_SURVEY, ALIYUN_SMS_ACCESS_KEY_ID, ALIYUN_SMS_ACCESS_KEY_SECRET',
    );
    expect(() => smsSettings(parseEnv({ SMS_PROVIDER: 'tencent' }))).toThrow(/TENCENT_SMS_SDK_APP_ID/);
    expect(() => parseEnv({ SMS_PROVIDER: 'qiniu' })).toThrow(/SMS_PROVIDER/);
    const all = { SMS_SIGN_NAME: 's', SMS_TEMPLATE_ACK: 'a', SMS_TEMPLATE_REPLY: 'r', SMS_TEMPLATE_SURVEY: 'v' };
    expect(smsSettings(parseEnv({ ...all, SMS_PROVIDER: 'aliyun', ALIYUN_SMS_ACCESS_KEY_ID: 'k', ALIYUN_SMS_ACCESS_KEY_SECRET: 'x' }))).toMatchObject({
      endpoint: 'dysmsapi.aliyuncs.com',
      protocol: 'https',
    });
    // E-mail to customers needs SMTP and an address only, no IMAP.
    expect(contactEmailSettings(parseEnv({ EMAIL_SMTP_URL: 'smtp://u:p@127.0.0.1:25', EMAIL_ADDRESS: 'Service@Example.com' }), '示例')).toMatchObject({
      address: 'service@example.com',
      domain: 'example.com',
      fromName: '示例',
      repliesRead: false,
    });
    expect(contactEmailSettings(parseEnv({ EMAIL_ADDRESS: 'a@b.cn' }), '示例')).toBeNull();
  });
});
