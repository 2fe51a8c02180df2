import { createHash } from 'node:crypto';
import type { Hono } from 'hono';
import { ApiError } from '../../http/errors.ts';
import type { AppEnv } from '../../http/env.ts';
import type { Channel, ChannelFactory, CoreServices } from '../../services.ts';
import { createDingTalkApi } from './api.ts';
import { createInbound, createLanes, type Inbound } from './inbound.ts';
import { CHANNEL, createDingTalkSender, createSessionBook } from './outbound.ts';
import { dingTalkSettings, type DingTalkSettings } from './settings.ts';
import { createStreamSupervisor, TOPIC_CARD, TOPIC_ROBOT, type SupervisorOptions } from './stream.ts';
import { cardSignature, checkSignature, robotSignature, SIGNATURE_WINDOW_MS } from './verify.ts';
import { cleanDeep } from '../../core/text.ts';

export interface DingTalkChannelOptions {
  /** Stream supervisor tuning (tests, benchmarks); DingTalk-sized defaults otherwise. */
  stream?: Pick<SupervisorOptions, 'connectTimeoutMs' | 'backoffBaseMs' | 'backoffMaxMs' | 'idleTimeoutMs' | 'stableAfterMs'>;
  /** Work running at once after acks (each is one short transaction). */
  concurrency?: number;
  /** HTTP callbacks: answer by then even if the work is not done (card callbacks must be answered within 2 s). */
  answerWithinMs?: number;
  callTimeoutMs?: number;
}

/** A factory with tuned limits; `createDingTalkChannel` uses the real ones. */
export function dingTalkChannel(opts: DingTalkChannelOptions = {}): ChannelFactory {
  return (core: CoreServices): Channel | null => {
    const settings = dingTalkSettings(core.env);
    return settings ? buildChannel(core, settings, opts) : null;
  };
}

export const createDingTalkChannel: ChannelFactory = dingTalkChannel();

function buildChannel(core: CoreServices, settings: DingTalkSettings, opts: DingTalkChannelOptions): Channel {
  const log = core.log.child({ channel: CHANNEL });
  const api = createDingTalkApi(settings, log, { timeoutMs: opts.callTimeoutMs });
  const sessions = createSessionBook();
  const sender = createDingTalkSender(settings, api, sessions);
  const inbound = createInbound({ ...core, log }, settings, sessions);
  const lanes = createLanes(opts.concurrency ?? 8, (e) =>
    log.error('dingtalk callback handling failed', { err: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
  if (!settings.agentConversationId) log.warn('DINGTALK_AGENT_CONVERSATION_ID is not set: customer messages become tickets, but no cards reach the agents');

  const stream =
    settings.mode === 'stream'
      ? createStreamSupervisor({
          ...opts.stream,
          gatewayUrl: settings.gatewayUrl,
          clientId: settings.clientId,
          clientSecret: settings.clientSecret,
          log,
          onCallback(topic, frame, client) {
            const messageId = frame.headers.messageId;
            // Acknowledge first: DingTalk re-sends what is not acked in time, and card clicks wait at most 2 s.
            // An empty response leaves the card as it is; the PUT after the change updates it.
            try {
              client.socketCallBackResponse(messageId, {});
            } catch (e) {
              log.warn('dingtalk ack failed', { err: String(e) });
            }
            let data: unknown;
            try {
              data = cleanDeep(JSON.parse(frame.data));
            } catch {
              log.warn('dingtalk callback data is not JSON', { topic });
              return;
            }
            const lane = laneOf(data, messageId);
            if (topic === TOPIC_ROBOT) lanes.push(lane, () => inbound.robotMessage(data, messageId));
            else if (topic === TOPIC_CARD) lanes.push(lane, () => inbound.cardCallback(data, messageId, true));
          },
        })
      : null;

  const channel: Channel & { settle(): Promise<void> } = {
    name: CHANNEL,
    agentSurface: !!settings.agentConversationId,
    sender,
    routes(app) {
      if (settings.mode === 'http') mountHttpCallbacks(app, core, settings, inbound, opts.answerWithinMs ?? 1_500);
    },
    async start() {
      if (stream) {
        stream.start();
        return;
      }
      // HTTP mode: card clicks go to the route key we register (idempotent, forceUpdate).
      if (settings.cardTemplateId) {
        await api
          .registerCardCallback(`${settings.publicBaseUrl}/dingtalk/card`)
          .catch((e) => log.warn('dingtalk card callback registration failed', { err: (e as Error).message }));
      }
    },
    async stop() {
      await stream?.stop();
      await lanes.idle();
    },
    health() {
      return stream ? stream.health() : { mode: 'http', state: 'ready' };
    },
    /** Resolves when the work behind every callback acked so far is done (tests, benchmarks, shutdown). */
    settle: () => lanes.idle(),
  };
  return channel;
}

/** Messages of one conversation (or clicks on one card) in order; everything else side by side. */
function laneOf(data: unknown, fallback: string): string {
  const d = (data ?? {}) as { conversationId?: unknown; outTrackId?: unknown };
  if (typeof d.conversationId === 'string') return `c:${d.conversationId}`;
  if (typeof d.outTrackId === 'string') return `t:${d.outTrackId}`;
  return `m:${fallback}`;
}

/** Waits for the work up to the platform's deadline, then answers anyway (the work goes on). */
async function within<T>(ms: number, work: Promise<T>): Promise<T | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

function parseJson(raw: string): unknown {
  try {
    return cleanDeep(JSON.parse(raw));
  } catch {
    throw new ApiError('bad_request', '请求体不是有效的 JSON');
  }
}

/** HTTP mode: both callbacks are checked on the raw body before anything is parsed (DESIGN.md). */
function mountHttpCallbacks(app: Hono<AppEnv>, core: CoreServices, settings: DingTalkSettings, inbound: Inbound, answerWithinMs: number) {
  const secret = settings.clientSecret;
  const log = core.log.child({ channel: CHANNEL });

  /** The signature is fresh, and not reused for another body (it covers the timestamp only). */
  async function authenticate(sign: string, raw: string, what: string): Promise<void> {
    const digest = createHash('sha256').update(raw).digest('base64url');
    if (!(await core.store.claimSignature('dingtalk', sign, digest, SIGNATURE_WINDOW_MS)))
      throw new ApiError('unauthorized', `${what}签名校验失败：签名已被使用`);
  }

  app.post('/dingtalk/robot', async (c) => {
    const check = checkSignature((ts) => robotSignature(ts, secret), c.req.header('timestamp'), c.req.header('sign'), core.clock.now().getTime());
    if (!check.ok) throw new ApiError('unauthorized', `钉钉回调签名校验失败：${check.reason}`);
    const raw = await c.req.text();
    await authenticate(c.req.header('sign')!, raw, '钉钉回调');
    const data = parseJson(raw);
    // A robot message is durable once intake commits; answering after that means a crash cannot lose it.
    const work = inbound.robotMessage(data);
    const r = await within(answerWithinMs, work).catch((e) => {
      log.error('dingtalk robot callback failed', { err: String(e) });
      throw new ApiError('internal', '处理失败，请重试');
    });
    if (r === 'late') work.catch((e) => log.error('dingtalk robot callback failed late', { err: String(e) }));
    return c.json({});
  });

  app.post('/dingtalk/card', async (c) => {
    const check = checkSignature(
      (ts) => cardSignature(ts, secret),
      c.req.header('x-ddpaas-signature-timestamp'),
      c.req.header('x-ddpaas-signature'),
      core.clock.now().getTime(),
    );
    if (!check.ok) throw new ApiError('unauthorized', `钉钉卡片回调签名校验失败：${check.reason}`);
    const raw = await c.req.text();
    await authenticate(c.req.header('x-ddpaas-signature')!, raw, '钉钉卡片回调');
    const data = parseJson(raw);
    // No delivery id in HTTP card callbacks: the body identifies the click (same user, card and params).
    const key = `http:${createHash('sha256').update(raw).digest('base64url').slice(0, 32)}`;
    const work = inbound.cardCallback(data, key, false);
    const r = await within(answerWithinMs, work).catch((e) => {
      log.error('dingtalk card callback failed', { err: String(e) });
      throw new ApiError('internal', '处理失败，请重试');
    });
    if (r === 'late') work.catch((e) => log.error('dingtalk card callback failed late', { err: String(e) }));
    return c.json({});
  });
}
