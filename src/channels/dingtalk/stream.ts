import { DWClient, EventAck, type DWClientDownStream } from 'dingtalk-stream';
import type WebSocket from 'ws';
import type { Logger } from '../../log.ts';

/** Topics of the two callbacks we subscribe to (constants of the SDK, repeated to keep the import surface small). */
export const TOPIC_ROBOT = '/v1.0/im/bot/messages/get';
export const TOPIC_CARD = '/v1.0/card/instances/callback';

/**
 * dingtalk-stream 2.1.5 with its gateway URL made configurable and its own reconnect logic switched off
 * (it storms on handshake failures and cannot be cancelled: platforms/dingtalk.md §1.5). One instance per
 * connection attempt, so no timer or listener of an old socket survives into the next one.
 */
export class GatewayClient extends DWClient {
  lastFrameAt = Date.now();
  /** Set by a `disconnect` frame, which may arrive in the same read as the handshake, before anyone listens. */
  serverSaidBye = false;
  onServerDisconnect?: () => void;

  constructor(
    opts: { clientId: string; clientSecret: string },
    private readonly gatewayUrl: string,
    private readonly timeoutMs: number,
  ) {
    super({ ...opts, keepAlive: false });
    this.config.autoReconnect = false;
  }

  override async getEndpoint(): Promise<this> {
    const res = await fetch(this.gatewayUrl, {
      method: 'POST',
      // Without Accept the real gateway answers XML.
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        clientId: this.config.clientId,
        clientSecret: this.config.clientSecret,
        ua: this.config.ua,
        subscriptions: this.config.subscriptions,
      }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) throw new Error(`gateway answered HTTP ${res.status}`);
    const { endpoint, ticket } = (await res.json()) as { endpoint?: string; ticket?: string };
    if (!endpoint || !ticket) throw new Error('gateway answer without endpoint/ticket');
    (this as unknown as { dw_url: string }).dw_url = `${endpoint}?ticket=${encodeURIComponent(ticket)}`;
    return this;
  }

  /** The SDK keeps its socket TS-private; the supervisor needs it for close events, pings and termination. */
  get ws(): WebSocket | undefined {
    return (this as unknown as { socket?: WebSocket }).socket;
  }

  /** 2.1.5 parses frames without try/catch inside the socket's listener: one bad frame would crash the process. */
  override onDownStream(data: string): void {
    this.lastFrameAt = Date.now();
    try {
      super.onDownStream(data);
    } catch {
      // An unparsable frame cannot be acked (no messageId); DingTalk re-sends what matters.
    }
  }

  override onSystem(downstream: DWClientDownStream): void {
    super.onSystem(downstream);
    // The server rotates connections: it announces it, then closes ~10 s later. Leave now, as the Python/Go SDKs do.
    if (downstream.headers.topic === 'disconnect') {
      this.serverSaidBye = true;
      this.onServerDisconnect?.();
    }
  }
}

export interface SupervisorOptions {
  gatewayUrl: string;
  clientId: string;
  clientSecret: string;
  log: Logger;
  /** Called for each robot / card callback frame, with the client that received it (to ack on that socket). */
  onCallback(topic: string, frame: DWClientDownStream, client: GatewayClient): void;
  /** Gateway POST and WebSocket handshake, each. */
  connectTimeoutMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** No frame and no pong for this long: the connection is dead even if TCP says otherwise. */
  idleTimeoutMs?: number;
  /** A connection that lived this long counts as healthy (the backoff starts over). */
  stableAfterMs?: number;
  random?: () => number;
}

export type StreamState = 'idle' | 'connecting' | 'connected' | 'backoff' | 'stopped';

/**
 * Keeps exactly one stream connection: one loop connects, waits for the connection to end (socket closed,
 * server `disconnect`, or the watchdog), then waits a jittered, growing delay and connects again.
 */
export function createStreamSupervisor(opts: SupervisorOptions) {
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  const baseMs = opts.backoffBaseMs ?? 1_000;
  const maxMs = opts.backoffMaxMs ?? 60_000;
  const idleMs = opts.idleTimeoutMs ?? 90_000;
  const stableMs = opts.stableAfterMs ?? 30_000;
  const random = opts.random ?? Math.random;
  const log = opts.log;

  let state: StreamState = 'idle';
  let stopped = true;
  let loop: Promise<void> | null = null;
  let endSession: ((reason: string) => void) | null = null;
  let cancelSleep: (() => void) | null = null;
  let current: GatewayClient | null = null;
  const stats = {
    connects: 0,
    failures: 0,
    consecutiveFailures: 0,
    lastError: null as string | null,
    lastDisconnect: null as string | null,
    connectedSince: null as number | null,
    nextAttemptAt: null as number | null,
  };

  /** Equal jitter: half fixed, half random, so the delay grows for sure and instances still spread out. */
  function delayFor(failures: number): number {
    if (failures === 0) return Math.round(random() * Math.min(baseMs, 1000));
    const cap = Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 16));
    return Math.round(cap / 2 + random() * (cap / 2));
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        cancelSleep = null;
        resolve();
      }
      cancelSleep = done;
    });
  }

  async function connectOnce(): Promise<GatewayClient> {
    const client = new GatewayClient({ clientId: opts.clientId, clientSecret: opts.clientSecret }, opts.gatewayUrl, connectTimeoutMs);
    for (const topic of [TOPIC_ROBOT, TOPIC_CARD]) client.registerCallbackListener(topic, (frame) => opts.onCallback(topic, frame, client));
    // Synchronous on purpose: an async listener makes the SDK ack events with "{}" (no status).
    client.registerAllEventListener(() => ({ status: EventAck.SUCCESS }));
    await client.getEndpoint();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client._connect(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`WebSocket handshake timed out after ${connectTimeoutMs} ms`)), connectTimeoutMs);
        }),
      ]);
    } catch (e) {
      client.ws?.terminate();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    return client;
  }

  /** Resolves with the reason the connection ended; the socket is terminated by then. */
  function session(client: GatewayClient): Promise<string> {
    const ws = client.ws!;
    return new Promise((resolve) => {
      let over = false;
      const watchdog = setInterval(
        () => {
          const idle = Date.now() - client.lastFrameAt;
          if (idle > idleMs) finish(`watchdog: no frame for ${idle} ms`);
          else if (idle > idleMs / 3 && ws.readyState === ws.OPEN) ws.ping();
        },
        Math.max(10, Math.min(5_000, Math.floor(idleMs / 6))),
      );
      function finish(reason: string) {
        if (over) return;
        over = true;
        clearInterval(watchdog);
        endSession = null;
        client.onServerDisconnect = undefined;
        ws.removeAllListeners('pong');
        ws.terminate();
        resolve(reason);
      }
      endSession = finish;
      client.onServerDisconnect = () => finish('server sent disconnect');
      ws.on('pong', () => (client.lastFrameAt = Date.now()));
      ws.once('close', (code) => finish(`socket closed (${code})`));
      if (client.serverSaidBye) finish('server sent disconnect');
      else if (ws.readyState !== ws.OPEN) finish('socket closed before the session began');
    });
  }

  async function run(): Promise<void> {
    while (!stopped) {
      state = 'connecting';
      stats.nextAttemptAt = null;
      let client: GatewayClient;
      try {
        client = await connectOnce();
      } catch (e) {
        stats.failures++;
        stats.consecutiveFailures++;
        stats.lastError = (e as Error).message;
        if (stopped) break;
        const wait = delayFor(stats.consecutiveFailures);
        log.warn('dingtalk stream connect failed', { err: stats.lastError, attempt: stats.consecutiveFailures, retryInMs: wait });
        state = 'backoff';
        stats.nextAttemptAt = Date.now() + wait;
        await sleep(wait);
        continue;
      }
      if (stopped) {
        client.ws?.terminate();
        break;
      }
      current = client;
      state = 'connected';
      stats.connects++;
      const openedAt = Date.now();
      stats.connectedSince = openedAt;
      log.info('dingtalk stream connected', { connects: stats.connects });
      const reason = await session(client);
      current = null;
      stats.connectedSince = null;
      stats.lastDisconnect = reason;
      if (stopped) break;
      // A connection that dies young counts as a failure, so a gateway that accepts and drops cannot make us spin.
      if (Date.now() - openedAt >= stableMs || reason === 'server sent disconnect') stats.consecutiveFailures = 0;
      else stats.consecutiveFailures++;
      const wait = delayFor(stats.consecutiveFailures);
      log.info('dingtalk stream disconnected', { reason, retryInMs: wait });
      state = 'backoff';
      stats.nextAttemptAt = Date.now() + wait;
      await sleep(wait);
    }
    state = 'stopped';
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      loop = run().catch((e) => {
        state = 'stopped';
        log.error('dingtalk stream supervisor crashed', { err: String(e) });
      });
    },
    async stop() {
      stopped = true;
      cancelSleep?.();
      endSession?.('stopped');
      await loop;
      loop = null;
    },
    /** Forces a reconnect (tests, operators). */
    reconnect: (why = 'requested') => endSession?.(why),
    get client() {
      return current;
    },
    health() {
      return {
        mode: 'stream',
        state,
        connected: state === 'connected',
        connectedForS: stats.connectedSince ? Math.round((Date.now() - stats.connectedSince) / 1000) : null,
        lastFrameAgoMs: current ? Date.now() - current.lastFrameAt : null,
        connects: stats.connects,
        reconnects: Math.max(0, stats.connects - 1),
        failures: stats.failures,
        consecutiveFailures: stats.consecutiveFailures,
        lastError: stats.lastError,
        lastDisconnect: stats.lastDisconnect,
        nextAttemptInMs: stats.nextAttemptAt ? Math.max(0, stats.nextAttemptAt - Date.now()) : null,
      };
    },
  };
}
export type StreamSupervisor = ReturnType<typeof createStreamSupervisor>;
