/**
 * A web-form customer who left an e-mail address hears back by e-mail with only SMTP configured (no IMAP inbox):
 * the acknowledgement with the promise and the private link, each reply, and the survey link; an SMTP refusal is a
 * dead letter the agents' group hears about.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContactChannel } from '../../src/channels/contact/index.ts';
import { createWebChannel } from '../../src/channels/web/index.tsx';
import { outbox, tickets } from '../../src/db/schema/index.ts';
import { startSmtp, type FakeSmtp } from '../fakes/email/smtp.ts';
import { dbKinds } from '../helpers/db.ts';
import { recordingChannel } from '../helpers/recording-channel.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';

const SUPPORT = 'service@example.test';
const AGENT = { platform: 'feishu', userId: 'ou_agent', name: '小林' };

describe.each(dbKinds)('web-form customers told by e-mail, no IMAP, on %s', (kind) => {
  let t: TestDesk;
  let smtp: FakeSmtp;
  let group: ReturnType<typeof recordingChannel>;
  const post = (body: Record<string, unknown>) =>
    t.app.request('/api/feedback', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    smtp = await startSmtp({ user: 'relay', pass: 'relay-pass' });
    group = recordingChannel('feishu');
    t = await createTestDesk({
      kind,
      env: { EMAIL_SMTP_URL: smtp.url, EMAIL_ADDRESS: SUPPORT, EMAIL_FROM_NAME: '示例客服' },
      channels: [createWebChannel, createContactChannel, group.factory],
    });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('acknowledgement, reply and survey link arrive by e-mail; the customer answers on the private page', async () => {
    expect(t.services.channels.map((c) => c.name)).not.toContain('email');
    const res = await post({ name: '王女士', contact: 'Wang@Customer.test', content: '订单 1234 付款后一直显示未支付', submissionId: 'sub-email-0001' });
    expect(res.status).toBe(201);
    const { ticket: code, url } = (await res.json()) as { ticket: string; url: string };
    const link = `http://loopdesk.test${url}`;

    await t.services.outbox.wake();
    const ack = await smtp.waitFor((m) => m.parsed.subject === `您的反馈已受理 [${code}]`);
    expect(ack.to).toEqual(['wang@customer.test']);
    expect(ack.parsed.from?.value[0]).toMatchObject({ address: SUPPORT, name: '示例客服' });
    expect(ack.parsed.text).toContain(`工单号 ${code}`);
    expect(ack.parsed.text).toMatch(/我们将在 1 个工作日内（工作时间 9:00–12:00、13:30–18:30）首次回复，最晚 .+ 前/);
    expect(ack.parsed.text).toContain(link);
    expect(ack.parsed.text).toContain('本邮箱不接收回复');

    await t.desk.act({ ticket: code, actor: AGENT, viaAgentGroup: true, action: 'claim' });
    await t.desk.act({ ticket: code, actor: AGENT, viaAgentGroup: true, action: 'respond', text: '已为您补单，请刷新订单页。' });
    await t.services.outbox.wake();
    const reply = await smtp.waitFor((m) => m.parsed.subject === `您的反馈有新回复 [${code}]`);
    expect(reply.parsed.text).toContain('已为您补单，请刷新订单页。');
    expect(reply.parsed.text).toContain(link);

    await t.desk.act({ ticket: code, actor: AGENT, viaAgentGroup: true, action: 'resolve' });
    await t.services.outbox.wake();
    const survey = await smtp.waitFor((m) => m.parsed.subject === `请为本次服务评分 [${code}]`);
    expect(survey.parsed.text).toContain(link);

    // A resend of the same outbox row carries the same Message-ID (receivers drop the copy).
    const ids = smtp.sent.filter((m) => m.parsed.subject?.includes(code)).map((m) => m.parsed.messageId);
    expect(new Set(ids).size).toBe(ids.length);

    const answer = await t.app.request(`${url}/survey`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ score: 5 }),
    });
    expect(answer.status).toBe(200);
    const [closed] = await t.db.select().from(tickets).where(eq(tickets.code, code));
    expect(closed).toMatchObject({ status: 'closed', closeReason: 'satisfied', csatScore: 5, csatVia: 'customer' });
    expect((await t.services.deliveryContext.ticketView(closed.id)).callCustomer).toBe(false);
  });

  it('a double submit of the form sends one acknowledgement', async () => {
    const body = { contact: 'twice@customer.test', content: '发票抬头写错了', submissionId: 'sub-email-0002' };
    expect((await post(body)).status).toBe(201);
    expect((await post(body)).status).toBe(200);
    await t.services.outbox.wake();
    expect(smtp.sent.filter((m) => m.to.includes('twice@customer.test'))).toHaveLength(1);
  });

  it('an address the relay refuses (550) is a dead letter; the card says 请电话联系客户', async () => {
    await t.services.outbox.wake();
    smtp.fail(550, 'mailbox unavailable');
    try {
      const res = await post({ contact: 'gone@customer.test', content: '退款还没到账', submissionId: 'sub-email-0003' });
      const { ticket: code } = (await res.json()) as { ticket: string };
      await t.services.outbox.wake();
      const [ticket] = await t.db.select().from(tickets).where(eq(tickets.code, code));
      const [ack] = await t.db
        .select()
        .from(outbox)
        .where(and(eq(outbox.ticketId, ticket.id), eq(outbox.kind, 'customer.text')));
      expect(ack).toMatchObject({ channel: 'contact', status: 'dead' });
      expect(ack.lastError).toContain('SMTP 550');
      expect(group.texts().some((r) => String(r.payload.text).startsWith(`⚠️ 工单 ${code} 的消息无法送达客户`))).toBe(true);
      expect((await t.services.deliveryContext.ticketView(ticket.id)).callCustomer).toBe(true);
    } finally {
      smtp.fail(null);
    }
  });

  it('a web customer who left only a phone number, with no SMS configured: nothing sent, 请电话联系客户', async () => {
    const before = smtp.sent.length;
    const res = await post({ contact: '13800138000', content: '客服电话一直打不通', submissionId: 'sub-email-0004' });
    const { ticket: code } = (await res.json()) as { ticket: string };
    await t.services.outbox.wake();
    expect(smtp.sent.length).toBe(before);
    const [ticket] = await t.db.select().from(tickets).where(eq(tickets.code, code));
    const [ack] = await t.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.ticketId, ticket.id), eq(outbox.kind, 'customer.text')));
    expect(ack.status).toBe('dead');
    expect(ack.lastError).toContain('请电话联系客户');
    expect(ack.lastError).toContain('未配置短信发送');
  });
});
