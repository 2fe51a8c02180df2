import { eq } from 'drizzle-orm';
import { tickets } from '../../../src/db/schema/index.ts';
import { dingTalkChannel, type DingTalkChannelOptions } from '../../../src/channels/dingtalk/index.ts';
import { createTestDesk, type TestDesk } from '../../helpers/services.ts';
import type { DbKind } from '../../helpers/db.ts';
import type { Channel } from '../../../src/services.ts';
import type { FakeDingTalk, Frame } from './server.ts';

export const AGENTS_CID = 'cidAgentsGroup';
export const TEMPLATE_ID = 'loopdesk-ticket.schema';

/** Supervisor limits small enough for tests that reconnect in milliseconds, not seconds. */
export const FAST_STREAM: DingTalkChannelOptions['stream'] = {
  connectTimeoutMs: 2_000,
  backoffBaseMs: 40,
  backoffMaxMs: 400,
  idleTimeoutMs: 5_000,
  stableAfterMs: 10_000,
};

export interface DingTalkDeskOptions {
  kind?: DbKind;
  template?: boolean;
  mode?: 'stream' | 'http';
  config?: Record<string, unknown>;
  channel?: DingTalkChannelOptions;
  /** Start the channel (stream connection / HTTP card registration); the outbox is drained by hand. */
  start?: boolean;
}

/** The whole service with only the DingTalk channel, pointed at the fake. */
export async function createDingTalkDesk(fake: FakeDingTalk, opts: DingTalkDeskOptions = {}) {
  const t: TestDesk = await createTestDesk({
    kind: opts.kind,
    config: opts.config,
    env: {
      DINGTALK_CLIENT_ID: fake.clientId,
      DINGTALK_CLIENT_SECRET: fake.clientSecret,
      DINGTALK_AGENT_CONVERSATION_ID: AGENTS_CID,
      DINGTALK_EVENT_MODE: opts.mode ?? 'stream',
      DINGTALK_API_BASE: fake.base,
      DINGTALK_GATEWAY_URL: fake.gatewayUrl,
      ...(opts.template ? { DINGTALK_CARD_TEMPLATE_ID: TEMPLATE_ID } : {}),
    },
    channels: [dingTalkChannel({ stream: FAST_STREAM, ...opts.channel })],
  });
  const channel = t.services.channels.find((c) => c.name === 'dingtalk')! as Channel & { settle(): Promise<void> };
  if (opts.start !== false) await channel.start?.();
  // Both ends: the fake accepted the socket, and the client saw it open (the supervisor says so).
  if ((opts.mode ?? 'stream') === 'stream' && opts.start !== false) {
    await fake.waitFor(() => fake.openSockets === 1 && (channel.health!() as { state: string }).state === 'connected', 5_000, 'stream connection');
  }
  return {
    ...t,
    channel,
    async ticket(code: string) {
      const [row] = await t.db.select().from(tickets).where(eq(tickets.code, code));
      return row;
    },
    async waitTicket(pred: (row: typeof tickets.$inferSelect) => boolean, label = 'ticket') {
      const end = Date.now() + 5_000;
      for (;;) {
        const rows = await t.db.select().from(tickets);
        const hit = rows.find(pred);
        if (hit) return hit;
        if (Date.now() > end) throw new Error(`timed out waiting for ${label}`);
        await new Promise((r) => setTimeout(r, 15));
      }
    },
    /** Waits until the fake saw the ack of this frame, then until the work behind it is done. */
    async handled(frame: Frame) {
      await fake.waitFor(() => frame.ackedAt !== null, 5_000, `ack of ${frame.messageId}`);
      await channel.settle();
    },
    /**
     * Delivers everything due until nothing is left. The desk wakes the worker on every commit, so a drain may be
     * running already: wake() joins it (and runs once more if rows arrived meanwhile).
     */
    async drain() {
      for (let i = 0; i < 10; i++) {
        const r = await t.services.outbox.wake();
        const again = await t.services.outbox.drainOnce();
        if (r.claimed === 0 && again.claimed === 0) return;
      }
    },
  };
}
export type DingTalkDesk = Awaited<ReturnType<typeof createDingTalkDesk>>;
