import type { Channel, ChannelFactory, CoreServices } from '../../services.ts';
import { createFeishuApi } from './client.ts';
import { feishuSettings, type FeishuSettings } from './config.ts';
import { createFeishuInbound } from './inbound.ts';
import { createSharedPacer } from './rate-limit.ts';
import { createFeishuSender } from './sender.ts';
import { attachFeishuEventHandlers } from './hooks.ts';
import { mountWebhook } from './webhook.ts';
import { createLongConnection } from './ws.ts';

export interface FeishuChannelOptions {
  /** Calls per second per chat / user / message (Feishu: 5). */
  perTargetQps?: number;
  /** Answer budget for events and card callbacks (Feishu: 3 s). */
  timeBoxMs?: number;
  /** Long-connection watchdog, seconds. */
  pingTimeoutSeconds?: number;
  /** Per Open API call. */
  callTimeoutMs?: number;
}

/** A factory with tuned limits (tests, benchmarks); `createFeishuChannel` uses Feishu's real ones. */
export function feishuChannel(opts: FeishuChannelOptions = {}): ChannelFactory {
  return (core: CoreServices): Channel | null => {
    const settings = feishuSettings(core.env);
    if (!settings) return null;
    return buildChannel(core, settings, opts);
  };
}

export const createFeishuChannel: ChannelFactory = feishuChannel();

function buildChannel(core: CoreServices, settings: FeishuSettings, opts: FeishuChannelOptions): Channel {
  const log = core.log.child({ channel: 'feishu' });
  const api = createFeishuApi(settings, log, { timeoutMs: opts.callTimeoutMs });
  const inbound = createFeishuInbound({ core: { ...core, log }, settings, api, timeBoxMs: opts.timeBoxMs });
  // Other channels riding on this app's event delivery (the helpdesk) add their handlers here.
  attachFeishuEventHandlers(core, inbound.dispatcher);
  const sender = createFeishuSender({
    api,
    agentChatId: settings.agentChatId,
    pacer: createSharedPacer(core.store.pacing, opts.perTargetQps ?? 5),
    company: core.config.company.name,
  });
  const ws = settings.eventMode === 'ws' ? createLongConnection(settings, inbound.dispatcher, log, { pingTimeoutSeconds: opts.pingTimeoutSeconds }) : null;
  if (!settings.agentChatId) log.warn('FEISHU_AGENT_CHAT_ID is not set: customer messages become tickets, but no cards reach the agents');
  return {
    name: 'feishu',
    // Cards go to the agents' group only when there is one.
    agentSurface: !!settings.agentChatId,
    sender,
    routes(app) {
      if (settings.eventMode === 'webhook') mountWebhook(app, settings, inbound, core.clock);
    },
    async start() {
      void api.botOpenId();
      await ws?.start();
    },
    async stop() {
      await ws?.stop();
    },
    health() {
      return ws ? ws.health() : { mode: 'webhook', state: 'ready' };
    },
  };
}

export { createFeishuInbound } from './inbound.ts';
