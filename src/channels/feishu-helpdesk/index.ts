import type { Env } from '../../config.ts';
import type { Channel, ChannelFactory, CoreServices } from '../../services.ts';
import { createFeishuApi } from '../feishu/client.ts';
import { feishuSettings, type FeishuSettings } from '../feishu/config.ts';
import { addFeishuEventHandlers, feishuEventsAttached } from '../feishu/hooks.ts';
import { createHelpdeskApi } from './api.ts';
import { createHelpdeskInbound } from './inbound.ts';
import { createHelpdeskSender, createStatusSync, type StatusSync } from './sender.ts';

export interface HelpdeskSettings {
  feishu: FeishuSettings;
  helpdeskId: string;
  helpdeskToken: string;
}

/** Null unless the Feishu app and the helpdesk credentials are all set. */
export function helpdeskSettings(env: Env): HelpdeskSettings | null {
  const feishu = feishuSettings(env);
  if (!feishu || !env.FEISHU_HELPDESK_ID || !env.FEISHU_HELPDESK_TOKEN) return null;
  return { feishu, helpdeskId: env.FEISHU_HELPDESK_ID, helpdeskToken: env.FEISHU_HELPDESK_TOKEN };
}

export interface HelpdeskChannelOptions {
  /** Answer budget for events (Feishu: 3 s). */
  timeBoxMs?: number;
  /** How often the status sweep runs; 0 = never (tests call `syncStatuses`). */
  sweepSeconds?: number;
  /** First retry of a failed event subscription; doubles up to 10 minutes. */
  subscribeRetrySeconds?: number;
}

export interface HelpdeskChannel extends Channel {
  /** Pushes our ticket statuses to the helpdesk tickets that are behind (the periodic sweep). */
  syncStatuses(): Promise<number>;
  /** Subscribes to the helpdesk events (done at start; exposed for the retry and for tests). */
  subscribe(): Promise<boolean>;
}

/**
 * Feishu Helpdesk (服务台): its ticket and ticket-message events arrive through the Feishu app's event delivery
 * (the Feishu channel's webhook or long connection, same verification); we subscribe to them with the helpdesk
 * events API at start. Replies and surveys go into the helpdesk ticket with the helpdesk credential, and the
 * helpdesk ticket's status follows ours.
 */
export function helpdeskChannel(opts: HelpdeskChannelOptions = {}): ChannelFactory {
  return (core: CoreServices): HelpdeskChannel | null => {
    const settings = helpdeskSettings(core.env);
    if (!settings) return null;
    return buildChannel(core, settings, opts);
  };
}

export const createHelpdeskChannel: ChannelFactory = helpdeskChannel();

function buildChannel(core: CoreServices, settings: HelpdeskSettings, opts: HelpdeskChannelOptions): HelpdeskChannel {
  const log = core.log.child({ channel: 'helpdesk' });
  const api = createFeishuApi(settings.feishu, log, { helpDesk: { id: settings.helpdeskId, token: settings.helpdeskToken } });
  const hd = createHelpdeskApi(api);
  const stats = {
    subscribedAt: null as string | null,
    subscribeError: null as string | null,
    lastInboundAt: null as string | null,
    lastSweepError: null as string | null,
  };
  const status: StatusSync = createStatusSync({ store: core.store, hd, log, now: () => core.clock.now() });
  const inbound = createHelpdeskInbound({
    core: { ...core, log },
    hd,
    timeBoxMs: opts.timeBoxMs,
    onInbound: () => (stats.lastInboundAt = core.clock.now().toISOString()),
  });
  addFeishuEventHandlers(core, inbound.handlers);
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopped) fn();
    }, ms);
    t.unref();
    timers.add(t);
  };

  async function subscribe(): Promise<boolean> {
    try {
      await hd.subscribe();
      stats.subscribedAt = core.clock.now().toISOString();
      stats.subscribeError = null;
      log.info('helpdesk events subscribed');
      return true;
    } catch (e) {
      stats.subscribeError = (e as Error).message;
      log.error('helpdesk event subscription failed; no helpdesk ticket will reach the desk until it succeeds', { err: stats.subscribeError });
      return false;
    }
  }

  function subscribeUntilDone(delayMs: number) {
    void subscribe().then((ok) => {
      if (!ok) later(delayMs, () => subscribeUntilDone(Math.min(delayMs * 2, 600_000)));
    });
  }

  async function syncStatuses(): Promise<number> {
    try {
      const n = await status.sweep();
      stats.lastSweepError = null;
      return n;
    } catch (e) {
      stats.lastSweepError = (e as Error).message;
      throw e;
    }
  }

  function sweepEvery(ms: number) {
    later(ms, () => {
      syncStatuses()
        .catch((e) => log.warn('helpdesk status sweep failed', { err: String(e) }))
        .finally(() => sweepEvery(ms));
    });
  }

  return {
    name: 'helpdesk',
    agentSurface: false,
    sender: createHelpdeskSender({ kv: core.store.kv, hd, status, log }),
    syncStatuses,
    subscribe,
    async start() {
      stopped = false;
      if (!feishuEventsAttached(core)) log.warn('the Feishu channel is not running: helpdesk events have no way in (set FEISHU_APP_ID / FEISHU_APP_SECRET)');
      subscribeUntilDone((opts.subscribeRetrySeconds ?? 30) * 1000);
      const every = opts.sweepSeconds ?? 60;
      if (every > 0) sweepEvery(every * 1000);
    },
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
    health() {
      const ready = !!stats.subscribedAt && feishuEventsAttached(core);
      return {
        state: ready ? 'ready' : 'error',
        eventsVia: feishuEventsAttached(core) ? `feishu ${settings.feishu.eventMode}` : null,
        subscribedAt: stats.subscribedAt,
        ...(stats.subscribeError ? { subscribeError: stats.subscribeError } : {}),
        ...(stats.lastSweepError ? { lastSweepError: stats.lastSweepError } : {}),
        lastInboundAt: stats.lastInboundAt,
      };
    },
  };
}
