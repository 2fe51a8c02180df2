import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboundReceipts, tickets } from '../../src/db/schema/index.ts';
import { cardSignature, robotSignature } from '../../src/channels/dingtalk/verify.ts';
import { dbKinds } from '../helpers/db.ts';
import { json } from '../helpers/http.ts';
import { startFakeDingTalk, type FakeDingTalk } from '../fakes/dingtalk/server.ts';
import { AGENTS_CID, createDingTalkDesk, type DingTalkDesk } from '../fakes/dingtalk/desk.ts';

/** DINGTALK_EVENT_MODE=http: signed robot and card callbacks on our routes; the same loop as in stream mode. */
describe.each(dbKinds)('dingtalk HTTP mode on %s', (kind) => {
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

  // DingTalk stamps each callback when it sends it; a signature reused for another body is refused (a replay).
  let sent = 0;
  const stamp = () => t.clock.now().getTime() - ++sent;
  const robot = (body: unknown, opts: { ts?: number; secret?: string; sign?: string } = {}) => {
    const ts = String(opts.ts ?? stamp());
    return t.app.request('/dingtalk/robot', {
      method: 'POST',
      headers: { 'content-type': 'application/json', timestamp: ts, sign: opts.sign ?? robotSignature(ts, opts.secret ?? fake.clientSecret) },
      body: JSON.stringify(body),
    });
  };
  const card = (body: unknown, opts: { ts?: number; secret?: string } = {}) => {
    const ts = String(opts.ts ?? stamp());
    return t.app.request('/dingtalk/card', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-ddpaas-signature-timestamp': ts,
        'x-ddpaas-signature': cardSignature(ts, opts.secret ?? fake.clientSecret),
      },
      body: JSON.stringify(body),
    });
  };
  const message = (fields: Record<string, unknown>) => ({
    msgId: `msgHttp${Math.random().toString(36).slice(2)}`,
    msgtype: 'text',
    conversationType: '1',
    conversationId: 'cidHttp1',
    senderStaffId: 'custHttp',
    senderNick: '孙先生',
    sessionWebhook: fake.session(Date.now() + 90 * 60_000),
    sessionWebhookExpiredTime: t.clock.now().getTime() + 90 * 60_000,
    ...fields,
  });
  const click = (outTrackId: string, userId: string, params: Record<string, unknown>) => ({
    type: 'actionCallback',
    outTrackId,
    userId,
    spaceType: 'IM_GROUP',
    spaceId: AGENTS_CID,
    content: JSON.stringify({ cardPrivateData: { actionIds: [params.action], params } }),
  });

  it('registers the card callback route at start', () => {
    const [reg] = fake.callsTo('/v1.0/card/callbacks/register');
    expect(reg.body).toMatchObject({ callbackUrl: 'http://loopdesk.test/dingtalk/card', apiSecret: fake.clientSecret, forceUpdate: true });
    expect(t.channel.health!()).toEqual({ mode: 'http', state: 'ready' });
  });

  it('refuses wrong, stale and missing signatures with 401 and leaves nothing behind', async () => {
    const body = message({ msgId: 'msgForged1', text: { content: '伪造的消息' } });
    const wrong = await robot(body, { secret: 'not-the-secret' });
    expect(wrong.status).toBe(401);
    expect((await json(wrong)).error.code).toBe('unauthorized');
    expect((await robot(body, { ts: t.clock.now().getTime() - 2 * 60 * 60_000 })).status).toBe(401);
    expect(
      (await t.app.request('/dingtalk/robot', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status,
    ).toBe(401);
    expect((await card(click('x', 'agent', { action: 'claim', ticket: 'FB-20260302-0001' }), { secret: 'nope' })).status).toBe(401);
    expect(await t.db.select().from(tickets)).toEqual([]);
    expect(await t.db.select().from(inboundReceipts)).toEqual([]);
  });

  it('runs the loop over HTTP: message → card (HTTP callbacks) → claim → reply → resolve → survey click', async () => {
    const res = await robot(message({ msgId: 'msgHttpLoop1', text: { content: '  订单 20260301 重复扣款，请退款' } }));
    expect(res.status).toBe(200);
    const [ticket] = await t.db.select().from(tickets);
    expect(ticket.category).toBe('complaint');
    // The same delivery again (DingTalk retries on a slow answer): still one ticket.
    expect((await robot(message({ msgId: 'msgHttpLoop1', text: { content: '  订单 20260301 重复扣款，请退款' } }))).status).toBe(200);
    expect(await t.db.select().from(tickets)).toHaveLength(1);

    await t.drain();
    const create = fake.callsTo('/v1.0/card/instances/createAndDeliver')[0];
    expect(create.body).toMatchObject({ callbackType: 'HTTP', callbackRouteKey: `loopdesk_${fake.clientId}` });
    const outTrackId = create.body.outTrackId as string;

    expect((await card(click(outTrackId, 'agentHttp', { action: 'claim', ticket: ticket.code }))).status).toBe(200);
    expect((await t.ticket(ticket.code)).status).toBe('claimed');
    expect((await card(click(outTrackId, 'agentHttp', { action: 'respond', ticket: ticket.code, reply: '已为您原路退款，1–3 个工作日到账。' }))).status).toBe(
      200,
    );
    expect((await card(click(outTrackId, 'agentHttp', { action: 'resolve', ticket: ticket.code }))).status).toBe(200);
    await t.drain();
    expect(fake.callsTo('/robot/sendBySession').map((c) => c.body.text?.content)).toContain('已为您原路退款，1–3 个工作日到账。');
    const survey = fake.callsTo('/v1.0/card/instances/createAndDeliver').find((c) => c.body.openSpaceId === 'dtv1.card//IM_ROBOT.custHttp')!;
    expect(survey.body.callbackType).toBe('HTTP');
    expect(
      (
        await card({
          ...click(survey.body.outTrackId, 'custHttp', { action: 'csat', ticket: ticket.code, score: 5 }),
          spaceType: 'IM_ROBOT',
          spaceId: undefined,
        })
      ).status,
    ).toBe(200);
    expect(await t.ticket(ticket.code)).toMatchObject({ status: 'closed', csatScore: 5 });
    await t.drain();
    const puts = fake.callsTo('/v1.0/card/instances').filter((c) => c.method === 'PUT' && c.body.outTrackId === outTrackId);
    expect(puts.at(-1)!.body.cardData.cardParamMap).toMatchObject({ status: 'closed', closed: 'true' });
  });

  it('a refused card action is explained in the agents group, not silently dropped', async () => {
    const res = await card(click('ldt_unknown', 'agentHttp', { action: 'claim', ticket: 'FB-20991231-9999' }));
    expect(res.status).toBe(200);
    await t.drain();
    const last = fake.callsTo('/v1.0/robot/groupMessages/send').at(-1)!;
    expect(last.body.openConversationId).toBe(AGENTS_CID);
    expect(JSON.parse(last.body.msgParam).content).toContain('找不到工单 FB-20991231-9999');
  });

  it('answers 400 to a signed body that is not JSON', async () => {
    const ts = String(stamp());
    const res = await t.app.request('/dingtalk/robot', {
      method: 'POST',
      headers: { 'content-type': 'application/json', timestamp: ts, sign: robotSignature(ts, fake.clientSecret) },
      body: '{not json',
    });
    expect(res.status).toBe(400);
  });
});
