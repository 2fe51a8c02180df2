import * as lark from '@larksuiteoapi/node-sdk';
import type { Logger } from '../../log.ts';
import { sdkLogger } from './client.ts';
import type { FeishuSettings } from './config.ts';

/**
 * Half-open sockets (laptop sleep, NAT drop) never close on their own; without a watchdog the client waits
 * forever. ~150 s is what long-running bots use (a few seconds causes reconnect storms) — feishu.md §8.
 */
export const DEFAULT_PING_TIMEOUT_SECONDS = 150;

export interface LongConnection {
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): Record<string, unknown>;
}

/** The long connection (FEISHU_EVENT_MODE=ws): events and card callbacks arrive as frames, answers go in the ACK. */
export function createLongConnection(
  settings: FeishuSettings,
  dispatcher: lark.EventDispatcher,
  log: Logger,
  opts: { pingTimeoutSeconds?: number } = {},
): LongConnection {
  let client: lark.WSClient | null = null;
  let lastError: string | null = null;
  let readyAt: string | null = null;
  return {
    async start() {
      client = new lark.WSClient({
        appId: settings.appId,
        appSecret: settings.appSecret,
        domain: settings.domain,
        logger: sdkLogger(log),
        loggerLevel: lark.LoggerLevel.warn,
        autoReconnect: true,
        handshakeTimeoutMs: 15_000,
        wsConfig: { pingTimeout: opts.pingTimeoutSeconds ?? DEFAULT_PING_TIMEOUT_SECONDS },
        onReady: () => {
          readyAt = new Date().toISOString();
          log.info('feishu long connection ready');
        },
        onError: (e) => {
          lastError = e.message;
          log.error('feishu long connection failed', { err: e.message });
        },
        onReconnecting: () => log.warn('feishu long connection lost; reconnecting'),
        onReconnected: () => log.info('feishu long connection re-established'),
      });
      // start() resolves before the socket is up; onReady and health() tell when it is.
      await client.start({ eventDispatcher: dispatcher });
    },
    async stop() {
      client?.close({ force: true });
      client = null;
    },
    health() {
      const s = client?.getConnectionStatus();
      return { mode: 'ws', state: s?.state ?? 'idle', reconnectAttempts: s?.reconnectAttempts ?? 0, readyAt, ...(lastError ? { lastError } : {}) };
    },
  };
}
