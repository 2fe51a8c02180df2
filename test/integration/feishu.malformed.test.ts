import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, eq } from 'drizzle-orm';
import { messages, tickets } from '../../src/db/schema/index.ts';
import { startFeishuDesk, type FeishuDesk } from '../fakes/feishu/harness.ts';

/** Issue 17, defects 2 and 6: signed but malformed Feishu events are acknowledged and refused, never a 500 (Feishu would re-push it forever). */
describe.each(['webhook', 'ws'] as const)('malformed Feishu events over %s', (mode) => {
  let d: FeishuDesk;
  let n = 0;
  beforeAll(async () => {
    d = await startFeishuDesk({ mode });
  });
  afterAll(() => d?.close());

  const ticketCount = async () => (await d.db.select({ n: count() }).from(tickets))[0].n;
  const withRawContent = (content: unknown, messageType = 'text', extra: Record<string, unknown> = {}) => {
    const e = d.message({ openId: `ou_malformed_${++n}`, chatId: `oc_p2p_malformed_${n}`, text: 'x' });
    Object.assign(e.event.message as Record<string, unknown>, { message_type: messageType, content, ...extra });
    return e;
  };

  it.each([
    ['content "null"', () => withRawContent('null')],
    ['content a JSON array', () => withRawContent('[1,2]')],
    ['content not a string', () => withRawContent({ text: 'hi' })],
    ['a post whose content is not an array', () => withRawContent(JSON.stringify({ title: 't', content: 'oops' }), 'post')],
    ['a post whose paragraphs hold null', () => withRawContent(JSON.stringify({ content: [[null, 7, { tag: 'text', text: 5 }]] }), 'post')],
    ['a post in a locale key holding null', () => withRawContent(JSON.stringify({ zh_cn: null }), 'post')],
    ['mentions not an array', () => withRawContent(JSON.stringify({ text: '@_user_1 你好' }), 'text', { mentions: 'everyone' })],
    ['mentions holding null', () => withRawContent(JSON.stringify({ text: '@_user_1 你好' }), 'text', { mentions: [null, { key: 5 }] })],
    ['message_id not a string', () => withRawContent(JSON.stringify({ text: 'hi' }), 'text', { message_id: 42 })],
    ['no message at all', () => ({ ...withRawContent('{}'), event: { sender: { sender_id: { open_id: 'ou_x' } } } })],
  ])('%s is acknowledged without a 500', async (_name, make) => {
    const r = await d.send(make());
    expect(r.status === 200 || r.status === 0).toBe(true);
  });

  it('NUL bytes and lone surrogates in a message and its ids are cleaned and stored', async () => {
    const e = d.message({ openId: 'ou_nul\u0000', chatId: 'oc_p2p_nul', text: '无法\u0000支付\uD83D' });
    const before = await ticketCount();
    const r = await d.send(e);
    expect(r.status === 200 || r.status === 0).toBe(true);
    expect(await ticketCount()).toBe(before + 1);
    const [m] = await d.db.select({ body: messages.body }).from(messages).orderBy(messages.id).limit(1).offset(0).where(eq(messages.body, '无法支付\uFFFD'));
    expect(m?.body).toBe('无法支付\uFFFD');
  });
});
