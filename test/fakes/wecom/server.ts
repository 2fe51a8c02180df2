import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake 企业微信 server for 微信客服 on 127.0.0.1: gettoken, kf/sync_msg (opaque cursor, pages), kf/send_msg
 * (records, enforces 5 messages per customer message), and the encrypted, signed callback it would POST to us,
 * built with its own WXBizMsgCrypt code (not ours), so a mistake in either side shows.
 */
export interface FakeKfMessage {
  msgid: string;
  open_kfid: string;
  external_userid: string;
  send_time: number;
  origin: number;
  msgtype: string;
  text?: { content: string; menu_id?: string };
  image?: { media_id: string };
}

export async function startWecomFake(opts: { corpId: string; secret: string; token: string; aesKey: string; now: () => Date; pageSize?: number }) {
  const messages: FakeKfMessage[] = [];
  const syncRequests: Array<{ cursor?: string; token?: string; open_kfid: string }> = [];
  const sent: Array<Record<string, unknown>> = [];
  const sentSinceCustomer = new Map<string, number>();
  const seenMsgIds = new Set<string>();
  const callbackTokens = new Set<string>();
  let accessToken = `at-${randomBytes(4).toString('hex')}`;
  let n = 0;

  const key = Buffer.from(`${opts.aesKey}=`, 'base64');
  function encrypt(plain: string, receiveId = opts.corpId): string {
    const msg = Buffer.from(plain);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(msg.length);
    let buf = Buffer.concat([randomBytes(16), len, msg, Buffer.from(receiveId)]);
    const pad = 32 - (buf.length % 32);
    buf = Buffer.concat([buf, Buffer.alloc(pad, pad)]);
    const c = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
    return Buffer.concat([c.update(buf), c.final()]).toString('base64');
  }
  const sign = (ts: string, nonce: string, enc: string) => createHash('sha1').update([opts.token, ts, nonce, enc].sort().join('')).digest('hex');

  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://x');
      const reply = (o: unknown) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(o));
      };
      if (url.pathname === '/cgi-bin/gettoken') {
        if (url.searchParams.get('corpid') !== opts.corpId || url.searchParams.get('corpsecret') !== opts.secret)
          return reply({ errcode: 40001, errmsg: 'invalid credential' });
        return reply({ errcode: 0, errmsg: 'ok', access_token: accessToken, expires_in: 7200 });
      }
      if (url.searchParams.get('access_token') !== accessToken) return reply({ errcode: 40014, errmsg: 'invalid access_token' });
      const json = JSON.parse(body || '{}');
      if (url.pathname === '/cgi-bin/kf/sync_msg') {
        syncRequests.push({ cursor: json.cursor, token: json.token, open_kfid: json.open_kfid });
        if (json.token && !callbackTokens.has(json.token)) return reply({ errcode: 95007, errmsg: 'invalid msg token' });
        const start = json.cursor ? Number(String(json.cursor).replace(/^cur-/, '')) : 0;
        const all = messages.filter((m) => m.open_kfid === json.open_kfid);
        const size = Math.min(json.limit ?? 1000, opts.pageSize ?? 1000);
        const page = all.slice(start, start + size);
        return reply({
          errcode: 0,
          errmsg: 'ok',
          next_cursor: `cur-${start + page.length}`,
          has_more: start + page.length < all.length ? 1 : 0,
          msg_list: page,
        });
      }
      if (url.pathname === '/cgi-bin/kf/send_msg') {
        if (json.msgid && seenMsgIds.has(json.msgid)) return reply({ errcode: 95003, errmsg: 'duplicate msgid' });
        const k = `${json.open_kfid}:${json.touser}`;
        const count = sentSinceCustomer.get(k);
        if (count === undefined) return reply({ errcode: 95018, errmsg: 'session status not allowed' });
        if (count >= 5) return reply({ errcode: 95001, errmsg: 'send msg count limit' });
        sentSinceCustomer.set(k, count + 1);
        if (json.msgid) seenMsgIds.add(json.msgid);
        sent.push(json);
        return reply({ errcode: 0, errmsg: 'ok', msgid: json.msgid ?? `srv-${sent.length}` });
      }
      res.statusCode = 404;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    base,
    messages,
    syncRequests,
    sent,
    /** Revokes the current access token (as an early expiry would). */
    rotateToken: () => void (accessToken = `at-${randomBytes(4).toString('hex')}`),
    /** A WeChat customer writes (or clicks a menu item); returns the callback WeChat would POST to us. */
    customerSays(openKfId: string, user: string, text: string, extra: { menuId?: string } = {}) {
      n++;
      messages.push({
        msgid: `msg-${n}`,
        open_kfid: openKfId,
        external_userid: user,
        send_time: Math.floor(opts.now().getTime() / 1000),
        origin: 3,
        msgtype: 'text',
        text: { content: text, ...(extra.menuId ? { menu_id: extra.menuId } : {}) },
      });
      sentSinceCustomer.set(`${openKfId}:${user}`, 0);
      return this.callback(openKfId);
    },
    /** The encrypted callback envelope; `tamper` breaks one link on purpose. */
    callback(openKfId: string, tamper?: 'signature' | 'receiveId' | 'stale') {
      const cbToken = `cbtoken-${randomBytes(4).toString('hex')}`;
      callbackTokens.add(cbToken);
      const inner = `<xml><ToUserName><![CDATA[${opts.corpId}]]></ToUserName><CreateTime>${Math.floor(opts.now().getTime() / 1000)}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event><Token><![CDATA[${cbToken}]]></Token><OpenKfId><![CDATA[${openKfId}]]></OpenKfId></xml>`;
      const enc = encrypt(inner, tamper === 'receiveId' ? 'wwsomeoneelse' : opts.corpId);
      const ts = String(Math.floor(opts.now().getTime() / 1000) - (tamper === 'stale' ? 3600 : 0));
      const nonce = randomBytes(5).toString('hex');
      const sig = tamper === 'signature' ? sign(ts, nonce, enc).replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) : sign(ts, nonce, enc);
      return {
        path: `/wecom/callback?msg_signature=${sig}&timestamp=${ts}&nonce=${nonce}`,
        body: `<xml><ToUserName><![CDATA[${opts.corpId}]]></ToUserName><Encrypt><![CDATA[${enc}]]></Encrypt><AgentID><![CDATA[]]></AgentID></xml>`,
      };
    },
    /** URL verification (GET with an encrypted echostr). */
    verification(echo: string) {
      const enc = encrypt(echo);
      const ts = String(Math.floor(opts.now().getTime() / 1000));
      const nonce = 'n0nce';
      return `/wecom/callback?msg_signature=${sign(ts, nonce, enc)}&timestamp=${ts}&nonce=${nonce}&echostr=${encodeURIComponent(enc)}`;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
export type WecomFake = Awaited<ReturnType<typeof startWecomFake>>;
