import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeFrame, encodeFrame, headerOf } from './frames.ts';
import { newId, type Envelope } from './events.ts';

/**
 * A fake Feishu for tests and benchmarks: the Open API over HTTP (token, messages create / reply / patch, file
 * upload, bot info), endpoint discovery and the long connection with protobuf frames. It records every call,
 * applies Feishu's rules that matter here (uuid dedupe, 5 QPS per chat, token validity) and injects faults.
 */
export interface FakeFeishuOptions {
  appId: string;
  appSecret: string;
  botOpenId?: string;
  /** Per chat / user; over it a create or reply gets 230020. Default 5 (Feishu's). */
  chatQps?: number;
  /** Per app, over every message create / reply / patch; over it: HTTP 429, 99991400 and a reset header. Default off. */
  appQps?: number;
  /** Seconds; the token's `expire`. */
  tokenExpire?: number;
  /** A 服务台 (helpdesk) with these credentials: its /open-apis/helpdesk/v1 routes check X-Lark-Helpdesk-Authorization. */
  helpdesk?: { id: string; token: string };
}

/** A helpdesk ticket as the fake keeps it. */
export interface FakeHelpdeskTicket {
  ticketId: string;
  chatId: string;
  guestOpenId: string;
  guestName: string;
  /** 1 待响应, 2 处理中, 3 排队中, 4 待定, 5 待用户响应, 50 机器人关闭, 51 人工关闭. */
  status: number;
  /** 1 未解决, 2 已解决. */
  solved: number;
  /** Every message in the ticket's conversation (the customer's are added by the test when it pushes them). */
  messages: Array<{ messageId: string; from: 'app' | 'guest' | 'agent'; msgType: string; content: unknown; text: string }>;
  /** Every PUT body received, oldest first. */
  updates: Array<Record<string, unknown>>;
}

export interface Call {
  method: string;
  path: string;
  query: Record<string, string>;
  auth?: string;
  /** X-Lark-Helpdesk-Authorization, when sent. */
  helpdeskAuth?: string;
  body: unknown;
  status: number;
  response: unknown;
  at: number;
}

export interface FakeMessage {
  messageId: string;
  /** The chat it landed in (a p2p chat for open_id sends). */
  chatId: string;
  receiveIdType: string;
  receiveId: string;
  msgType: string;
  content: unknown;
  uuid?: string;
  /** For replies: the message answered. */
  parentId?: string;
  /** Every PATCHed content, oldest first. */
  patches: unknown[];
}

export interface Fault {
  method?: string;
  path?: RegExp;
  times: number;
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
  /** Do the work, then answer with the fault (the "response lost" case uuid exists for). */
  afterEffect?: boolean;
}

export const FAULTS = {
  rateLimited: (resetSeconds: number, times = 1): Fault => ({
    times,
    status: 429,
    body: { code: 99991400, msg: 'request trigger frequency limit' },
    headers: { 'x-ogw-ratelimit-limit': '50', 'x-ogw-ratelimit-reset': String(resetSeconds) },
  }),
  serverError: (times = 1, afterEffect = false): Fault => ({ times, status: 500, body: { code: 1, msg: 'internal error' }, afterEffect }),
  tokenExpired: (times = 1): Fault => ({
    times,
    status: 400,
    body: { code: 99991663, msg: 'Invalid access token for authorization. Please make a request with token attached.' },
  }),
  chatLimited: (times = 1): Fault => ({ times, status: 400, body: { code: 230020, msg: 'This operation triggers the frequency limit.' } }),
  botNotInChat: (times = 1): Fault => ({ times, status: 400, body: { code: 230002, msg: 'The bot can not be outside the group.' } }),
  outOfScope: (times = 1): Fault => ({ times, status: 400, body: { code: 230013, msg: 'Bot has NO availability to this user.' } }),
};

export interface WsAck {
  code: number;
  /** The handler's answer (the toast and card of a card callback). */
  data: unknown;
}

export async function startFakeFeishu(opts: FakeFeishuOptions) {
  const botOpenId = opts.botOpenId ?? 'ou_fake_bot';
  const chatQps = opts.chatQps ?? 5;
  const calls: Call[] = [];
  const messages: FakeMessage[] = [];
  const byUuid = new Map<string, FakeMessage>();
  const faults: Fault[] = [];
  const validTokens = new Set<string>();
  const recent = new Map<string, number[]>();
  /** Targets (chat or open id) that always refuse with a permanent code. */
  const refusals = new Map<string, Fault>();
  const files: Array<{ fileKey: string; name: string; bytes: number }> = [];
  /** Messages users wrote (pushed as events): replies to them land in their chat. */
  const inbound = new Map<string, string>();
  let tokens = 0;
  let msgSeq = 0;
  const helpdeskTickets = new Map<string, FakeHelpdeskTicket>();
  const helpdeskSubscriptions: Array<{ type: string; subtype: string }> = [];
  let helpdeskSeq = 0;

  const wss = new WebSocketServer({ noServer: true });
  const sockets = new Set<WebSocket>();
  const acks = new Map<string, (a: WsAck) => void>();
  let readyWaiters: Array<() => void> = [];
  const ready = new Set<WebSocket>();
  let endpointCalls = 0;

  const json = (res: import('node:http').ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  function overLimit(target: string, qps = chatQps): boolean {
    const now = Date.now();
    const list = (recent.get(target) ?? []).filter((t) => now - t < 1000);
    if (list.length >= qps) {
      recent.set(target, list);
      return true;
    }
    list.push(now);
    recent.set(target, list);
    return false;
  }

  function record(m: FakeMessage) {
    messages.push(m);
    if (m.uuid) byUuid.set(m.uuid, m);
    return m;
  }

  function takeFault(method: string, path: string): Fault | undefined {
    const i = faults.findIndex((f) => f.times > 0 && (!f.method || f.method === method) && (!f.path || f.path.test(path)));
    if (i < 0) return undefined;
    faults[i].times -= 1;
    return faults[i];
  }

  /** The Open API proper; returns [status, body]. */
  function api(method: string, path: string, query: Record<string, string>, body: Record<string, unknown>): [number, Record<string, unknown>] {
    if (method === 'GET' && path === '/open-apis/bot/v3/info')
      return [200, { code: 0, msg: 'ok', bot: { open_id: botOpenId, app_name: 'Loopdesk Fake', activate_status: 2 } }];
    if (method === 'POST' && path === '/open-apis/im/v1/messages') {
      const type = query.receive_id_type;
      const to = String(body.receive_id);
      const refusal = refusals.get(to);
      if (refusal) return [refusal.status, refusal.body];
      if (body.uuid && byUuid.has(String(body.uuid))) return [200, { code: 0, msg: 'success', data: { message_id: byUuid.get(String(body.uuid))!.messageId } }];
      const chatId = type === 'chat_id' ? to : `oc_p2p_${to}`;
      if (overLimit(chatId)) return [400, FAULTS.chatLimited().body];
      const m = record({
        messageId: `om_fake_${++msgSeq}`,
        chatId,
        receiveIdType: type,
        receiveId: to,
        msgType: String(body.msg_type),
        content: parse(body.content),
        uuid: body.uuid as string | undefined,
        patches: [],
      });
      return [200, { code: 0, msg: 'success', data: { message_id: m.messageId, chat_id: chatId, msg_type: m.msgType } }];
    }
    let match = /^\/open-apis\/im\/v1\/messages\/([^/]+)\/reply$/.exec(path);
    if (method === 'POST' && match) {
      const parent = messages.find((m) => m.messageId === match![1]);
      const chatId = parent?.chatId ?? inbound.get(match[1]);
      if (!chatId) return [400, { code: 230011, msg: 'The message was withdrawn or not found.' }];
      const refusal = refusals.get(chatId);
      if (refusal) return [refusal.status, refusal.body];
      if (body.uuid && byUuid.has(String(body.uuid))) return [200, { code: 0, msg: 'success', data: { message_id: byUuid.get(String(body.uuid))!.messageId } }];
      if (overLimit(chatId)) return [400, FAULTS.chatLimited().body];
      const m = record({
        messageId: `om_fake_${++msgSeq}`,
        chatId,
        receiveIdType: 'reply',
        receiveId: match[1],
        parentId: match[1],
        msgType: String(body.msg_type),
        content: parse(body.content),
        uuid: body.uuid as string | undefined,
        patches: [],
      });
      return [200, { code: 0, msg: 'success', data: { message_id: m.messageId, chat_id: chatId, parent_id: match[1] } }];
    }
    match = /^\/open-apis\/im\/v1\/messages\/([^/]+)$/.exec(path);
    if (method === 'PATCH' && match) {
      const m = messages.find((x) => x.messageId === match![1]);
      if (!m) return [400, { code: 230011, msg: 'The message was withdrawn or not found.' }];
      m.patches.push(parse(body.content));
      return [200, { code: 0, msg: 'success', data: {} }];
    }
    return [404, { code: 404, msg: `fake feishu: no route ${method} ${path}` }];
  }

  /** /open-apis/helpdesk/v1/…: needs the tenant token (checked before) and the helpdesk credential. */
  function helpdeskApi(method: string, path: string, body: Record<string, unknown>, credential: string | undefined): [number, Record<string, unknown>] {
    const hd = opts.helpdesk;
    // Docs: base64(helpdesk_id:helpdesk_token); the SDK sends it with a "Bearer " prefix. Both are accepted.
    const expected = hd ? Buffer.from(`${hd.id}:${hd.token}`).toString('base64') : null;
    const given = (credential ?? '').replace(/^Bearer /, '');
    if (!expected || given !== expected) return [400, { code: 154001, msg: 'helpdesk authorization failed' }];
    if (method === 'POST' && path === '/open-apis/helpdesk/v1/events/subscribe') {
      const events = Array.isArray(body.events) ? (body.events as Array<{ type?: unknown; subtype?: unknown }>) : [];
      if (events.length === 0 || events.some((e) => typeof e.type !== 'string' || typeof e.subtype !== 'string'))
        return [400, { code: 99992402, msg: 'field validation failed' }];
      for (const e of events) {
        if (!helpdeskSubscriptions.some((x) => x.type === e.type && x.subtype === e.subtype))
          helpdeskSubscriptions.push({ type: String(e.type), subtype: String(e.subtype) });
      }
      return [200, { code: 0, msg: 'success', data: {} }];
    }
    const match = /^\/open-apis\/helpdesk\/v1\/tickets\/([^/]+)(\/messages)?$/.exec(path);
    const ticket = match ? helpdeskTickets.get(match[1]) : undefined;
    if (match && !ticket) return [400, { code: 155002, msg: 'ticket not found' }];
    if (ticket && match![2] && method === 'POST') {
      if (body.msg_type !== 'text' && body.msg_type !== 'post') return [400, { code: 99992402, msg: 'msg_type must be text or post' }];
      const content = parse(body.content);
      const text = typeof (content as { text?: unknown })?.text === 'string' ? (content as { text: string }).text : JSON.stringify(content);
      const m = { messageId: `om_hd_${++msgSeq}`, from: 'app' as const, msgType: String(body.msg_type), content, text };
      ticket.messages.push(m);
      return [200, { code: 0, msg: 'success', data: { message_id: m.messageId } }];
    }
    if (ticket && match![2] && method === 'GET') {
      return [
        200,
        {
          code: 0,
          msg: 'success',
          data: {
            messages: ticket.messages.map((m) => ({ id: m.messageId, message_id: m.messageId, message_type: m.msgType, content: JSON.stringify(m.content) })),
            total: ticket.messages.length,
          },
        },
      ];
    }
    if (ticket && method === 'PUT') {
      ticket.updates.push(body);
      if (typeof body.status === 'number') ticket.status = body.status;
      if (typeof body.solved === 'number') ticket.solved = body.solved;
      return [200, { code: 0, msg: 'success', data: {} }];
    }
    if (ticket && method === 'GET') {
      return [
        200,
        {
          code: 0,
          msg: 'success',
          data: {
            ticket: {
              ticket_id: ticket.ticketId,
              helpdesk_id: hd!.id,
              guest: { id: ticket.guestOpenId, name: ticket.guestName },
              status: ticket.status,
              solve: ticket.solved,
            },
          },
        },
      ];
    }
    return [404, { code: 404, msg: `fake feishu: no route ${method} ${path}` }];
  }

  async function readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const isMultipart = (req.headers['content-type'] ?? '').includes('multipart/form-data');
    const body: Record<string, unknown> = isMultipart
      ? { multipart: true, bytes: raw.length }
      : raw.length
        ? (parse(raw.toString('utf8')) as Record<string, unknown>)
        : {};
    const query = Object.fromEntries(url.searchParams);
    const hdHeader = req.headers['x-lark-helpdesk-authorization'];
    const call: Call = {
      method,
      path,
      query,
      auth: req.headers.authorization,
      ...(hdHeader ? { helpdeskAuth: String(hdHeader) } : {}),
      body,
      status: 0,
      response: null,
      at: Date.now(),
    };
    calls.push(call);
    const send = (status: number, out: Record<string, unknown>, headers: Record<string, string> = {}) => {
      call.status = status;
      call.response = out;
      json(res, status, out, headers);
    };

    if (method === 'POST' && path === '/open-apis/auth/v3/tenant_access_token/internal') {
      if (body.app_id !== opts.appId || body.app_secret !== opts.appSecret) return send(200, { code: 10014, msg: 'app secret invalid' });
      const token = `t-fake-${++tokens}`;
      validTokens.add(token);
      return send(200, { code: 0, msg: 'ok', tenant_access_token: token, expire: opts.tokenExpire ?? 7200 });
    }
    if (method === 'POST' && path === '/callback/ws/endpoint') {
      endpointCalls++;
      if (body.AppID !== opts.appId || body.AppSecret !== opts.appSecret) return send(200, { code: 514, msg: 'auth failed' });
      const port = (server.address() as AddressInfo).port;
      // service_id must not be the first query parameter (the SDK parses the URL with qs).
      return send(200, {
        code: 0,
        msg: 'ok',
        data: {
          URL: `ws://127.0.0.1:${port}/ws?device_id=dev_fake&service_id=42`,
          ClientConfig: { PingInterval: 120, ReconnectCount: -1, ReconnectInterval: 1, ReconnectNonce: 0 },
        },
      });
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token || !validTokens.has(token)) return send(400, FAULTS.tokenExpired().body);
    const fault = takeFault(method, path);
    if (fault && !fault.afterEffect) return send(fault.status, fault.body, fault.headers);
    if (method === 'POST' && path === '/open-apis/im/v1/files') {
      const name = /name="file_name"\r\n\r\n([^\r]*)/.exec(raw.toString('utf8'))?.[1] ?? 'file';
      const fileKey = `file_fake_${files.length + 1}`;
      files.push({ fileKey, name, bytes: raw.length });
      if (fault) return send(fault.status, fault.body, fault.headers);
      return send(200, { code: 0, msg: 'success', data: { file_key: fileKey } });
    }
    if (path.startsWith('/open-apis/helpdesk/')) {
      const hdAuth = req.headers['x-lark-helpdesk-authorization'];
      const [status, out] = helpdeskApi(method, path, body, Array.isArray(hdAuth) ? hdAuth[0] : hdAuth);
      if (fault) return send(fault.status, fault.body, fault.headers);
      return send(status, out);
    }
    if (opts.appQps && path.startsWith('/open-apis/im/v1/messages') && overLimit('app', opts.appQps)) {
      const limited = FAULTS.rateLimited(1);
      return send(limited.status, limited.body, limited.headers);
    }
    const [status, out] = api(method, path, query, body);
    if (fault) return send(fault.status, fault.body, fault.headers);
    send(status, out);
  });

  server.on('upgrade', (req, socket, head) => {
    if (!(req.url ?? '').startsWith('/ws')) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => {
        sockets.delete(ws);
        ready.delete(ws);
      });
      ws.on('message', (buf: Buffer) => {
        const f = decodeFrame(buf);
        const type = headerOf(f, 'type');
        if (f.method === 0 && type === 'ping') {
          // The client attaches its listeners before its first ping: pushing before that loses frames.
          if (!ready.has(ws)) {
            ready.add(ws);
            const w = readyWaiters;
            readyWaiters = [];
            w.forEach((r) => r());
          }
          ws.send(
            encodeFrame({
              SeqID: 0,
              LogID: 0,
              service: f.service,
              method: 0,
              headers: [{ key: 'type', value: 'pong' }],
              payload: Buffer.from(JSON.stringify({ PingInterval: 120, ReconnectCount: -1, ReconnectInterval: 1, ReconnectNonce: 0 })),
            }),
          );
          return;
        }
        if (f.method === 1) {
          const id = headerOf(f, 'message_id') ?? '';
          const resp = JSON.parse(Buffer.from(f.payload ?? new Uint8Array()).toString('utf8')) as { code: number; data?: string };
          const data = resp.data ? JSON.parse(Buffer.from(resp.data, 'base64').toString('utf8')) : null;
          acks.get(id)?.({ code: resp.code, data });
          acks.delete(id);
        }
      });
    });
  });

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    botOpenId,
    calls,
    messages,
    files,
    get tokensIssued() {
      return tokens;
    },
    get endpointCalls() {
      return endpointCalls;
    },
    /** Queues a fault for the next matching API calls (token and endpoint calls are never faulted). */
    fail(f: Fault & { method?: string; path?: RegExp }) {
      faults.push({ ...f });
    },
    clearFaults() {
      faults.length = 0;
    },
    /** Tells the fake which chat a user's message (an event we pushed) sits in. */
    knowMessage(messageId: string, chatId: string) {
      inbound.set(messageId, chatId);
    },
    /** Every issued token becomes invalid (99991663) until the app fetches a new one. */
    expireTokens() {
      validTokens.clear();
    },
    /** A chat or user that permanently refuses (bot not in group, out of availability scope). */
    refuse(target: string, fault: Fault) {
      refusals.set(target, fault);
    },
    /** API calls of interest (no token / endpoint / bot-info calls). */
    apiCalls(filter?: { method?: string; path?: RegExp }) {
      return calls.filter(
        (c) => c.path.startsWith('/open-apis/im/') && (!filter?.method || c.method === filter.method) && (!filter?.path || filter.path.test(c.path)),
      );
    },
    messagesIn(chatId: string) {
      return messages.filter((m) => m.chatId === chatId);
    },
    /** The current content of a message (its last PATCH, or what was sent). */
    contentOf(messageId: string): unknown {
      const m = messages.find((x) => x.messageId === messageId);
      return m ? (m.patches.at(-1) ?? m.content) : undefined;
    },
    /** The helpdesk side: its tickets, the event subscriptions it received, and how a customer opens a ticket. */
    helpdesk: {
      tickets: helpdeskTickets,
      subscriptions: helpdeskSubscriptions,
      /** A customer starts a conversation with the helpdesk: a ticket (status 1 待响应) in its own chat. */
      open(guestOpenId: string, guestName = '测试客户'): FakeHelpdeskTicket {
        const n = ++helpdeskSeq;
        const t: FakeHelpdeskTicket = {
          ticketId: `69480000000000${String(n).padStart(5, '0')}`,
          chatId: `oc_hd_${n}`,
          guestOpenId,
          guestName,
          status: 1,
          solved: 1,
          messages: [],
          updates: [],
        };
        helpdeskTickets.set(t.ticketId, t);
        return t;
      },
      /** Records a message someone else wrote in the ticket (the test pushes the matching event). */
      write(ticketId: string, from: 'guest' | 'agent', text: string): { messageId: string } {
        const m = { messageId: `om_hd_${++msgSeq}`, from, msgType: 'text', content: { text }, text };
        helpdeskTickets.get(ticketId)!.messages.push(m);
        return m;
      },
      calls(filter?: { method?: string }) {
        return calls.filter((c) => c.path.startsWith('/open-apis/helpdesk/') && (!filter?.method || c.method === filter.method));
      },
    },
    /** Resolves once a WSClient is connected and listening. */
    wsReady(): Promise<void> {
      if (ready.size > 0) return Promise.resolve();
      return new Promise((r) => readyWaiters.push(r));
    },
    get wsConnections() {
      return sockets.size;
    },
    /** Pushes an event over the long connection (split in `fragments`) and returns the client's ACK. */
    async push(envelope: Envelope, o: { fragments?: number; timeoutMs?: number } = {}): Promise<WsAck> {
      const ws = [...ready][0];
      if (!ws) throw new Error('no long connection');
      const id = newId('wsmsg');
      const payload = Buffer.from(JSON.stringify(envelope));
      const n = Math.max(1, o.fragments ?? 1);
      const size = Math.ceil(payload.length / n);
      const ack = new Promise<WsAck>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ACK for ${id}`)), o.timeoutMs ?? 5000);
        acks.set(id, (a) => {
          clearTimeout(timer);
          resolve(a);
        });
      });
      for (let i = 0; i < n; i++) {
        ws.send(
          encodeFrame({
            SeqID: 1,
            LogID: 1,
            service: 42,
            method: 1,
            headers: [
              { key: 'type', value: 'event' },
              { key: 'message_id', value: id },
              { key: 'sum', value: String(n) },
              { key: 'seq', value: String(i) },
              { key: 'trace_id', value: `trace_${id}` },
            ],
            payload: payload.subarray(i * size, (i + 1) * size),
          }),
        );
      }
      return ack;
    },
    /** Drops every long connection (the client should reconnect). */
    dropConnections() {
      for (const s of sockets) s.terminate();
    },
    async close() {
      for (const s of sockets) s.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
export type FakeFeishu = Awaited<ReturnType<typeof startFakeFeishu>>;

function parse(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}
