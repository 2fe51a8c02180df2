/** `npx loopdesk calendar import FILE`: a year of holidays the shipped data does not have yet. */
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { CliCommand } from '../cli/types.ts';
import { HolidayImportError, parseHolidayFile } from '../core/holiday-import.ts';
import { saveImportedYears } from './imported.ts';

export const calendarUsage = 'calendar import FILE(.ics|.json)  导入国务院放假安排（内置数据尚未包含的年份），重启后生效';

export const calendarCommand: CliCommand = async (argv, { services, out, cwd }) => {
  const [sub, file] = argv;
  if (sub !== 'import' || !file) {
    out(`用法：loopdesk ${calendarUsage}`);
    return 64;
  }
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    out(`无法读取 ${path}：${(e as Error).message}`);
    return 2;
  }
  let years;
  try {
    years = parseHolidayFile(text, basename(path));
  } catch (e) {
    if (!(e instanceof HolidayImportError)) throw e;
    out(`导入失败，未做任何更改：${e.message}`);
    return 1;
  }
  await saveImportedYears(services.database.db, years, services.clock.now());
  for (const y of years) {
    const off = y.days.filter((d) => d.kind === 'holiday').length;
    const on = y.days.filter((d) => d.kind === 'makeup').length;
    out(`${y.year} 年：放假 ${off} 天，调休上班 ${on} 天（来源：${y.source}）`);
  }
  out('已保存。重启服务后新工单按导入的日历计时（已受理的工单保留受理时的日历版本）。');
  return 0;
};
