/** SMS through Tencent Cloud's SDK instead of Alibaba's: same outbox, positional template variables, TC3 signature. */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContactChannel } from '../../src/channels/contact/index.ts';
import { createWebChannel } from '../../src/channels/web/index.tsx';
import { outbox, tickets } from '../../src/db/schema/index.ts';
import { startFakeTencentSms } from '../fakes/sms/tencent.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';
import { dbKinds } from '../helpers/db.ts';

const KEYS = { secretId: 'AKIDtestSecretId', secretKey: 'tencent-test-secret-key' };
const AGENT = { platform: 'feishu', userId: 'ou_agent', name: '小林' };
const env = (url: string, secretKey = KEYS.secretKey) => ({
  SMS_PROVIDER: 'tencent',
  SMS_SIGN_NAME: '示例科技',
  SMS_TEMPLATE_ACK: '1000001',
  SMS_TEMPLATE_REPLY: '1000002',
  SMS_TEMPLATE_SURVEY: '1000003',
  TENCENT_SMS_SECRET_ID: KEYS.secretId,
  TENCENT_SMS_SECRET_KEY: secretKey,
  TENCENT_SMS_SDK_APP_ID: '1400000001',
  TENCENT_SMS_ENDPOINT: url,
});

describe.each(dbKinds)('Tencent Cloud SMS on %s', (kind) => {
  let fake: Awaited<ReturnType<typeof startFakeTencentSms>>;
  let t: TestDesk;
  const codeOf = async (text: string) => {
    const r = await t.services.runCommand({ text, actor: AGENT, viaAgentGroup: true, surface: 'feishu' });
    return /FB-\d{8}-\d{4}/.exec(r.kind === 'ticket' ? (r.text ?? '') : '')![0];
  };
  beforeAll(async () => {
    fake = await startFakeTencentSms(KEYS);
    t = await createTestDesk({ kind, env: env(fake.url), channels: [createWebChannel, createContactChannel], backoffBaseMs: 1 });
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  it('acknowledges a phone ticket with the positional template; a throttled send is retried, a bad number is dead', async () => {
    fake.fail({ code: 'LimitExceeded.PhoneNumberThirtySecondLimit', inStatus: true });
    const code = await codeOf('/new 电话 张先生 +8613800138000 投诉 扣费两次');
    await t.services.outbox.wake();
    const [ticket] = await t.db.select().from(tickets).where(eq(tickets.code, code));
    const [ack] = await t.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.ticketId, ticket.id), eq(outbox.kind, 'customer.text')));
    expect(ack.status).toBe('pending');
    expect(ack.lastError).toContain('LimitExceeded.PhoneNumberThirtySecondLimit');
    t.clock.advance(1);
    await t.services.outbox.wake();
    expect(fake.requests.every((r) => r.ok)).toBe(true);
    expect(fake.sent).toEqual([
      {
        PhoneNumberSet: ['+8613800138000'],
        SmsSdkAppId: '1400000001',
        SignName: '示例科技',
        TemplateId: '1000001',
        TemplateParamSet: [code, '3月2日 12:00', ticket.accessToken],
        SessionContext: ack.idemKey,
      },
    ]);

    fake.fail({ code: 'InvalidParameterValue.IncorrectPhoneNumber', message: '手机号格式错误' });
    await t.desk.act({ ticket: code, actor: AGENT, viaAgentGroup: true, action: 'claim' });
    await t.desk.act({ ticket: code, actor: AGENT, viaAgentGroup: true, action: 'respond', text: '已退款。' });
    await t.services.outbox.wake();
    const [reply] = await t.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.ticketId, ticket.id), eq(outbox.status, 'dead')));
    expect(reply.lastError).toContain('InvalidParameterValue.IncorrectPhoneNumber');
    expect(reply.attempts).toBe(1);
  });

  it('a wrong secret key fails the fake signature check: dead letter, nothing sent', async () => {
    const bad = await createTestDesk({ kind, env: env(fake.url, 'wrong-key'), channels: [createWebChannel, createContactChannel] });
    try {
      const before = fake.sent.length;
      await bad.services.runCommand({ text: '/new 电话 周先生 13500135000 发票开错了', actor: AGENT, viaAgentGroup: true, surface: 'feishu' });
      await bad.services.outbox.wake();
      expect(fake.sent.length).toBe(before);
      const [ack] = await bad.db.select().from(outbox).where(eq(outbox.kind, 'customer.text'));
      expect(ack.status).toBe('dead');
      expect(ack.lastError).toContain('AuthFailure.SignatureFailure');
    } finally {
      await bad.close();
    }
  });
});
