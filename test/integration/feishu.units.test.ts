import { randomBytes } from 'node:crypto';
import * as lark from '@larksuiteoapi/node-sdk';
import { describe, expect, it } from 'vitest';
import { renderSurveyCard, renderTicketCard } from '../../cards/feishu/index.ts';
import type { TicketView } from '../../cards/view.ts';
import { createFeishuApi, classify } from '../../src/channels/feishu/client.ts';
import { feishuSettings, resolveDomain } from '../../src/channels/feishu/config.ts';
import { parseMessage } from '../../src/channels/feishu/inbound.ts';
import { uuidFor } from '../../src/channels/feishu/sender.ts';
import { decrypt, encrypt, signature, verifyWebhook } from '../../src/channels/feishu/verify.ts';
import { RetryLater, Undeliverable } from '../../src/channels/types.ts';
import { parseEnv } from '../../src/config.ts';
import { silentLogger } from '../../src/log.ts';

const view = (over: Partial<TicketView> = {}): TicketView => ({
  id: 1,
  code: 'FB-20260302-0001',
  status: 'new',
  statusLabel: '待认领',
  category: { id: 'bug', name: '产品故障', nameEn: 'Bug' },
  categories: [
    { id: 'bug', name: '产品故障', nameEn: 'Bug' },
    { id: 'complaint', name: '投诉', nameEn: 'Complaint' },
  ],
  priority: 'high',
  channel: 'feishu',
  channelLabel: '飞书',
  customer: { name: '匿名客户', contact: null },
  subject: '闪退 <at id=all></at>',
  excerpt: '闪退 <at id=all></at> **bold**',
  assignee: null,
  isMajor: false,
  escalated: false,
  isProbe: false,
  createdAt: '2026-03-02T02:00:00.000Z',
  firstResponse: { state: 'on_track', label: '剩余 2小时', labelEn: '2h left', dueAt: null },
  resolution: { state: 'on_track', label: '剩余 24小时', labelEn: '24h left', dueAt: null },
  paused: false,
  reopenCount: 0,
  csatScore: null,
  csatComment: null,
  actions: ['claim', 'respond', 'resolve', 'reclassify', 'escalate'],
  url: null,
  ...over,
});

function walk(x: unknown, f: (o: Record<string, any>) => void) {
  if (!x || typeof x !== 'object') return;
  f(x as Record<string, any>);
  Object.values(x).forEach((v) => walk(v, f));
}

describe('Feishu webhook verification', () => {
  const key = 'k3y';
  it('decrypts what the SDK decrypts and signs like Feishu', () => {
    const plain = JSON.stringify({ hello: '世界' });
    const enc = encrypt(plain, key, randomBytes(16));
    expect(new lark.AESCipher(key).decrypt(enc)).toBe(plain);
    expect(decrypt(enc, key)).toBe(plain);
    expect(signature('1', 'n', key, 'body')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('checks the signature on the raw bytes (a re-serialised body fails)', () => {
    const body = JSON.stringify({ encrypt: encrypt(JSON.stringify({ schema: '2.0', header: { token: 't' }, event: {} }), key, randomBytes(16)) }, null, 2);
    const ts = '1700000000';
    const headers = { 'x-lark-request-timestamp': ts, 'x-lark-request-nonce': 'n', 'x-lark-signature': signature(ts, 'n', key, body) };
    expect(verifyWebhook({ raw: body, headers, encryptKey: key, verificationToken: 't', nowMs: 1700000000_000 }).kind).toBe('event');
    const compact = JSON.stringify(JSON.parse(body));
    expect(() => verifyWebhook({ raw: compact, headers, encryptKey: key, nowMs: 1700000000_000 })).toThrow('bad signature');
    expect(() => verifyWebhook({ raw: body, headers, encryptKey: key, nowMs: 1700000301_000 })).toThrow('stale');
    expect(() => verifyWebhook({ raw: '{}', headers: {}, nowMs: 0 })).toThrow('refusing unauthenticated');
  });
});

describe('Feishu config and client', () => {
  it('resolves FEISHU_DOMAIN for the client', () => {
    expect(resolveDomain('feishu')).toBe(lark.Domain.Feishu);
    expect(resolveDomain('lark')).toBe(lark.Domain.Lark);
    expect(resolveDomain('https://open.example.cn/')).toBe('https://open.example.cn');
    expect(() => resolveDomain('open.example.cn')).toThrow('FEISHU_DOMAIN');
    const lk = feishuSettings(parseEnv({ FEISHU_APP_ID: 'cli_x', FEISHU_APP_SECRET: 's', FEISHU_DOMAIN: 'lark' }))!;
    expect(createFeishuApi(lk, silentLogger).client.domain).toBe('https://open.larksuite.com');
    expect(lk.eventMode).toBe('ws');
    expect(feishuSettings(parseEnv({}))).toBeNull();
  });

  it('classifies Feishu errors for the outbox', () => {
    const axiosLike = (status: number, code: number, headers: Record<string, string> = {}) => ({ response: { status, headers, data: { code, msg: 'm' } } });
    const rl = classify(axiosLike(429, 99991400, { 'x-ogw-ratelimit-reset': '3' }));
    expect(rl).toBeInstanceOf(RetryLater);
    expect((rl as RetryLater).afterMs).toBe(3000);
    expect(classify(axiosLike(400, 230020))).toBeInstanceOf(RetryLater);
    expect(classify(axiosLike(503, 1))).toBeInstanceOf(RetryLater);
    expect(classify(axiosLike(400, 230002)).message).toContain('机器人不在该群中');
    expect(classify(axiosLike(400, 230013))).toBeInstanceOf(Undeliverable);
    expect(classify(new Error('socket hang up'))).toBeInstanceOf(RetryLater);
  });

  it('derives a ≤50-char uuid from the idempotency key', () => {
    expect(uuidFor('card:1:1:feishu')).toHaveLength(48);
    expect(uuidFor('x'.repeat(500))).toBe(uuidFor('x'.repeat(500)));
  });
});

describe('Feishu cards (JSON 2.0)', () => {
  it('every button carries {action, ticket}; customer text is plain, never markdown', () => {
    const card = renderTicketCard(view());
    expect(card.schema).toBe('2.0');
    expect((card.config as any).update_multi).toBe(true);
    const names: string[] = [];
    walk(card, (o) => {
      if (o.tag === 'button') {
        names.push(o.name);
        expect(o.behaviors[0].value).toMatchObject({ ticket: 'FB-20260302-0001' });
      }
      expect(o.tag).not.toBe('action'); // 1.0-only wrapper
      if (o.tag === 'markdown') expect(o.content).not.toContain('<at id=all>');
    });
    expect(names.sort()).toEqual(['claim', 'escalate', 'reclassify', 'resolve', 'respond']);
    const fields: string[] = [];
    walk(card, (o) => (o.tag === 'input' || o.tag === 'select_static') && fields.push(o.name));
    expect(fields.sort()).toEqual(['category', 'reply', 'waitForCustomer']);
    expect(JSON.stringify(card).length).toBeLessThan(30_000);
  });

  it('hides buttons that make no sense in the state', () => {
    const names = (v: TicketView) => {
      const out: string[] = [];
      walk(renderTicketCard(v), (o) => o.tag === 'button' && out.push(o.name));
      return out.sort();
    };
    expect(
      names(
        view({ status: 'claimed', actions: ['respond', 'resolve', 'reclassify', 'escalate'], assignee: { name: 'a', platform: 'feishu', userId: 'ou_a' } }),
      ),
    ).toEqual(['escalate', 'reclassify', 'resolve', 'respond']);
    expect(names(view({ status: 'resolved', actions: [] }))).toEqual([]);
    expect(names(view({ status: 'closed', actions: [] }))).toEqual([]);
    expect(JSON.stringify(renderTicketCard(view({ assignee: { name: 'a', platform: 'feishu', userId: 'ou_a' } })))).toContain('<at id=ou_a></at>');
  });

  it('survey: five csat buttons and an optional comment; answered shows no buttons', () => {
    const s = renderSurveyCard(view(), '示例公司');
    const values: any[] = [];
    walk(s, (o) => o.tag === 'button' && values.push(o.behaviors[0].value));
    expect(values).toEqual([1, 2, 3, 4, 5].map((score) => ({ action: 'csat', ticket: 'FB-20260302-0001', score })));
    let comment: any;
    walk(s, (o) => o.name === 'comment' && (comment = o));
    expect(comment.required).toBe(false);
    const done: any[] = [];
    walk(renderSurveyCard(view(), '示例公司', { score: 4 }), (o) => o.tag === 'button' && done.push(o));
    expect(done).toEqual([]);
  });
});

describe('Feishu message parsing', () => {
  it('drops the bot mention, names the others', () => {
    const p = parseMessage(
      {
        message_id: 'om_1',
        chat_id: 'oc_1',
        chat_type: 'group',
        message_type: 'text',
        content: JSON.stringify({ text: '@_user_1 @_user_2 看一下' }),
        mentions: [
          { key: '@_user_1', id: { open_id: 'ou_bot' }, name: 'Bot', mentioned_type: 'bot' },
          { key: '@_user_2', id: { open_id: 'ou_x' }, name: '小李' },
        ],
      },
      'ou_bot',
    );
    expect(p).toEqual({ text: '@小李 看一下', attachments: [], mentionsBot: true });
  });
});
