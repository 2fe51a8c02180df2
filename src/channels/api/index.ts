import type { Context } from 'hono';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import { DeskError } from '../../desk/errors.ts';
import { ApiError } from '../../http/errors.ts';
import type { AppEnv } from '../../http/env.ts';
import type { ProbeableChannel } from '../../probes/types.ts';
import type { ChannelFactory, CoreServices } from '../../services.ts';
import { RetryLater, Undeliverable, type ChannelSender, type OutboxRow } from '../types.ts';
import { DELIVERY_HEADER, SIGNATURE_HEADER, SOURCE_HEADER, signedHeaders, TIMESTAMP_HEADER, verifySignature } from './signature.ts';
import { cleanDeep } from '../../core/text.ts';

type Source = Config['inbound']['sources'][number];

const MAX_BODY = 64 * 1024;

const inboundSchema = z.object({
  /** The source's own id for this message: a retried request with the same id changes nothing. */
  messageId: z.string().trim().min(1).max(200),
  /** Sub-channel inside the source ("ios", "weibo"…), shown to agents; default the source's label. */
  channel: z.string().trim().max(40).optional(),
  customer: z.object({
    id: z.string().trim().min(1).max(200),
    name: z.string().trim().max(100).optional(),
    phone: z.string().trim().max(40).optional(),
    email: z.string().trim().max(200).optional(),
  }),
  text: z.string().trim().min(1, '请填写反馈内容').max(10_000),
  attachments: z
    .array(z.object({ name: z.string().max(200).optional(), url: z.string().url(), kind: z.string().max(20).default('file') }))
    .max(20)
    .default([]),
  category: z.string().optional(),
  callbackUrl: z.string().url().optional(),
  /** Set only by our own probes (a nonce known to the database); anything else is an ordinary complaint. */
  probe: z.string().max(100).optional(),
});

const surveySchema = z.object({
  ticket: z.string().trim().min(1),
  customer: z.object({ id: z.string().trim().min(1).max(200) }),
  score: z.number().int().min(1, '评分须为 1–5').max(5, '评分须为 1–5'),
  comment: z.string().trim().max(1000).optional(),
});

export interface ApiReplyTo {
  source: string;
  channel: string;
  customerId: string;
  callbackUrl: string | null;
}

/** What our webhook posts back to the source (the body the source verifies with its secret). */
export interface ApiWebhookBody {
  type: 'message' | 'survey';
  purpose?: string;
  deliveryId: string;
  ticket: string;
  source: string;
  channel: string;
  customer: { id: string };
  text: string;
  survey?: { scores: number[]; answer: { method: 'POST'; path: string } };
  sentAt: string;
}

const originOf = (u: string) => new URL(u).origin;

/**
 * The inbound API: any other system (in-app feedback, a social-media monitor, a call centre) posts signed JSON;
 * replies and surveys go back to it by a signed webhook through the outbox.
 */
export const createInboundApiChannel: ChannelFactory = (core: CoreServices): ProbeableChannel | null => {
  const { config, desk, env, clock } = core;
  const sources = new Map(config.inbound.sources.map((s) => [s.name, s]));
  if (sources.size === 0) return null;
  const { store } = core;
  const ownOrigins = new Set([originOf(env.PUBLIC_BASE_URL), ...(config.probes.baseUrl ? [originOf(config.probes.baseUrl)] : [])]);
  let lastInboundAt: Date | null = null;

  /** Raw body first, signature on it, only then JSON: nothing unauthenticated is parsed. */
  async function authenticated(c: Context<AppEnv>, sourceName: string | undefined): Promise<{ source: Source; body: unknown }> {
    const source = sourceName ? sources.get(sourceName) : undefined;
    if (!source) throw new ApiError('unauthorized', `未知来源：${sourceName ?? `（缺少 ${SOURCE_HEADER}）`}`);
    if (Number(c.req.header('content-length') ?? 0) > MAX_BODY) throw new ApiError('payload_too_large', `请求体不能超过 ${MAX_BODY / 1024} KB`);
    const raw = await c.req.text();
    if (Buffer.byteLength(raw) > MAX_BODY) throw new ApiError('payload_too_large', `请求体不能超过 ${MAX_BODY / 1024} KB`);
    const check = verifySignature(
      source.secret,
      { timestamp: c.req.header(TIMESTAMP_HEADER), signature: c.req.header(SIGNATURE_HEADER) },
      raw,
      clock.now(),
      config.inbound.toleranceSeconds,
    );
    if (!check.ok) throw new ApiError('unauthorized', check.reason);
    try {
      return { source, body: cleanDeep(JSON.parse(raw)) };
    } catch (e) {
      throw new ApiError('bad_request', `请求体不是有效的 JSON：${(e as Error).message}`);
    }
  }

  function callbackFor(source: Source, requested: string | undefined): string | null {
    if (!requested) return source.callbackUrl ?? null;
    const allowed = new Set([...(source.callbackUrl ? [originOf(source.callbackUrl)] : []), ...source.callbackOrigins.map(originOf), ...ownOrigins]);
    if (!allowed.has(originOf(requested))) throw new ApiError('bad_request', `callbackUrl 的域名不在来源 ${source.name} 允许的范围内`);
    return requested;
  }

  const sender: ChannelSender = {
    name: 'api',
    async deliver(row: OutboxRow, ctx) {
      if (row.kind !== 'customer.text' && row.kind !== 'customer.survey') throw new Undeliverable(`api channel cannot deliver ${row.kind}`);
      const route = await ctx.ticketRoute(row.ticketId!);
      const to = route.replyTo as unknown as ApiReplyTo;
      const source = sources.get(to.source);
      if (!source) throw new Undeliverable(`来源 ${to.source} 已从配置中移除`);
      // A source without a callback reads replies from its own side (it got the ticket code and promise in the response).
      if (!to.callbackUrl) return;
      const survey = row.kind === 'customer.survey';
      const payload: ApiWebhookBody = {
        type: survey ? 'survey' : 'message',
        purpose: survey ? undefined : String(row.payload.purpose ?? 'notice'),
        deliveryId: row.idemKey,
        ticket: route.code,
        source: to.source,
        channel: to.channel,
        customer: { id: to.customerId },
        text: survey ? `您的反馈（工单 ${route.code}）已处理完毕。请为本次服务打分：1–5 分（5 分最满意）。` : String(row.payload.text ?? ''),
        survey: survey ? { scores: [1, 2, 3, 4, 5], answer: { method: 'POST', path: '/api/inbound/survey' } } : undefined,
        sentAt: ctx.now().toISOString(),
      };
      const body = JSON.stringify(payload);
      let res: Response;
      try {
        res = await fetch(to.callbackUrl, {
          method: 'POST',
          // The delivery id is the idempotency key: a receiver drops a delivery it has already seen.
          headers: signedHeaders(source.secret, body, ctx.now(), { [SOURCE_HEADER]: source.name, [DELIVERY_HEADER]: row.idemKey }),
          body,
          signal: AbortSignal.timeout(10_000),
        });
      } catch (e) {
        throw new RetryLater(`回调 ${originOf(to.callbackUrl)} 无法连接：${(e as Error).message}`);
      }
      await res.body?.cancel().catch(() => {});
      if (res.ok) return;
      if (res.status === 429 || res.status === 408 || res.status >= 500) {
        const after = Number(res.headers.get('retry-after'));
        throw new RetryLater(`回调返回 HTTP ${res.status}`, Number.isFinite(after) && after > 0 ? after * 1000 : undefined);
      }
      throw new Undeliverable(`回调返回 HTTP ${res.status}`);
    },
  };

  return {
    name: 'api',
    agentSurface: false,
    sender,
    health: () => ({ state: 'ready', sources: [...sources.keys()], lastInboundAt: lastInboundAt?.toISOString() ?? null }),
    bodyLimits: { '/api/inbound': MAX_BODY },
    routes(app) {
      app.post('/api/inbound', async (c) => {
        const { source, body } = await authenticated(c, c.req.header(SOURCE_HEADER));
        const m = inboundSchema.parse(body);
        const isProbe = m.probe ? await store.isProbeMarker(m.probe) : false;
        const channelLabel = m.channel ?? source.label ?? source.name;
        const result = await desk.intake({
          channel: 'api',
          dedupeKey: `${source.name}:${m.messageId}`,
          customer: { externalId: `${source.name}:${m.customer.id}`, name: m.customer.name, phone: m.customer.phone, email: m.customer.email },
          replyTo: {
            source: source.name,
            channel: channelLabel,
            customerId: m.customer.id,
            callbackUrl: callbackFor(source, m.callbackUrl),
          } satisfies ApiReplyTo,
          text: m.text,
          attachments: m.attachments.map((a) => ({ kind: a.kind, name: a.name, ref: a.url })),
          category: m.category,
          isProbe,
        });
        if (!isProbe) lastInboundAt = clock.now();
        return c.json({ ticket: result.code, created: result.created, duplicate: result.duplicate, promise: result.promise }, result.duplicate ? 200 : 201);
      });

      app.post('/api/inbound/survey', async (c) => {
        const { source, body } = await authenticated(c, c.req.header(SOURCE_HEADER));
        const s = surveySchema.parse(body);
        try {
          const r = await desk.answerSurvey({
            ticket: s.ticket.toUpperCase(),
            channel: 'api',
            customerExternalId: `${source.name}:${s.customer.id}`,
            score: s.score,
            comment: s.comment,
          });
          return c.json({ ticket: r.code, outcome: r.outcome, message: r.message });
        } catch (e) {
          if (e instanceof DeskError && e.code === 'not_resolved') throw new ApiError('conflict', e.message);
          throw e;
        }
      });

      // Our probes' own "customer side": proves the signed webhook leaves us and arrives.
      app.post('/api/inbound/probe-callback/:source', async (c) => {
        const { body } = await authenticated(c, c.req.param('source'));
        const w = body as Partial<ApiWebhookBody>;
        if (typeof w.ticket !== 'string') throw new ApiError('bad_request', 'ticket missing');
        await store.kv.set(`probe:callback:${w.ticket}`, { type: w.type, purpose: w.purpose ?? null, at: clock.now().toISOString() }, clock.now());
        return c.json({ ok: true });
      });
    },
    probe: {
      async send({ runId, marker, text, baseUrl }) {
        const source = (config.probes.apiSource && sources.get(config.probes.apiSource)) || [...sources.values()][0];
        const body = JSON.stringify({
          messageId: `probe-${runId}`,
          channel: '拨测',
          customer: { id: `loopdesk-probe-${runId}`, name: 'Loopdesk 拨测' },
          text,
          probe: marker,
          callbackUrl: `${baseUrl}/api/inbound/probe-callback/${source.name}`,
        });
        const res = await fetch(`${baseUrl}/api/inbound`, {
          method: 'POST',
          headers: signedHeaders(source.secret, body, clock.now(), { [SOURCE_HEADER]: source.name }),
          body,
          signal: AbortSignal.timeout(10_000),
        });
        if (res.status !== 201) throw new Error(`POST /api/inbound 返回 HTTP ${res.status}：${(await res.text()).slice(0, 200)}`);
      },
      async ackReceived(code) {
        const got = await store.kv.get<{ purpose: string | null }>(`probe:callback:${code}`);
        return got?.purpose === 'ack';
      },
    },
  };
};
