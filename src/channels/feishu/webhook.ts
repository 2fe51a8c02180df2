import type { Hono } from 'hono';
import type { AppEnv } from '../../http/env.ts';
import { ApiError } from '../../http/errors.ts';
import type { Clock } from '../../core/clock.ts';
import type { FeishuSettings } from './config.ts';
import type { FeishuInbound } from './inbound.ts';
import { verifyWebhook, VerifyError } from './verify.ts';

const MAX_BODY_BYTES = 1_000_000;

/**
 * POST /feishu/webhook (FEISHU_EVENT_MODE=webhook): events and card callbacks on one URL. The raw body is
 * authenticated before it is parsed further (the SDK's own check re-serialises the JSON and fails on real
 * bodies, feishu.md §1), then handed to the same dispatcher the long connection uses.
 */
export function mountWebhook(app: Hono<AppEnv>, settings: FeishuSettings, inbound: FeishuInbound, clock: Clock): void {
  app.post('/feishu/webhook', async (c) => {
    if (Number(c.req.header('content-length') ?? 0) > MAX_BODY_BYTES) throw new ApiError('payload_too_large', 'body too large');
    const raw = await c.req.text();
    if (raw.length > MAX_BODY_BYTES) throw new ApiError('payload_too_large', 'body too large');
    let verified;
    try {
      verified = verifyWebhook({
        raw,
        headers: Object.fromEntries(c.req.raw.headers),
        encryptKey: settings.encryptKey,
        verificationToken: settings.verificationToken,
        nowMs: clock.now().getTime(),
      });
    } catch (e) {
      if (e instanceof VerifyError) throw new ApiError(e.status === 401 ? 'unauthorized' : 'bad_request', e.message);
      throw e;
    }
    if (verified.kind === 'challenge') return c.json({ challenge: verified.challenge });
    // A handler failure is a 500: Feishu re-pushes, and the receipts make the retry safe.
    const answer = await inbound.dispatcher.invoke(verified.body, { needCheck: false });
    return c.json(answer && typeof answer === 'object' ? answer : {});
  });
}
