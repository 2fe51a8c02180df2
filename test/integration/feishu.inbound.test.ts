import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, eq } from 'drizzle-orm';
import { messages, outbox, ticketEvents, tickets } from '../../src/db/schema/index.ts';
import { enqueue } from '../../src/desk/store.ts';
import { AGENT_CHAT, buttons, startFeishuDesk, type FeishuDesk } from '../fakes/feishu/harness.ts';
import { json } from '../helpers/http.ts';

const AGENT = 'ou_agent_in';
const LEAD = 'ou_lead_in';

describe.each(['webhook', 'ws'] as const)('Feishu inbound over %s', (mode) => {
  let d: FeishuDesk;
  const bot = () => ({ openId: d.fake.botOpenId, name: 'Loopdesk', bot: true });
  beforeAll(async () => {
    d = await startFeishuDesk({
      mode,
      config: { roles: { agents: [{ platform: 'feishu', userId: AGENT }], leads: [{ platform: 'feishu', userId: LEAD }], admins: [] } },
    });
  });
  afterAll(() => d?.close());

  const ticketCount = async () => (await d.db.select({ n: count() }).from(tickets))[0].n;

  it('keeps text, post, image and file messages; follow-ups join the open ticket', async () => {
    const c = 'ou_kinds';
    const chat = 'oc_p2p_kinds';
    await d.send(d.message({ openId: c, chatId: chat, text: '截图里的报错是什么意思？' }));
    await d.send(
      d.message({
        openId: c,
        chatId: chat,
        messageType: 'post',
        content: {
          title: '补充说明',
          content: [
            [
              { tag: 'text', text: '步骤：' },
              { tag: 'a', text: '链接', href: 'https://example.com/x' },
            ],
            [{ tag: 'img', image_key: 'img_v2_post' }],
          ],
        },
      }),
    );
    const img = d.message({ openId: c, chatId: chat, messageType: 'image', content: { image_key: 'img_v2_abc' } });
    await d.send(img);
    const file = d.message({ openId: c, chatId: chat, messageType: 'file', content: { file_key: 'file_v2_log', file_name: 'app.log' } });
    await d.send(file);
    const [t] = await d.db.select().from(tickets).where(eq(tickets.channel, 'feishu'));
    const ms = await d.db.select().from(messages).where(eq(messages.ticketId, t.id)).orderBy(messages.id);
    expect(ms).toHaveLength(4);
    expect(ms[1].body).toBe('补充说明\n步骤：链接(https://example.com/x)');
    expect(ms[1].attachments).toEqual([{ kind: 'image', ref: `${ms[1].platformMessageId}/img_v2_post` }]);
    expect(ms[2].attachments).toEqual([{ kind: 'image', ref: `${(img.event.message as any).message_id}/img_v2_abc` }]);
    expect(ms[3].attachments).toEqual([{ kind: 'file', name: 'app.log', ref: `${(file.event.message as any).message_id}/file_v2_log` }]);
    expect(t.replyTo).toEqual({ chatId: chat, chatType: 'p2p', openId: c, messageId: ms[0].platformMessageId });
  });

  it('in a customer group only @bot messages become tickets, with the mention stripped', async () => {
    const before = await ticketCount();
    await d.send(d.message({ openId: 'ou_grp', chatId: 'oc_customer_group', chatType: 'group', text: '大家好，今天开会吗' }));
    expect(await ticketCount()).toBe(before);
    await d.send(
      d.message({
        openId: 'ou_grp',
        chatId: 'oc_customer_group',
        chatType: 'group',
        text: '@_user_1 接口一直 502，@_user_2 也遇到了',
        mentions: [bot(), { openId: 'ou_colleague', name: '小王' }],
      }),
    );
    expect(await ticketCount()).toBe(before + 1);
    const [t] = await d.db.select().from(tickets).orderBy(tickets.id).limit(1).offset(before);
    expect(t.subject).toBe('接口一直 502，@小王 也遇到了');
    await d.settle();
    // The acknowledgement goes into the group as a reply, @-mentioning the customer.
    const ack = d.fake.messagesIn('oc_customer_group').at(-1)!;
    expect((ack.content as any).text).toMatch(/^<at user_id="ou_grp"><\/at> 您好/);
  });

  it('messages in the agents’ group are never tickets; /help and /case are answered there', async () => {
    const before = await ticketCount();
    await d.send(d.message({ openId: AGENT, chatId: AGENT_CHAT, chatType: 'group', text: '@_user_1 今天谁值班？', mentions: [bot()] }));
    const help = d.message({ openId: AGENT, chatId: AGENT_CHAT, chatType: 'group', text: '@_user_1 /help', mentions: [bot()] });
    await d.send(help);
    const code = (await d.db.select().from(tickets).limit(1))[0].code;
    const kase = d.message({ openId: AGENT, chatId: AGENT_CHAT, chatType: 'group', text: `@_user_1 /case ${code}`, mentions: [bot()] });
    await d.send(kase);
    await d.send(kase); // re-delivery: one answer
    expect(await ticketCount()).toBe(before);
    await d.settle();
    const replies = d.fake.messagesIn(AGENT_CHAT).filter((m) => m.parentId);
    const helpReply = replies.find((m) => m.parentId === (help.event.message as any).message_id)!;
    expect(JSON.stringify(helpReply.content)).toContain('/case');
    const caseReplies = replies.filter((m) => m.parentId === (kase.event.message as any).message_id);
    expect(caseReplies).toHaveLength(1);
    expect(JSON.stringify(caseReplies[0].content)).toContain(code);
  });

  it('re-delivery of a message (same event_id, or same message_id in another event) changes nothing', async () => {
    const ev = d.message({ openId: 'ou_dup', chatId: 'oc_p2p_dup', text: '重复推送测试' });
    expect((await d.send(ev)).status).toBe(200);
    const before = {
      tickets: await ticketCount(),
      messages: (await d.db.select({ n: count() }).from(messages))[0].n,
      outbox: (await d.db.select({ n: count() }).from(outbox))[0].n,
    };
    expect((await d.send(ev)).status).toBe(200);
    const other = structuredClone(ev);
    other.header.event_id = 'ev_other_delivery';
    expect((await d.send(other)).status).toBe(200);
    expect({
      tickets: await ticketCount(),
      messages: (await d.db.select({ n: count() }).from(messages))[0].n,
      outbox: (await d.db.select({ n: count() }).from(outbox))[0].n,
    }).toEqual(before);
  });

  it('re-delivery of a card callback changes nothing; a second click is refused with the reason', async () => {
    await d.send(d.message({ openId: 'ou_dup_card', chatId: 'oc_p2p_dup_card', text: '卡片重复' }));
    await d.settle();
    const card = d.fake
      .messagesIn(AGENT_CHAT)
      .filter((m) => !m.parentId)
      .at(-1)!;
    const code = buttons(card.content).claim.ticket;
    const respond = d.cardAction({
      openId: AGENT,
      value: { action: 'respond', ticket: code },
      formValue: { reply: '只应发送一次', waitForCustomer: 'yes' },
      messageId: card.messageId,
      chatId: AGENT_CHAT,
    });
    expect((await d.send(respond)).body.toast.type).toBe('success');
    const again = await d.send(respond);
    expect(again.body.toast.type).toBe('info');
    const esc = d.cardAction({ openId: AGENT, value: { action: 'escalate', ticket: code }, messageId: card.messageId, chatId: AGENT_CHAT });
    expect((await d.send(esc)).body.toast.type).toBe('success');
    await d.send(esc);
    await d.settle();
    expect(d.fake.messages.filter((m) => JSON.stringify(m.content).includes('只应发送一次'))).toHaveLength(1);
    const row = await d.ticketByCode(code);
    expect(row.slaPausedSince).not.toBeNull();
    const events = await d.db.select().from(ticketEvents).where(eq(ticketEvents.ticketId, row.id));
    expect(events.filter((e) => e.type === 'escalated')).toHaveLength(1);
    // Escalation tells the leads with a real mention.
    const notice = d.fake.messagesIn(AGENT_CHAT).find((m) => JSON.stringify(m.content).includes('已由') && JSON.stringify(m.content).includes(code))!;
    expect(JSON.stringify(notice.content)).toContain(`<at id=${LEAD}></at>`);
    const reclass = await d.send(
      d.cardAction({
        openId: AGENT,
        value: { action: 'reclassify', ticket: code },
        formValue: { category: 'complaint' },
        messageId: card.messageId,
        chatId: AGENT_CHAT,
      }),
    );
    expect(reclass.body.toast.type).toBe('success');
    expect((await d.ticketByCode(code)).category).toBe('complaint');
  });

  it('SLA pings @-mention the assignee by open_id, and everyone when nobody is named', async () => {
    await d.send(d.message({ openId: 'ou_ping', chatId: 'oc_p2p_ping', text: '投诉：客服不回复' }));
    await d.settle();
    const card = d.fake
      .messagesIn(AGENT_CHAT)
      .filter((m) => !m.parentId)
      .at(-1)!;
    const code = buttons(card.content).claim.ticket;
    await d.send(d.cardAction({ openId: AGENT, value: { action: 'claim', ticket: code }, messageId: card.messageId, chatId: AGENT_CHAT }));
    const row = await d.ticketByCode(code);
    await d.db.transaction((tx) =>
      enqueue(tx, d.clock.now(), [
        {
          channel: 'feishu',
          kind: 'agents.text',
          ticketId: row.id,
          payload: { text: `${code} 首次响应即将超时`, notify: 'assignee' },
          idemKey: `test-ping-a:${code}`,
        },
        {
          channel: 'feishu',
          kind: 'agents.text',
          ticketId: row.id,
          payload: { text: `${code} 已超时 <at id=all></at>`, notify: 'all', mention: [] },
          idemKey: `test-ping-b:${code}`,
        },
      ]),
    );
    await d.settle();
    const pings = d.fake.messagesIn(AGENT_CHAT).filter((m) => JSON.stringify(m.content).includes(code) && JSON.stringify(m.content).includes('超时'));
    const md = pings.map((p) => (p.content as any).body.elements[0].content as string);
    expect(md[0]).toMatch(new RegExp(`^<at id=${AGENT}></at> `));
    expect(md[1]).toMatch(/^<at id=all><\/at> /);
    // Text typed into a notice cannot smuggle a mention in.
    expect(md[1]).toContain('&lt;at id=all&gt;');
  });

  it('uploads files to the agents’ group (ledger exports, command answers)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'feishu-file-'));
    const path = join(dir, 'ledger.xlsx');
    writeFileSync(path, 'fake xlsx bytes');
    await d.db.transaction((tx) =>
      enqueue(tx, d.clock.now(), [
        { channel: 'feishu', kind: 'agents.file', ticketId: null, payload: { path, name: 'ledger.xlsx', text: '近 6 个月台账' }, idemKey: `test-file:${mode}` },
      ]),
    );
    await d.settle();
    expect(d.fake.files.at(-1)).toMatchObject({ name: 'ledger.xlsx' });
    const sent = d.fake.messagesIn(AGENT_CHAT).filter((m) => m.msgType === 'file');
    expect(sent.at(-1)!.content).toEqual({ file_key: d.fake.files.at(-1)!.fileKey });
    expect(d.fake.messagesIn(AGENT_CHAT).some((m) => (m.content as any).text === '近 6 个月台账')).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers within the deadline while the database is stuck, then finishes the work', async () => {
    await d.send(d.message({ openId: 'ou_slow', chatId: 'oc_p2p_slow', text: '数据库慢的时候' }));
    await d.settle();
    const card = d.fake
      .messagesIn(AGENT_CHAT)
      .filter((m) => !m.parentId)
      .at(-1)!;
    const code = buttons(card.content).claim.ticket;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // A transaction holding the ticket row: every act() on it waits.
    const blocker = d.db.transaction(async (tx) => {
      await tx.select().from(tickets).where(eq(tickets.code, code)).for('update');
      await held;
    });
    const started = Date.now();
    const r = await d.send(d.cardAction({ openId: AGENT, value: { action: 'claim', ticket: code }, messageId: card.messageId, chatId: AGENT_CHAT }));
    const ms = Date.now() - started;
    expect(r.status).toBe(200);
    expect(r.body.toast.type).toBe('info');
    expect(ms).toBeLessThan(3000);
    // A customer message meanwhile: answered in time too, and stored once the database frees up.
    const t0 = Date.now();
    const msg = await d.send(d.message({ openId: 'ou_slow_2', chatId: 'oc_p2p_slow_2', text: '卡住时发来的消息' }));
    expect(msg.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(3000);
    release();
    await blocker;
    await new Promise((res) => setTimeout(res, 200));
    expect((await d.ticketByCode(code)).status).toBe('claimed');
    expect((await d.db.select().from(messages).where(eq(messages.body, '卡住时发来的消息'))).length).toBe(1);
    await d.settle();
    expect(buttons(d.fake.contentOf(card.messageId)).claim).toBeUndefined();
  }, 20_000);

  if (mode === 'ws') {
    it('reports the long connection in /healthz and reconnects after a drop', async () => {
      const h = await json(await d.app.request('/healthz'));
      expect(h.channels.feishu).toMatchObject({ mode: 'ws', state: 'connected' });
      const endpoints = d.fake.endpointCalls;
      d.fake.dropConnections();
      await new Promise((r) => setTimeout(r, 300));
      for (let i = 0; i < 50 && d.fake.wsConnections === 0; i++) await new Promise((r) => setTimeout(r, 100));
      await d.fake.wsReady();
      expect(d.fake.endpointCalls).toBeGreaterThan(endpoints);
      const r = await d.send(d.message({ openId: 'ou_after_drop', chatId: 'oc_p2p_after', text: '重连后的消息' }));
      expect(r.status).toBe(200);
    }, 20_000);
  }
});
