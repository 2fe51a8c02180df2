/**
 * Reads a year of holidays and make-up days from the file a company has: an ICS calendar (the chinese-days
 * `holidays.ics` / `YYYY.ics`, or any calendar whose all-day events say 休 or 班) or JSON (the chinese-days
 * `YYYY.json` shape, `{ "holidays": { "2027-01-01": "元旦" }, "workdays": { "2027-02-06": "春节" } }`).
 * Pure: the caller reads the file. Errors name the line or date at fault; nothing is half-imported.
 */
import { holidayName, type ImportedYear } from './holidays.ts';

export class HolidayImportError extends Error {}

type Day = ImportedYear['days'][number];

const ISO = /^\d{4}-\d{2}-\d{2}$/;

function checkDate(date: string, where: string): string {
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (!ISO.test(date) || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) throw new HolidayImportError(`${where}：日期无效「${date}」`);
  return date;
}

export function parseHolidayFile(text: string, fileName: string): ImportedYear[] {
  const body = text.replace(/^\uFEFF/, '');
  const days = /^\s*BEGIN:VCALENDAR/i.test(body) ? parseIcs(body) : parseJson(body);
  if (!days.length) throw new HolidayImportError(`${fileName}：没有找到任何放假或调休上班的日期`);
  const byDate = new Map<string, Day>();
  for (const d of days) {
    const seen = byDate.get(d.date);
    if (seen && seen.kind !== d.kind) throw new HolidayImportError(`${d.date} 同时被标为放假和调休上班`);
    byDate.set(d.date, d);
  }
  const years = new Map<number, Day[]>();
  for (const d of [...byDate.values()].sort((a, b) => (a.date < b.date ? -1 : 1))) {
    const y = Number(d.date.slice(0, 4));
    years.set(y, [...(years.get(y) ?? []), d]);
  }
  return [...years].map(([year, list]) => ({ year, source: `导入文件 ${fileName}`, days: list }));
}

function parseJson(text: string): Day[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new HolidayImportError(`既不是 ICS 日历也不是 JSON：${(e as Error).message}`);
  }
  const obj = json as { holidays?: unknown; workdays?: unknown };
  if (!obj || typeof obj !== 'object' || (typeof obj.holidays !== 'object' && typeof obj.workdays !== 'object')) {
    throw new HolidayImportError('JSON 需要 "holidays" 和/或 "workdays" 两个对象（日期 → 节日名称）');
  }
  const out: Day[] = [];
  for (const [key, kind] of [
    ['holidays', 'holiday'],
    ['workdays', 'makeup'],
  ] as const) {
    const map = (obj[key] ?? {}) as Record<string, unknown>;
    if (typeof map !== 'object' || Array.isArray(map)) throw new HolidayImportError(`"${key}" 应为对象（日期 → 节日名称）`);
    for (const [date, name] of Object.entries(map)) {
      if (typeof name !== 'string' || !name.trim()) throw new HolidayImportError(`"${key}"."${date}"：缺少节日名称`);
      out.push({ date: checkDate(date, `"${key}"`), kind, name: holidayName(name) });
    }
  }
  return out;
}

/** RFC 5545 lines are folded: a line starting with a space or tab continues the previous one. */
function unfold(text: string): string[] {
  return text
    .replace(/\r\n/g, '\n')
    .replace(/\n[ \t]/g, '')
    .split('\n');
}

function parseIcs(text: string): Day[] {
  const out: Day[] = [];
  let event: Record<string, string> | null = null;
  let n = 0;
  for (const line of unfold(text)) {
    n++;
    if (/^BEGIN:VEVENT$/i.test(line.trim())) event = {};
    else if (/^END:VEVENT$/i.test(line.trim())) {
      if (event) out.push(...icsEventDays(event, n));
      event = null;
    } else if (event) {
      const m = /^([A-Z-]+)(?:;[^:]*)?:(.*)$/i.exec(line);
      if (m) event[m[1].toUpperCase()] = m[2].trim();
    }
  }
  return out;
}

function icsDate(value: string | undefined, where: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})/.exec(value ?? '');
  if (!m) throw new HolidayImportError(`${where}：无法读取日期「${value ?? ''}」`);
  return checkDate(`${m[1]}-${m[2]}-${m[3]}`, where);
}

/** One all-day event: 休 (or an Apple WORK-HOLIDAY) is days off, 班 (ALTERNATE-WORKDAY) is make-up work. */
function icsEventDays(e: Record<string, string>, line: number): Day[] {
  const where = `ICS 第 ${line} 行附近的事件`;
  const summary = e.SUMMARY ?? '';
  const apple = e['X-APPLE-SPECIAL-DAY'] ?? '';
  const text = `${summary} ${e.DESCRIPTION ?? ''}`;
  const kind =
    /ALTERNATE-WORKDAY/i.test(apple) || (/班/.test(text) && !/休/.test(text)) ? 'makeup' : /WORK-HOLIDAY/i.test(apple) || /休|假/.test(text) ? 'holiday' : null;
  if (!kind) return []; // other events (solar terms, birthdays) are not part of the work calendar
  const start = icsDate(e.DTSTART, where);
  const endExclusive = e.DTEND ? icsDate(e.DTEND, where) : null;
  const name = holidayName(summary.replace(/[（(][^）)]*[）)]/g, '').trim() || (kind === 'holiday' ? '放假' : '调休上班'));
  const days: Day[] = [];
  const DAY = 86_400_000;
  const last = endExclusive ? Date.parse(`${endExclusive}T00:00:00Z`) - DAY : Date.parse(`${start}T00:00:00Z`);
  if (last - Date.parse(`${start}T00:00:00Z`) > 31 * DAY) throw new HolidayImportError(`${where}：「${summary}」跨度超过 31 天，不像是一个假期`);
  for (let t = Date.parse(`${start}T00:00:00Z`); t <= last; t += DAY) days.push({ date: new Date(t).toISOString().slice(0, 10), kind, name });
  return days;
}
