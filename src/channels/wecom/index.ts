import { createHash } from 'node:crypto';
import { DeskError } from '../../desk/errors.ts';
import { ApiError } from '../../http/errors.ts';
import type { Channel, ChannelFactory, CoreServices } from '../../services.ts';
import { RetryLater, Undeliverable, type ChannelSender, type OutboxRow } from '../types.ts';
import { createWecomClient, WecomApiError, type KfMessage } from './client.ts';
import { createWecomCrypto, WecomCryptoError, xmlField } from './crypto.ts';
import { TICKET_CODE_SOURCE } from '../../core/ticket-code.ts';

export interface WecomReplyTo {
  openKfId: string;
  externalUserId: string;
}

/** What the customer's last message allows us: replies within the window, at most `replyLimit` of them. */
interface ReplyWindow {
  lastCustomerAt: number;
  sent: number;
}

export interface WecomChannel extends Channel {
  /** Pulls every message after the stored cursor (the callback triggers it; tests and start-up call it too). */
  sync(openKfId: string, callbackToken?: string): Promise<number>;
  /** Resolves when the syncs the callbacks started have finished. */
  settled(): Promise<void>;
}

/** Rejections of send_msg that no retry can fix: the customer must write first. */
const WINDOW_ERRORS: Record<number, string> = {
  95001: '发送给该客户的消息已达上限，须等客户再次发消息',
  95018: '当前会话状态不允许发送消息',
};
const TIMESTAMP_WINDOW_S = 600;
const SURVEY_MENU = new RegExp(`^csat:(${TICKET_CODE_SOURCE}):([1-5])$`);

const cursorKey = (openKfId: string) => `wecom:cursor:${openKfId}`;
const windowKey = (openKfId: string, user: string) => `wecom:window:${openKfId}:${user}`;

/**
 * 企业微信 · 微信客服: the callback only says "there is news" (encrypted, signed); messages are pulled with
 * sync_msg from a cursor kept in the database, so a restart neither loses nor repeats them (the desk also
 * dedupes by msgid). Replies go out with send_msg inside WeChat's window (48 h after the customer's last
 * message, at most 5 messages); outside it the row is parked and the agents are told.
 */
export const createWecomChannel: ChannelFactory = (core: CoreServices): WecomChannel | null => {
  const { env, config, desk, clock, log } = core;
  if (!env.WECOM_CORP_ID || !env.WECOM_SECRET || !env.WECOM_TOKEN || !env.WECOM_AES_KEY) return null;
  const { kv } = core.store;
  const crypto = createWecomCrypto(env.WECOM_TOKEN, env.WECOM_AES_KEY, env.WECOM_CORP_ID);
  const client = createWecomClient({
    apiBase: env.WECOM_API_BASE.replace(/\/$/, ''),
    corpId: env.WECOM_CORP_ID,
    secret: env.WECOM_SECRET,
    now: () => clock.now().getTime(),
  });
  const windowMs = config.wecom.replyWindowHours * 3_600_000;
  const stats = { lastSyncAt: null as Date | null, lastError: null as string | null, lastInboundAt: null as Date | null };
  const syncing = new Map<string, Promise<number>>();
  const again = new Set<string>();
  const pending = new Set<Promise<unknown>>();

  function textOf(m: KfMessage): string {
    switch (m.msgtype) {
      case 'text':
        return m.text?.content ?? '';
      case 'location':
        return `[位置] ${m.location?.name ?? ''} ${m.location?.address ?? ''}`.trim();
      case 'link':
        return `[链接] ${m.link?.title ?? ''} ${m.link?.url ?? ''}`.trim();
      default:
        return '';
    }
  }

  async function handle(m: KfMessage) {
    if (m.origin !== 3 || !m.external_userid) return; // events and our own servicers' messages
    const user = m.external_userid;
    await kv.set(windowKey(m.open_kfid, user), { lastCustomerAt: m.send_time * 1000, sent: 0 } satisfies ReplyWindow, clock.now());
    const menu = SURVEY_MENU.exec(m.text?.menu_id ?? '');
    if (menu) {
      try {
        await desk.answerSurvey({ ticket: menu[1], channel: 'wecom', customerExternalId: user, score: Number(menu[2]) });
        return;
      } catch (e) {
        if (!(e instanceof DeskError)) throw e;
        log.info('wecom survey answer refused', { code: menu[1], reason: e.message });
        return;
      }
    }
    const media = m.image ?? m.voice ?? m.video ?? m.file;
    const attachments = media ? [{ kind: m.msgtype, ref: `wecom-media:${media.media_id}` }] : [];
    const text = textOf(m);
    if (!text && attachments.length === 0) return;
    await desk.intake({
      channel: 'wecom',
      dedupeKey: m.msgid,
      customer: { externalId: user },
      replyTo: { openKfId: m.open_kfid, externalUserId: user } satisfies WecomReplyTo,
      text,
      attachments,
      receivedAt: new Date(m.send_time * 1000),
    });
    stats.lastInboundAt = clock.now();
  }

  /** One sync per account at a time; a callback during a sync runs one more after it. */
  function sync(openKfId: string, callbackToken?: string): Promise<number> {
    const running = syncing.get(openKfId);
    if (running) {
      again.add(openKfId);
      return running;
    }
    const p = (async () => {
      let n = 0;
      try {
        do {
          again.delete(openKfId);
          for (;;) {
            const cursor = (await kv.get<string>(cursorKey(openKfId))) ?? undefined;
            const page = await client.syncMsg({ cursor, token: callbackToken, open_kfid: openKfId });
            for (const m of page.msg_list) {
              await handle(m);
              n++;
            }
            // The cursor moves only after the page is in the desk: a crash repeats the page, which msgid dedupes.
            if (page.next_cursor) await kv.set(cursorKey(openKfId), page.next_cursor, clock.now());
            if (!page.has_more) break;
          }
        } while (again.has(openKfId));
        stats.lastSyncAt = clock.now();
        stats.lastError = null;
        return n;
      } catch (e) {
        stats.lastError = (e as Error).message;
        throw e;
      } finally {
        syncing.delete(openKfId);
      }
    })();
    syncing.set(openKfId, p);
    return p;
  }

  const background = (p: Promise<unknown>) => {
    const q = p.catch((e) => log.warn('wecom sync failed', { err: String(e) })).finally(() => pending.delete(q));
    pending.add(q);
  };

  const sender: ChannelSender = {
    name: 'wecom',
    async deliver(row: OutboxRow, ctx) {
      if (row.kind !== 'customer.text' && row.kind !== 'customer.survey') throw new Undeliverable(`wecom channel cannot deliver ${row.kind}`);
      const route = await ctx.ticketRoute(row.ticketId!);
      const to = route.replyTo as unknown as WecomReplyTo;
      const key = windowKey(to.openKfId, to.externalUserId);
      const w = await kv.get<ReplyWindow>(key);
      const now = ctx.now().getTime();
      if (!w || now - w.lastCustomerAt > windowMs)
        throw new Undeliverable(`微信客服：客户最后一条消息已超过 ${config.wecom.replyWindowHours} 小时，无法再发送，请等客户再次来信或改用电话联系`);
      if (w.sent >= config.wecom.replyLimit)
        throw new Undeliverable(`微信客服：客户上次来信后已发送 ${w.sent} 条消息（上限 ${config.wecom.replyLimit} 条），须等客户回复后才能再发`);
      // send_msg's msgid is the idempotency key: WeChat refuses a second message with the same id.
      const msgid = createHash('sha256').update(row.idemKey).digest('hex').slice(0, 32);
      const base = { touser: to.externalUserId, open_kfid: to.openKfId, msgid };
      try {
        if (row.kind === 'customer.survey') {
          await client.sendMsg({
            ...base,
            msgtype: 'msgmenu',
            msgmenu: {
              head_content: `您的反馈（工单 ${route.code}）已处理完毕，请为本次服务打分：`,
              list: [5, 4, 3, 2, 1].map((n) => ({
                type: 'click' as const,
                click: { id: `csat:${route.code}:${n}`, content: `${n} 分${n === 5 ? '（非常满意）' : n === 1 ? '（非常不满意）' : ''}` },
              })),
              tail_content: '点击选项即可完成评价',
            },
          });
        } else {
          await client.sendMsg({ ...base, msgtype: 'text', text: { content: String(row.payload.text ?? '') } });
        }
      } catch (e) {
        if (e instanceof WecomApiError) {
          if (WINDOW_ERRORS[e.errcode]) throw new Undeliverable(`微信客服：${WINDOW_ERRORS[e.errcode]}（${e.errcode}）`);
          if (e.errcode === -1 || e.errcode === 45009 || e.errcode < 0) throw new RetryLater(e.message);
          throw new Undeliverable(e.message);
        }
        throw new RetryLater(`微信客服接口无法连接：${(e as Error).message}`);
      }
      await kv.set(key, { ...w, sent: w.sent + 1 } satisfies ReplyWindow, ctx.now());
    },
  };

  function checkEnvelope(q: Record<string, string>, encrypt: string): void {
    const ts = Number(q.timestamp);
    if (!q.msg_signature || !q.timestamp || !q.nonce || !Number.isFinite(ts)) throw new ApiError('unauthorized', '缺少签名参数');
    if (Math.abs(clock.now().getTime() / 1000 - ts) > TIMESTAMP_WINDOW_S) throw new ApiError('unauthorized', '时间戳超出允许范围');
    if (!crypto.verify(q.msg_signature, q.timestamp, q.nonce, encrypt)) throw new ApiError('unauthorized', '签名不匹配');
  }

  function open(encrypt: string): string {
    try {
      return crypto.decrypt(encrypt);
    } catch (e) {
      if (e instanceof WecomCryptoError) throw new ApiError('unauthorized', `解密失败：${e.message}`);
      throw e;
    }
  }

  return {
    name: 'wecom',
    agentSurface: false,
    sender,
    sync,
    async settled() {
      while (pending.size) await Promise.all([...pending]);
    },
    health: () => ({
      state: stats.lastError ? 'error' : 'ready',
      tokenValid: client.tokenValid,
      lastSyncAt: stats.lastSyncAt?.toISOString() ?? null,
      lastError: stats.lastError,
      lastInboundAt: stats.lastInboundAt?.toISOString() ?? null,
    }),
    async start() {
      // Catch up on what arrived while we were down (no callback token: the ordinary rate limit applies).
      for (const { key } of await kv.list<string>('wecom:cursor:')) background(sync(key.slice('wecom:cursor:'.length)));
    },
    async stop() {
      await Promise.all([...pending]);
    },
    routes(app) {
      // URL verification when the callback is configured: answer the decrypted echostr.
      app.get('/wecom/callback', (c) => {
        const q = c.req.query();
        if (!q.echostr) throw new ApiError('bad_request', '缺少 echostr');
        checkEnvelope(q, q.echostr);
        return c.text(open(q.echostr));
      });
      app.post('/wecom/callback', async (c) => {
        const raw = await c.req.text();
        if (raw.length > 64 * 1024) throw new ApiError('payload_too_large', '请求体过大');
        const encrypt = xmlField(raw, 'Encrypt');
        if (!encrypt) throw new ApiError('bad_request', '缺少 Encrypt');
        checkEnvelope(c.req.query(), encrypt);
        const inner = open(encrypt);
        // Answer at once (WeChat waits 5 s, then retries); the pull happens after.
        if (xmlField(inner, 'Event') === 'kf_msg_or_event') {
          const openKfId = xmlField(inner, 'OpenKfId');
          if (openKfId) background(sync(openKfId, xmlField(inner, 'Token')));
        }
        return c.text('success');
      });
    },
  };
};
