/**
 * CLI subcommands of the reporting area (`npx loopdesk ledger|case|report|audit-pack|stats`). Paths are resolved
 * against the caller's working directory (`ctx.cwd`), which matters when the command runs inside the service
 * through its control socket.
 */
import { DEMO_LABEL, DEMO_NOTICE, isDemoDatabase } from '../demo/marker.ts';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CliCommand } from '../cli/types.ts';
import { writeAuditPack } from './auditpack.ts';
import { buildCase } from './case.ts';
import { statsDeps } from './commands.ts';
import { writeLedgerCsv, writeLedgerXlsx } from './ledger.ts';
import { mechanismMarkdown } from './mechanism.ts';
import { mechanismDocx } from './mechanism-docx.ts';
import { runReadiness } from './readiness.ts';
import { BadRangeError, reviewWindow, parseFromTo, parsePeriod, type DateRange } from './range.ts';
import { computeStats } from './stats.ts';
import { statsView } from '../../cards/stats.ts';
import { localTimeFormatter } from './format.ts';
import { signOffMarkdown, signOffOf } from './sign-off.ts';

const EXIT = { ok: 0, usage: 64, notFound: 2, chainBroken: 3 } as const;
/** --by NAME: 制表人 on the file's sign-off (default: config company.preparer, else a line to sign by hand). */
const BY = { type: 'string' } as const;
type Ctx = Parameters<CliCommand>[1];

export const reportCliUsage: Record<string, string> = {
  ledger:
    'ledger [--from YYYY-MM(-DD)] [--to …] --out FILE [--csv] [--unmasked] [--by 制表人]   导出投诉处理台账（默认最近 6 个月至今天，本月标注未结束，脱敏）',
  case: 'case 工单号 [--out FILE.html|FILE.md] [--unmasked] [--by 制表人]   单个工单的处理记录（时间线、时限、回访、哈希链）',
  report: 'report [--from …] [--to …] [--out FILE.md|FILE.docx] [--by 制表人]   客户反馈处理机制说明（默认最近 6 个月至今天，本月标注未结束的数据）',
  'audit-pack': 'audit-pack [--from …] [--to …] --out FILE.zip [--by 制表人]   审核材料包（台账、机制说明、重大投诉记录、服务承诺、校验清单）',
  stats: 'stats [today|yesterday|week|month|6m|YYYY-MM] [--json] [--by 制表人]   数据统计（6m = 近 6 个月，与台账默认区间相同）',
};

function parse(argv: string[], options: Record<string, { type: 'string' | 'boolean' }>, out: Ctx['out'], name: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    out(`${(e as Error).message}\n用法：loopdesk ${reportCliUsage[name]}`);
    return null;
  }
}

function rangeOf(ctx: Ctx, from: string | undefined, to: string | undefined): DateRange | null {
  const { services, out } = ctx;
  const now = services.clock.now();
  try {
    return parseFromTo(from, to, now, services.calendar, () => reviewWindow(now, services.calendar));
  } catch (e) {
    if (!(e instanceof BadRangeError)) throw e;
    out(e.message);
    return null;
  }
}

const ledger: CliCommand = async (argv, ctx) => {
  const a = parse(
    argv,
    { from: { type: 'string' }, to: { type: 'string' }, out: { type: 'string' }, csv: { type: 'boolean' }, unmasked: { type: 'boolean' }, by: BY },
    ctx.out,
    'ledger',
  );
  if (!a) return EXIT.usage;
  const { values } = a;
  if (!values.out) {
    ctx.out(`请用 --out 指定输出文件\n用法：loopdesk ${reportCliUsage.ledger}`);
    return EXIT.usage;
  }
  const range = rangeOf(ctx, values.from as string | undefined, values.to as string | undefined);
  if (!range) return EXIT.usage;
  const path = resolve(ctx.cwd, values.out as string);
  const csv = values.csv === true || path.toLowerCase().endsWith('.csv');
  const started = performance.now();
  const opts = { unmasked: values.unmasked === true, source: `命令行导出${values.unmasked ? '（未脱敏）' : ''}`, by: values.by as string | undefined };
  const s = csv ? await writeLedgerCsv(statsDeps(ctx.services), range, path, opts) : await writeLedgerXlsx(statsDeps(ctx.services), range, path, opts);
  const rate = s.total.resolution.rate;
  ctx.out(
    [
      `台账已写入 ${path}`,
      `区间 ${range.fromDay} 至 ${range.toDay}：${s.rows} 件工单（${s.imported.rows ? `其中导入的历史记录 ${s.imported.rows} 件，不计入指标；` : ''}拨测 ${s.probesLeftOut} 件未列入），用时 ${((performance.now() - started) / 1000).toFixed(1)} 秒`,
      `解决率 ${rate === null ? '—' : `${(rate * 100).toFixed(1)}%`}（参考值 92% 为行业数字，非规定），客户信息${opts.unmasked ? '未脱敏' : '已脱敏'}`,
      `事件日志摘要 SHA-256 ${s.eventLogDigest}`,
    ].join('\n'),
  );
  return EXIT.ok;
};

const caseCmd: CliCommand = async (argv, ctx) => {
  const a = parse(argv, { out: { type: 'string' }, unmasked: { type: 'boolean' }, by: BY }, ctx.out, 'case');
  if (!a) return EXIT.usage;
  const code = a.positionals[0]?.toUpperCase();
  if (!code) {
    ctx.out(`用法：loopdesk ${reportCliUsage.case}`);
    return EXIT.usage;
  }
  const doc = await buildCase(statsDeps(ctx.services), code, { unmasked: a.values.unmasked === true, by: a.values.by as string | undefined });
  if (!doc) {
    ctx.out(`找不到工单 ${code}`);
    return EXIT.notFound;
  }
  if (a.values.out) {
    const path = resolve(ctx.cwd, a.values.out as string);
    await writeFile(path, /\.html?$/i.test(path) ? doc.html : `# ${doc.title}\n\n${doc.markdown}\n`);
    ctx.out(`处理记录已写入 ${path}（${doc.eventCount} 条事件，哈希链${doc.chain.intact ? '完整' : '校验失败'}）`);
  } else ctx.out(`# ${doc.title}\n\n${doc.markdown}`);
  return doc.chain.intact ? EXIT.ok : EXIT.chainBroken;
};

const report: CliCommand = async (argv, ctx) => {
  const a = parse(argv, { from: { type: 'string' }, to: { type: 'string' }, out: { type: 'string' }, by: BY }, ctx.out, 'report');
  if (!a) return EXIT.usage;
  const range = rangeOf(ctx, a.values.from as string | undefined, a.values.to as string | undefined);
  if (!range) return EXIT.usage;
  const deps = { ...statsDeps(ctx.services), channels: ctx.services.channels.map((c) => c.name), evidenceKeyed: Boolean(ctx.services.env.EVIDENCE_KEY) };
  if (a.values.out && /\.docx$/i.test(a.values.out as string)) {
    const path = resolve(ctx.cwd, a.values.out as string);
    await writeFile(path, await mechanismDocx(deps, range, { by: a.values.by as string | undefined }));
    ctx.out(`机制说明（Word，可打印盖章）已写入 ${path}`);
    return EXIT.ok;
  }
  const md = await mechanismMarkdown(deps, range, { by: a.values.by as string | undefined });
  if (a.values.out) {
    const path = resolve(ctx.cwd, a.values.out as string);
    await writeFile(path, md);
    ctx.out(`机制说明已写入 ${path}`);
  } else ctx.out(md);
  return EXIT.ok;
};

const auditPack: CliCommand = async (argv, ctx) => {
  const a = parse(argv, { from: { type: 'string' }, to: { type: 'string' }, out: { type: 'string' }, by: BY }, ctx.out, 'audit-pack');
  if (!a) return EXIT.usage;
  if (!a.values.out) {
    ctx.out(`请用 --out 指定输出文件\n用法：loopdesk ${reportCliUsage['audit-pack']}`);
    return EXIT.usage;
  }
  const range = rangeOf(ctx, a.values.from as string | undefined, a.values.to as string | undefined);
  if (!range) return EXIT.usage;
  const path = resolve(ctx.cwd, a.values.out as string);
  const pack = await writeAuditPack(
    { ...statsDeps(ctx.services), channels: ctx.services.channels.map((c) => c.name), evidenceKeyed: Boolean(ctx.services.env.EVIDENCE_KEY) },
    range,
    path,
    {
      source: '命令行导出',
      by: a.values.by as string | undefined,
      evidenceKey: ctx.services.env.EVIDENCE_KEY,
      screenshots: async (dir) => (await import('../screenshots/audit.ts')).auditScreenshots(ctx.services, dir),
      readiness: await runReadiness(ctx.services),
    },
  );
  ctx.out(
    [
      `审核材料包已写入 ${path}`,
      ...pack.files.map((f) => `  ${f.sha256}  ${f.name}（${f.bytes} 字节）`),
      `哈希链：${pack.chains.intact}/${pack.chains.tickets} 件工单完整${pack.chains.broken.length ? `；校验失败：${pack.chains.broken.map((b) => b.code).join('、')}` : ''}`,
      `全面校验（loopdesk verify）：${pack.verify.findings ? `发现 ${pack.verify.findings} 处问题，见「事件日志校验报告.md」` : '未发现问题'}；封存 ${pack.verify.seals} 个，核对存证根 ${pack.verify.anchors} 个`,
    ].join('\n'),
  );
  return pack.chains.broken.length || pack.verify.findings ? EXIT.chainBroken : EXIT.ok;
};

const stats: CliCommand = async (argv, ctx) => {
  const a = parse(argv, { json: { type: 'boolean' }, by: BY }, ctx.out, 'stats');
  if (!a) return EXIT.usage;
  const range = parsePeriod(a.positionals[0], ctx.services.clock.now(), ctx.services.calendar);
  if (!range) {
    ctx.out(`无法识别的时间范围：${a.positionals[0]}\n用法：loopdesk ${reportCliUsage.stats}`);
    return EXIT.usage;
  }
  const s = await computeStats(statsDeps(ctx.services), range);
  const demo = await isDemoDatabase(ctx.services.database);
  if (a.values.json) ctx.out(JSON.stringify(demo ? { demo: true, notice: DEMO_NOTICE, ...s } : s, null, 2));
  else {
    const names = Object.fromEntries(ctx.services.config.categories.map((c) => [c.id, c.name]));
    const generatedAt = localTimeFormatter(ctx.services.calendar.timeZone)(s.generatedAt);
    const view = statsView(s, { mark: demo ? `【${DEMO_LABEL}】` : undefined, categoryNames: names, generatedAt });
    // The JSON is for machines; the text is what gets printed and filed, so it is signed like every export.
    ctx.out(`${view.markdown}\n\n${signOffMarkdown(signOffOf(statsDeps(ctx.services), a.values.by as string | undefined))}`);
  }
  return EXIT.ok;
};

/** The CLI's table (cli/commands.ts) takes these: `registerReportCli(registerCliCommand)`. */
export const reportCommands: Record<string, CliCommand> = { ledger, case: caseCmd, report, 'audit-pack': auditPack, stats };

export function registerReportCli(register: (name: string, usage: string, run: CliCommand) => void): void {
  for (const [name, run] of Object.entries(reportCommands)) register(name, reportCliUsage[name], run);
}
