import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { computeMetrics, ticketFacts, type MetricTicket } from '../../src/core/metrics.ts';
import { customers, tickets } from '../../src/db/schema/index.ts';
import { runCommand } from '../../src/desk/commands.ts';
import { LEDGER_SHEET_COLUMNS, ledgerRow, SUMMARY_COLUMNS, writeLedgerCsv, writeLedgerXlsx } from '../../src/reports/ledger.ts';
import { rangeOfDays } from '../../src/reports/range.ts';
import { statsDeps } from '../../src/reports/commands.ts';
import { dbKinds } from '../helpers/db.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';
import { AGENT, buildWeek, REPORT_AT, type Week } from './reports.fixture.ts';

const SHANGHAI = 8 * 3_600_000;
/** What a date cell must hold: the Shanghai wall time (spreadsheets have no zones). */
const wall = (d: Date | null) => (d ? new Date(d.getTime() + SHANGHAI) : null);

describe.each(dbKinds)('ledger on %s', (kind) => {
  let t: TestDesk;
  let week: Week;
  let dir: string;
  let wb: ExcelJS.Workbook;
  let rows: Array<MetricTicket & { code: string; id: number; customerId: number; csatComment: string | null; isProbe: boolean; subject: string }>;
  const range = rangeOfDays('2026-03-01', '2026-03-31', 'Asia/Shanghai');
  let summary: Awaited<ReturnType<typeof writeLedgerXlsx>>;

  beforeAll(async () => {
    t = await createTestDesk({ kind, now: REPORT_AT });
    week = await buildWeek(t);
    dir = mkdtempSync(join(tmpdir(), 'ledger-test-'));
    summary = await writeLedgerXlsx(statsDeps(t.services), range, join(dir, 'ledger.xlsx'));
    wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(join(dir, 'ledger.xlsx'));
    rows = (await t.db.select().from(tickets)).map((r) => ({ ...r, slaPolicy: r.slaPolicy as never }));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  const opts = () => ({ calendar: t.services.calendar, satisfiedMin: 4, now: t.clock.now() });
  const sheetRows = (name: string) => {
    const ws = wb.getWorksheet(name)!;
    const out: unknown[][] = [];
    ws.eachRow((row) => out.push((row.values as unknown[]).slice(1)));
    return out;
  };
  /** The 台账 rows of tickets (the sign-off block follows them: test/integration/responsibility.test.ts). */
  const ticketRows = () => sheetRows('台账').filter((r) => /^FB-/.test(String(r[0])));

  it('has the six sheets, Chinese headers and a frozen header row', () => {
    expect(wb.worksheets.map((w) => w.name)).toEqual(['台账', '月度汇总', '回访记录', '重大投诉', '服务承诺', '说明']);
    for (const ws of wb.worksheets) expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(sheetRows('台账')[0]).toEqual(LEDGER_SHEET_COLUMNS.map((c) => c.header));
    expect(wb.getWorksheet('台账')!.getColumn(6).width).toBe(40);
  });

  it('prints well: A4 landscape, one page wide, header row on every page, company and range on each page; the file names the company', () => {
    for (const ws of wb.worksheets) {
      expect(ws.pageSetup).toMatchObject({ orientation: 'landscape', paperSize: 9, fitToPage: true, fitToWidth: 1, fitToHeight: 0, printTitlesRow: '1:1' });
      expect(ws.headerFooter.oddHeader).toBe(`&L${t.services.config.company.name}&C&A&R2026-03-01 至 2026-03-31`);
      expect(ws.headerFooter.oddFooter).toBe('&C第 &P 页，共 &N 页');
    }
    const columns = LEDGER_SHEET_COLUMNS.map((c) => c.header);
    expect(columns.at(-1)).toBe('事件链头哈希');
    expect(wb.getWorksheet('台账')!.getColumn(columns.length).width).toBeLessThanOrEqual(20);
    expect(wb.creator).toBe(t.services.config.company.name);
    expect(wb.title).toContain('处理台账 2026-03-01 至 2026-03-31');
    expect(JSON.stringify([wb.creator, wb.lastModifiedBy, wb.title, wb.subject])).not.toMatch(/loopdesk|exceljs/i);
  });

  it('writes one row per ticket, probe left out, each cell equal to the metrics module', () => {
    const data = ticketRows();
    expect(data.map((r) => r[0])).toEqual([week.G, week.A, week.C, week.B, week.E, week.F]);
    expect(data.map((r) => r[0])).not.toContain(week.D);
    for (const r of data) {
      const ticket = rows.find((x) => x.code === r[0])!;
      const f = ticketFacts(ticket, opts());
      const cell = (header: string) => r[LEDGER_SHEET_COLUMNS.findIndex((c) => c.header === header)] ?? null;
      expect(cell('收到时间')).toEqual(wall(ticket.createdAt));
      expect(cell('承诺首次响应时间')).toEqual(wall(f.firstResponse.dueAt));
      expect(cell('首次响应时间')).toEqual(wall(ticket.firstResponseAt));
      expect(cell('首次响应用时（计时分钟）')).toBe(f.firstResponse.minutes);
      expect(cell('首次响应用时（自然分钟）')).toBe(f.firstResponse.calendarMinutes);
      expect(cell('解决用时（计时分钟）')).toBe(f.resolution.minutes);
      expect(cell('解决用时（自然分钟）')).toBe(f.resolution.calendarMinutes);
      expect(cell('满意度评分')).toBe(f.score);
      expect(cell('重开次数')).toBe(ticket.reopenCount);
      expect(typeof cell('事件数')).toBe('number');
      expect(cell('事件链头哈希')).toMatch(/^[0-9a-f]{64}$/);
    }
    const byCode = (code: string) => data.find((r) => r[0] === code)!;
    // known answers
    expect(byCode(week.B).slice(9, 12)).toEqual([120, 210, '及时']);
    expect(byCode(week.B).slice(15, 19)).toEqual([180, 1440, '及时', '未评价归档']);
    expect(byCode(week.C)[11]).toBe('超时');
    expect(byCode(week.C)[23]).toBe(1);
    expect(byCode(week.E)[11]).toBe('超时');
    expect(byCode(week.F)[11]).toBe('进行中');
    expect(byCode(week.G)[25]).toBe('是');
    expect(byCode(week.A)[12]).toBe('王五');
    expect(byCode(week.F)[12]).toBe('未分配');
  });

  it('masks customers by default and shows them only when asked', async () => {
    const data = ticketRows();
    const a = data.find((r) => r[0] === week.A)!;
    expect(a.slice(2, 4)).toEqual(['张*', '138****5678']);
    expect(data.find((r) => r[0] === week.C)!.slice(2, 4)).toEqual(['钱*', 'q***@example.com']);
    const path = join(dir, 'unmasked.xlsx');
    await writeLedgerXlsx(statsDeps(t.services), range, path, { unmasked: true });
    const full = new ExcelJS.Workbook();
    await full.xlsx.readFile(path);
    const row = (full.getWorksheet('台账')!.getRow(3).values as unknown[]).slice(1);
    expect(row.slice(0, 4)).toEqual([week.A, '官网留言', '张三', '13812345678']);
    expect(JSON.stringify(sheetRows('台账'))).not.toContain('13812345678');
  });

  it('masks personal data the customer typed into the summary and the survey comment, unless unmasked', () => {
    const ticket = rows.find((x) => x.code === week.A)!;
    const typed = {
      ...ticket,
      customerName: '张三',
      customerPhone: '13812345678',
      customerEmail: null,
      agentName: null,
      chainLength: 1,
      chainHead: null,
      subject: '手机 13812345678，卡号 6222 0212 3456 7890 123',
      csatComment: '身份证 31010119900101123X，邮箱 zhang@example.com',
    };
    const cellOf = (cells: unknown[], header: string) => cells[LEDGER_SHEET_COLUMNS.findIndex((c) => c.header === header)];
    const masked = ledgerRow(typed as never, ticketFacts(ticket, opts()), (id) => id, false);
    expect(cellOf(masked, '内容摘要')).toBe('手机 138****5678，卡号 622************0123');
    expect(cellOf(masked, '客户评价内容')).toBe('身份证 310***********123X，邮箱 z***@example.com');
    const full = ledgerRow(typed as never, ticketFacts(ticket, opts()), (id) => id, true);
    expect(cellOf(full, '内容摘要')).toBe(typed.subject);
    expect(cellOf(full, '客户评价内容')).toBe(typed.csatComment);
  });

  it('月度汇总 equals the metrics module, month by month and in total', () => {
    const data = sheetRows('月度汇总');
    expect(data[0]).toEqual(['月份', ...SUMMARY_COLUMNS.map((c) => c.header)]);
    const expected = computeMetrics(rows, opts());
    for (const label of ['2026-03', '合计']) {
      const row = data.find((r) => r[0] === label)!;
      SUMMARY_COLUMNS.forEach((c, i) => expect([label, c.header, row[i + 1] ?? null]).toEqual([label, c.header, c.value(expected)]));
    }
    const total = data.find((r) => r[0] === '合计')!;
    expect(total[1]).toBe(6);
    const col = (h: string) => data[0].indexOf(h);
    // 解决率 = confirmed (A, C) ÷ tickets with a resolution promise (all but the suggestion F); 4 marked resolved.
    expect([total[col('已标记解决（含待回访）')], total[col('客户确认解决')], total[col('有解决时限的工单')]]).toEqual([4, 2, 5]);
    expect(total[col('解决率')]).toBeCloseTo(2 / 5);
    expect(total[col('参考值（行业数字，非规定）')]).toBe(0.92);
    expect([total[col('不计入解决率（无解决时限）')], total[col('已解决·待回访')], total[col('未评价')]]).toEqual([1, 1, 1]);
    expect(
      wb
        .getWorksheet('月度汇总')!
        .getRow(2)
        .getCell(col('解决率') + 1).numFmt,
    ).toBe('0.0%');
    expect(wb.getWorksheet('台账')!.getCell('G2').numFmt).toBe('yyyy-mm-dd hh:mm:ss'); // 收到时间
  });

  it('回访记录 lists every survey, the reopened one twice', () => {
    const data = sheetRows('回访记录').slice(1);
    const c = data.filter((r) => r[0] === week.C);
    expect(c.map((r) => [r[3], r[6], r[8]])).toEqual([
      [1, 2, '不满意，已重开'],
      [2, 4, '满意，已归档'],
    ]);
    expect(data.find((r) => r[0] === week.B)![8]).toBe('未评价，已归档');
    expect(data.find((r) => r[0] === week.G)![8]).toBe('等待评价');
    expect(data.find((r) => r[0] === week.A)!.slice(6, 9)).toEqual([5, '很快，谢谢', '满意，已归档']);
    expect(data).toHaveLength(5);
    expect(summary.surveys).toBe(5);
  });

  it('重大投诉 holds the timeline; 服务承诺 the policy and calendar; 说明 the digest of the chain heads', () => {
    const all = sheetRows('重大投诉');
    const major = all.slice(1).filter((r) => typeof r[1] === 'number');
    expect(new Set(major.map((r) => r[0]))).toEqual(new Set([week.G]));
    expect(major.map((r) => r[4])).toEqual(expect.arrayContaining(['收到反馈，创建工单', '标记为重大投诉', '标记解决']));
    // The chain check is its own block under the events, not an event row.
    expect(major.map((r) => r[4])).not.toContain('哈希链校验');
    expect(all.find((r) => r[0] === week.G && r[3] === '完整')).toBeDefined();
    const policy = sheetRows('服务承诺');
    expect(policy).toContainEqual([
      '产品故障',
      '2 小时内（工作时间 9:00–12:00、13:30–18:30）首次回复',
      '3 个工作日内（工作时间 9:00–12:00、13:30–18:30）解决',
      '工作时间',
      '高',
    ]);
    expect(policy.some((r) => r[0] === '2026-02-14' && r[1] === '调休上班')).toBe(true);
    const notes = Object.fromEntries(
      sheetRows('说明')
        .slice(1)
        .map((r) => [r[0], r[1]]),
    );
    const hash = createHash('sha256');
    const head = LEDGER_SHEET_COLUMNS.findIndex((c) => c.header === '事件链头哈希');
    for (const r of ticketRows()) hash.update(`${r[0]} ${r[head]}\n`);
    expect(notes['事件日志摘要（SHA-256）']).toBe(hash.digest('hex'));
    expect(notes['事件日志摘要（SHA-256）']).toBe(summary.eventLogDigest);
    expect(String(notes['未列入的工单'])).toContain('拨测工单 1 件（编号以 TC 开头');
    expect(notes['解决率']).toContain('92%');
  });

  it('writes the same 台账 as CSV, with a BOM, masked, and customer text that cannot become a formula', async () => {
    t.clock.set('2026-03-10T10:00:00+08:00');
    await t.desk.intake({
      channel: 'web',
      dedupeKey: 'csv-inject',
      customer: { externalId: 'v-x', name: '吴十', phone: '13600002222' },
      replyTo: {},
      text: '=HYPERLINK("http://evil.example","点我"), 其他',
    });
    t.clock.set(REPORT_AT);
    const path = join(dir, 'ledger.csv');
    const s = await writeLedgerCsv(statsDeps(t.services), rangeOfDays('2026-03-01', '2026-03-10', 'Asia/Shanghai'), path);
    const text = readFileSync(path, 'utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const all = text.slice(1).trim().split('\r\n');
    const lines = all.slice(0, all.indexOf('')); // the sign-off block follows an empty line
    expect(lines[0]).toBe(LEDGER_SHEET_COLUMNS.map((c) => c.header).join(','));
    expect(lines).toHaveLength(8);
    expect(s.rows).toBe(7);
    const a = lines.find((l) => l.startsWith(week.A))!;
    expect(a).toContain(',张*,138****5678,');
    expect(a).toContain(',2026-03-02 10:00:00,2026-03-02 12:00:00,2026-03-02 11:00:00,60,60,及时,王五,');
    expect(text).not.toContain('13812345678');
    const injected = lines[lines.length - 1];
    expect(injected).toContain(`,"'=HYPERLINK(""http://evil.example"",""点我""), 其他",`);
  });

  it('/ledger answers with the XLSX as a file reply', async () => {
    const reply = await runCommand(t.services, { text: '/ledger 2026-03-01 2026-03-31', actor: AGENT, viaAgentGroup: true, surface: 'feishu' });
    expect(reply.kind).toBe('file');
    if (reply.kind !== 'file') return;
    expect(reply.name).toBe('投诉处理台账_2026-03-01_2026-03-31.xlsx');
    const file = new ExcelJS.Workbook();
    await file.xlsx.readFile(reply.path);
    expect(file.getWorksheet('台账')!.rowCount).toBe(8 + 5); // header, 7 tickets, an empty row and the sign-off
    expect(reply.text).toContain('解决率');
    const bad = await runCommand(t.services, { text: '/ledger 2026-13', actor: AGENT, viaAgentGroup: true, surface: 'feishu' });
    expect(bad.kind === 'text' && bad.text).toContain('用法：/ledger');
  });

  it('defaults to the last 6 months up to today (the current month marked unfinished)', async () => {
    const [c] = await t.db.select().from(customers).where(eq(customers.externalId, 'v-a'));
    expect(c.name).toBe('张三');
    t.clock.set('2026-09-15T10:00:00+08:00');
    const reply = await runCommand(t.services, { text: '/ledger', actor: AGENT, viaAgentGroup: true, surface: 'feishu' });
    t.clock.set(REPORT_AT);
    expect(reply.kind === 'file' && reply.name).toBe('投诉处理台账_2026-03-01_2026-09-15.xlsx');
  });
});
