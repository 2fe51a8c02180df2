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
import { writeLedgerXlsx, type LedgerSummary } from './ledger.ts';
import { mechanismMarkdown, type MechanismDeps } from './mechanism.ts';
import { DEMO_LABEL, DEMO_NOTICE, isDemoDatabase } from '../demo/marker.ts';
import type { DateRange } from './range.ts';
import { IN_RANGE, rangeParams, rawQuery, streamQuery } from './source.ts';
import { readinessLines, readinessSummary, type ReadinessItem } from '../core/readiness.ts';
import { mechanismDocx } from './mechanism-docx.ts';
import { companyLabel } from '../promise/content.ts';
import { probeLog, probeLogCsv } from './probe-log.ts';
import { monthsOf } from './range.ts';
import { IMPORTED_GUARANTEE } from '../core/imported.ts';

/** Months of the range whose figures are not whole: still running, or before the first ticket (go-live). */
export function incompleteMonths(range: DateRange, firstTicketAt: Date | null, importedMonths: ReadonlySet<string> = new Set()): Array<{ month: string; reason: string }> {
  const out: Array<{ month: string; reason: string }> = [];
  const firstMonth = firstTicketAt ? new Date(firstTicketAt.getTime() + 8 * 3_600_000).toISOString().slice(0, 7) : null;
  for (const m of monthsOf(range)) {
    if (m === range.unfinishedMonth) out.push({ month: m, reason: `本月尚未结束，数据截至 ${range.toDay}` });
    else if ((!firstMonth || m < firstMonth) && importedMonths.has(m)) out.push({ month: m, reason: '系统尚未上线：只有从原有台账导入的历史记录（不计入指标）' });
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
}

/** Verifies every ticket's chain in the range (streamed) and writes one CSV line per ticket. */
export async function verifyChains(deps: Pick<MechanismDeps, 'database'>, range: DateRange, outCsv: string): Promise<ChainSummary> {
  const out = createWriteStream(outCsv);
  const hash = createHash('sha256');
  const write = async (line: string) => {
    hash.update(line);
    if (!out.write(line)) await once(out, 'drain');
  };
  // The BOM is part of the file (and of its digest): Excel in China needs it to read the Chinese headers.
  await write('\uFEFF工单号,事件数,链头哈希,哈希链完整\n');
  const summary: ChainSummary = { tickets: 0, events: 0, intact: 0, broken: [], headsDigest: '' };
  const q = {
    columns: `t.code, t.evidence_salt, e.v, e.ticket_id::float8 as ticket_id, e.seq, e.type, e.actor, e.data::text as data, (extract(epoch from e.at) * 1000)::float8 as at, e.prev_hash, e.hash`,
    from: 'ticket_events e join tickets t on t.id = e.ticket_id',
    where: IN_RANGE,
    params: rangeParams(range),
  };
  let code = '';
  let salt: string | null = null;
  let rows: Parameters<typeof verifyChain>[0] = [];
  const flush = async () => {
    if (!code) return;
    const check: ChainCheck = verifyChain(rows, salt);
    summary.tickets++;
    summary.events += rows.length;
    if (check.intact) summary.intact++;
    else summary.broken.push({ code, brokenAt: check.brokenAt, reason: check.reason });
    await write(`${code},${rows.length},${rows[rows.length - 1]?.hash ?? ''},${check.intact ? '是' : `否：${check.reason}`}\n`);
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
  out.end();
  await once(out, 'finish');
  summary.headsDigest = hash.digest('hex');
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
    '1. 在运行 Loopdesk 的机器上安装 Chromium（Debian/Ubuntu：`sudo apt-get install chromium`），在项目目录执行 `npm install`，然后重新生成材料包（`npx loopdesk audit-pack --out 材料包.zip`）。材料包会自动附上：网页反馈表单、服务承诺页、客户工单页（手机）、控制台概览、客服群中的工单卡片。',
    '2. 执行 `npm run screenshots`，把 docs/screenshots/ 中的图片放入本文件夹。',
    '3. 手工截图：浏览器打开 `/feedback`（反馈表单）、`/promise`（服务承诺）、`/console/overview`（控制台概览），以及客服群中的一张工单卡片。',
    '',
  ].join('\n');
}

export interface AuditPackOptions {
  source?: string;
  screenshots?: ScreenshotTaker;
  evidenceKey?: string | null;
  /** The 预审自检 at the time of the pack (reports/readiness.ts); the pack says so when it is missing. */
  readiness?: readonly ReadinessItem[];
}

export async function writeAuditPack(deps: MechanismDeps, range: DateRange, outPath: string, opts: AuditPackOptions = {}): Promise<AuditPackResult> {
  const dir = await mkdtemp(join(tmpdir(), 'loopdesk-audit-'));
  try {
    const local = localTimeFormatter(deps.calendar.timeZone);
    const files: Array<{ name: string; path: string }> = [];
    const add = async (name: string, content: string | null, path = join(dir, name.replaceAll('/', '_'))) => {
      if (content !== null) await writeFile(path, content);
      files.push({ name, path });
    };

    const demo = await isDemoDatabase(deps.database);
    if (demo) await add(`${DEMO_LABEL}_请先阅读.txt`, `${DEMO_NOTICE}\r\n本材料包中的台账、机制说明和重大投诉报告均来自演示数据库，仅用于了解 Loopdesk 的功能。\r\n`);
    const ledgerName = `${demo ? `${DEMO_LABEL}_` : ''}台账_${range.fromDay}_${range.toDay}.xlsx`;
    const ledgerPath = join(dir, 'ledger.xlsx');
    const ledger = await writeLedgerXlsx(deps, range, ledgerPath, { source: opts.source ?? '审核材料包' });
    await add(ledgerName, null, ledgerPath);
    await add('客户反馈处理机制说明.md', await mechanismMarkdown(deps, range));
    const docxPath = join(dir, 'mechanism.docx');
    await writeFile(docxPath, await mechanismDocx(deps, range));
    await add('客户反馈处理机制说明.docx', null, docxPath);
    const probes = await probeLog(deps.database, range);
    await add('渠道拨测记录.csv', probeLogCsv(probes, local));
    if (opts.readiness) await add('预审自检.md', `# ${readinessSummary(opts.readiness)}\n\n生成时间：${local(deps.now)}（北京时间）\n\n${readinessLines(opts.readiness).map((l) => `- ${l}`).join('\n')}\n`);

    const majors = (await rawQuery<{ code: string }>(deps.database, `select t.code from tickets t where ${IN_RANGE} and t.is_major and not t.is_probe order by t.created_at, t.id`, rangeParams(range))).map(
      (r) => r.code,
    );
    for (const code of majors) {
      const doc = await buildCase(deps, code);
      if (!doc) continue;
      await add(`重大投诉/${code}.html`, doc.html);
      await add(`重大投诉/${code}.md`, `# ${doc.title}\n\n${doc.markdown}\n`);
    }

    const { config, calendar } = deps;
    const years: number[] = [];
    for (let y = Number(range.fromDay.slice(0, 4)); y <= Number(range.toDay.slice(0, 4)); y++) years.push(y);
    const policy = {
      company: config.company.name,
      timeZone: calendar.timeZone,
      calendarVersion: calendar.version,
      categories: config.categories.map((c) => ({ id: c.id, name: c.name, firstResponseMinutes: c.firstResponseMinutes, resolutionMinutes: c.resolutionMinutes, clock: c.clock, priority: c.priority })),
      calendar: { workdays: config.calendar.workdays, hours: config.calendar.hours, extraHolidays: config.calendar.holidays, extraWorkingDays: config.calendar.workingDays },
      specialDays: Object.fromEntries(years.map((y) => [y, calendar.specialDays(y)])),
      sla: config.sla,
      survey: config.survey,
    };
    await add('服务承诺与工作日历.json', `${JSON.stringify(policy, null, 2)}\n`);

    // The reviewer's 「反馈系统截图」: taken when a browser is at hand, otherwise a note on how to add them.
    const shotsDir = join(dir, 'shots');
    await mkdir(shotsDir);
    const shots = opts.screenshots ? await opts.screenshots(shotsDir).catch((e: Error) => ({ missing: `截图失败：${e.message}` })) : { missing: '本次生成未启用截图' };
    if ('missing' in shots) await add(`${SCREENSHOT_FOLDER}/如何添加截图.md`, howToAddScreenshots(shots.missing));
    else {
      for (const f of shots.files) await add(`${SCREENSHOT_FOLDER}/${f.name}`, null, f.path);
      if (shots.notes.length) await add(`${SCREENSHOT_FOLDER}/说明.md`, `# ${SCREENSHOT_FOLDER}\n\n${shots.notes.map((n) => `- ${n}`).join('\n')}\n`);
    }

    const headsPath = join(dir, 'heads.csv');
    const chains = await verifyChains(deps, range, headsPath);
    await add('事件日志链头.csv', null, headsPath);

    // The full check (chains, commitments, ledger figures, seals, anchors) and the daily roots it checked.
    const evidence = { database: deps.database, calendar: deps.calendar, clock: { now: () => deps.now }, key: opts.evidenceKey ?? null };
    const verified = await verifyRecords(evidence, { from: range.fromDay, to: range.toDay });
    await add('事件日志校验报告.md', `${verified.text}\n`);
    const seals = await deps.database.db.select().from(evidenceSeals).orderBy(asc(evidenceSeals.id));
    await add(
      '存证根.csv',
      ['日期,根哈希,密钥标记,事件数,工单数,发布到客服群时间', ...seals.map((x) => [x.day, x.root, x.mark ?? '', x.eventCount, Object.keys(x.manifest).length, x.postedAt ? local(x.postedAt) : '未发布'].join(','))].join('\n') + '\n',
    );

    // Go-live is Loopdesk's own first ticket; imported earlier records do not make a month Loopdesk's.
    const [first] = await rawQuery<{ at: string | Date | null }>(deps.database, 'select min(created_at) as at from tickets where not is_probe and imported is null');
    const firstTicketAt = first?.at ? new Date(first.at) : null;
    const listed = [];
    for (const f of files) listed.push({ name: f.name, bytes: (await stat(f.path)).size, sha256: await sha256File(f.path) });
    const manifest = {
      title: `${demo ? `【${DEMO_LABEL}】` : ''}${companyLabel(config)} 客户反馈处理审核材料`,
      ...(demo ? { demo: true, demoNotice: DEMO_NOTICE } : {}),
      generatedAt: deps.now.toISOString(),
      generatedAtLocal: local(deps.now),
      range: { from: range.fromDay, to: range.toDay, timeZone: calendar.timeZone },
      source: opts.source ?? 'Loopdesk',
      files: listed,
      eventLog: {
        tickets: chains.tickets,
        events: chains.events,
        chainsIntact: chains.intact,
        chainsBroken: chains.broken,
        chainHeadsSha256: chains.headsDigest,
        ledgerEventLogDigest: ledger.eventLogDigest,
        verifyFindings: verified.findings.length,
        sealsChecked: verified.seals,
        anchorsChecked: verified.anchors,
        lastSealDay: verified.lastSealDay,
      },
      ledger: { rows: ledger.rows, probesLeftOut: ledger.probesLeftOut, resolutionRate: ledger.total.resolution.rate, resolutionRateReference: ledger.total.resolution.reference },
      majorComplaints: majors,
      probes: { runs: probes.length, failed: probes.filter((p) => !p.ok).length, file: '渠道拨测记录.csv' },
      readiness: opts.readiness ? readinessSummary(opts.readiness) : '未包含（请用 npx loopdesk audit-pack 或 /auditpack 生成，二者会附上预审自检）',
      incompleteMonths: incompleteMonths(range, firstTicketAt, new Set(ledger.months.filter((m) => m.metrics.imported > 0).map((m) => m.month))),
      ...(ledger.imported.rows ? { importedRecords: { rows: ledger.imported.rows, files: ledger.imported.files, note: IMPORTED_GUARANTEE } } : {}),
      howToVerify: '用任意 SHA-256 工具核对各文件哈希；存证根.csv 中每天的根应与当天发到客服群的「存证根」消息一致（loopdesk verify --anchors 导出的群消息 可自动核对）；事件日志链头.csv 的 SHA-256 应等于 chainHeadsSha256；台账“说明”页的事件日志摘要应等于 ledgerEventLogDigest。同一区间可随时从数据库重新生成。',
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
