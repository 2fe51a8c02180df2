/** `npx loopdesk import-ledger FILE.xlsx|csv`: the months before Loopdesk, from the company's old ledger. */
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CliCommand } from '../cli/commands.ts';
import { ImportConflict, importRecords } from '../desk/import-records.ts';
import { IMPORTED_CODE_PREFIX, IMPORTED_GUARANTEE } from '../core/imported.ts';
import { localTimeFormatter } from '../reports/format.ts';
import { ImportFileError, readSheet } from './read.ts';
import { problemReport, validateSheet } from './validate.ts';

export const importLedgerUsage =
  'import-ledger 文件(.xlsx|.csv) [--by 姓名] [--check]  导入上线前的历史台账（标记为“导入”，不计入指标；有一行不合格则全部不导入）';

export const importLedgerCommand: CliCommand = async (argv, { services, out, cwd }) => {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { by: { type: 'string' }, check: { type: 'boolean' } }, strict: true });
  } catch (e) {
    out(`${(e as Error).message}\n用法：loopdesk ${importLedgerUsage}`);
    return 64;
  }
  const [file] = parsed.positionals;
  if (!file || parsed.positionals.length > 1) {
    out(`用法：loopdesk ${importLedgerUsage}`);
    return 64;
  }
  const path = resolve(cwd, file);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    out(`无法读取 ${path}：${(e as Error).message}`);
    return 2;
  }
  const deps = services.desk.deps;
  const local = localTimeFormatter(deps.calendar.timeZone);
  let sheet;
  try {
    sheet = await readSheet(bytes, basename(path));
  } catch (e) {
    if (!(e instanceof ImportFileError)) throw e;
    out(`导入失败，未做任何更改：${e.message}`);
    return 1;
  }
  const checked = validateSheet(sheet.rows, { categories: deps.config.categories, timeZone: deps.calendar.timeZone, now: deps.clock.now() });
  if (checked.problems.length) {
    out(`导入失败，未做任何更改：${basename(path)}（${sheet.source}）有 ${checked.problems.length} 处问题，请改正后重新导入：`);
    for (const line of problemReport(checked.problems)) out(line);
    return 1;
  }
  const ignored = checked.ignored.length ? `未使用的列：${checked.ignored.join('、')}` : null;
  if (parsed.values.check) {
    out(`检查通过：${basename(path)}（${sheet.source}）共 ${checked.records.length} 条记录可以导入（本次只检查，未写入）。`);
    if (ignored) out(ignored);
    return 0;
  }
  let result;
  try {
    const by = parsed.values.by?.trim() || userInfo().username;
    result = await importRecords(deps, { file: basename(path), sha256: sheet.sha256, records: checked.records, by });
  } catch (e) {
    if (!(e instanceof ImportConflict)) throw e;
    out(`导入失败，未做任何更改：${basename(path)} 中有 ${e.problems.length} 条记录已经导入过：`);
    for (const line of problemReport(e.problems)) out(line);
    return 1;
  }
  if (result.duplicate) {
    out(
      `这个文件（SHA-256 ${sheet.sha256}）已经导入过${result.importedAt ? `（${local(result.importedAt)}，北京时间）` : ''}，共 ${result.tickets} 条：未做任何更改。`,
    );
    return 0;
  }
  out(`已导入 ${result.tickets} 条历史记录：${result.firstCode} 至 ${result.lastCode}，收到时间 ${local(result.from)} 至 ${local(result.to)}（北京时间）。`);
  out(`来源文件：${basename(path)}（${sheet.source}），SHA-256 ${sheet.sha256}`);
  out(`工单号以 ${IMPORTED_CODE_PREFIX}- 开头（原编号保留在台账的“记录来源”列），台账中标记为“导入”。${IMPORTED_GUARANTEE}`);
  if (ignored) out(ignored);
  return 0;
};
