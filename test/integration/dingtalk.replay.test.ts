import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count } from 'drizzle-orm';
import { messages, tickets } from '../../src/db/schema/index.ts';
import { cardSignature, robotSignature } from '../../src/channels/dingtalk/verify.ts';
import { dbKinds } from '../helpers/db.ts';
import { json } from '../helpers/http.ts';
import { startFakeDingTalk, type FakeDingTalk } from '../fakes/dingtalk/server.ts';
import { createDingTalkDesk, type DingTalkDesk } from '../fakes/dingtalk/desk.ts';

/**
 * Issue 17, defect 8: DingTalk's HTTP signatures cover the timestamp only, so a captured header pair would sign
 * any body. A reused signature is refused unless it is the same delivery again, and the window is narrow.
 */
describe.each(dbKinds)('dingtalk HTTP callbacks: replays on %s', (kind) => {
  let fake: FakeDingTalk;
  let t: DingTalkDesk;
  beforeAll(async () => {
    fake = await startFakeDingTalk();
    t = await createDingTalkDesk(fake, { kind, mode: 'http', template: true });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const headersAt = (ts: string) => ({ 'content-type': 'application/json', timestamp: ts, sign: robotSignature(ts, fake.clientSecret) });
  const message = (msgId: string, text: string) => ({
    msgId,
    msgtype: 'text',
    conversationType: '1',
    conversationId: 'cidReplay1',
    senderStaffId: 'custReplay',
    senderNick: '钱女士',
    sessionWebhook: fake.session(Date.now() + 90 * 60_000),
    sessionWebhookExpiredTime: t.clock.now().getTime() + 90 * 60_000,
    text: { content: text },
  });
  const counts = async () => ({
    tickets: (await t.db.select({ n: count() }).from(tickets))[0].n,
    messages: (await t.db.select({ n: count() }).from(messages))[0].n,
  });

  it('a captured timestamp/sign pair cannot sign another body; the same delivery again is still a harmless duplicate', async () => {
    const ts = String(t.clock.now().getTime());
    const original = JSON.stringify(message('msgReplayA', '订单无法支付'));
    expect((await t.app.request('/dingtalk/robot', { method: 'POST', headers: headersAt(ts), body: original })).status).toBe(200);
    const after = await counts();
    const again = await t.app.request('/dingtalk/robot', { method: 'POST', headers: headersAt(ts), body: original });
    expect(again.status).toBe(200);
    const forged = await t.app.request('/dingtalk/robot', {
      method: 'POST',
      headers: headersAt(ts),
      body: JSON.stringify(message('msgReplayB', '伪造的投诉内容')),
    });
    expect(forged.status).toBe(401);
    expect((await json(forged)).error.message).toContain('签名已被使用');
    expect(await counts()).toEqual(after);
  });

  it('the same for card callbacks', async () => {
    const ts = String(t.clock.now().getTime());
    const headers = { 'content-type': 'application/json', 'x-ddpaas-signature-timestamp': ts, 'x-ddpaas-signature': cardSignature(ts, fake.clientSecret) };
    const click = (userId: string) =>
      JSON.stringify({
        type: 'actionCallback',
        outTrackId: 'track-none',
        userId,
        content: JSON.stringify({ cardPrivateData: { actionIds: ['claim'], params: { action: 'claim', ticket: 'FB-20260302-0001' } } }),
      });
    expect((await t.app.request('/dingtalk/card', { method: 'POST', headers, body: click('u1') })).status).toBe(200);
    expect((await t.app.request('/dingtalk/card', { method: 'POST', headers, body: click('u1') })).status).toBe(200);
    expect((await t.app.request('/dingtalk/card', { method: 'POST', headers, body: click('u2') })).status).toBe(401);
  });

  it('refuses a signature older than five minutes (DingTalk signs at send time)', async () => {
    const ts = String(t.clock.now().getTime() - 6 * 60_000);
    const res = await t.app.request('/dingtalk/robot', { method: 'POST', headers: headersAt(ts), body: JSON.stringify(message('msgReplayOld', '旧的签名')) });
    expect(res.status).toBe(401);
    expect((await json(res)).error.message).toContain('签名已过期');
    const fresh = String(t.clock.now().getTime() - 4 * 60_000);
    expect(
      (await t.app.request('/dingtalk/robot', { method: 'POST', headers: headersAt(fresh), body: JSON.stringify(message('msgReplayNew', '较新的签名')) }))
        .status,
    ).toBe(200);
  });

  it('malformed, NUL-laden and wrong-type bodies are 4xx or acknowledged, never 500', async () => {
    for (const body of ['not json', '[]', 'null', '{"msgId": 5, "text": {"content": 7}}', JSON.stringify(message('msgNul\u0000', '无法\u0000登录\uD800'))]) {
      const ts = String(t.clock.now().getTime() - Math.floor(Math.random() * 100_000));
      const res = await t.app.request('/dingtalk/robot', { method: 'POST', headers: headersAt(ts), body });
      expect(res.status).toBeLessThan(500);
    }
  });
});
