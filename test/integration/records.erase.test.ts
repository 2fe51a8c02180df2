import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { parseConfig } from '../../src/config.ts';
import { ERASED_TEXT } from '../../src/core/hash.ts';
import { customers, messages, outbox, ticketEvents, tickets } from '../../src/db/schema/index.ts';
import { buildCase } from '../../src/reports/case.ts';
import { statsDeps } from '../../src/reports/commands.ts';
import { reportCommands } from '../../src/reports/cli.ts';
import { evidenceDeps } from '../../src/records/anchor.ts';
import { customerCommand, retentionCommand } from '../../src/records/cli.ts';
import { sealDay } from '../../src/records/seal.ts';
import { verifyRecords } from '../../src/records/verify.ts';
import { dbKinds } from '../helpers/db.ts';
import { recordingChannel } from '../helpers/recording-channel.ts';
import { createTestDesk, TEST_ADMIN_TOKEN, type TestDesk } from '../helpers/services.ts';

const AGENT = { platform: 'feishu', userId: 'ou_wang', name: '王五' };
const PERSONAL = ['张三', '13812345678', 'APP 登录后闪退', '已定位问题', '很快，谢谢', 'crash.png'];

async function closedTicket(t: TestDesk, at: string, who: { id: string; name?: string; phone?: string }, text: string, reply: string, comment?: string) {
  t.clock.set(at);
  const r = await t.desk.intake({
    channel: 'web',
    dedupeKey: `${who.id}-${at}`,
    customer: { externalId: who.id, name: who.name, phone: who.phone },
    replyTo: { visitor: who.id },
    text,
    attachments: [{ kind: 'image', name: 'crash.png', ref: 'img_crash_001' }],
    category: 'bug',
  });
  await t.desk.act({ ticket: r.code, actor: AGENT, viaAgentGroup: true, action: 'respond', text: reply });
  await t.desk.act({ ticket: r.code, actor: AGENT, viaAgentGroup: true, action: 'resolve', text: undefined });
  await t.desk.answerSurvey({ ticket: r.code, channel: 'web', customerExternalId: who.id, score: 5, comment });
  await t.services.outbox.wake();
  return r.code;
}

const cli = async (t: TestDesk, run: typeof customerCommand, argv: string[]) => {
  const lines: string[] = [];
  const code = await run(argv, { services: t.services, out: (x) => void lines.push(x), cwd: '.' });
  return { code, text: lines.join('\n') };
};

describe.each(dbKinds)('personal-data rights on %s', (kind) => {
  let t: TestDesk;
  let A: string;
  let B: string;
  beforeEach(async () => {
    t = await createTestDesk({
      kind,
      env: { EVIDENCE_KEY: 'evidence-key-0123456789abcdef' },
      channels: [recordingChannel('feishu').factory],
      config: { roles: { agents: [AGENT], leads: [], admins: [] }, privacy: { retentionMonths: 6 } },
    });
    A = await closedTicket(
      t,
      '2026-03-02T10:00:00+08:00',
      { id: 'v-a', name: '张三', phone: '13812345678' },
      'APP 登录后闪退，报错 500',
      '已定位问题，今天下午发布修复。',
      '很快，谢谢',
    );
    B = await closedTicket(t, '2026-03-02T11:00:00+08:00', { id: 'v-b', name: '李四', phone: '13900001111' }, '退款迟迟不到账', '退款已提交。');
    t.clock.set('2026-03-03T09:00:00+08:00');
    await sealDay(evidenceDeps(t.services));
  });
  afterEach(() => t.close());

  it('exports everything held about one customer, as JSON and as a document', async () => {
    const md = await cli(t, customerCommand, ['export', '13812345678']);
    expect(md.code).toBe(0);
    expect(md.text).toContain('# 个人信息副本：客户 #');
    expect(md.text).toContain('APP 登录后闪退');
    const json = JSON.parse((await cli(t, customerCommand, ['export', '13812345678', '--json'])).text);
    expect(json.customer).toMatchObject({ name: '张三', phone: '13812345678' });
    expect(json.tickets).toHaveLength(1);
    expect(json.tickets[0].messages.map((m: { body: string }) => m.body)).toEqual(['APP 登录后闪退，报错 500', '已定位问题，今天下午发布修复。']);
  });

  it('erases one customer everywhere; the chain still verifies, the ledger row stays, a later edit is still caught', async () => {
    const before = await t.db.select().from(tickets).where(eq(tickets.code, A));
    const r = await cli(t, customerCommand, ['erase', '13812345678', '--reason', '客户 2026-03-10 来电申请删除']);
    expect(r.code).toBe(0);
    expect(r.text).toContain(`1 张工单（${A}）`);

    const v = await verifyRecords(evidenceDeps(t.services));
    expect(v.findings).toEqual([]);
    // The ledger keeps the row, its times and its score, with the data replaced.
    const [after] = await t.db.select().from(tickets).where(eq(tickets.code, A));
    expect(after).toMatchObject({ subject: ERASED_TEXT, csatScore: 5, csatComment: ERASED_TEXT, status: 'closed', evidenceSalt: null });
    expect(after.firstResponseAt).toEqual(before[0].firstResponseAt);
    expect(after.closedAt).toEqual(before[0].closedAt);
    // The ledger row keeps its numbers, with the data replaced.
    const dir = mkdtempSync(join(tmpdir(), 'erase-ledger-'));
    expect(
      await reportCommands.ledger(['--from', '2026-03-01', '--to', '2026-03-31', '--out', 'l.csv', '--csv'], { services: t.services, out: () => {}, cwd: dir }),
    ).toBe(0);
    const row = readFileSync(join(dir, 'l.csv'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith(A))!;
    rmSync(dir, { recursive: true, force: true });
    expect(row).toContain(`${ERASED_TEXT},`);
    expect(row).not.toContain('张');
    expect(row).toMatch(/,5,/);
    const doc = (await buildCase(statsDeps(t.services), A))!;
    expect(doc.chain.intact).toBe(true);
    expect(doc.timeline.at(-1)).toMatchObject({ type: 'erased' });

    // Nothing personal is left anywhere: export, messages, events, outbox, customer record.
    const exported = (await cli(t, customerCommand, ['export', String(after.customerId), '--json'])).text;
    const everywhere = [
      exported,
      JSON.stringify(await t.db.select().from(messages).where(eq(messages.ticketId, after.id))),
      JSON.stringify(await t.db.select().from(ticketEvents).where(eq(ticketEvents.ticketId, after.id))),
      JSON.stringify(await t.db.select().from(outbox)),
      JSON.stringify(await t.db.select().from(customers).where(eq(customers.id, after.customerId))),
    ].join('\n');
    for (const p of PERSONAL) expect(everywhere).not.toContain(p);
    expect(exported).toContain(ERASED_TEXT);
    // B's customer is untouched.
    expect((await cli(t, customerCommand, ['export', '13900001111'])).text).toContain('退款迟迟不到账');

    // A second request changes nothing.
    const events = (await t.db.select().from(ticketEvents)).length;
    expect((await cli(t, customerCommand, ['erase', String(after.customerId), '--reason', '重复申请'])).text).toContain('此前已删除，未做任何改动');
    expect(await t.db.select().from(ticketEvents)).toHaveLength(events);

    // Tampering after the erasure is still detected.
    await t.db.update(tickets).set({ csatScore: 2 }).where(eq(tickets.id, after.id));
    await t.db.update(messages).set({ body: '我很满意' }).where(sql`${messages.ticketId} = ${after.id} and ${messages.direction} = 'in'`);
    const v2 = await verifyRecords(evidenceDeps(t.services));
    const mine = v2.findings
      .filter((f) => f.code === A)
      .map((f) => f.what)
      .join('\n');
    expect(mine).toContain('台账字段「满意度评分」为 2，事件日志为 5');
    expect(mine).toContain('在删除后被写入了内容');
  });

  it('refuses bad input with a clear message: unknown, ambiguous, missing reason, bad usage', async () => {
    expect(await cli(t, customerCommand, ['erase', '13000000000', '--reason', 'x'])).toEqual({
      code: 2,
      text: expect.stringContaining('找不到客户：13000000000'),
    });
    t.clock.set('2026-03-04T10:00:00+08:00');
    await t.desk.intake({
      channel: 'email',
      dedupeKey: 'mail-1',
      customer: { externalId: 'zhang@example.com', name: '张三', phone: '13812345678' },
      replyTo: {},
      text: '还有一个问题',
    });
    const ambiguous = await cli(t, customerCommand, ['erase', '13812345678', '--reason', '来电申请']);
    expect(ambiguous.code).toBe(64);
    expect(ambiguous.text).toMatch(/联系方式 13812345678 对应 2 位客户：#\d+（web）、#\d+（email）。请改用客户编号/);
    const noReason = await cli(t, customerCommand, ['erase', '13900001111']);
    expect(noReason).toEqual({ code: 64, text: expect.stringContaining('删除个人信息须注明原因') });
    expect((await cli(t, customerCommand, ['delete', 'x'])).code).toBe(64);
    // Nothing was erased by any of these.
    expect((await t.db.select().from(customers).where(sql`erased_at is not null`)).length).toBe(0);
  });

  it('over HTTP: only admins; a clear 4xx for bad input', async () => {
    const post = (body: unknown, token?: string) =>
      t.app.request('/api/customers/erase', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
    expect((await post({ key: '13812345678', reason: '申请删除' })).status).toBe(401);
    expect((await post({ key: '13812345678', reason: '申请删除' }, 'not-the-admin-token-000')).status).toBe(401);
    const missing = await post({ key: '13812345678' }, TEST_ADMIN_TOKEN);
    expect(missing.status).toBe(400);
    expect(JSON.stringify(await missing.json())).toContain('reason');
    const unknown = await post({ key: 'nobody@example.com', reason: '申请删除' }, TEST_ADMIN_TOKEN);
    expect(unknown.status).toBe(404);
    expect((await t.db.select().from(customers).where(sql`erased_at is not null`)).length).toBe(0);
    const ok = await post({ key: '13812345678', reason: '申请删除', by: '管理员' }, TEST_ADMIN_TOKEN);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ tickets: [A], alreadyErased: false });
    const exp = await t.app.request('/api/customers/export?key=13900001111&format=md', { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(await exp.text()).toContain('退款迟迟不到账');
  });

  it('retention erases only what is past the window; the dry run lists it and changes nothing', async () => {
    // A third ticket closed in August: inside the 6-month window on 2026-09-03, when A and B are past it.
    const C = await closedTicket(t, '2026-08-01T10:00:00+08:00', { id: 'v-c', name: '王五', phone: '13700002222' }, '发票抬头错了', '已重开发票。');
    t.clock.set('2026-09-03T10:00:00+08:00');
    const dry = await cli(t, retentionCommand, ['--dry-run']);
    expect(dry.text).toContain('共 2 张');
    expect(dry.text).toContain(A);
    expect(dry.text).not.toContain(C);
    expect((await t.db.select().from(tickets).where(eq(tickets.subject, ERASED_TEXT))).length).toBe(0);
    const run = await cli(t, retentionCommand, []);
    expect(run.text).toContain('已删除个人信息的客户 2 位');
    const subjects = Object.fromEntries((await t.db.select({ code: tickets.code, subject: tickets.subject }).from(tickets)).map((r) => [r.code, r.subject]));
    expect(subjects).toEqual({ [A]: ERASED_TEXT, [B]: ERASED_TEXT, [C]: '发票抬头错了' });
    expect((await verifyRecords(evidenceDeps(t.services))).findings).toEqual([]);
    // Run again: nothing more to do.
    expect((await cli(t, retentionCommand, [])).text).toContain('共 0 张');
  });

  it('refuses a retention shorter than the 6 months the review asks for', () => {
    expect(() => parseConfig({ privacy: { retentionMonths: 5 } })).toThrow(/不得少于 6 个月/);
    expect(parseConfig({}).privacy.retentionMonths).toBe(36);
  });
});
