/**
 * Issue 20, "done when": the audit pack of a month with a complaint planted to 通管局, a survey nobody answered and
 * earlier months imported from the company's old ledger. Read as a strict reviewer would: nothing in English or
 * developer words in any file, the planted complaint a 投诉 under the major promise with its story and the lead named,
 * the silence closed only after a named person's failed calls, the imported months marked as such, and a name in
 * every responsibility column of every row.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/commands.ts';
import { sweepDueTimers } from '../../src/jobs/sweep.ts';
import { dbKinds } from '../helpers/db.ts';
import { scanFiles, scanText } from '../helpers/reviewer-words.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';

const AGENT = { platform: 'feishu' as const, userId: 'ou_rm_agent', name: '小林' };
const LEAD = { platform: 'feishu' as const, userId: 'ou_rm_lead', name: '陈主管' };
const SAMPLE = new URL('../../docs/import-ledger-sample.csv', import.meta.url);
/** What customers (and the old ledger) wrote: quoted as evidence, exempt from the words scan. */
const QUOTED = ['App 登录后白屏，重装无效', '再不处理我就向通管局反映，你们乱扣费', 'APP 更新后打不开'];
/** The old ledger's own numbers (原编号), kept as the company wrote them. */
const ORIGINAL_CODES = ['KF-2608-001', 'KF-2608-002', 'KF-2609-001', 'KF-2610-003', 'KF-2611-002'];
const cst = (local: string) => new Date(`${local}+08:00`);

describe.each(dbKinds)('a strict reviewer reads a month on %s', (kind) => {
  let t: TestDesk;
  let dir: string;
  let pack: Record<string, Uint8Array>;
  const codes = { planted: '', silent: '' };
  const cli = async (...argv: string[]) => {
    const lines: string[] = [];
    const code = await runCli(argv, { services: t.services, out: (s) => void lines.push(s), cwd: dir });
    return { code, text: lines.join('\n') };
  };
  const act = (ticket: string, action: 'claim' | 'respond' | 'resolve' | 'escalate', text?: string) =>
    t.desk.act({ ticket, actor: AGENT, viaAgentGroup: true, action, text });

  beforeAll(async () => {
    t = await createTestDesk({
      kind,
      now: cst('2026-12-01T09:00:00').toISOString(),
      config: {
        company: { name: '临港某科技有限公司', reviewer: '陈审核', preparer: '王五' },
        roles: { agents: [AGENT], leads: [LEAD], admins: [] },
      },
    });
    dir = mkdtempSync(join(tmpdir(), 'reviewer-month-'));
    // The four months before go-live, from the old spreadsheet.
    expect((await cli('import-ledger', new URL(SAMPLE).pathname, '--by', '周会计')).code).toBe(0);

    // A complaint planted to 通管局: a 投诉 under the major promise, escalated to the lead, its story written.
    const planted = await t.desk.intake({
      channel: 'web',
      dedupeKey: 'rm-1',
      customer: { externalId: 'v-rm1', name: '钱先生' },
      replyTo: { visitor: 'v-rm1' },
      text: QUOTED[1],
    });
    codes.planted = planted.code;
    t.clock.set(cst('2026-12-01T09:20:00'));
    await act(planted.code, 'claim');
    await act(planted.code, 'respond', '您好，已核实重复扣费，正在为您退款。');
    await act(planted.code, 'escalate', '客户提到通管局');
    for (const [section, text] of [
      ['事件经过', '客户 12 月 1 日反映被重复扣费，并表示要向通管局反映。'],
      ['原因分析', '支付回调重试导致同一订单扣费两次。'],
      ['处理措施', '当日核实并退款，回调改为幂等处理。'],
      ['赔付/退款结果', '已全额退还重复扣除的 30 元。'],
      ['客户最终意见', '客户表示接受。'],
      ['整改措施', '支付回调增加幂等校验，上线前回归测试覆盖重试场景。'],
    ]) {
      await t.desk.writeStory({ ticket: planted.code, actor: AGENT, viaAgentGroup: true, section, text });
    }
    await act(planted.code, 'resolve');

    // A customer who never answers the survey: a named person calls three times, only then 未评价.
    t.clock.set(cst('2026-12-01T10:00:00'));
    const silent = await t.desk.intake({
      channel: 'web',
      dedupeKey: 'rm-2',
      customer: { externalId: 'v-rm2', name: '孙女士' },
      replyTo: { visitor: 'v-rm2' },
      text: QUOTED[2],
    });
    codes.silent = silent.code;
    await act(silent.code, 'claim');
    await act(silent.code, 'respond', '已修复，请更新到最新版本。');
    await act(silent.code, 'resolve');
    for (const day of ['2026-12-02T10:00:00', '2026-12-05T10:00:00']) {
      t.clock.set(cst(day));
      await sweepDueTimers(t.desk.deps);
    }
    for (const [i, result] of ['未接通', '拒接', '未接通'].entries()) {
      t.clock.set(cst(`2026-12-0${7 + i}T10:00:00`));
      await t.desk.recordFollowUpAttempt({ ticket: silent.code, actor: AGENT, viaAgentGroup: true, means: '电话', result });
    }

    t.clock.set(cst('2026-12-10T10:00:00'));
    expect((await cli('audit-pack', '--from', '2026-08', '--to', '2026-12', '--out', 'pack.zip', '--by', '王五')).code).toBe(0);
    pack = unzipSync(new Uint8Array(readFileSync(join(dir, 'pack.zip'))));
  }, 240_000);
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t?.close();
  });

  it('finds no English or developer words in any file of the pack', async () => {
    const findings = await scanFiles(Object.fromEntries(Object.entries(pack).filter(([n]) => n !== 'manifest.json')), [...QUOTED, ...ORIGINAL_CODES]);
    const manifest = JSON.parse(strFromU8(pack['manifest.json']));
    findings.push(...scanText('manifest.json labels', [manifest.title, ...Object.values(manifest.labels as Record<string, string>)].join('\n')));
    expect(findings.map((f) => `${f.file}: 「${f.match}」（${f.why}）… ${f.context}`)).toEqual([]);
  });

  it('names a person for every step of every row, the planted complaint a 投诉 and the silence closed after three calls', async () => {
    const name = Object.keys(pack).find((n) => n.startsWith('台账_') && n.endsWith('.xlsx'))!;
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(pack[name]) as never);
    const rows: string[][] = [];
    wb.getWorksheet('台账')!.eachRow((r) => void rows.push((r.values as unknown[]).slice(1).map((v) => (v === null || v === undefined ? '' : String(v)))));
    const header = rows.find((r) => r[0] === '工单号')!;
    const col = (h: string) => header.indexOf(h);
    const row = (code: string) => rows.find((r) => r[0] === code)!;

    const planted = row(codes.planted);
    expect(planted[col('分类')]).toBe('投诉');
    expect([planted[col('受理人')], planted[col('跟进人（处理人）')]]).toEqual(['系统自动受理', '小林']);
    const silent = row(codes.silent);
    expect(silent[col('处理结果')]).toBe('未评价（已回访 3 次未果）');
    expect([silent[col('回访方式')], silent[col('回访人')]]).toEqual(['电话', '小林']);
    // The earlier records are there, marked 导入 with their source; none of them stands in for a Loopdesk ticket.
    const imported = rows.filter((r) => r[0].startsWith('DR-'));
    expect(imported).toHaveLength(5);
    for (const r of imported) expect(r[col('记录来源')]).toMatch(/^导入（/);
    // Every ticket row names who received and who followed it up.
    for (const r of rows.filter((x) => /^(FB|DR)-/.test(x[0]))) {
      expect(r[col('受理人')], r[0]).not.toBe('');
      expect(r[col('跟进人（处理人）')], r[0]).not.toMatch(/^$|ou_/);
    }
    // Each file ends signed: 制表人 and 审核人 by name.
    expect(strFromU8(pack['说明.md'])).toMatch(/制表人：王五\n+审核人：陈审核/);
  });

  it('tells the planted complaint as a story with the lead named, and marks the months before go-live', () => {
    const report = Object.entries(pack).find(([n]) => n.includes(codes.planted) && n.endsWith('.md'))!;
    const text = strFromU8(report[1]);
    for (const section of ['事件经过', '原因分析', '处理措施', '赔付/退款结果', '客户最终意见', '整改措施']) expect(text).toContain(section);
    // The story sections come before the timeline, and the timeline names the lead the case was escalated to.
    const timeline = text.indexOf('| # | 时间 | 操作人 | 事件 | 内容 |');
    expect(text.indexOf('### 整改措施')).toBeGreaterThan(-1);
    expect(text.indexOf('### 整改措施')).toBeLessThan(timeline);
    expect(text.slice(timeline)).toContain('升级给负责人 陈主管');
    const manifest = JSON.parse(strFromU8(pack['manifest.json']));
    expect(manifest.importedRecords).toMatchObject({ rows: 5 });
    expect(manifest.incompleteMonths).toContainEqual({ month: '2026-08', reason: '系统尚未上线：只有从原有台账导入的历史记录（不计入指标）' });
    expect(manifest.incompleteMonths.find((m: { month: string }) => m.month === '2026-12').reason).toContain('本月尚未结束');
  });

  it("understands an imported record's DR code typed in the agents' group, like FB and TC codes", async () => {
    const reply = await t.services.runCommand({ text: '/case dr-20260803-0001', actor: AGENT, viaAgentGroup: true, surface: 'feishu' });
    expect(reply).toMatchObject({ kind: 'markdown', title: '工单 DR-20260803-0001 处理记录' });
  });
});
