import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { outbox, ticketEvents } from '../../src/db/schema/index.ts';
import { AGENT_CHAT, startFeishuDesk, type FeishuDesk } from '../fakes/feishu/harness.ts';
import { FAULTS } from '../fakes/feishu/server.ts';

/** Runs the outbox, moving the fake clock past retry waits, until nothing is pending. */
async function drainAll(d: FeishuDesk, rounds = 60) {
  for (let i = 0; i < rounds; i++) {
    await d.settle();
    const pending = (await d.outboxRows()).filter((r) => r.status === 'pending');
    if (pending.length === 0) return;
    d.clock.advance(1);
  }
  throw new Error('outbox still pending');
}

const codeOf = (card: any): string => JSON.stringify(card).match(/FB-\d{8}-\d{4}/)![0];

describe('Feishu outbound under faults', () => {
  let d: FeishuDesk;
  beforeAll(async () => {
    // Feishu's real limit (5 QPS per chat) on both sides: the fake refuses over it, the channel paces under it.
    // Incident grouping off: the burst test below is about pacing 50 cards, not about grouping them (triage tests do that).
    d = await startFeishuDesk({ mode: 'webhook', chatQps: 5, channel: { perTargetQps: 5 }, config: { triage: { bursts: { enabled: false } } } });
  });
  afterAll(() => d?.close());

  it('429 with a reset header, then 500s (one after the message was made), then an expired token: each message arrives once', async () => {
    d.fake.fail({ method: 'POST', path: /^\/open-apis\/im\/v1\/messages/, ...FAULTS.rateLimited(7) });
    await d.send(d.message({ openId: 'ou_fault_1', chatId: 'oc_p2p_fault_1', text: '支付失败，报错 E102' }));
    await d.settle();
    // The platform's advice is the wait: run_at = now + 7 s.
    const waiting = (await d.outboxRows()).find((r) => r.status === 'pending' && r.lastError?.includes('99991400'))!;
    expect(waiting.runAt.getTime() - d.clock.now().getTime()).toBe(7000);

    d.fake.fail({ method: 'POST', path: /^\/open-apis\/im\/v1\/messages/, ...FAULTS.serverError(2) });
    d.fake.fail({ method: 'POST', path: /^\/open-apis\/im\/v1\/messages/, ...FAULTS.serverError(2, true) });
    d.clock.advance(1);
    await drainAll(d);
    const tokensBefore = d.fake.tokensIssued;
    d.fake.expireTokens();
    // A second message on the same ticket: card PATCH; and a new ticket: ack + card, all with a stale token.
    await d.send(d.message({ openId: 'ou_fault_1', chatId: 'oc_p2p_fault_1', text: '补充：iOS 17' }));
    await d.send(d.message({ openId: 'ou_fault_2', chatId: 'oc_p2p_fault_2', text: '发票抬头错了' }));
    await drainAll(d);
    expect(d.fake.tokensIssued).toBe(tokensBefore + 1);
    expect(d.fake.calls.some((c) => c.status === 400 && (c.response as any)?.code === 99991663)).toBe(true);

    const cards = d.fake.messagesIn(AGENT_CHAT);
    expect(cards.map((c) => codeOf(c.content)).sort()).toEqual([...new Set(cards.map((c) => codeOf(c.content)))].sort());
    expect(cards).toHaveLength(2);
    expect(d.fake.contentOf(cards[0].messageId)).toSatisfy((c: unknown) => JSON.stringify(c).includes('iOS 17'));
    const acks = d.fake.messages.filter((m) => m.parentId && JSON.stringify(m.content).includes('已收到您的反馈'));
    expect(acks).toHaveLength(2);
    // Every send carried a uuid, and no uuid made two messages.
    expect(d.fake.messages.every((m) => m.uuid && m.uuid.length <= 50)).toBe(true);
    expect(new Set(d.fake.messages.map((m) => m.uuid)).size).toBe(d.fake.messages.length);
    // The "made it, but the answer was a 500" send was retried with the same uuid and did not double.
    const sends = d.fake.apiCalls({ method: 'POST' }).filter((c) => (c.body as any)?.uuid);
    const lost = sends.find((c) => c.status === 500 && d.fake.messages.some((m) => m.uuid === (c.body as any).uuid))!;
    expect(lost).toBeDefined();
    expect(sends.filter((c) => (c.body as any).uuid === (lost.body as any).uuid && c.status === 200).length).toBeGreaterThanOrEqual(1);
    expect((await d.outboxRows()).every((r) => r.status === 'sent')).toBe(true);
  });

  it('a burst of 50 tickets loses no card under the per-chat limit', async () => {
    const before = d.fake.messagesIn(AGENT_CHAT).length;
    await Promise.all(Array.from({ length: 50 }, (_, i) => d.send(d.message({ openId: `ou_burst_${i}`, chatId: `oc_p2p_burst_${i}`, text: `批量反馈 ${i}` }))));
    const started = Date.now();
    await drainAll(d);
    const cards = d.fake.messagesIn(AGENT_CHAT).slice(before);
    expect(cards).toHaveLength(50);
    expect(new Set(cards.map((c) => codeOf(c.content))).size).toBe(50);
    // Paced: 50 cards at 5 QPS take ~10 s; the fake rarely (only under event-loop jitter) had to answer 230020,
    // and no row spent its attempts on it.
    expect(d.fake.calls.filter((c) => (c.response as any)?.code === 230020).length).toBeLessThan(5);
    expect(Date.now() - started).toBeGreaterThan(9000);
    expect((await d.outboxRows()).filter((r) => r.status !== 'sent')).toEqual([]);
  }, 60_000);

  it('a customer out of reach becomes a dead letter with the reason, and the agents’ group is told', async () => {
    d.fake.refuse('oc_p2p_gone', FAULTS.outOfScope());
    d.fake.refuse('oc_p2p_gone_group', FAULTS.botNotInChat());
    await d.send(d.message({ openId: 'ou_gone', chatId: 'oc_p2p_gone', text: '我的订单呢' }));
    await d.send(
      d.message({
        openId: 'ou_gone_g',
        chatId: 'oc_p2p_gone_group',
        chatType: 'group',
        text: '@_user_1 群里的问题',
        mentions: [{ openId: d.fake.botOpenId, name: 'bot', bot: true }],
      }),
    );
    await drainAll(d);
    const dead = await d.db.select().from(outbox).where(eq(outbox.status, 'dead'));
    expect(dead.map((r) => r.lastError).sort()).toEqual([expect.stringContaining('230002'), expect.stringContaining('230013')].sort());
    expect(dead.some((r) => r.lastError!.includes('用户不在应用的可用范围内'))).toBe(true);
    const notices = d.fake.messagesIn(AGENT_CHAT).filter((m) => JSON.stringify(m.content).includes('无法送达客户'));
    expect(notices).toHaveLength(2);
    const failed = await d.db
      .select()
      .from(ticketEvents)
      .where(and(eq(ticketEvents.type, 'delivery_failed')));
    expect(failed).toHaveLength(2);
  });
});
