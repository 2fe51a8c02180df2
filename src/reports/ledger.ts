/**
 * The complaint-handling ledger (投诉处理台账) an ICP reviewer asks for: XLSX through exceljs' streaming writer,
 * or CSV of the 台账 sheet. Rows are read with a cursor and written as they come: memory does not grow with the
 * range. Every number comes from core/metrics (ticketFacts for the row, the same accumulators for 月度汇总).
 *
 * Sheets: 台账 (one row per ticket), 月度汇总, 回访记录 (every survey sent and answered, from the event log),
 * 重大投诉 (timelines), 服务承诺 (the SLA policy and calendar in force), 说明 (definitions, provenance and the
 * digest of the event log's chain heads, which ties the file to the tamper-evident log).
 */
import { promiseRule, majorPromiseText } from '../core/promise.ts';
import { companyLabel } from '../promise/content.ts';
import { computeStats } from './stats.ts';
import { monthLabel, unfinishedNote } from './range.ts';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { categoryOf, type Config } from '../config.ts';
import { addFacts, emptyAcc, finalizeMetrics, metricDefinitions, REFERENCE_NOTE, resolutionBreakdown, ticketFacts } from '../core/metrics.ts';
import type { Metrics, MetricsAcc, TicketFacts } from '../core/metrics.ts';
import { STATUS_LABELS, type Status } from '../core/ticket.ts';
import { CHANNEL_LABELS, maskContact, maskName } from '../desk/view.ts';
import { maskFreeText } from '../core/mask.ts';
import { buildCase, OUTCOME_LABELS } from './case.ts';
import { localTimeFormatter, wallClock } from './format.ts';
import { monthsOf, type DateRange } from './range.ts';
import {
  IN_RANGE,
  LEDGER_COLUMNS,
  LEDGER_FROM,
  majorCodesInRange,
  rangeParams,
  rawQuery,
  streamQuery,
  streamTickets,
  toLedgerTicket,
  type LedgerTicket,
} from './source.ts';
import type { StatsDeps } from './stats.ts';
import { IMPORTED_CODE_PREFIX, IMPORTED_GUARANTEE, importedSource } from '../core/imported.ts';
import { DEMO_LABEL, DEMO_NOTICE, isDemoDatabase } from '../demo/marker.ts';
import { pct } from '../../cards/stats.ts';
import { calendarVersionLabel, PRIORITY_LABELS, zoneLabel } from './wording.ts';
import { loadPeople, peopleDirectory, type PeopleDirectory } from '../desk/people.ts';
import { signOffCsv, signOffOf, signOffRows, type SignOff } from './sign-off.ts';

export interface LedgerOptions {
  /** Full names and contacts instead of 张* / 138****5678. Only on explicit request. */
  unmasked?: boolean;
  /** Who asked for it, written into 说明 ('CLI', '管理接口', '群命令 /ledger'…). */
  source?: string;
  /** 制表人: the person who ran the export (console user, chat user, CLI --by); else config company.preparer. */
  by?: string | null;
  batchSize?: number;
}

export interface LedgerSummary {
  range: DateRange;
  exportedAt: Date;
  rows: number;
  probesLeftOut: number;
  months: Array<{ month: string; metrics: Metrics }>;
  total: Metrics;
  /** SHA-256 over "<code> <chain head>\n" of every 台账 row, in row order. */
  eventLogDigest: string;
  surveys: number;
  majorComplaints: number;
  /** Earlier records imported from old spreadsheets (导入): listed, counted in no figure; their source files. */
  imported: { rows: number; files: ImportedFile[] };
}

export interface ImportedFile {
  file: string;
  sha256: string;
  rows: number;
  importedAt: string | null;
}

type Kind = 'text' | 'date' | 'int' | 'minutes';
interface Column {
  header: string;
  width: number;
  kind: Kind;
}

/** The 台账 columns, in order (CSV uses the same). */
export const LEDGER_SHEET_COLUMNS: Column[] = [
  { header: '工单号', width: 18, kind: 'text' },
  { header: '渠道', width: 10, kind: 'text' },
  { header: '客户', width: 10, kind: 'text' },
  { header: '联系方式', width: 16, kind: 'text' },
  { header: '分类', width: 10, kind: 'text' },
  { header: '内容摘要', width: 40, kind: 'text' },
  { header: '收到时间', width: 19, kind: 'date' },
  { header: '承诺首次响应时间', width: 19, kind: 'date' },
  { header: '首次响应时间', width: 19, kind: 'date' },
  { header: '首次响应用时（计时分钟）', width: 12, kind: 'minutes' },
  { header: '首次响应用时（自然分钟）', width: 12, kind: 'minutes' },
  { header: '首次响应是否及时', width: 10, kind: 'text' },
  { header: '跟进人（处理人）', width: 12, kind: 'text' },
  { header: '承诺解决时间', width: 19, kind: 'date' },
  { header: '解决时间', width: 19, kind: 'date' },
  { header: '解决用时（计时分钟）', width: 12, kind: 'minutes' },
  { header: '解决用时（自然分钟）', width: 12, kind: 'minutes' },
  { header: '解决是否及时', width: 10, kind: 'text' },
  { header: '处理结果', width: 14, kind: 'text' },
  { header: '回访发送时间', width: 19, kind: 'date' },
  { header: '回访评价时间', width: 19, kind: 'date' },
  { header: '满意度评分', width: 8, kind: 'int' },
  { header: '客户评价内容', width: 30, kind: 'text' },
  { header: '重开次数', width: 8, kind: 'int' },
  { header: '状态', width: 12, kind: 'text' },
  { header: '重大投诉', width: 8, kind: 'text' },
  { header: '受理人', width: 12, kind: 'text' },
  { header: '回访方式', width: 12, kind: 'text' },
  { header: '回访人', width: 12, kind: 'text' },
  { header: '记录来源', width: 24, kind: 'text' },
  { header: '事件数', width: 8, kind: 'int' },
  { header: '事件链头哈希', width: 16, kind: 'text' }, // last and narrow: for machines, the full value is in the cell
];

export const RESULT_LABELS: Record<TicketFacts['outcome'], string> = {
  open: '处理中',
  awaiting_survey: '已解决·待回访',
  satisfied: '满意归档',
  unrated: '未评价归档',
  merged: '已合并',
};

type Cell = string | number | Date | null;

/** Without a directory (a row built alone): the names on the row, else who the platform says. */
const NO_DIRECTORY = peopleDirectory({ roles: { agents: [], leads: [], admins: [] } }, []);
/** 受理人 of a ticket no agent typed in: the self-service channels' intake (ticket, code and promise sent at once). */
export const AUTO_RECEIVED = '系统自动受理';
/** 回访人 of a survey the system sent on the customer's own channel. */
export const AUTO_SURVEY = '系统自动发送';

/** 受理人: the agent who typed a phone call, visit or letter in (desk/record-ticket.ts), else 系统自动受理. */
export function receiverOf(t: Pick<LedgerTicket, 'receivedBy'>, people: PeopleDirectory): string {
  const r = t.receivedBy;
  if (!r) return AUTO_RECEIVED;
  return (r.name && r.name.trim()) || people(r.actor) || '客服（姓名未登记）';
}

/**
 * 回访方式 and 回访人 of the ticket's latest survey: 电话 and the agent who recorded the answer (desk/follow-up.ts), or
 * 系统问卷 sent by the system (answered by the customer, or still waiting); empty before any survey. The 回访记录 sheet
 * words each survey the same way (surveyWho).
 */
export function followUpOf(
  t: Pick<LedgerTicket, 'csatVia' | 'surveyAnswer' | 'surveySentAt' | 'surveyAnsweredAt' | 'lastAttempt'>,
  f: Pick<TicketFacts, 'surveySent' | 'followUp'>,
  people: PeopleDirectory,
): [Cell, Cell] {
  // A phone answer to an earlier survey (the ticket reopened and was resolved again) is not the latest survey's.
  const current = t.surveyAnsweredAt !== null && (t.surveySentAt === null || t.surveyAnsweredAt >= t.surveySentAt);
  if (t.csatVia === 'phone' && current) return surveyWho(t.surveyAnswer ?? {}, people);
  // Silence followed up by a named person: their last attempt's means and name (「未评价（已回访 N 次未果）」).
  if (f.followUp && t.lastAttempt) return [t.lastAttempt.means || '电话', t.lastAttempt.byName || '客服（姓名未登记）'];
  return f.surveySent ? surveyWho(null, people) : [null, null];
}

/** One survey's 回访方式 and 回访人: an answer taken by phone names the agent; otherwise the system's questionnaire. */
export function surveyWho(answer: { via?: unknown; by?: unknown; byName?: unknown } | null, people: PeopleDirectory): [string, string] {
  if (answer?.via !== 'phone') return ['系统问卷', AUTO_SURVEY];
  const name = typeof answer.byName === 'string' && answer.byName.trim() ? answer.byName.trim() : people(typeof answer.by === 'string' ? answer.by : null);
  return ['电话', name ?? '客服（姓名未登记）'];
}
/** 处理结果 of an imported row: the old sheet's words, not a Loopdesk outcome. */
const importedResult = (t: LedgerTicket, f: TicketFacts) => `导入：${t.imported?.result ?? (f.outcome === 'satisfied' ? '满意' : '已办结')}`;

/** 处理结果, with the phone follow-up of an unanswered survey told apart from a plain survey outcome. */
export function resultLabel(f: TicketFacts): string {
  if (f.followUp === 'failed') return `未评价（已回访 ${f.followUpAttempts ?? 0} 次未果）`;
  if (f.followUp === 'pending') return '已解决·待电话回访';
  return RESULT_LABELS[f.outcome];
}

const asIs = (d: Date | null) => d;

/**
 * One 台账 row: the ticket and its facts, as cell values in LEDGER_SHEET_COLUMNS order. Dates go through `date`
 * (the XLSX writer shifts them to wall time; the CSV writer formats the instants).
 */
export function ledgerRow(
  t: LedgerTicket,
  f: TicketFacts,
  categoryName: (id: string) => string,
  unmasked: boolean,
  date: (d: Date | null) => Cell = asIs,
  people: PeopleDirectory = NO_DIRECTORY,
): Cell[] {
  const customer = unmasked ? (t.customerName ?? '匿名客户') : maskName(t.customerName);
  const contact = unmasked ? (t.customerPhone ?? t.customerEmail ?? null) : maskContact(t.customerPhone, t.customerEmail);
  const freeText = (text: string | null) => (unmasked || text === null ? text : maskFreeText(text));
  return [
    t.code,
    CHANNEL_LABELS[t.channel] ?? t.channel,
    customer,
    contact,
    categoryName(t.category),
    freeText(t.subject),
    date(t.createdAt),
    date(f.firstResponse.dueAt),
    date(t.firstResponseAt),
    f.firstResponse.minutes,
    f.firstResponse.calendarMinutes,
    OUTCOME_LABELS[f.firstResponse.outcome],
    t.agentUserId ? people({ platform: t.agentPlatform ?? '', userId: t.agentUserId, name: t.agentName }) : (t.imported?.handler ?? '未分配'),
    date(f.resolution.dueAt),
    date(f.resolved ? t.resolvedAt : null),
    f.resolution.minutes,
    f.resolution.calendarMinutes,
    OUTCOME_LABELS[f.resolution.outcome],
    t.imported ? freeText(importedResult(t, f)) : resultLabel(f),
    date(t.surveySentAt),
    date(t.surveyAnsweredAt),
    f.score,
    freeText(t.csatComment),
    t.reopenCount,
    f.followUp === 'pending' ? '已解决·待电话回访' : (STATUS_LABELS[t.status as Status] ?? t.status),
    t.isMajor ? '是' : '否',
    receiverOf(t, people),
    ...followUpOf(t, f, people),
    t.imported ? importedSource(t.imported) : '本系统受理',
    t.chainLength,
    t.chainHead,
  ];
}

/** The 月度汇总 columns: label and how to read it from Metrics. */
export const SUMMARY_COLUMNS: Array<{ header: string; width: number; pct?: boolean; value: (m: Metrics) => number | null }> = [
  { header: '收到工单', width: 10, value: (m) => m.received },
  { header: '首次响应及时', width: 10, value: (m) => m.firstResponse.met },
  { header: '首次响应超时', width: 10, value: (m) => m.firstResponse.breached },
  { header: '首次响应待定', width: 10, value: (m) => m.firstResponse.pending },
  { header: '首次响应及时率', width: 12, pct: true, value: (m) => m.firstResponse.metRate },
  { header: '首次响应中位数（计时分钟）', width: 14, value: (m) => m.firstResponse.medianMinutes },
  { header: '首次响应P90（计时分钟）', width: 14, value: (m) => m.firstResponse.p90Minutes },
  { header: '首次响应中位数（自然分钟）', width: 14, value: (m) => m.firstResponse.medianCalendarMinutes },
  { header: '已标记解决（含待回访）', width: 12, value: (m) => m.resolution.resolved },
  { header: '客户确认解决', width: 10, value: (m) => m.resolution.confirmed },
  { header: '有解决时限的工单', width: 10, value: (m) => m.resolution.withTarget },
  { header: '解决率', width: 9, pct: true, value: (m) => m.resolution.rate },
  { header: '参考值（行业数字，非规定）', width: 12, pct: true, value: (m) => m.resolution.reference },
  { header: '不计入解决率（无解决时限）', width: 12, value: (m) => m.resolution.excludedNoTarget },
  { header: '已解决·待回访', width: 10, value: (m) => m.resolution.awaitingSurvey },
  { header: '满意归档', width: 9, value: (m) => m.resolution.closedSatisfied },
  { header: '满意归档率', width: 10, pct: true, value: (m) => m.resolution.satisfiedRate },
  { header: '解决时长中位数（计时分钟）', width: 14, value: (m) => m.resolution.medianMinutes },
  { header: '解决时长中位数（自然分钟）', width: 14, value: (m) => m.resolution.medianCalendarMinutes },
  { header: '解决及时率', width: 10, pct: true, value: (m) => m.resolution.metRate },
  { header: '超时工单', width: 9, value: (m) => m.breaches.tickets },
  { header: '重开工单', width: 9, value: (m) => m.reopened.tickets },
  { header: '重开次数', width: 9, value: (m) => m.reopened.count },
  { header: '回访发送', width: 9, value: (m) => m.survey.sent },
  { header: '回访评价', width: 9, value: (m) => m.survey.answered },
  { header: '回访应答率', width: 10, pct: true, value: (m) => m.survey.responseRate },
  { header: '平均满意度', width: 10, value: (m) => m.survey.averageScore },
  { header: '满意占比', width: 9, pct: true, value: (m) => m.survey.satisfiedShare },
  { header: '未评价', width: 8, value: (m) => m.survey.unrated },
  { header: '未评价（已回访未果）', width: 10, value: (m) => m.resolution.unratedAfterFollowUp },
  { header: '重大投诉', width: 9, value: (m) => m.major },
  { header: '未解决', width: 8, value: (m) => m.backlog.open },
  { header: '最长等待（自然分钟）', width: 12, value: (m) => m.backlog.oldestAgeMinutes },
  { header: '导入的历史记录（不计入以上指标）', width: 14, value: (m) => m.imported },
];

const CSV_DANGER = /^[=+\-@\t\r]/;
function csvField(v: Cell, local: (d: Date) => string): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return local(v);
  if (typeof v === 'number') return String(v);
  // Customer text must not become a formula when the CSV is opened in a spreadsheet.
  const s = CSV_DANGER.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

interface Pass {
  rows: number;
  digest: string;
  months: Map<string, MetricsAcc>;
  total: MetricsAcc;
}

/** Streams the 台账 rows of the range (probes left out) to `onRow`, accumulating the summary on the way. */
async function ledgerPass(
  deps: StatsDeps,
  range: DateRange,
  opts: LedgerOptions,
  onRow: (cells: Cell[]) => void | Promise<void>,
  date?: (d: Date | null) => Cell,
): Promise<Pass> {
  const { config, calendar, now, database } = deps;
  const factOpts = { calendar, satisfiedMin: config.survey.satisfiedMin, now };
  const names = new Map(config.categories.map((c) => [c.id, c.name]));
  const categoryName = (id: string) => names.get(id) ?? categoryOf(config, id).name;
  const hash = createHash('sha256');
  const months = new Map(monthsOf(range).map((m) => [m, emptyAcc()]));
  const total = emptyAcc();
  let rows = 0;
  const people = await loadPeople(database.db, config);
  const q = { columns: LEDGER_COLUMNS, from: LEDGER_FROM, where: `${IN_RANGE} and not t.is_probe`, params: rangeParams(range) };
  for await (const batch of streamTickets(database, q, opts.batchSize ?? 1000)) {
    for (const raw of batch) {
      const t = toLedgerTicket(raw);
      const f = ticketFacts(t, factOpts);
      addFacts(months.get(f.month) ?? months.set(f.month, emptyAcc()).get(f.month)!, f, factOpts.satisfiedMin);
      addFacts(total, f, factOpts.satisfiedMin);
      hash.update(`${t.code} ${t.chainHead ?? '-'}\n`);
      rows++;
      const p = onRow(ledgerRow(t, f, categoryName, opts.unmasked === true, date, people));
      if (p) await p;
    }
  }
  return { rows, digest: hash.digest('hex'), months, total };
}

/** The source files of the imported rows of the range, with how many rows each gave. */
export async function importedFiles(deps: Pick<StatsDeps, 'database'>, range: DateRange): Promise<ImportedFile[]> {
  const rows = await rawQuery<{ file: string; sha256: string; n: number; at: string | null }>(
    deps.database,
    `select t.imported->>'file' as file, t.imported->>'sha256' as sha256, count(*)::int as n, min(t.imported->>'importedAt') as at
       from tickets t where ${IN_RANGE} and t.imported is not null group by 1, 2 order by 4, 1`,
    rangeParams(range),
  );
  return rows.map((r) => ({ file: r.file, sha256: r.sha256, rows: Number(r.n), importedAt: r.at }));
}

async function countProbes(deps: StatsDeps, range: DateRange): Promise<number> {
  const [r] = await rawQuery<{ n: number }>(deps.database, `select count(*)::int as n from tickets t where ${IN_RANGE} and t.is_probe`, rangeParams(range));
  return Number(r?.n ?? 0);
}

/** Writes the CSV of the 台账 sheet (UTF-8 with BOM so Excel reads the Chinese headers). */
export async function writeLedgerCsv(deps: StatsDeps, range: DateRange, out: string | Writable, opts: LedgerOptions = {}): Promise<LedgerSummary> {
  const stream = typeof out === 'string' ? createWriteStream(out) : out;
  const local = localTimeFormatter(deps.calendar.timeZone);
  const write = async (line: string) => {
    if (!stream.write(line)) await once(stream, 'drain');
  };
  // A demo ledger says so on its first line, before the header, where nobody opening it can miss it.
  const demo = await isDemoDatabase(deps.database);
  const unfinished = unfinishedNote(range);
  const notices = [...(demo ? [DEMO_NOTICE] : []), ...(unfinished ? [unfinished] : [])].map((n) => `${csvField(n, local)}\r\n`).join('');
  await write(`\uFEFF${notices}${LEDGER_SHEET_COLUMNS.map((c) => c.header).join(',')}\r\n`);
  let buffer = '';
  const pass = await ledgerPass(deps, range, opts, (cells) => {
    buffer += `${cells.map((c) => csvField(c, local)).join(',')}\r\n`;
    if (buffer.length > 64_000) {
      const chunk = buffer;
      buffer = '';
      return write(chunk);
    }
  });
  if (buffer) await write(buffer);
  await write(`${signOffCsv(signOffOf(deps, opts.by))}\r\n`);
  if (typeof out === 'string') {
    stream.end();
    await once(stream, 'finish');
  }
  return summaryOf(deps, range, pass, await countProbes(deps, range), 0, 0, await importedFiles(deps, range));
}

function summaryOf(deps: StatsDeps, range: DateRange, pass: Pass, probes: number, surveys: number, major: number, imported: ImportedFile[]): LedgerSummary {
  return {
    range,
    exportedAt: deps.now,
    rows: pass.rows,
    probesLeftOut: probes,
    months: [...pass.months].map(([month, acc]) => ({ month, metrics: finalizeMetrics(acc) })),
    total: finalizeMetrics(pass.total),
    eventLogDigest: pass.digest,
    surveys,
    majorComplaints: major,
    imported: { rows: imported.reduce((n, f) => n + f.rows, 0), files: imported },
  };
}

/**
 * exceljs' streaming writer ignores backpressure: rows pile up in the zip entry's input while a synchronous loop
 * keeps the event loop busy. Yield until that buffer is below 1 MB, so memory stays flat whatever the row count.
 */
/**
 * Whether this runtime has exceljs's streaming writer. On Cloudflare Workers the bundler picks exceljs's browser
 * build, which has none: the XLSX ledger (and the audit pack that contains it) is Node-only; CSV works everywhere.
 */
export const xlsxLedgerAvailable = (): boolean => typeof ExcelJS.stream?.xlsx?.WorkbookWriter === 'function';
export const XLSX_UNAVAILABLE =
  'XLSX 台账需要 Node 运行时（本环境没有 exceljs 的流式写入）：请改用 CSV 台账（GET /api/ledger.csv），或在 Node 上运行 npx loopdesk ledger。';

export async function sheetBackpressure(ws: ExcelJS.Worksheet): Promise<void> {
  const state = (ws as unknown as { stream?: { pipes?: Array<{ _writableState?: { length: number } }> } }).stream?.pipes?.[0]?._writableState;
  do await new Promise<void>((r) => setImmediate(r));
  while (state && state.length > 1024 * 1024);
}

const HEADER_FONT = { bold: true } as const;
const HEADER_FILL = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE8EEF7' } } as const;
const DATE_FMT = 'yyyy-mm-dd hh:mm:ss';

function header(ws: ExcelJS.Worksheet, titles: string[]) {
  const row = ws.addRow(titles);
  row.font = HEADER_FONT;
  row.eachCell((c) => {
    c.fill = HEADER_FILL;
    c.alignment = { vertical: 'middle', wrapText: true };
  });
  row.commit();
}

/**
 * Every sheet prints as a reviewer files it: A4 landscape, all columns on one page width, the header row repeated on
 * each page, the company and range in the page header, page numbers in the footer; the header row frozen on screen.
 */
function printable(range: string, company: string) {
  const esc = (text: string) => text.replaceAll('&', '&&'); // '&' starts a code in Excel's header/footer syntax
  return {
    views: [{ state: 'frozen' as const, ySplit: 1 }],
    pageSetup: {
      paperSize: 9,
      orientation: 'landscape' as const,
      fitToPage: true,
      fitToWidth: 1,
      fitToHeight: 0,
      printTitlesRow: '1:1',
      horizontalCentered: true,
      margins: { left: 0.4, right: 0.4, top: 0.6, bottom: 0.6, header: 0.3, footer: 0.3 },
    },
    headerFooter: { oddHeader: `&L${esc(company)}&C&A&R${esc(range)}`, oddFooter: '&C第 &P 页，共 &N 页' },
  };
}

/** The sign-off block under a sheet's last row (labels in column A, names in B); the stamp row is tall enough to stamp. */
function signOffSheetRows(ws: ExcelJS.Worksheet, s: SignOff): void {
  ws.addRow([]).commit();
  for (const [label, value] of signOffRows(s)) {
    const row = ws.addRow([label, value]);
    row.font = HEADER_FONT;
    if (!value) row.height = 72;
    row.commit();
  }
}

const fitWidth = (values: unknown[], min = 8, max = 60) =>
  Math.min(max, Math.max(min, ...values.map((v) => [...String(v ?? '')].reduce((n, ch) => n + (ch.charCodeAt(0) > 255 ? 2 : 1), 0) + 2)));

/** Writes the XLSX ledger. `out`: a file path or a writable stream (HTTP response). */
export async function writeLedgerXlsx(deps: StatsDeps, range: DateRange, out: string | Writable, opts: LedgerOptions = {}): Promise<LedgerSummary> {
  const { config, calendar, now, database } = deps;
  const wall = wallClock(calendar.timeZone);
  const local = localTimeFormatter(calendar.timeZone);
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({
    ...(typeof out === 'string' ? { filename: out } : { stream: out }),
    useStyles: true,
    useSharedStrings: false,
  });
  // The file's properties name the company that answers for it, not the software that wrote it.
  wb.creator = config.company.name;
  wb.lastModifiedBy = config.company.name;
  wb.title = `${config.company.name} 客户反馈（投诉）处理台账 ${range.fromDay} 至 ${range.toDay}`;
  wb.subject = '客户反馈（投诉）处理台账';
  wb.created = now;
  const frozen = printable(`${range.fromDay} 至 ${range.toDay}`, config.company.name);
  // A demo workbook says 演示数据 in every sheet's name (the tab), in its printed header, its properties, and first in 说明.
  const demo = await isDemoDatabase(database);
  if (demo) Object.assign(wb, { title: `【${DEMO_LABEL}】${wb.title}`, subject: DEMO_NOTICE });
  const demoSheet = { ...frozen, headerFooter: { ...frozen.headerFooter, oddHeader: frozen.headerFooter.oddHeader.replace('&C&A', `&C${DEMO_LABEL} · &A`) } };
  const sheet = (name: string) => wb.addWorksheet(demo ? `${name}（${DEMO_LABEL}）` : name, demo ? demoSheet : frozen);

  // 台账
  const ledger = sheet('台账');
  ledger.columns = LEDGER_SHEET_COLUMNS.map((c) => ({
    width: c.width,
    style: c.kind === 'date' ? { numFmt: DATE_FMT } : c.kind === 'minutes' ? { numFmt: '0.0' } : c.kind === 'int' ? { numFmt: '0' } : {},
  }));
  header(
    ledger,
    LEDGER_SHEET_COLUMNS.map((c) => c.header),
  );
  let pending = 0;
  const pass = await ledgerPass(
    deps,
    range,
    opts,
    (cells) => {
      ledger.addRow(cells).commit();
      if (++pending % 1000 === 0) return sheetBackpressure(ledger);
    },
    (d) => (d ? wall(d) : null),
  );
  ledger.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: LEDGER_SHEET_COLUMNS.length } };
  const signed = signOffOf(deps, opts.by);
  signOffSheetRows(ledger, signed);
  ledger.commit();

  // 月度汇总
  const months = [...pass.months].map(([month, acc]) => ({ month, metrics: finalizeMetrics(acc) }));
  const total = finalizeMetrics(pass.total);
  const summary = sheet('月度汇总');
  summary.columns = [{ width: 10 }, ...SUMMARY_COLUMNS.map((c) => ({ width: c.width, style: c.pct ? { numFmt: '0.0%' } : {} }))];
  header(summary, ['月份', ...SUMMARY_COLUMNS.map((c) => c.header)]);
  for (const { month, metrics } of [...months, { month: '合计', metrics: total }]) {
    summary.addRow([monthLabel(month, range), ...SUMMARY_COLUMNS.map((c) => c.value(metrics))]).commit();
  }
  // The 92% reference is the complaint resolution rate of passing companies: each category's own figures, below.
  summary.addRow([]).commit();
  summary.addRow(['各类别（区间合计）']).commit();
  for (const c of (await computeStats(deps, range)).byCategory) summary.addRow([c.name, ...SUMMARY_COLUMNS.map((col) => col.value(c.metrics))]).commit();
  summary.addRow([]).commit();
  const unfinished = unfinishedNote(range);
  if (unfinished) summary.addRow([unfinished]).commit();
  summary.addRow([REFERENCE_NOTE]).commit();
  summary.addRow(['各项指标的口径见“说明”页“口径说明”。']).commit();
  summary.commit();

  // 回访记录
  const surveys = sheet('回访记录');
  const surveyHeaders = ['工单号', '分类', '处理人', '回访次序', '回访发送时间', '评价时间', '满意度评分', '评价内容', '回访结果', '回访方式', '回访人'];
  surveys.columns = [18, 10, 12, 8, 19, 19, 10, 30, 14, 10, 12].map((width, i) => ({ width, style: i === 4 || i === 5 ? { numFmt: DATE_FMT } : {} }));
  header(surveys, surveyHeaders);
  let surveyRows = 0;
  const surveyCount = await surveyRecords(deps, range, (cells) => {
    surveys.addRow(cells.map((v) => (v instanceof Date ? wall(v) : v))).commit();
    if (++surveyRows % 1000 === 0) return sheetBackpressure(surveys);
  });
  surveys.commit();

  // 重大投诉
  const major = sheet('重大投诉');
  const majorRows = await majorTimelines(deps, range, opts.unmasked === true);
  major.columns = [18, 6, 19, 16, 18, 60].map((width, i) => ({
    width,
    style: i === 2 ? { numFmt: DATE_FMT } : i === 5 ? { alignment: { wrapText: true, vertical: 'top' as const } } : {},
  }));
  header(major, ['工单号', '序号', '时间', '操作人', '事件', '内容']);
  for (const r of majorRows.rows) major.addRow([r[0], r[1], wall(r[2] as Date), r[3], r[4], r[5]]).commit();
  if (majorRows.codes.length === 0) major.addRow(['区间内没有重大投诉']).commit();
  else {
    // The chain check is the system's verdict on the rows above, not one of the case's events: a block of its own.
    major.addRow([]).commit();
    const title = major.addRow(['哈希链校验', `导出时（${local(deps.now)}）对上列每件重大投诉的事件日志逐条复核的结果`]);
    title.font = HEADER_FONT;
    title.commit();
    const head = major.addRow(['工单号', '事件数', '', '结果', '', '链头哈希']);
    head.font = HEADER_FONT;
    head.commit();
    for (const c of majorRows.checks) major.addRow([c.code, c.events, null, c.result, null, c.head]).commit();
  }
  major.commit();

  // 服务承诺
  const policy = sheet('服务承诺');
  const policyRows = policySheetRows(deps, range);
  policy.columns = [0, 1, 2, 3, 4, 5].map((i) => ({
    width: fitWidth(
      policyRows.map((r) => r[i]),
      10,
      50,
    ),
  }));
  header(policy, policyRows[0] as string[]);
  for (const r of policyRows.slice(1)) policy.addRow(r).commit();
  policy.commit();

  // 说明
  const probes = await countProbes(deps, range);
  const result = summaryOf(deps, range, pass, probes, surveyCount, majorRows.codes.length, await importedFiles(deps, range));
  const notes = sheet('说明');
  const noteRows = [...(demo ? [[DEMO_LABEL, DEMO_NOTICE]] : []), ...explanationRows(deps, result, opts, database.kind, local)];
  notes.columns = [{ width: 22 }, { width: 100, style: { alignment: { wrapText: true, vertical: 'top' } } }];
  header(notes, ['项目', '内容']);
  for (const r of noteRows) notes.addRow(r).commit();
  signOffSheetRows(notes, signed);
  notes.commit();

  await wb.commit();
  return result;
}

/** 回访记录: every survey sent, its answer and outcome, from the event log (a reopened ticket has several). */
async function surveyRecords(deps: StatsDeps, range: DateRange, onRow: (cells: Cell[]) => void | Promise<void>): Promise<number> {
  const { config, database } = deps;
  const q = {
    columns: `t.id::float8 as id, t.code, t.category, a.platform as agent_platform, a.user_id as agent_user_id, a.name as agent_name,
      e.seq, e.type, e.data::text as data, (extract(epoch from e.at) * 1000)::float8 as at`,
    from: `ticket_events e join tickets t on t.id = e.ticket_id left join agents a on a.id = t.assignee_id`,
    where: `${IN_RANGE} and not t.is_probe and e.type in ('survey_sent', 'survey_answered', 'reopened', 'closed', 'follow_up_started', 'follow_up_attempt')`,
    params: rangeParams(range),
  };
  const people = await loadPeople(database.db, config);
  const agentOf = (r: Record<string, unknown>) =>
    r.agent_user_id ? people({ platform: String(r.agent_platform), userId: String(r.agent_user_id), name: r.agent_name as string | null }) : null;
  let count = 0;
  let current: {
    code: string;
    category: string;
    agent: string;
    n: number;
    sent: Date;
    answered: Date | null;
    score: number | null;
    comment: string | null;
    result: string;
    method: string;
    by: string;
  } | null = null;
  let lastTicket = -1;
  let n = 0;
  const flush = async () => {
    if (!current) return;
    const row = current;
    current = null;
    count++;
    await onRow([
      row.code,
      categoryOf(config, row.category).name,
      row.agent,
      row.n,
      row.sent,
      row.answered,
      row.score,
      row.comment,
      row.result,
      row.method,
      row.by,
    ]);
  };
  for await (const batch of streamQuery(database, q, [
    { expr: 't.created_at', type: 'timestamptz' },
    { expr: 't.id', type: 'bigint' },
    { expr: 'e.seq', type: 'int' },
  ])) {
    for (const r of batch) {
      const id = Number(r.id);
      if (id !== lastTicket) {
        await flush();
        lastTicket = id;
        n = 0;
      }
      const data = JSON.parse(String(r.data)) as Record<string, unknown>;
      const at = new Date(Number(r.at));
      if (r.type === 'survey_sent') {
        await flush();
        current = {
          code: String(r.code),
          category: String(r.category),
          agent: agentOf(r) ?? '未分配',
          n: ++n,
          sent: at,
          answered: null,
          score: null,
          comment: null,
          result: '等待评价',
          method: '系统问卷',
          by: AUTO_SURVEY,
        };
      } else if (current && r.type === 'survey_answered') {
        // An answer an agent took by phone names them (follow-up.ts); otherwise the customer answered themselves.
        const byPhone = data.via === 'phone';
        [current.method, current.by] = surveyWho(data, people);
        current.answered = byPhone && typeof data.calledAt === 'string' ? new Date(data.calledAt) : at;
        current.score = Number(data.score);
        current.comment = (data.comment as string | null) ?? null;
      } else if (current && r.type === 'follow_up_started') {
        current.result = '待电话回访';
      } else if (current && r.type === 'follow_up_attempt') {
        // Who tried, when and how: every failed attempt of the follow-up, in order.
        current.method = String(data.means ?? '');
        const who = String(data.byName ?? '客服（姓名未登记）');
        const before = current.by === AUTO_SURVEY ? null : current.by;
        current.by = before && before !== who ? `${before}、${who}` : who;
        current.result = `回访未果 ${String(data.attempt)} 次（${String(data.means)}·${String(data.result)}）`;
      } else if (current && r.type === 'reopened') {
        current.result = '不满意，已重开';
        await flush();
      } else if (current && r.type === 'closed') {
        const unrated = data.followUpAttempts ? `未评价（已回访 ${String(data.followUpAttempts)} 次未果），已归档` : '未评价，已归档';
        current.result = data.reason === 'satisfied' ? '满意，已归档' : data.reason === 'unrated' ? unrated : '已归档';
        await flush();
      }
    }
  }
  await flush();
  return count;
}

interface ChainCheckRow {
  code: string;
  events: number;
  result: string;
  head: string;
}

async function majorTimelines(deps: StatsDeps, range: DateRange, unmasked: boolean): Promise<{ codes: string[]; rows: Cell[][]; checks: ChainCheckRow[] }> {
  const codes = await majorCodesInRange(deps.database, range);
  const rows: Cell[][] = [];
  const checks: ChainCheckRow[] = [];
  for (const code of codes) {
    const doc = await buildCase(deps, code, { unmasked });
    if (!doc) continue;
    for (const e of doc.timeline) rows.push([code, e.seq, e.at, e.actor, e.event, e.detail]);
    const result = doc.chain.intact ? '完整' : `失败：第 ${doc.chain.brokenAt} 条事件处断开（${doc.chain.reason}）`;
    checks.push({ code, events: doc.eventCount, result, head: doc.chain.head });
  }
  return { codes, rows, checks };
}

/** The survey rule in one place for the 服务承诺 sheet: answer, reminder, then a named person's phone follow-up. */
export function surveyRuleText(config: Config): string {
  const s = config.survey;
  return (
    `解决后自动发送；${s.satisfiedMin}–5 分为满意（归档），低于 ${s.satisfiedMin} 分重开并通知负责人。` +
    `${s.reminderHours} 小时未评价提醒一次；发送 ${s.unratedAfterDays} 天后仍未评价的，转为处理人（无处理人时为负责人）的电话回访任务，` +
    `回访人记录客户评价或每次未果的尝试（时间、方式、结果）；${s.followUpAttempts} 次未果才按“未评价（已回访 ${s.followUpAttempts} 次未果）”归档，绝不视为满意。`
  );
}

/** 服务承诺: categories and promises, working hours, holidays and make-up days of the years in range, survey rules. */
export function policySheetRows(deps: Pick<StatsDeps, 'config' | 'calendar'>, range: Pick<DateRange, 'fromDay' | 'toDay'>): Cell[][] {
  const { config, calendar } = deps;
  const clockLabel = (c: string) => (c === 'business' ? '工作时间' : '自然时间');
  const rule = (m: number | null, clock: 'business' | 'calendar', what: string) => promiseRule(m, clock, config.calendar.hours, what);
  const rows: Cell[][] = [['分类', '首次响应承诺（告知客户的原话）', '解决承诺', '计时方式', '优先级']];
  for (const c of config.categories) {
    rows.push([
      c.name,
      rule(c.firstResponseMinutes, c.clock, '首次回复'),
      rule(c.resolutionMinutes, c.clock, '解决'),
      clockLabel(c.clock),
      PRIORITY_LABELS[c.priority] ?? c.priority,
    ]);
  }
  const major = majorPromiseText(config);
  rows.push(['重大投诉', major.firstResponse, major.resolution, clockLabel(config.major.clock), '—'], ['', major.sentence]);
  const weekday = ['', '周一', '周二', '周三', '周四', '周五', '周六', '周日'];
  const hoursText = config.calendar.hours.map((h) => `${h.start}–${h.end}`).join('、');
  rows.push(
    [],
    ['工作时间', hoursText, '工作日', config.calendar.workdays.map((d) => weekday[d]).join('、'), '时区', zoneLabel(calendar.timeZone)],
    ['日历版本', calendarVersionLabel(calendar.version), '说明', '每张工单在受理时保存当时的时限与日历版本，台账按各自的快照判定是否及时。'],
    ['满意度回访', surveyRuleText(config)],
    [
      '超时升级',
      config.sla.ladder
        .map((s) => `超时 ${s.afterMinutes} 分钟通知${s.notify === 'assignee' ? '处理人' : s.notify === 'leads' ? '负责人' : '管理员'}`)
        .join('；'),
      '即将超时提醒',
      `时限过去 ${Math.round(config.sla.dueSoonRatio * 100)}% 时提醒`,
    ],
    [],
    ['日期', '类型', '名称'],
  );
  const years = new Set<number>();
  for (let y = Number(range.fromDay.slice(0, 4)); y <= Number(range.toDay.slice(0, 4)); y++) years.add(y);
  for (const y of years) {
    for (const d of calendar.specialDays(y)) rows.push([d.date, d.kind === 'holiday' ? '法定节假日（休息）' : '调休上班', d.name]);
  }
  return rows;
}

/** 说明: who each name column of 台账 is (the reviewer's 「谁受理、谁跟进、谁回访」). */
const RESPONSIBILITY_ROWS: Cell[][] = [
  [],
  ['责任人', '台账中的人员一律写姓名（平台显示名或控制台账号名），不写平台内部编号；无法取得姓名时注明“姓名未登记”。'],
  [
    '受理人',
    `客服代客户登记的电话、来访、信函工单，为登记的客服；客户通过飞书、钉钉、官网留言、邮件、开放接口等自助渠道提交的，由系统在收到时自动生成工单并回复工单号与时限承诺，记为“${AUTO_RECEIVED}”。`,
  ],
  ['跟进人（处理人）', '认领并处理该工单的客服；已解决的工单即解决时的处理人。尚未认领的记为“未分配”。'],
  [
    '回访方式、回访人',
    `最近一次满意度回访：“系统问卷”为工单解决后系统自动发给客户的评价问卷，回访人记为“${AUTO_SURVEY}”；“电话”为客服电话回访并录入客户评价，回访人为录入的客服。尚未回访的为空；每一次回访见“回访记录”页。`,
  ],
  ['升级', '客服把工单升级给负责人时，事件日志记录被通知的负责人姓名，见“重大投诉”页和各工单的处理记录。'],
  ['签字', '台账页与本页末尾留有制表人、审核人、日期与盖章处：制表人为导出本文件的人，审核人取自系统配置中登记的审核人，未登记时留空供手签。'],
];
/** 说明 rows of the imported records: what they are, what the event log proves of them, and each source file's hash. */
export function importedNotes(imported: LedgerSummary['imported'], local: (d: Date) => string): Cell[][] {
  if (imported.rows === 0) return [];
  return [
    [
      '导入的历史记录',
      `${imported.rows} 件工单是上线前的记录，从公司原有台账导入，标记为“导入”（工单号以 ${IMPORTED_CODE_PREFIX}- 开头，“记录来源”列注明来源文件、行号与原编号），处理结果为原台账所记。${IMPORTED_GUARANTEE}`,
    ],
    ...imported.files.map((f) => [
      '导入来源文件',
      `${f.file}：${f.rows} 条；导入时间 ${f.importedAt ? local(new Date(f.importedAt)) : '未知'}（北京时间）；文件 SHA-256 ${f.sha256}`,
    ]),
  ];
}

function explanationRows(deps: StatsDeps, s: LedgerSummary, opts: LedgerOptions, dbKind: string, local: (d: Date) => string): Cell[][] {
  const { config } = deps;
  return [
    ['公司', companyLabel(config)],
    ['文件', '客户反馈（投诉）处理台账，由客户反馈系统从数据库直接生成，可随时按同一区间重新导出核对。'],
    ['统计区间', `${s.range.fromDay} 至 ${s.range.toDay}（含首尾，北京时间，按收到时间）`],
    ['导出时间', `${local(s.exportedAt)}（北京时间）`],
    ['导出方式', opts.source ?? '系统导出'],
    ['台账行数', `${s.rows} 件工单${s.imported.rows ? `（其中导入的历史记录 ${s.imported.rows} 件）` : ''}`],
    [
      '未列入的工单',
      `拨测工单 ${s.probesLeftOut} 件（编号以 TC 开头，系统定时发送的渠道可用性测试，不是客户反馈，另行编号，所以客户工单的 FB 编号连续不缺号）；被合并的重复工单列入台账但不计入任何指标。`,
    ],
    ...importedNotes(s.imported, local),
    ...(s.rows === 0
      ? [['区间内没有工单', '这个区间没有收到客户反馈：可能系统刚上线，或区间早于上线时间。请换一个区间，或以实际受理数据为准，不要补录。']]
      : []),
    ...(s.range.unfinishedMonth ? [['未结束的月份', unfinishedNote(s.range)]] : []),
    ['回访记录', `${s.surveys} 次满意度回访（含重开后的再次回访）`],
    ['重大投诉', `${s.majorComplaints} 件，完整时间线见“重大投诉”页`],
    ['本区间解决率', `${pct(s.total.resolution.rate)}（${resolutionBreakdown(s.total.resolution)}）`],
    [
      '客户信息',
      opts.unmasked
        ? '未脱敏（按明确要求导出完整姓名与联系方式，请妥善保管）'
        : '已脱敏（姓名保留首字，手机号保留前三后四位；内容摘要与评价内容里的手机号、证件号、银行卡号、订单号保留前三后四位，邮箱保留首字与域名）',
    ],
    ['事件日志摘要（SHA-256）', s.eventLogDigest],
    [
      '摘要算法',
      '按台账行顺序，对每行“工单号 + 空格 + 事件链头哈希 + 换行”拼接后计算 SHA-256。事件链头哈希是该工单事件日志最后一条的哈希，每条哈希 = SHA-256(上一条哈希 + 本条内容)，任何事后修改都会改变链头，从而改变本摘要。',
    ],
    ['数据库', dbKind === 'postgres' ? '独立数据库服务器' : '系统内置数据库'],
    ['时间', '所有时间为北京时间；“计时分钟”按工单的计时方式（工作时间或自然时间）计算，“自然分钟”为实际经过时间。'],
    ...RESPONSIBILITY_ROWS,
    [],
    ['口径说明', ''],
    ...metricDefinitions(config.survey.satisfiedMin, config.categories).map((d) => [d.name, d.formula]),
    ['参考值', REFERENCE_NOTE],
    [],
    ['各页说明', ''],
    [
      '台账',
      '每张工单一行：渠道、客户、分类、内容摘要、收到时间、承诺时限、首次响应与解决的时间和用时、是否及时、处理人、结果、回访与评价、重开次数、状态、重大投诉标记、事件链头哈希。',
    ],
    ['月度汇总', '按月及合计的各项指标，与台账逐行计算的结果一致。'],
    ['回访记录', '每一次满意度回访的发送、评价与结果（来自事件日志）。'],
    ['重大投诉', '每件重大投诉的完整处理时间线及哈希链校验结果。'],
    ['服务承诺', '现行各分类的时限承诺、工作时间、法定节假日与调休安排、回访与升级规则。'],
  ];
}
