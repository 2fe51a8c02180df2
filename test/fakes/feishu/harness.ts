import { eq } from 'drizzle-orm';
import { createWebChannel } from '../../../src/channels/web/index.tsx';
import { feishuChannel, type FeishuChannelOptions } from '../../../src/channels/feishu/index.ts';
import { outbox, tickets } from '../../../src/db/schema/index.ts';
import { createTestDesk, type TestDeskOptions } from '../../helpers/services.ts';
import type { ChannelFactory } from '../../../src/services.ts';
import { cardActionEvent, messageEvent, webhookRequest, type CardActionSpec, type Envelope, type MessageSpec, type SignOptions } from './events.ts';
import { startFakeFeishu } from './server.ts';

export const APP_ID = 'cli_0123456789abcdef';
export const APP_SECRET = 'fake-app-secret';
export const VERIFICATION_TOKEN = 'vtok-fake-0001';
export const ENCRYPT_KEY = 'fake-encrypt-key';
export const AGENT_CHAT = 'oc_agents';

export interface FeishuDeskOptions extends Omit<TestDeskOptions, 'channels' | 'env'> {
  mode: 'ws' | 'webhook';
  env?: Record<string, string>;
  channel?: FeishuChannelOptions;
  chatQps?: number;
  /** Webhook without an encrypt key (verification token only). */
  plain?: boolean;
  /** More channels after the Feishu one (e.g. the helpdesk, which rides on its event delivery). */
  extraChannels?: ChannelFactory[];
  /** The fake's 服务台 credentials (the desk gets them through `env`). */
  helpdesk?: { id: string; token: string };
}

/**
 * The whole service with the Feishu channel, talking to a fake Feishu over HTTP / WebSocket on 127.0.0.1.
 * `send` delivers an event the way the mode does (signed webhook POST, or a frame on the long connection)
 * and returns Feishu's view of the answer.
 */
export async function startFeishuDesk(o: FeishuDeskOptions) {
  // Tests run the per-chat limit at 50 QPS on both sides unless they ask for Feishu's real 5.
  const qps = o.channel?.perTargetQps ?? 50;
  const fake = await startFakeFeishu({ appId: APP_ID, appSecret: APP_SECRET, chatQps: o.chatQps ?? qps, helpdesk: o.helpdesk });
  const t = await createTestDesk({
    ...o,
    env: {
      FEISHU_APP_ID: APP_ID,
      FEISHU_APP_SECRET: APP_SECRET,
      FEISHU_VERIFICATION_TOKEN: VERIFICATION_TOKEN,
      ...(o.plain ? {} : { FEISHU_ENCRYPT_KEY: ENCRYPT_KEY }),
      FEISHU_DOMAIN: fake.url,
      FEISHU_EVENT_MODE: o.mode,
      FEISHU_AGENT_CHAT_ID: AGENT_CHAT,
      ...o.env,
    },
    channels: [createWebChannel, feishuChannel({ timeBoxMs: 2500, ...o.channel, perTargetQps: qps }), ...(o.extraChannels ?? [])],
  });
  await t.services.start();
  if (o.mode === 'ws') await fake.wsReady();
  const defaults = { appId: APP_ID, verificationToken: VERIFICATION_TOKEN };

  async function post(body: unknown, sign: SignOptions = {}) {
    const req = webhookRequest(body, { encryptKey: o.plain ? undefined : ENCRYPT_KEY, timestamp: Math.floor(t.clock.now().getTime() / 1000), ...sign });
    const res = await t.app.request('/feishu/webhook', { method: 'POST', headers: req.headers, body: req.body });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, json };
  }

  /** Delivers an envelope in the desk's mode; resolves to the answer Feishu receives (HTTP body / ACK data). */
  async function send(envelope: Envelope): Promise<{ status: number; body: any }> {
    if (o.mode === 'webhook') {
      const r = await post(envelope);
      return { status: r.status, body: r.json };
    }
    const ack = await fake.push(envelope, { fragments: 2 });
    return { status: ack.code, body: ack.data };
  }

  /** Runs the outbox until nothing due is left (retries come due when the test moves the clock). */
  async function settle() {
    for (let i = 0; i < 200; i++) {
      const r = await t.services.outbox.wake();
      if (r.claimed === 0) return;
    }
    throw new Error('outbox did not settle');
  }

  async function ticketByCode(code: string) {
    const [row] = await t.db.select().from(tickets).where(eq(tickets.code, code));
    return row;
  }

  return {
    ...t,
    fake,
    mode: o.mode,
    post,
    send,
    settle,
    ticketByCode,
    message(m: MessageSpec) {
      const e = messageEvent(defaults, m);
      const msg = e.event.message as { message_id: string; chat_id: string };
      fake.knowMessage(msg.message_id, msg.chat_id);
      return e;
    },
    cardAction: (c: CardActionSpec) => cardActionEvent(defaults, c),
    /** Envelope defaults (app id, verification token) for events built elsewhere (helpdesk). */
    defaults,
    async outboxRows() {
      return t.db.select().from(outbox).orderBy(outbox.id);
    },
    async close() {
      await t.close();
      await fake.close();
    },
  };
}
export type FeishuDesk = Awaited<ReturnType<typeof startFeishuDesk>>;

/** A card's buttons by name → their callback value: what a person could click (tests read cards through it). */
export function buttons(card: unknown): Record<string, any> {
  const out: Record<string, any> = {};
  const walk = (x: any) => {
    if (!x || typeof x !== 'object') return;
    if (x.tag === 'button') out[x.name] = x.behaviors[0].value;
    Object.values(x).forEach(walk);
  };
  walk(card);
  return out;
}
