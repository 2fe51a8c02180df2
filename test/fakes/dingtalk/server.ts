import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A fake DingTalk on 127.0.0.1: the stream gateway (connections/open + the WebSocket with its frames, acks,
 * ping/disconnect and redelivery of unacknowledged callbacks), the OpenAPI endpoints Loopdesk calls, and session
 * webhooks. Every call is recorded; failures can be scripted per path.
 */

export interface Call {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  at: number;
}

export interface Frame {
  messageId: string;
  topic: string;
  data: string;
  type: 'CALLBACK' | 'EVENT' | 'SYSTEM';
  sentAt: number[];
  ackedAt: number | null;
  ackData: string | null;
}

interface Scripted {
  match: string;
  status: number;
  body: unknown;
}

export interface FakeOptions {
  clientId?: string;
  clientSecret?: string;
  /** Unacknowledged callbacks are sent again after this long (DingTalk: within ~60 s). */
  redeliverAfterMs?: number;
  tokenExpireIn?: number;
}

export const FAKE_CLIENT_ID = 'dingfakeclientid';
export const FAKE_CLIENT_SECRET = 'fake-client-secret-0123456789';

export async function startFakeDingTalk(opts: FakeOptions = {}) {
  const clientId = opts.clientId ?? FAKE_CLIENT_ID;
  const clientSecret = opts.clientSecret ?? FAKE_CLIENT_SECRET;
  const redeliverAfterMs = opts.redeliverAfterMs ?? 400;
  const calls: Call[] = [];
  const frames = new Map<string, Frame>();
  const order: string[] = [];
  const tickets = new Set<string>();
  const tokens = new Set<string>();
  const cards = new Map<string, { create: any; updates: any[] }>(); // eslint-disable-line @typescript-eslint/no-explicit-any
  const sessions = new Map<string, number>(); // session → expiry (ms)
  const scripted: Scripted[] = [];
  const pingAcks: string[] = [];
  const sockets = new Set<WebSocket>();
  let refuseGateway = 0;
  let refuseUntil = 0;
  let lostAcks = new Set<string>();
  let maxConcurrent = 0;
  let connections = 0;
  let seq = 0;
  let stalled = false;

  const id = (p: string) => `${p}${(++seq).toString(36)}${randomBytes(4).toString('hex')}`;

  function respond(res: ServerResponse, status: number, body: unknown) {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  function takeScripted(path: string): Scripted | undefined {
    const i = scripted.findIndex((s) => path.includes(s.match));
    return i >= 0 ? scripted.splice(i, 1)[0] : undefined;
  }

  const server = http.createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://x');
    let body: unknown = null;
    const type = String(req.headers['content-type'] ?? '');
    if (type.includes('json')) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = raw.toString('utf8');
      }
    } else if (raw.length) body = { bytes: raw.length, text: raw.toString('latin1').slice(0, 400) };
    const call: Call = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      at: Date.now(),
    };
    calls.push(call);
    const path = url.pathname;
    const b = (body ?? {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

    if (path === '/v1.0/gateway/connections/open') {
      if (refuseGateway > 0 || Date.now() < refuseUntil) {
        refuseGateway = Math.max(0, refuseGateway - 1);
        return respond(res, 503, { code: 'ServiceUnavailable', message: 'gateway busy' });
      }
      if (b.clientId !== clientId || b.clientSecret !== clientSecret) return respond(res, 401, { code: 'InvalidClient', message: 'bad credentials' });
      const ticket = id('tkt-');
      tickets.add(ticket);
      return respond(res, 200, { endpoint: `ws://127.0.0.1:${port()}/connect`, ticket });
    }
    const s = takeScripted(path);
    if (s) return respond(res, s.status, s.body);

    if (path === '/v1.0/oauth2/accessToken') {
      if (b.appKey !== clientId || b.appSecret !== clientSecret)
        return respond(res, 400, { code: 'invalidClientIdOrSecret', message: '无效的clientId或者clientSecret' });
      const token = id('tok-');
      tokens.add(token);
      return respond(res, 200, { accessToken: token, expireIn: opts.tokenExpireIn ?? 7200 });
    }
    if (path === '/robot/sendBySession') {
      const expiry = sessions.get(url.searchParams.get('session') ?? '');
      if (!expiry || expiry < Date.now()) return respond(res, 200, { errcode: 300005, errmsg: 'session expired' });
      return respond(res, 200, { errcode: 0, errmsg: 'ok' });
    }
    if (path === '/media/upload') {
      if (!tokens.has(url.searchParams.get('access_token') ?? '')) return respond(res, 200, { errcode: 40014, errmsg: '不合法的access_token' });
      return respond(res, 200, { errcode: 0, errmsg: 'ok', type: 'file', media_id: id('@media') });
    }
    if (path.startsWith('/v1.0/')) {
      const token = req.headers['x-acs-dingtalk-access-token'];
      if (typeof token !== 'string' || !tokens.has(token))
        return respond(res, 401, { code: 'InvalidAuthentication', message: '不合法的access_token', requestid: id('rq') });
    }
    if (path === '/v1.0/robot/oToMessages/batchSend')
      return respond(res, 200, { processQueryKey: id('pqk'), invalidStaffIdList: [], flowControlledStaffIdList: [] });
    if (path === '/v1.0/robot/groupMessages/send') return respond(res, 200, { processQueryKey: id('pqk') });
    if (path === '/v1.0/card/callbacks/register') return respond(res, 200, { success: true, result: { callbackUrl: b.callbackUrl } });
    if (path === '/v1.0/card/instances/createAndDeliver') {
      if (cards.has(b.outTrackId)) return respond(res, 400, { code: 'param.cardAlreadyExist', message: '卡片已存在', requestid: id('rq') });
      cards.set(b.outTrackId, { create: b, updates: [] });
      return respond(res, 200, {
        success: true,
        result: {
          outTrackId: b.outTrackId,
          deliverResults: [
            { spaceType: String(b.openSpaceId).includes('IM_GROUP') ? 'IM_GROUP' : 'IM_ROBOT', spaceId: b.openSpaceId, success: true, carrierId: id('car') },
          ],
        },
      });
    }
    if (path === '/v1.0/card/instances' && req.method === 'PUT') {
      const card = cards.get(b.outTrackId);
      if (!card) return respond(res, 400, { code: 'param.cardNotExist', message: '卡片不存在', requestid: id('rq') });
      card.updates.push(b);
      return respond(res, 200, { success: true, result: true });
    }
    respond(res, 404, { code: 'NotFound', message: `fake has no ${req.method} ${path}` });
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const ticket = url.searchParams.get('ticket') ?? '';
    // A ticket is good for one connection only (protocol doc).
    if (url.pathname !== '/connect' || !tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      connections++;
      sockets.add(ws);
      maxConcurrent = Math.max(maxConcurrent, [...sockets].filter((s) => s.readyState === s.OPEN).length);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (m) => {
        const msg = JSON.parse(m.toString()) as { code: number; headers: { messageId: string; topic?: string }; data: string };
        if (msg.headers.topic === 'ping') {
          pingAcks.push(msg.headers.messageId);
          return;
        }
        const f = frames.get(msg.headers.messageId);
        if (!f) return;
        if (lostAcks.has(f.messageId)) {
          lostAcks.delete(f.messageId); // lost on the way: the server will send it again
          return;
        }
        if (f.ackedAt === null) {
          f.ackedAt = Date.now();
          f.ackData = msg.data;
        }
      });
      // What was pushed while nobody was connected, or not acked yet, goes out on the new connection.
      for (const mid of order) {
        const f = frames.get(mid)!;
        if (f.ackedAt === null && f.type !== 'SYSTEM') sendFrame(f, ws);
      }
    });
  });

  function current(): WebSocket | undefined {
    return [...sockets].filter((s) => s.readyState === s.OPEN).at(-1);
  }

  function sendFrame(f: Frame, ws = current()) {
    if (!ws || stalled) return false;
    f.sentAt.push(Date.now());
    ws.send(
      JSON.stringify({
        specVersion: '1.0',
        type: f.type,
        headers: { appId: 'fake-app', connectionId: 'conn', contentType: 'application/json', messageId: f.messageId, time: String(Date.now()), topic: f.topic },
        data: f.data,
      }),
    );
    return true;
  }

  // Redelivery: an unacknowledged callback is sent again (possibly on another connection).
  const redeliver = setInterval(
    () => {
      const now = Date.now();
      for (const mid of order) {
        const f = frames.get(mid)!;
        if (f.ackedAt === null && f.type === 'CALLBACK' && (f.sentAt.length === 0 || now - f.sentAt[f.sentAt.length - 1] >= redeliverAfterMs)) sendFrame(f);
      }
    },
    Math.max(20, Math.floor(redeliverAfterMs / 4)),
  );

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = () => (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port()}`;

  function push(topic: string, data: unknown, opts2: { messageId?: string; type?: Frame['type'] } = {}): Frame {
    const f: Frame = {
      messageId: opts2.messageId ?? id('mid_'),
      topic,
      data: JSON.stringify(data),
      type: opts2.type ?? 'CALLBACK',
      sentAt: [],
      ackedAt: null,
      ackData: null,
    };
    if (!frames.has(f.messageId)) order.push(f.messageId);
    frames.set(f.messageId, f);
    sendFrame(f);
    return f;
  }

  /** A session webhook URL that the fake accepts until `expiresAt`. */
  function session(expiresAt: number): string {
    const s = id('sess');
    sessions.set(s, expiresAt);
    return `${base}/robot/sendBySession?session=${s}`;
  }

  return {
    base,
    gatewayUrl: `${base}/v1.0/gateway/connections/open`,
    clientId,
    clientSecret,
    calls,
    frames,
    cards,
    pingAcks,
    get connections() {
      return connections;
    },
    get maxConcurrent() {
      return maxConcurrent;
    },
    get openSockets() {
      return [...sockets].filter((s) => s.readyState === s.OPEN).length;
    },
    callsTo: (path: string) => calls.filter((c) => c.path === path),
    gatewayCalls: () => calls.filter((c) => c.path === '/v1.0/gateway/connections/open'),
    session,

    /** A robot message as DingTalk sends it; `now` is the sender's clock (session expiry = now + 90 min). */
    robotMessage(fields: Record<string, unknown> & { now: number }, frameOpts: { messageId?: string } = {}) {
      const { now, ...rest } = fields;
      const data = {
        msgId: id('msg'),
        msgtype: 'text',
        conversationType: '1',
        conversationId: 'cidCustomer1',
        senderId: '$:LWCP_v1:$abc',
        senderStaffId: 'cust001',
        senderNick: '王小明',
        senderCorpId: 'dingcorp',
        chatbotUserId: '$:LWCP_v1:$bot',
        robotCode: clientId,
        isAdmin: false,
        createAt: now,
        sessionWebhook: session(Date.now() + 90 * 60_000),
        sessionWebhookExpiredTime: now + 90 * 60_000,
        ...rest,
      };
      return { data, frame: push('/v1.0/im/bot/messages/get', data, frameOpts) };
    },
    /** A card button click: params as the template's 回传请求 sends them. */
    cardClick(fields: { outTrackId: string; userId: string; params: Record<string, unknown>; spaceId?: string; spaceType?: string }) {
      const data = {
        type: 'actionCallback',
        outTrackId: fields.outTrackId,
        corpId: 'dingcorp',
        userId: fields.userId,
        userIdType: 1,
        spaceType: fields.spaceType ?? 'IM_GROUP',
        spaceId: fields.spaceId,
        content: JSON.stringify({ cardPrivateData: { actionIds: [String(fields.params.action)], params: fields.params } }),
      };
      return { data, frame: push('/v1.0/card/instances/callback', data) };
    },
    push,
    /** The next `n` gateway calls fail with 503 (or all until `untilMs` passes). */
    refuseHandshake(n: number, untilMs = 0) {
      refuseGateway = n;
      refuseUntil = untilMs;
    },
    /** The client's ack of this message gets lost: the fake will send the callback again. */
    loseAck(messageId: string) {
      lostAcks = new Set([...lostAcks, messageId]);
    },
    ping(): string {
      const f = push('ping', { opaque: id('op') }, { type: 'SYSTEM' });
      return f.messageId;
    },
    /** Like the real server: announce, then close the socket after `closeAfterMs` if the client did not leave. */
    sendDisconnect(closeAfterMs = 10_000) {
      const ws = current();
      push('disconnect', { reason: 'connection is expired' }, { type: 'SYSTEM' });
      if (ws) setTimeout(() => ws.readyState === ws.OPEN && ws.close(), closeAfterMs).unref();
    },
    /** The TCP connection dies without a close frame. */
    dropSocket() {
      for (const s of sockets) s.terminate();
    },
    /** A half-dead connection: nothing goes out, nothing is read (no frames, no pongs). */
    stall(on = true) {
      stalled = on;
      for (const s of sockets) {
        const raw = (s as unknown as { _socket: import('node:net').Socket })._socket;
        if (on) raw.pause();
        else raw.resume();
      }
    },
    /** The next request whose path contains `match` gets this answer instead. */
    fail(match: string, status: number, body: unknown) {
      scripted.push({ match, status, body });
    },
    expireToken(token: string) {
      tokens.delete(token);
    },
    /** Bounded polling on the recorded state (the SDK and the outbox are asynchronous). */
    async waitFor<T>(probe: () => T | undefined | null | false, timeoutMs = 5_000, label = 'condition'): Promise<T> {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const v = probe();
        if (v) return v;
        if (Date.now() > end) throw new Error(`fake dingtalk: timed out waiting for ${label}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      clearInterval(redeliver);
      for (const s of sockets) s.terminate();
      wss.close();
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
    },
  };
}
export type FakeDingTalk = Awaited<ReturnType<typeof startFakeDingTalk>>;
