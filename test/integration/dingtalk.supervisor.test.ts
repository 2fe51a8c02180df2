import { afterEach, describe, expect, it } from 'vitest';
import { startFakeDingTalk, type FakeDingTalk } from '../fakes/dingtalk/server.ts';
import { createDingTalkDesk, type DingTalkDesk } from '../fakes/dingtalk/desk.ts';
import { tickets } from '../../src/db/schema/index.ts';

/** The stream supervisor against the real SDK: drops, refused handshakes, rotations, stalls, lost acks. */
describe('dingtalk stream supervisor', () => {
  let fake: FakeDingTalk;
  let t: DingTalkDesk;
  afterEach(async () => {
    await t?.close();
    await fake?.close();
  });

  const health = () => t.channel.health!() as { state: string; connects: number; consecutiveFailures: number; lastDisconnect: string | null };
  const countTickets = async () => (await t.db.select({ id: tickets.id }).from(tickets)).length;

  it('reconnects after a dropped socket and delivers what was sent meanwhile, once', async () => {
    fake = await startFakeDingTalk();
    t = await createDingTalkDesk(fake);
    fake.dropSocket();
    // Pushed while nobody is connected: the fake keeps it and sends it on the next connection.
    const { frame } = fake.robotMessage({ now: t.clock.now().getTime(), text: { content: '断线期间的消息' } });
    await t.handled(frame);
    expect(await countTickets()).toBe(1);
    expect(fake.connections).toBe(2);
    expect(fake.maxConcurrent).toBe(1);
    expect(health()).toMatchObject({ state: 'connected', connects: 2 });
    expect(health().lastDisconnect).toMatch(/socket closed/);
  });

  it('backs off with growing, jittered delays while the gateway refuses, one attempt at a time, then connects', async () => {
    fake = await startFakeDingTalk();
    fake.refuseHandshake(5);
    t = await createDingTalkDesk(fake);
    const calls = fake.gatewayCalls().map((c) => c.at);
    // 5 refusals + 1 success: no storm (the SDK's own reconnect doubles the calls every second: 1→3→7→15).
    expect(calls).toHaveLength(6);
    const gaps = calls.slice(1).map((at, i) => at - calls[i]);
    // Base 40 ms, equal jitter: attempt n waits in [cap/2, cap] with cap = 40·2^(n-1), capped at 400 ms.
    expect(gaps[0]).toBeGreaterThanOrEqual(15);
    expect(gaps[3]).toBeGreaterThanOrEqual(150);
    expect(gaps[4]).toBeGreaterThanOrEqual(gaps[0]);
    expect(fake.maxConcurrent).toBe(1);
    expect(health()).toMatchObject({ state: 'connected', consecutiveFailures: 5 });
  });

  it('leaves at once on a server "disconnect" and comes back on a new connection, never two at a time', async () => {
    fake = await startFakeDingTalk();
    t = await createDingTalkDesk(fake);
    fake.sendDisconnect(60_000);
    await fake.waitFor(() => fake.connections === 2 && fake.openSockets === 1 && health().state === 'connected', 3_000, 'reconnect after disconnect');
    expect(fake.maxConcurrent).toBe(1);
    expect(health().lastDisconnect).toBe('server sent disconnect');
    // Ping frames keep being answered on the new connection.
    const ping = fake.ping();
    await fake.waitFor(() => fake.pingAcks.includes(ping), 2_000, 'ping answer');
    const { frame } = fake.robotMessage({ now: t.clock.now().getTime(), text: { content: '切换连接后的消息' } });
    await t.handled(frame);
    expect(await countTickets()).toBe(1);
  });

  it('the watchdog replaces a connection that went silent (no frames, no pongs)', async () => {
    fake = await startFakeDingTalk();
    t = await createDingTalkDesk(fake, {
      channel: { stream: { connectTimeoutMs: 1_000, backoffBaseMs: 20, backoffMaxMs: 200, idleTimeoutMs: 300, stableAfterMs: 10_000 } },
    });
    fake.stall();
    await fake.waitFor(() => health().lastDisconnect?.startsWith('watchdog'), 3_000, 'watchdog');
    fake.stall(false);
    await fake.waitFor(() => fake.openSockets === 1 && health().state === 'connected', 3_000, 'reconnect after stall');
    expect(fake.maxConcurrent).toBe(1);
  });

  it('a callback whose ack got lost is sent again and handled once', async () => {
    fake = await startFakeDingTalk({ redeliverAfterMs: 150 });
    t = await createDingTalkDesk(fake);
    const now = t.clock.now().getTime();
    const msgId = 'msgLostAck001';
    // The first ack never reaches the server.
    const { frame } = (() => {
      const mid = 'mid-lost-ack-1';
      fake.loseAck(mid);
      return fake.robotMessage({ now, msgId, text: { content: '确认丢失后会重发' } }, { messageId: mid });
    })();
    await fake.waitFor(() => frame.sentAt.length >= 2 && frame.ackedAt !== null, 3_000, 'redelivery and ack');
    await t.channel.settle();
    expect(await countTickets()).toBe(1);
    await t.drain();
    expect(fake.callsTo('/robot/sendBySession')).toHaveLength(1);
  });

  it('stop() ends the connection and the loop: no reconnect afterwards', async () => {
    fake = await startFakeDingTalk();
    t = await createDingTalkDesk(fake);
    await t.channel.stop!();
    const before = fake.gatewayCalls().length;
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.gatewayCalls().length).toBe(before);
    expect(fake.openSockets).toBe(0);
    expect(health().state).toBe('stopped');
  });
});
