/**
 * Named responsibility and the major complaint's story (issue 20, items 3–4), through the real desk on both
 * databases: the 台账 names 受理人 / 跟进人 / 回访方式 / 回访人 (XLSX read back with exceljs, and CSV), the escalation
 * event names the lead and the case report shows it, every exported file ends with 制表人 / 审核人 / 日期 / 盖章,
 * and the story sections written from the console form and the /story command print above the timeline. Refused
 * story input (unknown section, empty text, not an agent) writes nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ticketEvents, tickets } from '../../src/db/schema/index.ts';
import { sweepDueTimers } from '../../src/jobs/sweep.ts';
import { eraseCustomer } from '../../src/records/erase.ts';
import { runCommand } from '../../src/desk/commands.ts';
import { DeskError } from '../../src/desk/errors.ts';
import { writeAuditPack } from '../../src/reports/auditpack.ts';
import { buildCase } from '../../src/reports/case.ts';
import { statsDeps } from '../../src/reports/commands.ts';
import { LEDGER_SHEET_COLUMNS, writeLedgerCsv, writeLedgerXlsx } from '../../src/reports/ledger.ts';
import { mechanismMarkdown } from '../../src/reports/mechanism.ts';
import { rangeOfDays } from '../../src/reports/range.ts';
import { dbKinds } from '../helpers/db.ts';
import { addUser, cli, csrfFrom, formBody, loginWithLink, req, versionFrom, type Jar } from '../helpers/console-session.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';

const WANG = { platform: 'feishu', userId: 'ou_wang' }; // no name on the event: the config names him
const LIN = { platform: 'feishu', userId: 'ou_lin' };
const STRANGER = { platform: 'feishu', userId: 'ou_stranger', name: '路人' };
const config = {
  company: { name: '临港示例科技有限公司', nameEn: 'Example', reviewer: '陈审核' },
  roles: {
    agents: [
      { platform: 'feishu', userId: 'ou_wang', name: '王五' },
      { platform: 'feishu', userId: 'ou_lin', name: '小林' },
    ],
    leads: [{ platform: 'feishu', userId: 'ou_li', name: '李组长' }],
    admins: [{ platform: 'feishu', userId: 'ou_admin', name: '周管理' }],
  },
};
const SIGNED = (preparer: string) => ['制表人', preparer, '审核人', '陈审核', '日期', '2026 年 3 月 2 日', '盖章', ''];
const range = rangeOfDays('2026-03-01', '2026-03-31', 'Asia/Shanghai');
const sh = (local: string) => `2026-03-02T${local}:00+08:00`;

describe.each(dbKinds)('named responsibility and the case story on %s', (kind) => {
  let t: TestDesk;
  let dir: string;
  let lead: Jar;
  const codes = { web: '', phone: '', major: '' };

  const events = async (code: string) => {
    const [row] = await t.db
      .select({ n: sql<number>`count(*)::int` })
      .from(ticketEvents)
      .innerJoin(tickets, eq(tickets.id, ticketEvents.ticketId))
      .where(eq(tickets.code, code));
    return Number(row.n);
  };
  const say = (text: string, actor: { platform: string; userId: string; name?: string } = WANG) =>
    runCommand(t.services, { text, actor, viaAgentGroup: true, surface: 'feishu' });
  const act = async (at: string, code: string, action: 'respond' | 'resolve' | 'escalate', actor = WANG, text?: string) => {
    t.clock.set(sh(at));
    await t.desk.act({ ticket: code, actor, viaAgentGroup: true, action, text });
  };

  beforeAll(async () => {
    t = await createTestDesk({ kind, config, now: sh('09:00') });
    dir = mkdtempSync(join(tmpdir(), 'responsibility-'));
    // A self-service web ticket, answered by the customer's own survey.
    codes.web = (
      await t.desk.intake({
        channel: 'web',
        dedupeKey: 'w1',
        customer: { externalId: 'v-w', name: '张三' },
        replyTo: { visitor: 'v-w' },
        text: 'APP 登录后闪退',
      })
    ).code;
    await act('09:10', codes.web, 'respond', WANG, '已定位，今天修复。');
    await act('09:20', codes.web, 'resolve');
    await t.desk.answerSurvey({ ticket: codes.web, channel: 'web', customerExternalId: 'v-w', score: 5 });
    // A phone call 小林 typed in, followed up by phone by 小林.
    t.clock.set(sh('09:30'));
    codes.phone = (
      await t.desk.openRecordedTicket({ channel: 'phone', name: '李女士', contact: '13900001111', text: '发票开错了抬头', actor: LIN, viaAgentGroup: true })
    ).code;
    await act('09:40', codes.phone, 'respond', LIN, '已重开发票。');
    await act('09:50', codes.phone, 'resolve', LIN);
    t.clock.set(sh('10:00'));
    await t.desk.recordFollowUp({ ticket: codes.phone, actor: LIN, viaAgentGroup: true, score: 5, comment: '满意' });
    // A major complaint, escalated to the lead.
    t.clock.set(sh('10:10'));
    codes.major = (
      await t.desk.intake({
        channel: 'web',
        dedupeKey: 'm1',
        customer: { externalId: 'v-m', name: '赵六' },
        replyTo: { visitor: 'v-m' },
        text: '扣了我的钱却没有开通服务，再不处理我就去工信部投诉',
      })
    ).code;
    await act('10:20', codes.major, 'escalate', WANG, '涉及退款审批');
    lead = await loginWithLink(t.app, await addUser(t.services, '赵主管', 'lead'));
    t.clock.set(sh('10:30'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t?.close();
  });

  it('the escalation is an event naming the lead, and the case report shows it', async () => {
    const [row] = await t.db
      .select()
      .from(ticketEvents)
      .innerJoin(tickets, eq(tickets.id, ticketEvents.ticketId))
      .where(sql`${tickets.code} = ${codes.major} and ${ticketEvents.type} = 'escalated'`);
    expect(row.ticket_events.data).toMatchObject({ leads: ['李组长'], reason: '涉及退款审批' });
    const doc = (await buildCase(statsDeps(t.services), codes.major))!;
    expect(doc.timeline.find((e) => e.type === 'escalated')).toMatchObject({ actor: '王五（飞书）', detail: '升级给负责人 李组长，原因：涉及退款审批' });
    expect(doc.summary).toContainEqual(['升级', expect.stringContaining('由 王五 升级给负责人 李组长')]);
    expect(doc.markdown).toContain('升级给负责人 李组长');
    expect(doc.html).toContain('升级给负责人 李组长');
  });

  it('story: the /story command and the console form each save a section as an event; refusals write nothing', async () => {
    const before = await events(codes.major);
    const typed = await say(`/story ${codes.major} 原因分析 计费系统开通任务失败，未自动退款`);
    expect(typed).toEqual({ kind: 'text', text: `${codes.major}：已保存「原因分析」，将列入处理记录（重大投诉报告）` });
    expect(await events(codes.major)).toBe(before + 1);
    // A re-delivered command changes nothing.
    expect(await say(`/story ${codes.major} 原因分析 计费系统开通任务失败，未自动退款`)).toMatchObject({ text: expect.stringContaining('未重复保存') });
    // Refused: unknown section, empty text, someone who is not an agent (command and desk alike).
    expect(await say(`/story ${codes.major} 心得体会 写点什么`)).toMatchObject({ text: expect.stringContaining('未知栏目「心得体会」') });
    expect(await say(`/story ${codes.major} 处理措施`)).toMatchObject({ text: expect.stringContaining('请写上「处理措施」的内容') });
    expect(await say(`/story ${codes.major} 处理措施 退款`, STRANGER)).toEqual({ kind: 'text', text: '只有客服成员可以使用命令。' });
    await expect(t.desk.writeStory({ ticket: codes.major, actor: STRANGER, viaAgentGroup: false, section: '处理措施', text: '退款' })).rejects.toThrow(
      DeskError,
    );
    await expect(t.desk.writeStory({ ticket: codes.major, actor: WANG, viaAgentGroup: true, section: '处理措施', text: '长'.repeat(5001) })).rejects.toThrow(
      '内容过长：5001 个字符，最多 5000 个',
    );
    expect(await events(codes.major)).toBe(before + 1);

    // The console form (a lead's local account): session, CSRF and the ticket version, like every action form.
    const page = await req(t.app, lead, `/console/tickets/${codes.major}`);
    const html = await page.text();
    expect(html).toContain('处理经过与结果（1/6 已填写）');
    const form = { csrf: csrfFrom(html), version: versionFrom(html) };
    const empty = await req(t.app, lead, `/console/tickets/${codes.major}/story`, formBody({ ...form, section: 'measures', text: '  ' }));
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('未保存：请写上「处理措施」的内容');
    const noCsrf = await req(t.app, lead, `/console/tickets/${codes.major}/story`, formBody({ ...form, csrf: 'x', section: 'measures', text: '退款' }));
    expect(noCsrf.status).toBe(403);
    const unknown = await req(t.app, lead, `/console/tickets/${codes.major}/story`, formBody({ ...form, section: 'lessons', text: '退款' }));
    expect(unknown.status).toBe(400);
    expect(await events(codes.major)).toBe(before + 1);
    const saved = await req(t.app, lead, `/console/tickets/${codes.major}/story`, formBody({ ...form, section: 'measures', text: '当日全额退款并补开通服务' }));
    expect(saved.status).toBe(303);
    // The same form again is stale (the ticket moved on): refused, nothing written.
    const stale = await req(t.app, lead, `/console/tickets/${codes.major}/story`, formBody({ ...form, section: 'opinion', text: '客户表示满意' }));
    expect(stale.status).toBe(409);
    expect(await events(codes.major)).toBe(before + 2);
    const after = await (await req(t.app, lead, `/console/tickets/${codes.major}?done=story`)).text();
    expect(after).toContain('已保存到处理记录');
    expect(after).toContain('当日全额退款并补开通服务');
    // The page prints as the case report, and the written description as a document: both signed by the viewer.
    expect(after).toContain('<p>制表人：赵主管</p><p>审核人：陈审核</p><p>日期：2026 年 3 月 2 日</p><p>盖章：</p>');
    expect(await (await req(t.app, lead, '/console/settings')).text()).toContain('<p>制表人：赵主管</p><p>审核人：陈审核</p>');
  });

  it('the case report prints the story above the timeline (未填写 for the empty ones) and ends with the sign-off', async () => {
    const doc = (await buildCase(statsDeps(t.services), codes.major, { by: '王五' }))!;
    const md = doc.markdown;
    expect(md).toContain('### 原因分析\n\n计费系统开通任务失败，未自动退款\n\n（王五 填写于 2026-03-02 10:30:00）');
    expect(md).toContain('### 处理措施\n\n当日全额退款并补开通服务\n\n（赵主管 填写于');
    expect(md).toContain('### 事件经过\n\n未填写');
    expect(md).toContain('### 整改措施\n\n未填写');
    expect(md.indexOf('## 处理经过与结果')).toBeLessThan(md.indexOf('| # | 时间 | 操作人 | 事件 | 内容 |'));
    expect(md.trimEnd().split('\n').filter(Boolean).slice(-4)).toEqual(['制表人：王五', '审核人：陈审核', '日期：2026 年 3 月 2 日', '盖章：']);
    expect(doc.html.indexOf('<h2>处理经过与结果</h2>')).toBeLessThan(doc.html.indexOf('处理时间线'));
    expect(doc.html).toContain('<p>制表人：王五</p><p>审核人：陈审核</p><p>日期：2026 年 3 月 2 日</p>');
    // The chat's /case: 制表人 is the person who typed it, by name, never the platform id.
    const reply = await say(`/case ${codes.major}`, LIN);
    expect(reply.kind === 'markdown' && reply.markdown).toContain('制表人：小林');
    expect(JSON.stringify(reply)).not.toContain('ou_');
    // An ordinary ticket nobody wrote a story for has no story section.
    expect((await buildCase(statsDeps(t.services), codes.web))!.markdown).not.toContain('处理经过与结果');
  });

  it('台账 XLSX: 受理人, 跟进人, 回访方式, 回访人 by name; sign-off under 台账 and 说明; chain check apart in 重大投诉', async () => {
    const path = join(dir, 'ledger.xlsx');
    await writeLedgerXlsx(statsDeps(t.services), range, path, { by: '张制表' });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(path);
    const rows = (name: string) => {
      const out: unknown[][] = [];
      wb.getWorksheet(name)!.eachRow({ includeEmpty: true }, (r) => out.push((r.values as unknown[]).slice(1)));
      return out;
    };
    const ledger = rows('台账');
    const headers = LEDGER_SHEET_COLUMNS.map((c) => c.header);
    expect(ledger[0]).toEqual(headers);
    expect(headers).toEqual(expect.arrayContaining(['受理人', '跟进人（处理人）', '回访方式', '回访人']));
    const cell = (code: string, h: string) => ledger.find((r) => r[0] === code)![headers.indexOf(h)] ?? null;
    const who = (code: string) => ['受理人', '跟进人（处理人）', '回访方式', '回访人'].map((h) => cell(code, h));
    expect(who(codes.web)).toEqual(['系统自动受理', '王五', '系统问卷', '系统自动发送']);
    expect(who(codes.phone)).toEqual(['小林', '小林', '电话', '小林']);
    expect(who(codes.major)).toEqual(['系统自动受理', '未分配', null, null]);
    expect(JSON.stringify(ledger)).not.toMatch(/ou_|agent:/);
    // The 回访记录 sheet words each survey the same way.
    const surveys = rows('回访记录');
    expect(surveys.find((r) => r[0] === codes.phone)!.slice(9, 11)).toEqual(['电话', '小林']);
    expect(surveys.find((r) => r[0] === codes.web)!.slice(9, 11)).toEqual(['系统问卷', '系统自动发送']);
    // Sign-off: the last rows of 台账 and of 说明.
    for (const sheet of ['台账', '说明'])
      expect(
        rows(sheet)
          .slice(-4)
          .flatMap((r) => [r[0], r[1] ?? '']),
      ).toEqual(SIGNED('张制表'));
    expect(rows('说明').find((r) => r[0] === '受理人')?.[1]).toContain('系统自动受理');
    // 重大投诉: the event rows are the case's events only; the chain check is its own block below them.
    const major = rows('重大投诉');
    const blank = major.findIndex((r) => r.length === 0 || r.every((v) => v === null || v === undefined));
    expect(major.slice(1, blank).every((r) => r[0] === codes.major && typeof r[1] === 'number')).toBe(true);
    expect(major.slice(1, blank).map((r) => r[4])).not.toContain('哈希链校验');
    expect(major.slice(1, blank).map((r) => r[4])).toEqual(expect.arrayContaining(['升级', '填写处理记述']));
    expect(major[blank + 1][0]).toBe('哈希链校验');
    expect(major[blank + 3].slice(0, 4)).toEqual([codes.major, await events(codes.major), undefined, '完整']);
  });

  it('台账 CSV (CLI --by, and the console download by its user) ends with the sign-off lines', async () => {
    const path = join(dir, 'ledger.csv');
    const run = await cli(t.services, 'ledger', '--from', '2026-03-01', '--to', '2026-03-31', '--out', path, '--csv', '--by', '刘制表');
    expect(run.code).toBe(0);
    const lines = readFileSync(path, 'utf8')
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    // The first line may say the month is not over (range.ts); the header is the first line that starts with 工单号.
    const headers = lines.find((l) => l.startsWith('工单号,'))!.split(',');
    expect(headers).toEqual(LEDGER_SHEET_COLUMNS.map((c) => c.header));
    const phone = lines.find((l) => l.startsWith(codes.phone))!.split(',');
    expect(['受理人', '回访方式', '回访人'].map((h) => phone[headers.indexOf(h)])).toEqual(['小林', '电话', '小林']);
    expect(lines.slice(-5)).toEqual(['', '制表人,刘制表', '审核人,陈审核', '日期,2026 年 3 月 2 日', '盖章,']);

    const page = await (await req(t.app, lead, '/console/ledger?from=2026-03-01&to=2026-03-31')).text();
    const res = await req(t.app, lead, '/console/ledger/download', formBody({ csrf: csrfFrom(page), from: '2026-03-01', to: '2026-03-31', format: 'csv' }));
    expect(res.status).toBe(200);
    expect((await res.text()).trimEnd().split('\r\n').slice(-4)[0]).toBe('制表人,赵主管');
    // Through the desk directly, without a name anywhere: a line to sign by hand, never an id.
    const out = join(dir, 'unsigned.csv');
    await writeLedgerCsv(statsDeps(t.services), range, out);
    expect(readFileSync(out, 'utf8')).toContain('制表人,＿＿＿＿＿＿＿＿');
  });

  it('/ledger in the group: 制表人 is the person who typed it', async () => {
    const reply = await say('/ledger 2026-03-01 2026-03-31');
    expect(reply.kind).toBe('file');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile((reply as { path: string }).path);
    const last: unknown[][] = [];
    wb.getWorksheet('台账')!.eachRow((r) => last.push((r.values as unknown[]).slice(1)));
    expect(last.slice(-4).flatMap((r) => [r[0], r[1] ?? ''])).toEqual(SIGNED('王五'));
  });

  it('every file of the audit pack ends with the sign-off, the manifest included', async () => {
    const path = join(dir, 'pack.zip');
    const deps = { ...statsDeps(t.services), channels: ['web'] };
    await writeAuditPack(deps, range, path, { by: '王五', readiness: [] });
    const files = unzipSync(new Uint8Array(readFileSync(path)));
    const ending = ['制表人：王五', '审核人：陈审核', '日期：2026 年 3 月 2 日', '盖章：'];
    const checked: string[] = [];
    for (const [name, bytes] of Object.entries(files)) {
      const text = () => strFromU8(bytes).replace(/^\uFEFF/, '');
      const tail = (sep: string) =>
        text()
          .trimEnd()
          .split(/\r?\n/)
          .filter(Boolean)
          .slice(-4)
          .map((l) => l.replace(',', sep));
      if (name.endsWith('.md') || name.endsWith('.txt')) expect([name, tail('：')]).toEqual([name, ending]);
      else if (name.endsWith('.csv')) expect([name, tail('：')]).toEqual([name, ending]);
      else if (name.endsWith('.html')) expect(text()).toMatch(/<p>制表人：王五<\/p><p>审核人：陈审核<\/p><p>日期：2026 年 3 月 2 日<\/p>\s*<p>盖章：<\/p>/);
      else if (name.endsWith('.json')) {
        const json = JSON.parse(text());
        expect([name, Object.keys(json).at(-1), json['签字']]).toEqual([
          name,
          '签字',
          { 制表人: '王五', 审核人: '陈审核', 日期: '2026 年 3 月 2 日', 盖章: '' },
        ]);
      } else if (name.endsWith('.docx')) {
        const xml = strFromU8(unzipSync(bytes)['word/document.xml']);
        for (const line of ['制表人：王五', '审核人：陈审核', '日期：2026 年 3 月 2 日', '临港示例科技有限公司（盖章）']) expect(xml).toContain(line);
      } else if (name.endsWith('.xlsx')) {
        const wb = new ExcelJS.Workbook();
        await wb.xlsx.load(Buffer.from(bytes) as never);
        const last: unknown[][] = [];
        wb.getWorksheet('说明')!.eachRow((r) => last.push((r.values as unknown[]).slice(1)));
        expect(last.slice(-4).flatMap((r) => [r[0], r[1] ?? ''])).toEqual(SIGNED('王五'));
      } else continue;
      checked.push(name);
    }
    expect(checked).toEqual(
      expect.arrayContaining([
        'manifest.json',
        '事件日志链头.csv',
        '存证根.csv',
        '渠道拨测记录.csv',
        '预审自检.md',
        '事件日志校验报告.md',
        '客户反馈处理机制说明.docx',
        `重大投诉/${codes.major}.md`,
        `重大投诉/${codes.major}.html`,
      ]),
    );
    // The signed chain-heads file is still the one the manifest's digest names.
    const manifest = JSON.parse(strFromU8(files['manifest.json']));
    expect(manifest.eventLog.chainHeadsSha256).toBe(createHash('sha256').update(files['事件日志链头.csv']).digest('hex'));
  });

  it('the mechanism description and the CLI stats text end with the sign-off (config preparer when nobody is named)', async () => {
    const md = await mechanismMarkdown({ ...statsDeps(t.services), channels: ['web'] }, range, { by: '王五' });
    expect(md.trimEnd().split('\n').filter(Boolean).slice(-4)).toEqual(['制表人：王五', '审核人：陈审核', '日期：2026 年 3 月 2 日', '盖章：']);
    const stats = await cli(t.services, 'stats', '2026-03', '--by', '刘制表');
    expect(stats.lines.filter(Boolean).slice(-4)).toEqual(['制表人：刘制表', '审核人：陈审核', '日期：2026 年 3 月 2 日', '盖章：']);
  });

  it('the SLA ladder’s step to the leads names them too (last: it moves the clock)', async () => {
    t.clock.set(sh('16:00')); // the unanswered major complaint is past its first-response promise by more than 30 minutes
    await sweepDueTimers(t.desk.deps);
    const doc = (await buildCase(statsDeps(t.services), codes.major))!;
    const step = doc.timeline.find((e) => e.type === 'sla_escalated' && e.detail.includes('负责人'));
    expect(step?.detail).toMatch(/^首次响应，时限 2026-03-02 \d\d:\d\d:00，已通知负责人 李组长$/);
    expect(doc.markdown).not.toMatch(/已通知 ?leads/);
  });

  it('erasing the customer on request removes the story texts and keeps the chain intact (last)', async () => {
    const [row] = await t.db.select({ customerId: tickets.customerId }).from(tickets).where(eq(tickets.code, codes.major));
    await eraseCustomer(t.db, t.clock.now(), { key: String(row.customerId), reason: '客户来电申请删除', actor: 'cli' });
    const doc = (await buildCase(statsDeps(t.services), codes.major))!;
    expect(doc.chain.intact).toBe(true);
    expect(doc.story!.filter((s) => s.text !== null).map((s) => s.text)).toEqual(['已依申请删除', '已依申请删除']);
    expect(doc.markdown).not.toContain('计费系统开通任务失败');
  });
});
