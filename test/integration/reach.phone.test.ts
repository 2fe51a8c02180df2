/**
 * Customers outside a chat: a phone complaint typed in by an agent (/new), told by SMS through the real Alibaba
 * Cloud SDK against a fake SMS API that checks its signature, followed up by phone (/csat) and closed; the ledger's
 * 回访记录 shows 电话 and who called. Plus the SMS outbox's retries and dead letters, and the refusals.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { and, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createContactChannel } from '../../src/channels/contact/index.ts';
import { createWebChannel } from '../../src/channels/web/index.tsx';
import { customers, outbox, ticketEvents, tickets } from '../../src/db/schema/index.ts';
import type { CommandReply } from '../../src/desk/commands.ts';
import { statsDeps } from '../../src/reports/commands.ts';
import { writeLedgerXlsx } from '../../src/reports/ledger.ts';
import { rangeOfDays } from '../../src/reports/range.ts';
import { computeStats } from '../../src/reports/stats.ts';
import { startFakeAliyunSms, type FakeAliyunSms } from '../fakes/sms/aliyun.ts';
import { dbKinds } from '../helpers/db.ts';
import { recordingChannel } from '../helpers/recording-channel.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';

const AK = { accessKeyId: 'LTAI5tTestKeyId', accessKeySecret: 'test-secret-0123456789abcdef' };
const AGENT = { platform: 'feishu', userId: 'ou_agent', name: '小林' };
const OTHER = { platform: 'feishu', userId: 'ou_other', name: '小王' };
const LEAD = { platform: 'feishu', userId: 'ou_lead', name: '周组长' };
const roles = {
  agents: [AGENT, OTHER].map(({ platform, userId }) => ({ platform, userId })),
  leads: [{ platform: LEAD.platform, userId: LEAD.userId }],
  admins: [],
};

const smsEnv = (fake: FakeAliyunSms, keys = AK) => ({
  SMS_PROVIDER: 'aliyun',
  SMS_SIGN_NAME: '示例科技',
  SMS_TEMPLATE_ACK: 'SMS_100000001',
  SMS_TEMPLATE_REPLY: 'SMS_100000002',
  SMS_TEMPLATE_SURVEY: 'SMS_100000003',
  ALIYUN_SMS_ACCESS_KEY_ID: keys.accessKeyId,
  ALIYUN_SMS_ACCESS_KEY_SECRET: keys.accessKeySecret,
  ALIYUN_SMS_ENDPOINT: fake.url,
});

const textOf = (r: CommandReply) => (r.kind === 'text' ? r.text : r.kind === 'ticket' ? (r.text ?? '') : r.kind === 'markdown' ? r.markdown : (r.text ?? ''));

describe.each(dbKinds)('phone tickets, SMS and phone follow-up on %s', (kind) => {
  let t: TestDesk;
  let sms: FakeAliyunSms;
  let group: ReturnType<typeof recordingChannel>;
  let dir: string;
  const command = (text: string, actor = AGENT) => t.services.runCommand({ text, actor, viaAgentGroup: true, surface: 'feishu' });
  const ticketByCode = async (code: string) => (await t.db.select().from(tickets).where(eq(tickets.code, code)))[0];
  const eventsOf = async (id: number) => t.db.select().from(ticketEvents).where(eq(ticketEvents.ticketId, id)).orderBy(ticketEvents.seq);
  const rowCounts = async () => ({
    tickets: (await t.db.select({ n: count() }).from(tickets))[0].n,
    customers: (await t.db.select({ n: count() }).from(customers))[0].n,
    events: (await t.db.select({ n: count() }).from(ticketEvents))[0].n,
    outbox: (await t.db.select({ n: count() }).from(outbox))[0].n,
  });

  beforeAll(async () => {
    sms = await startFakeAliyunSms(AK);
    group = recordingChannel('feishu');
    t = await createTestDesk({
      kind,
      config: { roles },
      env: smsEnv(sms),
      channels: [createWebChannel, createContactChannel, group.factory],
      backoffBaseMs: 1,
    });
    dir = mkdtempSync(join(tmpdir(), 'reach-'));
  });
  afterAll(async () => {
    await t.close();
    await sms.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => group.clear());

  it('a phone complaint: /new → SMS acknowledgement, reply and survey → /csat 5 → closed, 电话 in the ledger', async () => {
    const created = await command('/new 电话 张先生 138-0013-8000 投诉 扣费两次，要求退款');
    expect(created.kind).toBe('ticket');
    expect(textOf(created)).toMatch(/^已登记电话工单 FB-20260302-\d{4}。/);
    expect(textOf(created)).toContain('短信');
    const code = /FB-\d{8}-\d{4}/.exec(textOf(created))![0];
    const ticket = await ticketByCode(code);
    expect(ticket).toMatchObject({ channel: 'phone', category: 'complaint', status: 'new' });
    const [createdEvent] = await eventsOf(ticket.id);
    expect(createdEvent.data).toMatchObject({ channel: 'phone', recordedBy: { actor: 'agent:feishu:ou_agent', name: '小林' } });
    const [customer] = await t.db.select().from(customers).where(eq(customers.id, ticket.customerId));
    expect(customer).toMatchObject({ channel: 'phone', name: '张先生', phone: '138-0013-8000' });

    await t.services.outbox.wake();
    expect(sms.requests.every((r) => r.ok)).toBe(true);
    expect(sms.sent).toHaveLength(1);
    expect(sms.sent[0]).toMatchObject({
      phoneNumbers: '13800138000',
      signName: '示例科技',
      templateCode: 'SMS_100000001',
      templateParam: { code, token: ticket.accessToken, time: '3月2日 12:00' },
    });
    expect(sms.sent[0].outId).toMatch(/^ack:/);
    // The card went to the agents' group too, and says nothing about calling the customer (SMS reached them).
    // The link in the SMS opens the customer's private page, as for a web-form ticket.
    const privatePage = await t.app.request(`/t/${ticket.accessToken}`);
    expect(privatePage.status).toBe(200);
    expect(await privatePage.text()).toContain(code);
    const card = await t.services.deliveryContext.ticketView(ticket.id);
    expect(card.channelLabel).toBe('电话');
    expect(card.callCustomer).toBe(false);

    await t.desk.act({ ticket: code, actor: AGENT, viaAgentGroup: true, action: 'claim' });
    await t.desk.act({ ticket: code, actor: AGENT, viaAgentGroup: true, action: 'respond', text: '已核实重复扣费，退款将在 3 个工作日内原路退回。' });
    await t.desk.act({ ticket: code, actor: AGENT, viaAgentGroup: true, action: 'resolve' });
    await t.services.outbox.wake();
    expect(sms.sent.map((s) => s.templateCode)).toEqual(['SMS_100000001', 'SMS_100000002', 'SMS_100000003']);
    expect(sms.sent[2].templateParam).toEqual({ code, token: ticket.accessToken });

    const answered = await command(`/csat ${code} 5 客户表示满意，退款已到账`);
    expect(textOf(answered)).toContain('已录入电话回访（5 分），工单已归档');
    const closed = await ticketByCode(code);
    expect(closed).toMatchObject({ status: 'closed', closeReason: 'satisfied', csatScore: 5, csatComment: '客户表示满意，退款已到账', csatVia: 'phone' });
    const survey = (await eventsOf(ticket.id)).find((e) => e.type === 'survey_answered')!;
    expect(survey.actor).toBe('agent:feishu:ou_agent');
    expect(survey.data).toMatchObject({ score: 5, via: 'phone', by: 'agent:feishu:ou_agent', byName: '小林' });

    const range = rangeOfDays('2026-03-01', '2026-03-31', 'Asia/Shanghai');
    const stats = await computeStats(statsDeps(t.services), range);
    expect(stats.metrics.survey).toMatchObject({ answered: 1, answeredByAgent: 1, answeredByCustomer: 0 });

    const file = join(dir, 'ledger.xlsx');
    await writeLedgerXlsx(statsDeps(t.services), range, file);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    const sheet = wb.getWorksheet('回访记录')!;
    const header = (sheet.getRow(1).values as unknown[]).slice(1);
    expect(header.slice(-2)).toEqual(['回访方式', '回访人']);
    const rows: unknown[][] = [];
    sheet.eachRow((r, n) => void (n > 1 && rows.push((r.values as unknown[]).slice(1))));
    const row = rows.find((r) => r[0] === code)!;
    expect(row[header.indexOf('满意度评分')]).toBe(5);
    expect(row[header.indexOf('回访结果')]).toBe('满意，已归档');
    expect(row[header.indexOf('回访方式')]).toBe('电话');
    expect(row[header.indexOf('回访人')]).toBe('小林');
    const ledger = wb.getWorksheet('台账')!;
    let inLedger = false;
    ledger.eachRow((r) => void (((r.values as unknown[]) ?? []).includes(code) && (inLedger = true)));
    expect(inLedger).toBe(true);
  });

  it('a double submit of the same /new is one ticket, one SMS', async () => {
    const before = sms.sent.length;
    const a = await command('/new 来访 李女士 13900139000 柜台办理业务排队两小时无人处理');
    const b = await command('/new 来访 李女士 13900139000 柜台办理业务排队两小时无人处理');
    const code = /FB-\d{8}-\d{4}/.exec(textOf(a))![0];
    expect(textOf(b)).toContain(`这条来访登记已提交过：工单 ${code}`);
    expect((await t.db.select().from(tickets).where(eq(tickets.channel, 'visit'))).length).toBe(1);
    await t.services.outbox.wake();
    expect(sms.sent.length - before).toBe(1);
  });

  it('refuses bad /new input with the reason and the usage, writing nothing', async () => {
    const before = await rowCounts();
    const cases: Array<[string, string]> = [
      ['/new', '请依次写上渠道、客户称呼、联系方式和内容'],
      ['/new 电话 张先生 13800138000', '请依次写上渠道、客户称呼、联系方式和内容'],
      ['/new 微信 张先生 13800138000 内容', '渠道须为 电话 / 来访 / 信函'],
      ['/new 电话 张先生 不留电话 扣费两次', '联系方式须为手机号、电话（含区号）或邮箱'],
      [`/new 信函 张先生 13800138000 ${'很'.repeat(t.services.config.web.maxContentLength + 1)}`, `内容最多 ${t.services.config.web.maxContentLength} 个字`],
    ];
    for (const [text, reason] of cases) {
      const reply = await command(text);
      expect(reply.kind, text).toBe('text');
      expect(textOf(reply)).toContain(reason);
      expect(textOf(reply)).toContain('用法：/new 电话|来访|信函');
    }
    const stranger = await t.services.runCommand({
      text: '/new 电话 张先生 13800138000 扣费两次',
      actor: { platform: 'feishu', userId: 'ou_nobody' },
      viaAgentGroup: true,
      surface: 'feishu',
    });
    expect(textOf(stranger)).toBe('只有客服成员可以使用命令。');
    expect(await rowCounts()).toEqual(before);
  });

  it('refuses /csat from a stranger, with a bad score, or after the customer answered; the lead may record', async () => {
    const created = await command('/new 电话 赵先生 13700137000 咨询 发票怎么开');
    const code = /FB-\d{8}-\d{4}/.exec(textOf(created))![0];
    expect(textOf(await command(`/csat ${code} 5 满意`))).toContain('只有已解决、等待回访的工单可以录入回访');
    await t.desk.act({ ticket: code, actor: AGENT, viaAgentGroup: true, action: 'claim' });
    await t.desk.act({ ticket: code, actor: AGENT, viaAgentGroup: true, action: 'respond', text: '发票可在 APP「我的-发票」中申请。' });
    await t.desk.act({ ticket: code, actor: AGENT, viaAgentGroup: true, action: 'resolve' });
    const before = await rowCounts();
    expect(textOf(await command(`/csat ${code} 5 满意`, OTHER))).toContain('不是您负责的');
    expect(textOf(await command(`/csat ${code} 6`))).toContain('评分须为 1–5 的整数，收到「6」');
    expect(textOf(await command(`/csat ${code} 很好`))).toContain('评分须为 1–5 的整数');
    expect(textOf(await command(`/csat ${code}`))).toContain('评分须为 1–5 的整数，收到「（空）」');
    expect(textOf(await command('/csat 5 满意'))).toContain('请提供工单号');
    expect(await rowCounts()).toEqual(before);

    // The lead records an unhappy answer: reopened exactly like a customer's 2, and the leads are told.
    expect(textOf(await command(`/csat ${code} 2 还是不会开`, LEAD))).toContain('客户不满意，工单已重开');
    expect(await ticketByCode(code)).toMatchObject({ status: 'reopened', csatScore: 2, csatVia: 'phone', reopenCount: 1 });
    await t.services.outbox.wake();
    expect(group.texts().some((r) => String(r.payload.text).includes(`电话回访：客户对工单 ${code} 的处理不满意（2 分）`))).toBe(true);

    // Resolved again; the customer answers on their private page; an agent's /csat can no longer overwrite it.
    await t.desk.act({ ticket: code, actor: AGENT, viaAgentGroup: true, action: 'respond', text: '已发送开票操作视频。' });
    await t.desk.act({ ticket: code, actor: AGENT, viaAgentGroup: true, action: 'resolve' });
    const ticket = await ticketByCode(code);
    const res = await t.app.request(`/t/${ticket.accessToken}/survey`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ score: 4, comment: '这次清楚了' }),
    });
    expect(res.status).toBe(200);
    expect(await ticketByCode(code)).toMatchObject({ status: 'closed', csatScore: 4, csatVia: 'customer' });
    const after = await rowCounts();
    expect(textOf(await command(`/csat ${code} 5 满意`))).toContain('客户已评价（4 分），不能再录入回访');
    expect(await rowCounts()).toEqual(after);
  });

  it('SMS through the outbox: a provider fault is retried, a bad number is a dead letter the agents hear about', async () => {
    await t.services.outbox.wake(); // nothing of the earlier tests left to send
    // Both faults are answered to the acknowledgement's first two attempts (the command's commit wakes the worker).
    sms.fail({ status: 500, code: 'isp.SYSTEM_ERROR', message: '系统异常' }, { code: 'isv.BUSINESS_LIMIT_CONTROL', message: '触发流控' });
    const before = sms.sent.length;
    const created = await command('/new 电话 钱先生 13600136000 产品故障 APP 打不开');
    const code = /FB-\d{8}-\d{4}/.exec(textOf(created))![0];
    const ticket = await ticketByCode(code);
    await t.services.outbox.wake();
    const [ack] = await t.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.ticketId, ticket.id), eq(outbox.kind, 'customer.text')));
    expect(ack).toMatchObject({ channel: 'contact', status: 'pending', attempts: 1 });
    expect(ack.lastError).toContain('isp.SYSTEM_ERROR');
    t.clock.advance(1);
    await t.services.outbox.wake();
    expect((await t.db.select().from(outbox).where(eq(outbox.id, ack.id)))[0].lastError).toContain('isv.BUSINESS_LIMIT_CONTROL');
    t.clock.advance(1);
    await t.services.outbox.wake();
    const [sent] = await t.db.select().from(outbox).where(eq(outbox.id, ack.id));
    expect(sent).toMatchObject({ status: 'sent', attempts: 3 });
    expect(sms.sent.length - before).toBe(1);

    sms.fail({ code: 'isv.MOBILE_NUMBER_ILLEGAL', message: '非法手机号' });
    await t.desk.act({ ticket: code, actor: AGENT, viaAgentGroup: true, action: 'claim' });
    await t.desk.act({ ticket: code, actor: AGENT, viaAgentGroup: true, action: 'respond', text: '请更新到最新版本后重试。' });
    await t.services.outbox.wake();
    const [reply] = await t.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.ticketId, ticket.id), eq(outbox.kind, 'customer.text'), eq(outbox.status, 'dead')));
    expect(reply.lastError).toContain('isv.MOBILE_NUMBER_ILLEGAL');
    expect(reply.attempts).toBe(1);
    expect(group.texts().some((r) => String(r.payload.text).startsWith(`⚠️ 工单 ${code} 的消息无法送达客户`))).toBe(true);
    expect((await eventsOf(ticket.id)).some((e) => e.type === 'delivery_failed')).toBe(true);
    expect((await t.services.deliveryContext.ticketView(ticket.id)).callCustomer).toBe(true);
  });

  it('a landline cannot get SMS: 「请电话联系客户」 on the card, and the survey falls to a phone call', async () => {
    const created = await command('/new 信函 孙先生 021-12345678 投诉 来信反映客服态度差');
    expect(textOf(created)).toContain('请电话联系客户');
    const code = /FB-\d{8}-\d{4}/.exec(textOf(created))![0];
    const ticket = await ticketByCode(code);
    const before = sms.sent.length;
    await t.services.outbox.wake();
    expect(sms.sent.length).toBe(before);
    const [ack] = await t.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.ticketId, ticket.id), eq(outbox.kind, 'customer.text')));
    expect(ack.status).toBe('dead');
    expect(ack.lastError).toContain('请电话联系客户');
    expect((await t.services.deliveryContext.ticketView(ticket.id)).callCustomer).toBe(true);
    await t.desk.act({ ticket: code, actor: AGENT, viaAgentGroup: true, action: 'claim' });
    await t.desk.act({ ticket: code, actor: AGENT, viaAgentGroup: true, action: 'respond', text: '已致电孙先生致歉。' });
    await t.desk.act({ ticket: code, actor: AGENT, viaAgentGroup: true, action: 'resolve' });
    await t.services.outbox.wake();
    expect(group.texts().some((r) => String(r.payload.text).includes(`请电话回访客户，并用 /csat ${code} 评分 客户原话 记录结果`))).toBe(true);
    expect(textOf(await command(`/csat ${code} 4 电话沟通后表示理解`))).toContain('工单已归档');
  });
});

describe('the fake SMS API checks the SDK signature', () => {
  it('refuses a request signed with the wrong secret (SignatureDoesNotMatch → dead letter, nothing sent)', async () => {
    const sms = await startFakeAliyunSms(AK);
    const group = recordingChannel('feishu');
    const t = await createTestDesk({
      env: smsEnv(sms, { ...AK, accessKeySecret: 'wrong-secret' }),
      channels: [createWebChannel, createContactChannel, group.factory],
    });
    try {
      await t.services.runCommand({ text: '/new 电话 周先生 13500135000 发票开错了', actor: AGENT, viaAgentGroup: true, surface: 'feishu' });
      await t.services.outbox.wake();
      expect(sms.sent).toHaveLength(0);
      expect(sms.requests).toEqual([{ action: 'SendSms', ok: false }]);
      const [ack] = await t.db.select().from(outbox).where(eq(outbox.kind, 'customer.text'));
      expect(ack.status).toBe('dead');
      expect(ack.lastError).toContain('SignatureDoesNotMatch');
    } finally {
      await t.close();
      await sms.close();
    }
  });
});
