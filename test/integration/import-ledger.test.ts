import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/commands.ts';
import { runRemote, startControlSocket } from '../../src/cli/control.ts';
import { verifyRecords } from '../../src/records/verify.ts';
import { buildCase } from '../../src/reports/case.ts';
import { writeAuditPack } from '../../src/reports/auditpack.ts';
import { mechanismMarkdown } from '../../src/reports/mechanism.ts';
import { strFromU8, unzipSync } from 'fflate';
import { writeLedgerCsv, writeLedgerXlsx } from '../../src/reports/ledger.ts';
import { rangeOfDays } from '../../src/reports/range.ts';
import { rawQuery } from '../../src/reports/source.ts';
import { computeStats } from '../../src/reports/stats.ts';
import { statsMarkdown } from '../../cards/stats.ts';
import { overviewData } from '../../src/console/overview-data.ts';
import { dbKinds } from '../helpers/db.ts';
import { addUser, loginWithLink, req } from '../helpers/console-session.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';

const SAMPLE = readFileSync(new URL('../../docs/import-ledger-sample.csv', import.meta.url));
const SAMPLE_GBK = readFileSync(new URL('../fixtures/import/sample-gbk.csv', import.meta.url));
const HEADER = [
  '编号',
  '受理日期',
  '来源',
  '问题类型',
  '客户姓名',
  '联系电话',
  '反馈内容',
  '响应时间',
  '办结时间',
  '经办人',
  '处理结果',
  '客户满意度',
  '回访日期',
  '备注',
];
/** A wall-clock time as spreadsheets hold it (UTC fields = Beijing wall time). */
const wall = (s: string) => new Date(`${s}Z`);

/** An old ledger as companies keep it: a title row above the header, dates as date cells, a 备注 column we do not use. */
async function xlsx(rows: unknown[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('投诉台账');
  ws.addRow(['某某科技有限公司客户投诉处理台账（2026 年 8—11 月）']);
  ws.addRow(HEADER);
  for (const r of rows) ws.addRow(r);
  ws.getColumn(2).numFmt = 'yyyy-mm-dd hh:mm';
  return Buffer.from(await wb.xlsx.writeBuffer());
}
const GOOD_XLSX_ROWS = [
  [
    'TS-0801',
    wall('2026-08-10T10:00:00'),
    '热线',
    '投诉',
    '吴先生',
    '13700001234',
    '宽带报装两周未上门',
    wall('2026-08-10T10:30:00'),
    wall('2026-08-12T17:00:00'),
  ].concat(['陈刚', '已安排上门（回电 13700001234）并减免一个月费用', 5, wall('2026-08-13T09:00:00'), '无'] as never[]),
  [
    'TS-0802',
    wall('2026-09-02T15:45:00'),
    '邮件',
    '咨询',
    '郑女士',
    null,
    '发票抬头如何修改',
    null,
    wall('2026-09-03T11:00:00'),
    '陈刚',
    '已告知修改方法',
    '未评价',
    null,
    null,
  ],
];

describe.each(dbKinds)('import-ledger (%s)', (kind) => {
  let t: TestDesk;
  let dir: string;
  let ownCode: string;
  const range = () => rangeOfDays('2026-06-08', '2026-12-07', 'Asia/Shanghai');
  const deps = () => ({ database: t.database, config: t.services.config, calendar: t.services.calendar, now: t.clock.now() });
  const run = async (...argv: string[]) => {
    const lines: string[] = [];
    const code = await runCli(argv, { services: t.services, out: (s) => void lines.push(s), cwd: dir });
    return { code, text: lines.join('\n') };
  };
  const imported = async () => (await rawQuery<{ n: number }>(t.database, 'select count(*)::int as n from tickets where imported is not null'))[0].n;
  const drCounters = async () => (await rawQuery<{ n: number }>(t.database, "select count(*)::int as n from ticket_code_counters where day like 'DR-%'"))[0].n;

  beforeAll(async () => {
    t = await createTestDesk({ kind, now: '2026-12-07T02:00:00Z' });
    dir = mkdtempSync(join(tmpdir(), 'import-ledger-'));
    // One ticket of Loopdesk's own, so the figures have something to keep the imported rows apart from.
    const customer = { externalId: 'v1', name: '林女士', phone: '13600000000' };
    const r = await t.desk.intake({ channel: 'web', dedupeKey: 'own-1', customer, replyTo: {}, text: '页面打不开，一直报错' });
    ownCode = r.code;
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  it('a CSV with bad rows imports nothing and names each row and what is wrong', async () => {
    const text = SAMPLE.toString('utf8')
      .replace('KF-2609-001,2026-09-12,', 'KF-2609-001,2026-13-01,')
      .replace('微信公众号,建议,', '微信公众号,售后,')
      .replace('2026-11-22 12:00,张敏', ',张敏');
    writeFileSync(join(dir, 'bad.csv'), text);
    const r = await run('import-ledger', 'bad.csv');
    expect(r.code).toBe(1);
    expect(r.text).toContain('导入失败，未做任何更改');
    expect(r.text).toContain('行 4：日期「2026-13-01」无法识别');
    expect(r.text).toMatch(/行 5：类别「售后」不是本公司的分类（可选：产品故障、投诉、咨询、建议、其他）/);
    expect(r.text).toContain('行 6：解决时间为空');
    // Line order, one problem a line, and nothing written: no ticket, no code reserved, no receipt of the file.
    expect(
      r.text
        .split('\n')
        .filter((l) => l.startsWith('行 '))
        .map((l) => l.split('：')[0]),
    ).toEqual(['行 4', '行 5', '行 6']);
    expect(await imported()).toBe(0);
    expect(await drCounters()).toBe(0);
    expect((await rawQuery<{ n: number }>(t.database, "select count(*)::int as n from inbound_receipts where source = 'ledger-import'"))[0].n).toBe(0);
  });

  it('an XLSX with a bad row imports nothing and names the row as Excel numbers it (title row above the header)', async () => {
    const row5 = [
      'TS-0803',
      wall('2026-10-05T09:00:00'),
      '电话',
      '投诉',
      '冯先生',
      '12345',
      '多扣了一个月费用',
      wall('2026-10-05T08:00:00'),
      wall('2026-10-06T10:00:00'),
    ];
    const bad = [...GOOD_XLSX_ROWS, [...row5, '陈刚', '已退款', '很好', null, null]];
    writeFileSync(join(dir, 'bad.xlsx'), await xlsx(bad));
    const r = await run('import-ledger', 'bad.xlsx');
    expect(r.code).toBe(1);
    expect(r.text).toContain('工作表「投诉台账」');
    expect(r.text).toContain('行 5：首次响应时间「2026-10-05 08:00:00」早于日期「2026-10-05 09:00:00」');
    expect(r.text).toContain('行 5：联系方式「12345」不是手机号、电话（含区号）或邮箱');
    expect(r.text).toContain('行 5：满意度「很好」无法识别');
    expect(r.text).not.toMatch(/行 [34]：/);
    expect(await imported()).toBe(0);
  });

  it('a file without the required columns is refused with the names we accept', async () => {
    writeFileSync(join(dir, 'nocols.csv'), '编号,日期,客户\r\nA1,2026-08-01,张三\r\n');
    const r = await run('import-ledger', 'nocols.csv');
    expect(r.code).toBe(1);
    expect(r.text).toContain('行 1：缺少必需的列「类别」（可用的列名：类别、分类、类型');
    expect(r.text).toContain('行 1：缺少必需的列「内容摘要」');
    expect(r.text).toContain('行 1：缺少必需的列「解决时间」');
  });

  it('a GBK CSV saved by Excel imports every row at once: own codes, original times, marked 导入 with the file hash', async () => {
    writeFileSync(join(dir, '旧台账.csv'), SAMPLE_GBK);
    const sha = createHash('sha256').update(SAMPLE_GBK).digest('hex');
    const check = await run('import-ledger', '旧台账.csv', '--check');
    expect(check.code).toBe(0);
    expect(check.text).toContain('检查通过');
    expect(await imported()).toBe(0);

    const r = await run('import-ledger', '旧台账.csv', '--by', '周会计');
    expect(r.code, r.text).toBe(0);
    expect(r.text).toContain('已导入 5 条历史记录：DR-20260803-0001 至 DR-20261121-0001');
    expect(r.text).toContain('GBK/GB18030');
    expect(r.text).toContain(sha);
    const rows = await rawQuery<Record<string, unknown>>(
      t.database,
      `select code, channel, category, status, close_reason, csat_score, imported::text as imported, (extract(epoch from created_at) * 1000)::float8 as created,
              (extract(epoch from first_response_at) * 1000)::float8 as first, (extract(epoch from resolved_at) * 1000)::float8 as resolved
         from tickets where imported is not null order by created_at`,
    );
    expect(rows.map((x) => x.code)).toEqual(['DR-20260803-0001', 'DR-20260805-0001', 'DR-20260912-0001', 'DR-20261008-0001', 'DR-20261121-0001']);
    const first = rows[0];
    expect(new Date(Number(first.created)).toISOString()).toBe('2026-08-03T01:12:00.000Z');
    expect(new Date(Number(first.first)).toISOString()).toBe('2026-08-03T01:40:00.000Z');
    expect(new Date(Number(first.resolved)).toISOString()).toBe('2026-08-03T08:20:00.000Z');
    expect(first).toMatchObject({ channel: 'phone', category: 'bug', status: 'closed', close_reason: 'satisfied', csat_score: 4 });
    expect(JSON.parse(String(first.imported))).toMatchObject({ sha256: sha, file: '旧台账.csv', row: 2, originalCode: 'KF-2608-001', handler: '李娜' });
    // A date-only receipt with a time-of-day response; a channel word of theirs kept as written; 不满意 is not archived as satisfied.
    expect(new Date(Number(rows[2].first)).toISOString()).toBe('2026-09-12T02:05:00.000Z');
    expect(rows[3].channel).toBe('微信公众号');
    expect(rows[2]).toMatchObject({ close_reason: 'imported', csat_score: 2 });
    // The FB daily numbers are untouched: the next ticket of today is still 0002.
    const next = await t.desk.intake({ channel: 'web', dedupeKey: 'own-2', customer: { externalId: 'v2', name: '何先生' }, replyTo: {}, text: '咨询一下价格' });
    expect(next.code).toBe(ownCode.replace(/0001$/, '0002'));
  });

  it('the ledger lists them marked 导入; every figure leaves them out and counts them apart', async () => {
    const lines: string[] = [];
    const sink = new (await import('node:stream')).Writable({ write: (c, _e, cb) => void (lines.push(String(c)), cb()) });
    const summary = await writeLedgerCsv(deps(), range(), sink);
    const csv = lines.join('');
    const row = csv.split('\r\n').find((l) => l.startsWith('DR-20260803-0001'))!;
    expect(row).toContain('导入（旧台账.csv 第 2 行，原编号 KF-2608-001，文件 SHA-256 ');
    expect(row).toContain('导入：已发布修复版本');
    expect(row).toContain('李娜');
    expect(csv.split('\r\n').find((l) => l.startsWith(ownCode))).toContain('本系统受理');
    expect(summary.rows).toBe(7);
    expect(summary.total.received).toBe(2);
    expect(summary.total.imported).toBe(5);
    expect(summary.months.find((m) => m.month === '2026-08')!.metrics).toMatchObject({ received: 0, imported: 2 });
    expect(summary.imported.rows).toBe(5);

    const stats = await computeStats(deps(), range());
    expect(stats.metrics.received).toBe(2);
    expect(stats.metrics.imported).toBe(5);
    expect(stats.byCategory.reduce((n, c) => n + c.metrics.received, 0)).toBe(2);
    expect(statsMarkdown(stats, '近 6 个月', 'now', {})).toContain('另有导入的历史记录 5 件（上线前的旧台账），不计入以上任何指标');
    const md = await mechanismMarkdown({ ...deps(), channels: ['web'], evidenceKeyed: false }, range());
    expect(md).toContain('另有上线前从原有台账导入的历史记录 5 件');
    expect(md).toContain('区间内共收到反馈 **2** 件');
    const overview = await overviewData(t.services, { fresh: true });
    expect(overview.total.received).toBe(2);
    expect(overview.total.imported).toBe(5);
  });

  it('the console marks them 导入 in the ticket list and names the source on the ticket page', async () => {
    const jar = await loginWithLink(t.app, await addUser(t.services, '小吴', 'lead'));
    const list = await (await req(t.app, jar, '/console/tickets?from=2026-08-01&to=2026-08-31')).text();
    expect(list).toContain('DR-20260803-0001');
    expect(list).toMatch(/title="从 旧台账\.csv 第 2 行导入，不计入指标"> 导入</);
    const page = await (await req(t.app, jar, '/console/tickets/DR-20260803-0001')).text();
    expect(page).toContain('导入（旧台账.csv 第 2 行，原编号 KF-2608-001');
    const overview = await (await req(t.app, jar, '/console/overview')).text();
    expect(overview).toContain('另有导入的历史记录 5 件（上线前的旧台账），单独列在台账中，不计入任何指标');
  });

  it('the XLSX ledger says what the imported rows are and names the source file and its SHA-256; verify passes and says so', async () => {
    const path = join(dir, 'ledger.xlsx');
    await writeLedgerXlsx(deps(), range(), path);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(path);
    const notes = wb.getWorksheet('说明')!;
    const text = notes
      .getSheetValues()
      .map((r) => (Array.isArray(r) ? r.slice(1).join(' | ') : ''))
      .join('\n');
    const sha = createHash('sha256').update(SAMPLE_GBK).digest('hex');
    expect(text).toContain('台账行数 | 7 件工单（其中导入的历史记录 5 件）');
    expect(text).toContain('不证明导入前的处理过程是在当时记录的');
    expect(text).toMatch(new RegExp(`导入来源文件 \\| 旧台账\\.csv：5 条；导入时间 2026-12-07 10:00:00（北京时间）；文件 SHA-256 ${sha}`));
    const header = (wb.getWorksheet('台账')!.getRow(1).values as string[]).slice(1);
    expect(header).toContain('记录来源');
    const summary = wb.getWorksheet('月度汇总')!;
    expect((summary.getRow(1).values as string[]).slice(1)).toContain('导入的历史记录（不计入以上指标）');

    const report = await verifyRecords({ database: t.database, calendar: t.services.calendar, clock: t.clock, key: null });
    expect(report.findings).toEqual([]);
    expect(report.imported).toBe(5);
    expect(report.text).toContain('其中 5 件为导入的历史记录');
    expect(report.text).toContain('其事件链从导入时开始，首条为导入事件');
    // The case report's first event is the import, at the time of the import.
    const doc = await buildCase(deps(), 'DR-20260803-0001');
    expect(doc!.chain.intact).toBe(true);
    expect(doc!.timeline[0].at.toISOString()).toBe('2026-12-07T02:00:00.000Z');
    expect(doc!.timeline.map((e) => e.event)).toEqual([
      '从历史台账导入',
      '回复客户（历史台账所记）',
      '标记解决（历史台账所记）',
      '客户评价（历史台账所记）',
      '归档（历史台账所记）',
    ]);
    expect(doc!.timeline[0].detail).toContain('来源：旧台账.csv 第 2 行，原编号 KF-2608-001；原收到时间 2026-08-03 09:12:00');
    expect(doc!.timeline[0].detail).toContain('导入人 周会计');
    expect(doc!.markdown).toContain('**记录来源** 导入（旧台账.csv 第 2 行');
    expect(doc!.markdown).toContain('不证明导入前的处理过程是在当时记录的');
    const unhappy = await buildCase(deps(), 'DR-20260912-0001');
    expect(unhappy!.timeline.at(-1)!.detail).toContain('不视为满意');
  });

  it('the audit pack: the ledger inside names the file hash, the manifest lists the imports, the months before go-live say so', async () => {
    const path = join(dir, 'pack.zip');
    const pack = await writeAuditPack({ ...deps(), channels: ['web'], evidenceKeyed: false }, range(), path, { source: '测试' });
    const files = unzipSync(new Uint8Array(readFileSync(path)));
    const sha = createHash('sha256').update(SAMPLE_GBK).digest('hex');
    const manifest = JSON.parse(strFromU8(files['manifest.json']));
    expect(manifest.importedRecords).toMatchObject({ rows: 5, files: [{ file: '旧台账.csv', sha256: sha, rows: 5 }] });
    expect(manifest.importedRecords.note).toContain('不证明导入前的处理过程是在当时记录的');
    expect(manifest.incompleteMonths).toContainEqual({ month: '2026-08', reason: '系统尚未上线：只有从原有台账导入的历史记录（不计入指标）' });
    expect(manifest.incompleteMonths).toContainEqual({ month: '2026-07', reason: '系统尚未上线，没有记录' });
    expect(pack.verify.findings).toBe(0);
    expect(strFromU8(files['事件日志校验报告.md'])).toContain('其中 5 件为导入的历史记录');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(files[Object.keys(files).find((n) => n.startsWith('台账_'))!]) as never);
    const notes = wb
      .getWorksheet('说明')!
      .getSheetValues()
      .map((r) => (Array.isArray(r) ? r.slice(1).join(' | ') : ''))
      .join('\n');
    expect(notes).toContain(`文件 SHA-256 ${sha}`);
  });

  it('re-importing the same file changes nothing; the same records from another file are refused by row', async () => {
    const before = await imported();
    const r = await run('import-ledger', '旧台账.csv');
    expect(r.code).toBe(0);
    expect(r.text).toContain('已经导入过（2026-12-07 10:00:00，北京时间），共 5 条：未做任何更改');
    writeFileSync(join(dir, '旧台账-UTF8.csv'), SAMPLE);
    const again = await run('import-ledger', '旧台账-UTF8.csv');
    expect(again.code).toBe(1);
    expect(again.text).toContain('行 2：编号「KF-2608-001」已从「旧台账.csv」导入过（DR-20260803-0001）');
    expect(await imported()).toBe(before);
    expect(await drCounters()).toBe(5);
  });

  it('a large file goes in one transaction, in batches (3000 rows)', async () => {
    const lines = ['编号,日期,类别,内容摘要,解决时间,满意度'];
    for (let i = 0; i < 3000; i++)
      lines.push(
        `L${i},2026-10-${String(1 + (i % 28)).padStart(2, '0')} 09:00,咨询,问题 ${i},2026-10-${String(1 + (i % 28)).padStart(2, '0')} 11:00,${1 + (i % 5)}`,
      );
    writeFileSync(join(dir, 'big.csv'), lines.join('\n'));
    const before = await imported();
    const r = await run('import-ledger', 'big.csv');
    expect(r.code, r.text).toBe(0);
    expect(r.text).toContain('已导入 3000 条历史记录');
    expect(await imported()).toBe(before + 3000);
    const [e] = await rawQuery<{ n: number }>(t.database, "select count(*)::int as n from ticket_events where type = 'imported'");
    expect(e.n).toBe(before + 3000);
  });

  it('works through the control socket while the service holds the database (XLSX)', async () => {
    writeFileSync(join(dir, 'good.xlsx'), await xlsx(GOOD_XLSX_ROWS));
    const sock = mkdtempSync(join(tmpdir(), 'loopdesk-ctl-'));
    const server = await startControlSocket(t.services, sock);
    try {
      const r = await runRemote(sock, ['import-ledger', 'good.xlsx'], dir);
      expect(r.code, r.output).toBe(0);
      expect(r.output).toContain('已导入 2 条历史记录：DR-20260810-0001 至 DR-20260902-0001');
      expect(r.output).toContain('未使用的列：备注');
    } finally {
      await new Promise((ok) => server.close(ok));
      rmSync(sock, { recursive: true, force: true });
    }
    expect(await imported()).toBe(3007);
    // The old sheet's free text is masked like any free text in a masked ledger.
    const out: string[] = [];
    await writeLedgerCsv(deps(), range(), new (await import('node:stream')).Writable({ write: (c, _e, cb) => void (out.push(String(c)), cb()) }));
    const row = out
      .join('')
      .split('\r\n')
      .find((l) => l.startsWith('DR-20260810-0001'))!;
    expect(row).toContain('导入：已安排上门（回电 137****1234）并减免一个月费用');
    const report = await verifyRecords({ database: t.database, calendar: t.services.calendar, clock: t.clock, key: null });
    expect(report.findings).toEqual([]);
  });
});
