import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { outbox } from '../../src/db/schema/index.ts';
import { createDingTalkApi } from '../../src/channels/dingtalk/api.ts';
import { dingTalkSettings } from '../../src/channels/dingtalk/settings.ts';
import { parseEnv } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { RetryLater, Undeliverable } from '../../src/channels/types.ts';
import { dbKinds } from '../helpers/db.ts';
import { startFakeDingTalk, type FakeDingTalk } from '../fakes/dingtalk/server.ts';
import { AGENTS_CID, createDingTalkDesk, type DingTalkDesk } from '../fakes/dingtalk/desk.ts';

/** The OpenAPI side: throttling retried through the outbox, permanent errors dead-lettered and told. */
describe.each(dbKinds)('dingtalk outbound on %s', (kind) => {
  let fake: FakeDingTalk;
  let t: DingTalkDesk;
  beforeAll(async () => {
    fake = await startFakeDingTalk();
    t = await createDingTalkDesk(fake, { kind, start: false });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  // A 1:1 customer whose session webhook has expired: every answer goes through batchSend.
  const intake = (staffId: string, text: string) =>
    t.desk.intake({
      channel: 'dingtalk',
      dedupeKey: `msg-${staffId}`,
      customer: { externalId: `user:${staffId}` },
      replyTo: { conversationId: `cid-${staffId}`, conversationType: '1', senderStaffId: staffId },
      text,
    });
  const rowOf = async (ticketId: number, kind: string) => (await t.db.select().from(outbox).where(eq(outbox.ticketId, ticketId))).find((r) => r.kind === kind)!;

  it('retries a throttled batchSend (flowControlledStaffIdList) and delivers it later', async () => {
    fake.fail('/v1.0/robot/oToMessages/batchSend', 200, { processQueryKey: 'q', invalidStaffIdList: [], flowControlledStaffIdList: ['custA'] });
    const r = await intake('custA', '页面一直转圈');
    await t.drain();
    let ack = await rowOf(r.ticketId, 'customer.text');
    expect(ack).toMatchObject({ status: 'pending', attempts: 1 });
    expect(ack.lastError).toContain('flow controlled');
    t.clock.advance(2);
    await t.drain();
    ack = await rowOf(r.ticketId, 'customer.text');
    expect(ack.status).toBe('sent');
    const sends = fake.callsTo('/v1.0/robot/oToMessages/batchSend').filter((c) => c.body.userIds[0] === 'custA');
    expect(sends).toHaveLength(2);
    expect(JSON.parse(sends[1].body.msgParam).content).toContain(r.code);
    expect(sends[1].body.msgKey).toBe('sampleText');
  });

  it('retries 5xx and 410100, and refreshes a rejected token once', async () => {
    fake.fail('/v1.0/robot/oToMessages/batchSend', 503, { code: 'ServiceUnavailable', message: 'busy' });
    const r = await intake('custB', '无法登录');
    await t.drain();
    expect((await rowOf(r.ticketId, 'customer.text')).status).toBe('pending');
    // Token revoked behind our back: 401 InvalidAuthentication → one fresh token → success.
    const tokensBefore = fake.callsTo('/v1.0/oauth2/accessToken').length;
    for (const c of fake.callsTo('/v1.0/robot/oToMessages/batchSend')) fake.expireToken(String(c.headers['x-acs-dingtalk-access-token']));
    t.clock.advance(15);
    await t.drain();
    expect((await rowOf(r.ticketId, 'customer.text')).status).toBe('sent');
    expect(fake.callsTo('/v1.0/oauth2/accessToken').length).toBe(tokensBefore + 1);

    const settings = dingTalkSettings(
      parseEnv({ DINGTALK_CLIENT_ID: fake.clientId, DINGTALK_CLIENT_SECRET: fake.clientSecret, DINGTALK_API_BASE: fake.base }),
    )!;
    const lines: string[] = [];
    const api = createDingTalkApi(
      settings,
      createLogger('debug', {}, (l) => lines.push(l)),
    );
    const token = await api.accessToken();
    expect(await api.accessToken()).toBe(token);
    fake.fail('/robot/sendBySession', 200, { errcode: 410100, errmsg: 'send too fast' });
    await expect(api.sendBySession(fake.session(Date.now() + 60_000), { msgtype: 'text', text: { content: 'x' } })).rejects.toBeInstanceOf(RetryLater);
    fake.fail('/v1.0/robot/groupMessages/send', 400, { code: 'Forbidden.AccessDenied.QpsLimitForApi', message: 'qps' });
    await expect(api.sendToGroup(AGENTS_CID, 'sampleText', { content: 'x' })).rejects.toBeInstanceOf(RetryLater);
    fake.fail('/v1.0/robot/groupMessages/send', 400, { code: 'param.invalidConversation', message: '群不存在' });
    await expect(api.sendToGroup('cidGone', 'sampleText', { content: 'x' })).rejects.toBeInstanceOf(Undeliverable);
    // The token never reaches a log line, even at debug level.
    expect(lines.join('\n')).not.toContain(token);
  });

  it('a permanent refusal becomes a visible dead letter and the agents group is told', async () => {
    fake.fail('/v1.0/robot/oToMessages/batchSend', 400, { code: 'param.invalidUserIds', message: '用户不存在' });
    const r = await intake('custGone', '账号被盗了');
    await t.drain();
    const ack = await rowOf(r.ticketId, 'customer.text');
    expect(ack.status).toBe('dead');
    expect(ack.lastError).toContain('钉钉接口拒绝');
    const notice = fake
      .callsTo('/v1.0/robot/groupMessages/send')
      .find((c) => c.body.openConversationId === AGENTS_CID && String(JSON.parse(c.body.msgParam).content ?? '').includes('无法送达'))!;
    expect(JSON.parse(notice.body.msgParam).content).toContain(r.code);
  });

  it('an external customer (no staffId) with an expired session is dead-lettered with the reason', async () => {
    const r = await t.desk.intake({
      channel: 'dingtalk',
      dedupeKey: 'msg-ext',
      customer: { externalId: 'user:$:LWCP' },
      replyTo: { conversationId: 'cidExt', conversationType: '1', senderId: '$:LWCP' },
      text: '外部联系人的问题',
    });
    await t.drain();
    const ack = await rowOf(r.ticketId, 'customer.text');
    expect(ack.status).toBe('dead');
    expect(ack.lastError).toContain('无 staffId');
  });
});
