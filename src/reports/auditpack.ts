/**
 * The auditor's package: one zip with the ledger, the mechanism description, the case report of every major
 * complaint in the range, the SLA policy and calendar, the verified chain heads of the event log, and a manifest
 * with the SHA-256 of every file. Everything is generated from the database, so the same range reproduces it.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Zip, ZipDeflate, ZipPassThrough } from 'fflate';
import { verifyChain, type ChainCheck } from '../core/hash.ts';
import { buildCase } from './case.ts';
import { asc } from 'drizzle-orm';
import { evidenceSeals } from '../db/schema/index.ts';
import { verifyRecords } from '../records/verify.ts';
import { localTimeFormatter } from './format.ts';
import { policySheetRows, writeLedgerXlsx, type LedgerSummary } from './ledger.ts';
import { definitionsMarkdown, REFERENCE_NOTE, resolutionBreakdown } from '../core/metrics.ts';
import { pct } from '../../cards/stats.ts';
import { mechanismMarkdown, type MechanismDeps } from './mechanism.ts';
import { DEMO_LABEL, DEMO_NOTICE, isDemoDatabase } from '../demo/marker.ts';
import type { DateRange } from './range.ts';
import { IN_RANGE, majorCodesInRange, rangeParams, rawQuery, streamQuery } from './source.ts';
import { readinessLines, readinessSummary, type ReadinessItem } from '../core/readiness.ts';
import { mechanismDocx } from './mechanism-docx.ts';
import { companyLabel } from '../promise/content.ts';
import { probeLog, probeLogCsv } from './probe-log.ts';
import { monthsOf, unfinishedNote } from './range.ts';
import { signOffCsv, signOffJson, signOffLines, signOffMarkdown, signOffOf, type SignOff } from './sign-off.ts';
import { IMPORTED_GUARANTEE } from '../core/imported.ts';

/** Months of the range whose figures are not whole: still running, or before the first ticket (go-live). */
export function incompleteMonths(
  range: DateRange,
  firstTicketAt: Date | null,
  importedMonths: ReadonlySet<string> = new Set(),
): Array<{ month: string; reason: string }> {
  const out: Array<{ month: string; reason: string }> = [];
  const firstMonth = firstTicketAt ? new Date(firstTicketAt.getTime() + 8 * 3_600_000).toISOString().slice(0, 7) : null;
  for (const m of monthsOf(range)) {
    if (m === range.unfinishedMonth) out.push({ month: m, reason: `本月尚未结束，数据截至 ${range.asOfDay ?? range.toDay}` });
    else if ((!firstMonth || m < firstMonth) && importedMonths.has(m))
      out.push({ month: m, reason: '系统尚未上线：只有从原有台账导入的历史记录（不计入指标）' });
    else if (!firstMonth || m < firstMonth) out.push({ month: m, reason: '系统尚未上线，没有记录' });
    else if (m === firstMonth) out.push({ month: m, reason: '上线当月，记录不满整月' });
  }
  return out;
}

export interface AuditPackResult {
  path: string;
  files: Array<{ name: string; bytes: number; sha256: string }>;
  ledger: LedgerSummary;
  chains: ChainSummary;
  majorComplaints: string[];
  /** `loopdesk verify` over the range (records/verify.ts): findings, and the roots listed. */
  verify: { findings: number; seals: number; anchors: number };
}

export interface ChainSummary {
  tickets: number;
  events: number;
  intact: number;
  broken: Array<{ code: string; brokenAt: number | null; reason: string | null }>;
  /** SHA-256 of event-log-heads.csv (one line per ticket: code, events, head, intact). */
  headsDigest: string;
  /** Probe tickets (TC-…): verified too, but listed apart (their own file when one is given) and not in `tickets`. */
  probes: string[];
  probesDigest: string | null;
}

/** A CSV file written line by line with the SHA-256 of its bytes. */
function digestedCsv(path: string) {
  const out = createWriteStream(path);
  const hash = createHash('sha256');
  return {
    async write(line: string) {
      hash.update(line);
      if (!out.write(line)) await once(out, 'drain');
    },
    async close(): Promise<string> {
      out.end();
      await once(out, 'finish');
      return hash.digest('hex');
    },
  };
}

const HEADS_HEADER = '\uFEFF工单号,事件数,链头哈希,哈希链完整\n';

/**
 * Verifies every ticket's chain in the range (streamed) and writes one CSV line per ticket. Probe tickets are
 * verified too but written to `probesCsv` when given (a reviewer must not read a test complaint as a customer's).
 */
export async function verifyChains(
  deps: Pick<MechanismDeps, 'database'>,
  range: DateRange,
  outCsv: string,
  probesCsv?: string,
  signOff?: SignOff,
): Promise<ChainSummary> {
  const main = digestedCsv(outCsv);
  const side = probesCsv ? digestedCsv(probesCsv) : null;
  // The BOM is part of the file (and of its digest): Excel in China needs it to read the Chinese headers.
  await main.write(HEADS_HEADER);
  await side?.write(HEADS_HEADER);
  const summary: ChainSummary = { tickets: 0, events: 0, intact: 0, broken: [], headsDigest: '', probes: [], probesDigest: null };
  const q = {
    columns:
      't.code, t.is_probe, t.evidence_salt, e.v, e.ticket_id::float8 as ticket_id, e.seq, e.type, e.actor, e.data::text as data, ' +
      '(extract(epoch from e.at) * 1000)::float8 as at, e.prev_hash, e.hash',
    from: 'ticket_events e join tickets t on t.id = e.ticket_id',
    where: IN_RANGE,
    params: rangeParams(range),
  };
  let code = '';
  let probe = false;
  let salt: string | null = null;
  let rows: Parameters<typeof verifyChain>[0] = [];
  const flush = async () => {
    if (!code) return;
    const check: ChainCheck = verifyChain(rows, salt);
    if (probe) summary.probes.push(code);
    else {
      summary.tickets++;
      summary.events += rows.length;
      if (check.intact) summary.intact++;
    }
    if (!check.intact) summary.broken.push({ code, brokenAt: check.brokenAt, reason: check.reason });
    await (probe && side ? side : main).write(`${code},${rows.length},${rows[rows.length - 1]?.hash ?? ''},${check.intact ? '是' : `否：${check.reason}`}\n`);
    rows = [];
  };
  for await (const batch of streamQuery(deps.database, q, [
    { expr: 't.created_at', type: 'timestamptz' },
    { expr: 't.id', type: 'bigint' },
    { expr: 'e.seq', type: 'int' },
  ])) {
    for (const r of batch) {
      if (r.code !== code) {
        await flush();
        code = String(r.code);
        probe = r.is_probe === true;
        salt = (r.evidence_salt as string | null) ?? null;
      }
      rows.push({
        ticketId: Number(r.ticket_id),
        seq: Number(r.seq),
        type: String(r.type),
        actor: String(r.actor),
        data: JSON.parse(String(r.data)),
        at: new Date(Number(r.at)),
        prevHash: String(r.prev_hash),
        hash: String(r.hash),
        v: Number(r.v),
      });
    }
  }
  await flush();
  // Inside the digest: the file the manifest's chainHeadsSha256 names is the signed file.
  if (signOff) await main.write(`${signOffCsv(signOff, '\n')}\n`);
  if (signOff) await side?.write(`${signOffCsv(signOff, '\n')}\n`);
  summary.headsDigest = await main.close();
  summary.probesDigest = side ? await side.close() : null;
  return summary;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Zips `files` (name → path on disk) into `outPath`, streaming; already-compressed files are stored. */
async function zipFiles(files: Array<{ name: string; path: string }>, outPath: string): Promise<void> {
  const out = createWriteStream(outPath);
  const done = new Promise<void>((resolve, reject) => {
    out.on('error', reject);
    out.on('finish', resolve);
  });
  let failed: Error | null = null;
  const zip = new Zip((err, chunk, final) => {
    if (err) {
      failed = err;
      out.destroy(err);
      return;
    }
    out.write(chunk);
    if (final) out.end();
  });
  for (const f of files) {
    const entry = /\.(xlsx|zip|png|jpg)$/i.test(f.name) ? new ZipPassThrough(f.name) : new ZipDeflate(f.name, { level: 6 });
    entry.mtime = new Date();
    zip.add(entry);
    for await (const chunk of createReadStream(f.path)) {
      entry.push(new Uint8Array(chunk as Buffer));
      if (out.writableNeedDrain) await once(out, 'drain');
    }
    entry.push(new Uint8Array(0), true);
  }
  zip.end();
  await done;
  if (failed) throw failed;
}

/** Pictures of the feedback system (src/screenshots/audit.ts), or why there are none. */
export type ScreenshotTaker = (dir: string) => Promise<{ files: Array<{ name: string; path: string }>; notes: string[] } | { missing: string }>;
export const SCREENSHOT_FOLDER = '反馈系统截图';

/** What the pack says when it has no pictures: how to add them. */
export function howToAddScreenshots(reason: string): string {
  return [
    `# ${SCREENSHOT_FOLDER}`,
    '',
    `本材料包生成时未能自动截图：${reason}`,
    '',
    '补充截图的方法（任选其一）：',
    '',
    '1. 请系统管理员在服务器上安装浏览器后重新生成材料包（操作步骤见系统使用手册“审核材料包”一节）。材料包会自动附上：网页反馈表单、服务承诺页、客户工单页（手机）、控制台概览、客服群中的工单卡片。',
    '2. 手工截图：用浏览器打开反馈表单页、服务承诺页、控制台概览页，以及客服群中的一张工单卡片，截图后放入本文件夹。',
    '',
  ].join('\n');
}

const README_FILE = '说明.md';
const POLICY_FILE = '服务承诺与工作日历.md';
const HEADS_FILE = '事件日志链头.csv';
const PROBE_HEADS_FILE = '事件日志链头_拨测工单.csv';

/** Chinese labels of the manifest's keys (the keys stay for machines). */
export const MANIFEST_LABELS: Record<string, string> = {
  title: '标题',
  generatedAt: '生成时间（协调世界时）',
  generatedAtLocal: '生成时间（北京时间）',
  range: '数据区间',
  source: '生成方式',
  files: '文件清单（名称、说明、字节数、SHA-256）',
  eventLog: '事件日志校验',
  chainHeadsSha256: '事件日志链头.csv 的 SHA-256',
  probeTickets: '拨测工单（不计入任何指标，单独列出）',
  probeChainHeadsSha256: '事件日志链头_拨测工单.csv 的 SHA-256',
  ledgerEventLogDigest: '台账“说明”页的事件日志摘要',
  ledger: '台账',
  majorComplaints: '重大投诉工单号',
  probes: '渠道拨测',
  readiness: '预审自检',
  incompleteMonths: '数据不完整的月份',
  howToVerify: '核对方法',
};

const HOW_TO_VERIFY =
  '用任意 SHA-256 工具核对各文件哈希；存证根.csv 中每天的根应与当天发到客服群的“存证根”消息一致；事件日志链头.csv 的 SHA-256 应等于清单中的链头摘要；台账“说明”页的事件日志摘要应与清单一致。同一区间可随时从数据库重新生成。';

/** What each file of the pack is, in the reviewer's words (说明.md and the manifest). */
export function fileLabel(name: string): string {
  if (name.startsWith('台账_') || name.includes('_台账_')) return '客户反馈（投诉）处理台账';
  if (name.startsWith('重大投诉/')) return '重大投诉处理记录';
  if (name.startsWith(`${SCREENSHOT_FOLDER}/`)) return '反馈系统截图';
  const labels: Record<string, string> = {
    [README_FILE]: '本说明：文件清单、统计口径、未列入的内容及原因',
    '客户反馈处理机制说明.md': '客户反馈处理机制说明',
    '客户反馈处理机制说明.docx': '客户反馈处理机制说明（可打印、盖章）',
    '渠道拨测记录.csv': '各渠道拨测（渠道可用性检查）记录',
    '预审自检.md': '预审自检结果',
    [POLICY_FILE]: '服务承诺、工作时间与节假日安排',
    [HEADS_FILE]: '客户工单的事件日志链头与校验结果',
    [PROBE_HEADS_FILE]: '拨测工单的事件日志链头（单独列出）',
    '事件日志校验报告.md': '事件日志完整性校验报告',
    '存证根.csv': '每日存证根',
  };
  return labels[name] ?? (name.endsWith('_请先阅读.txt') ? '演示数据说明' : '附件');
}

function mdCell(v: unknown): string {
  return String(v ?? '').replaceAll('|', '｜');
}

/**
 * The 服务承诺 rows (ledger.ts policySheetRows) as a document: the promises and the holidays as tables, the rules
 * between them (label, value pairs) as a list. Blocks are separated by blank rows.
 */
export function policyMarkdown(company: string, rows: ReadonlyArray<ReadonlyArray<unknown>>): string {
  const blocks: Array<Array<ReadonlyArray<unknown>>> = [[]];
  for (const r of rows) {
    if (r.length === 0) blocks.push([]);
    else blocks[blocks.length - 1].push(r);
  }
  const table = (block: Array<ReadonlyArray<unknown>>) => {
    const width = Math.max(...block.map((r) => r.length));
    const line = (r: ReadonlyArray<unknown>) => `| ${[...r, ...Array(width - r.length).fill('')].map(mdCell).join(' | ')} |`;
    return [line(block[0]), `| ${Array(width).fill('---').join(' | ')} |`, ...block.slice(1).map(line), ''];
  };
  const pairs = (block: Array<ReadonlyArray<unknown>>) =>
    block.flatMap((r) => {
      const items: string[] = [];
      for (let i = 0; i + 1 < r.length; i += 2) if (r[i] !== undefined && r[i] !== '') items.push(`**${mdCell(r[i])}**：${mdCell(r[i + 1])}`);
      return items.length ? [`- ${items.join('；')}`] : [];
    });
  const [promises, rules, ...rest] = blocks.filter((b) => b.length);
  const titles = ['一、分类与时限承诺', '二、工作时间与规则', '三、法定节假日与调休'];
  return `${[
    `# ${company} 服务承诺与工作日历`,
    '',
    `## ${titles[0]}`,
    '',
    ...(promises ? table(promises) : []),
    `## ${titles[1]}`,
    '',
    ...(rules ? [...pairs(rules), ''] : []),
    `## ${titles[2]}`,
    '',
    ...rest.flatMap((b) => (b.length > 1 ? table(b) : ['区间内没有法定节假日或调休安排。', ''])),
  ].join('\n')}\n`;
}

interface ReadmeArgs {
  deps: MechanismDeps;
  range: DateRange;
  ledger: LedgerSummary;
  chains: ChainSummary;
  probes: number;
  majors: string[];
  incomplete: Array<{ month: string; reason: string }>;
  names: string[];
}

/** 说明.md: what the pack holds, the range, what was left out of the figures and why, and the 口径说明. */
function packReadme(a: ReadmeArgs): string {
  const { deps, range, ledger } = a;
  const r = ledger.total.resolution;
  const unfinished = unfinishedNote(range);
  return [
    `# ${companyLabel(deps.config)} 客户反馈处理审核材料 · 说明`,
    '',
    `数据区间：${range.fromDay} 至 ${range.toDay}（北京时间，按收到时间，含首尾两天）`,
    ...(unfinished ? ['', unfinished] : []),
    ...(a.incomplete.length ? ['', '数据不完整的月份：', '', ...a.incomplete.map((m) => `- ${m.month}：${m.reason}`)] : []),
    '',
    '## 文件清单',
    '',
    '| 文件 | 内容 |',
    '| --- | --- |',
    ...[...a.names, README_FILE].map((n) => `| ${mdCell(n)} | ${fileLabel(n)} |`),
    '| manifest.json | 供机器核对的清单（各文件的 SHA-256 与校验结果），各项的中文名称列在清单内的标签表中 |',
    '',
    '## 未列入与不计入的内容及原因',
    '',
    `- 拨测工单 ${a.chains.probes.length} 件（编号以 TC 开头）：系统定时向各渠道发送的测试反馈，用来检查渠道是否畅通，不是客户反馈，因此不列入台账、不计入任何指标；` +
      `它们另有编号序列，所以客户工单的 FB 编号连续不缺号。它们的事件日志仍然校验，单独列在 ${PROBE_HEADS_FILE}，拨测结果见 渠道拨测记录.csv（${a.probes} 次）。`,
    '- 被合并的重复工单：同一客户就同一问题重复提交的，合并到原工单处理；被合并的工单列入台账但不计入任何指标，以免重复计数。',
    `- 没有解决时限的类别（默认为“建议”）：${r.excludedNoTarget} 件，不计入解决率的分子和分母（只记录、答复和采纳，不承诺解决时间）。`,
    `- 已解决·待回访 ${r.awaitingSurvey} 件、未评价 ${r.unrated} 件：列入台账，但不计为已解决。`,
    '',
    '## 主要数字',
    '',
    `- 台账 ${ledger.rows} 件；解决率 ${pct(r.rate)}（${resolutionBreakdown(r)}）；参考值 ${pct(r.reference, 0)}（注）。`,
    `- 重大投诉 ${a.majors.length} 件，处理记录见“重大投诉”文件夹。`,
    `- 事件日志：客户工单 ${a.chains.intact}/${a.chains.tickets} 件完整${a.chains.broken.length ? `；校验失败：${a.chains.broken.map((b) => b.code).join('、')}` : ''}。`,
    '',
    `注：${REFERENCE_NOTE}`,
    '',
    ...definitionsMarkdown(deps.config.survey.satisfiedMin, deps.config.categories),
    '',
    '## 核对方法',
    '',
    HOW_TO_VERIFY,
    '',
  ].join('\n');
}

export interface AuditPackOptions {
  source?: string;
  screenshots?: ScreenshotTaker;
  evidenceKey?: string | null;
  /** The 预审自检 at the time of the pack (reports/readiness.ts); the pack says so when it is missing. */
  readiness?: readonly ReadinessItem[];
  /** 制表人 of every file in the pack (who generated it). */
  by?: string | null;
}

export async function writeAuditPack(deps: MechanismDeps, range: DateRange, outPath: string, opts: AuditPackOptions = {}): Promise<AuditPackResult> {
  const dir = await mkdtemp(join(tmpdir(), 'loopdesk-audit-'));
  try {
    const local = localTimeFormatter(deps.calendar.timeZone);
    // Every file of the pack ends with the same 制表人 / 审核人 / 日期 / 盖章 block (reports/sign-off.ts).
    const signed = signOffOf(deps, opts.by);
    const md = (text: string) => `${text.replace(/\n+$/, '')}\n\n${signOffMarkdown(signed)}\n`;
    const csv = (text: string) => {
      const eol = text.includes('\r\n') ? '\r\n' : '\n';
      return `${text.replace(/(\r?\n)+$/, '')}${eol}${signOffCsv(signed, eol)}${eol}`;
    };
    const files: Array<{ name: string; path: string }> = [];
    const add = async (name: string, content: string | null, path = join(dir, name.replaceAll('/', '_'))) => {
      if (content !== null) await writeFile(path, content);
      files.push({ name, path });
    };

    const demo = await isDemoDatabase(deps.database);
    if (demo)
      await add(
        `${DEMO_LABEL}_请先阅读.txt`,
        `${DEMO_NOTICE}\r\n本材料包中的台账、机制说明和重大投诉报告均来自演示数据库，仅用于了解 Loopdesk 的功能。\r\n\r\n${signOffLines(signed).join('\r\n')}\r\n`,
      );
    const ledgerName = `${demo ? `${DEMO_LABEL}_` : ''}台账_${range.fromDay}_${range.toDay}.xlsx`;
    const ledgerPath = join(dir, 'ledger.xlsx');
    const ledger = await writeLedgerXlsx(deps, range, ledgerPath, { source: opts.source ?? '审核材料包', by: opts.by });
    await add(ledgerName, null, ledgerPath);
    await add('客户反馈处理机制说明.md', await mechanismMarkdown(deps, range, { by: opts.by }));
    const docxPath = join(dir, 'mechanism.docx');
    await writeFile(docxPath, await mechanismDocx(deps, range, { by: opts.by }));
    await add('客户反馈处理机制说明.docx', null, docxPath);
    const probes = await probeLog(deps.database, range);
    await add('渠道拨测记录.csv', csv(probeLogCsv(probes, local)));
    if (opts.readiness) {
      const lines = readinessLines(opts.readiness, { reviewer: true }).map((l) => `- ${l}`);
      await add('预审自检.md', md(`# ${readinessSummary(opts.readiness)}\n\n生成时间：${local(deps.now)}（北京时间）\n\n${lines.join('\n')}\n`));
    }

    const majors = await majorCodesInRange(deps.database, range);
    for (const code of majors) {
      const doc = await buildCase(deps, code, { by: opts.by });
      if (!doc) continue;
      await add(`重大投诉/${code}.html`, doc.html);
      await add(`重大投诉/${code}.md`, `# ${doc.title}\n\n${doc.markdown}\n`);
    }

    const { config, calendar } = deps;
    // The rules in force as a table a reviewer reads (the same rows as the ledger's 服务承诺 sheet).
    await add(POLICY_FILE, md(policyMarkdown(companyLabel(config), policySheetRows(deps, range))));

    // The reviewer's 「反馈系统截图」: taken when a browser is at hand, otherwise a note on how to add them.
    const shotsDir = join(dir, 'shots');
    await mkdir(shotsDir);
    const shots = opts.screenshots
      ? await opts.screenshots(shotsDir).catch((e: Error) => ({ missing: `截图失败：${e.message}` }))
      : { missing: '本次生成未启用截图' };
    if ('missing' in shots) await add(`${SCREENSHOT_FOLDER}/如何添加截图.md`, md(howToAddScreenshots(shots.missing)));
    else {
      for (const f of shots.files) await add(`${SCREENSHOT_FOLDER}/${f.name}`, null, f.path);
      if (shots.notes.length) await add(`${SCREENSHOT_FOLDER}/说明.md`, md(`# ${SCREENSHOT_FOLDER}\n\n${shots.notes.map((n) => `- ${n}`).join('\n')}\n`));
    }

    const headsPath = join(dir, 'heads.csv');
    const probeHeadsPath = join(dir, 'probe-heads.csv');
    const chains = await verifyChains(deps, range, headsPath, probeHeadsPath, signed);
    await add(HEADS_FILE, null, headsPath);
    await add(PROBE_HEADS_FILE, null, probeHeadsPath);

    // The full check (chains, commitments, ledger figures, seals, anchors) and the daily roots it checked.
    const evidence = { database: deps.database, calendar: deps.calendar, clock: { now: () => deps.now }, key: opts.evidenceKey ?? null };
    const verified = await verifyRecords(evidence, { from: range.fromDay, to: range.toDay });
    await add('事件日志校验报告.md', md(`${verified.text}\n`));
    const seals = await deps.database.db.select().from(evidenceSeals).orderBy(asc(evidenceSeals.id));
    await add(
      '存证根.csv',
      csv(
        [
          '日期,根哈希,密钥标记,事件数,工单数,发布到客服群时间',
          ...seals.map((x) => [x.day, x.root, x.mark ?? '', x.eventCount, Object.keys(x.manifest).length, x.postedAt ? local(x.postedAt) : '未发布'].join(',')),
        ].join('\n'),
      ),
    );

    // Go-live is Loopdesk's own first ticket; imported earlier records do not make a month Loopdesk's.
    const [first] = await rawQuery<{ at: string | Date | null }>(
      deps.database,
      'select min(created_at) as at from tickets where not is_probe and imported is null',
    );
    const firstTicketAt = first?.at ? new Date(first.at) : null;
    const incomplete = incompleteMonths(range, firstTicketAt, new Set(ledger.months.filter((m) => m.metrics.imported > 0).map((m) => m.month)));
    const readme = packReadme({ deps, range, ledger, chains, probes: probes.length, majors, incomplete, names: files.map((f) => f.name) });
    await add(README_FILE, md(readme));
    const listed = [];
    for (const f of files) listed.push({ name: f.name, label: fileLabel(f.name), bytes: (await stat(f.path)).size, sha256: await sha256File(f.path) });
    const manifest = {
      title: `${demo ? `【${DEMO_LABEL}】` : ''}${companyLabel(config)} 客户反馈处理审核材料`,
      ...(demo ? { demo: true, demoNotice: DEMO_NOTICE } : {}),
      generatedAt: deps.now.toISOString(),
      generatedAtLocal: local(deps.now),
      range: {
        from: range.fromDay,
        to: range.toDay,
        timeZone: calendar.timeZone,
        ...(range.unfinishedMonth ? { unfinishedMonth: range.unfinishedMonth } : {}),
      },
      source: opts.source ?? '客户反馈系统',
      labels: MANIFEST_LABELS,
      files: listed,
      eventLog: {
        tickets: chains.tickets,
        events: chains.events,
        chainsIntact: chains.intact,
        chainsBroken: chains.broken,
        chainHeadsSha256: chains.headsDigest,
        probeTickets: chains.probes,
        probeChainHeadsSha256: chains.probesDigest,
        ledgerEventLogDigest: ledger.eventLogDigest,
        verifyFindings: verified.findings.length,
        sealsChecked: verified.seals,
        anchorsChecked: verified.anchors,
        lastSealDay: verified.lastSealDay,
      },
      ledger: {
        rows: ledger.rows,
        probesLeftOut: ledger.probesLeftOut,
        resolutionRate: ledger.total.resolution.rate,
        resolutionRateReference: ledger.total.resolution.reference,
      },
      majorComplaints: majors,
      probes: { runs: probes.length, failed: probes.filter((p) => !p.ok).length, file: '渠道拨测记录.csv' },
      readiness: opts.readiness ? readinessSummary(opts.readiness) : '未包含（请用 npx loopdesk audit-pack 或 /auditpack 生成，二者会附上预审自检）',
      incompleteMonths: incomplete,
      howToVerify: HOW_TO_VERIFY,
      ...(ledger.imported.rows ? { importedRecords: { rows: ledger.imported.rows, files: ledger.imported.files, note: IMPORTED_GUARANTEE } } : {}),
      签字: signOffJson(signed),
    };
    const manifestPath = join(dir, 'manifest.json');
    await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    await zipFiles([...files, { name: 'manifest.json', path: manifestPath }], outPath);
    const manifestBytes = await readFile(manifestPath);
    return {
      path: outPath,
      files: [...listed, { name: 'manifest.json', bytes: manifestBytes.length, sha256: createHash('sha256').update(manifestBytes).digest('hex') }],
      ledger,
      chains,
      majorComplaints: majors,
      verify: { findings: verified.findings.length, seals: verified.seals, anchors: verified.anchors },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
