/**
 * Every row of an old ledger checked before anything is written: the header is found (a title row above it is
 * fine), each row's dates, category and required fields are read, and every problem is reported with the row the
 * user sees in Excel. Pure: the company's zone and "now" are parameters.
 */
import { splitContact } from '../core/contact.ts';
import { zoneOffsetMs } from '../reports/format.ts';
import { CATEGORY_SYNONYMS, CHANNEL_SYNONYMS, columnOfHeader, IMPORT_COLUMNS, NO_SATISFACTION, SATISFACTION_WORDS, type ImportField } from './mapping.ts';
import type { SheetCell, SheetRow } from './read.ts';

/** One earlier record, read and checked. */
export interface ImportRecord {
  line: number;
  originalCode: string | null;
  receivedAt: Date;
  /** A channel id when the word is one of ours (电话 → phone), else the old ledger's word as written. */
  channel: string;
  category: string;
  customerName: string | null;
  contact: { phone?: string; email?: string } | null;
  content: string;
  firstResponseAt: Date | null;
  resolvedAt: Date;
  handler: string | null;
  result: string | null;
  score: number | null;
  followUpAt: Date | null;
  followUp: string | null;
}

export interface ImportProblem {
  line: number;
  message: string;
}

export interface ValidateOptions {
  categories: Array<{ id: string; name: string; nameEn?: string }>;
  timeZone: string;
  now: Date;
}

export interface Validated {
  records: ImportRecord[];
  problems: ImportProblem[];
  /** Headers that match no field (left out, said in the summary). */
  ignored: string[];
  headerLine: number | null;
}

const MAX_CONTENT = 5000;
const EXAMPLE = '2026-08-03 或 2026-08-03 09:30';

export function validateSheet(rows: SheetRow[], opts: ValidateOptions): Validated {
  // The header is the first of the first ten rows naming at least two of our columns (titles may sit above it).
  const fieldsOf = (r: SheetRow) => new Set(r.cells.map((c) => (typeof c === 'string' ? columnOfHeader(c)?.field : undefined)).filter(Boolean));
  const headerAt = rows.slice(0, 10).findIndex((r) => fieldsOf(r).size >= 2);
  if (headerAt < 0) {
    const names = IMPORT_COLUMNS.filter((c) => c.required)
      .map((c) => c.label)
      .join('」「');
    return {
      records: [],
      problems: [{ line: rows[0]?.line ?? 1, message: `找不到表头：前 10 行中没有一行包含「${names}」等列名` }],
      ignored: [],
      headerLine: null,
    };
  }
  const header = rows[headerAt];
  const problems: ImportProblem[] = [];
  const index = new Map<ImportField, number>();
  const ignored: string[] = [];
  header.cells.forEach((c, i) => {
    if (c === null || String(c).trim() === '') return;
    const col = columnOfHeader(String(c));
    if (!col) ignored.push(String(c).trim());
    else if (index.has(col.field))
      problems.push({ line: header.line, message: `列「${String(c).trim()}」与前面的列都对应「${col.label}」，请删除或改名其中一列` });
    else index.set(col.field, i);
  });
  for (const c of IMPORT_COLUMNS) {
    if (c.required && !index.has(c.field)) problems.push({ line: header.line, message: `缺少必需的列「${c.label}」（可用的列名：${c.headers.join('、')}）` });
  }
  if (problems.length) return { records: [], problems, ignored, headerLine: header.line };

  const records: ImportRecord[] = [];
  const seenCodes = new Map<string, number>();
  for (const row of rows.slice(headerAt + 1)) {
    const get = (f: ImportField): SheetCell => {
      const i = index.get(f);
      const v = i === undefined ? null : (row.cells[i] ?? null);
      return typeof v === 'string' && v.trim() === '' ? null : typeof v === 'string' ? v.trim() : v;
    };
    if (IMPORT_COLUMNS.every((c) => get(c.field) === null)) continue;
    const problemsBefore = problems.length;
    const bad = (message: string) => problems.push({ line: row.line, message });
    const text = (f: ImportField) => {
      const v = get(f);
      return v === null ? null : v instanceof Date ? localText(v) : String(v);
    };

    const code = text('code');
    if (code) {
      const first = seenCodes.get(code);
      if (first !== undefined) bad(`编号「${code}」与第 ${first} 行重复`);
      else seenCodes.set(code, row.line);
    }

    const dateCell = get('receivedAt');
    let receivedWall: Wall | null = null;
    if (dateCell === null) bad('日期为空（必填）');
    else {
      receivedWall = parseWall(dateCell);
      if (!receivedWall) bad(`日期「${show(dateCell)}」无法识别（应为 ${EXAMPLE}）`);
      else if (receivedWall.dateOnly && get('time') !== null) {
        const t = parseTimeOfDay(get('time')!);
        if (t === null) bad(`时间「${show(get('time'))}」无法识别（应为 09:30）`);
        else receivedWall = { ms: receivedWall.ms + t, dateOnly: false };
      }
    }
    const receivedAt = receivedWall ? toInstant(receivedWall.ms, opts.timeZone) : null;
    if (receivedAt && receivedAt > opts.now) bad(`日期「${show(dateCell)}」晚于现在：不能导入未来的记录`);
    if (receivedAt && receivedAt.getUTCFullYear() < 2000) bad(`日期「${show(dateCell)}」早于 2000 年，请检查`);

    // Later times may be a full date-time, or a time of day on the day of receipt.
    const later = (f: 'firstResponseAt' | 'resolvedAt' | 'followUpAt', label: string): Date | null => {
      const v = get(f);
      if (v === null) return null;
      const wall = parseWall(v) ?? (receivedWall ? dayPlus(receivedWall.ms, parseTimeOfDay(v)) : null);
      if (!wall && !receivedWall && parseTimeOfDay(v) !== null) return null; // a time of day on a date already reported
      if (!wall) {
        bad(`${label}「${show(v)}」无法识别（应为 ${EXAMPLE}）`);
        return null;
      }
      const at = toInstant(wall.ms, opts.timeZone);
      if (at > opts.now) bad(`${label}「${show(v)}」晚于现在`);
      else if (receivedAt && at < receivedAt) bad(`${label}「${show(v)}」早于日期「${show(dateCell)}」`);
      return at;
    };
    const firstResponseAt = later('firstResponseAt', '首次响应时间');
    const resolvedAt = later('resolvedAt', '解决时间');
    const followUpAt = later('followUpAt', '回访时间');
    if (get('resolvedAt') === null) bad('解决时间为空：只能导入已经办结的记录（仍在处理的请在 Loopdesk 中新建工单继续跟进）');
    if (firstResponseAt && resolvedAt && firstResponseAt > resolvedAt)
      bad(`首次响应时间「${show(get('firstResponseAt'))}」晚于解决时间「${show(get('resolvedAt'))}」`);
    if (followUpAt && resolvedAt && followUpAt < resolvedAt) bad(`回访时间「${show(get('followUpAt'))}」早于解决时间「${show(get('resolvedAt'))}」`);

    const categoryWord = text('category');
    const category = categoryWord ? categoryIdOf(categoryWord, opts.categories) : null;
    if (!categoryWord) bad('类别为空（必填）');
    else if (!category) bad(`类别「${categoryWord}」不是本公司的分类（可选：${opts.categories.map((c) => c.name).join('、')}）`);

    const content = text('content');
    if (!content) bad('内容摘要为空（必填）');
    else if ([...content].length > MAX_CONTENT) bad(`内容摘要超过 ${MAX_CONTENT} 字`);

    const contactText = text('contact');
    const contact = contactText ? splitContact(contactText) : null;
    if (contactText && !contact) bad(`联系方式「${contactText}」不是手机号、电话（含区号）或邮箱`);

    const satisfaction = text('satisfaction');
    const score = satisfaction === null ? null : scoreOf(satisfaction);
    if (satisfaction !== null && score === undefined)
      bad(`满意度「${satisfaction}」无法识别（应为 1–5 分，或 ${Object.keys(SATISFACTION_WORDS).join('、')}，或 未评价）`);

    if (problems.length === problemsBefore && receivedAt && resolvedAt && category && content && score !== undefined) {
      records.push({
        line: row.line,
        originalCode: code,
        receivedAt,
        channel: channelOf(text('channel')),
        category,
        customerName: cut(text('customer'), 50),
        contact,
        content,
        firstResponseAt,
        resolvedAt,
        handler: cut(text('handler'), 50),
        result: cut(text('result'), 500),
        score,
        followUpAt,
        followUp: cut(text('followUp'), 200),
      });
    }
  }
  if (records.length === 0 && problems.length === 0) problems.push({ line: header.line, message: '表头下面没有任何记录' });
  return { records, problems, ignored, headerLine: header.line };
}

/** Problems as the CLI prints them: 「行 7：…」, one a line, at most `limit` lines. */
export function problemReport(problems: ImportProblem[], limit = 50): string[] {
  const sorted = [...problems].sort((a, b) => a.line - b.line);
  const lines = sorted.slice(0, limit).map((p) => `行 ${p.line}：${p.message}`);
  if (sorted.length > limit) lines.push(`……另有 ${sorted.length - limit} 处问题未列出`);
  return lines;
}

interface Wall {
  /** The wall-clock time as if it were UTC. */
  ms: number;
  dateOnly: boolean;
}

const DATE_TIME = /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT]+(\d{1,2})\s*[:：时点]\s*(\d{1,2})\s*(?:[:：分]\s*(\d{1,2})\s*秒?)?分?)?$/;
const DAY = 86_400_000;

function parseWall(v: SheetCell): Wall | null {
  if (v instanceof Date) {
    // A time-only cell is a date in 1899/1900 (Excel's day zero): not a date.
    if (v.getUTCFullYear() < 1901) return null;
    return { ms: v.getTime(), dateOnly: v.getTime() % DAY === 0 };
  }
  if (typeof v === 'number') {
    // An Excel date serial without a date format (days since 1899-12-30).
    if (v < 36_526 || v > 73_051) return null;
    const ms = Math.round(((v - 25_569) * DAY) / 1000) * 1000;
    return { ms, dateOnly: Number.isInteger(v) };
  }
  const m = DATE_TIME.exec(String(v).trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number);
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return null;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  if (new Date(ms).getUTCDate() !== d) return null; // 2026-02-30
  return { ms, dateOnly: m[4] === undefined };
}

/** Milliseconds into the day of a time of day (「09:30」, or an Excel time cell / fraction); null when not one. */
function parseTimeOfDay(v: SheetCell): number | null {
  if (v instanceof Date) return v.getUTCFullYear() < 1901 ? v.getTime() - Date.UTC(v.getUTCFullYear(), v.getUTCMonth(), v.getUTCDate()) : null;
  if (typeof v === 'number') return v >= 0 && v < 1 ? Math.round((v * DAY) / 1000) * 1000 : null;
  const m = /^(\d{1,2})\s*[:：时点]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?\s*[分秒]?$/.exec(String(v).trim());
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3] ?? 0) > 59) return null;
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3] ?? 0)) * 1000;
}

function dayPlus(receivedMs: number, time: number | null): Wall | null {
  return time === null ? null : { ms: receivedMs - (receivedMs % DAY) + time, dateOnly: false };
}

/** A wall-clock time in the zone → the instant. */
function toInstant(wallMs: number, timeZone: string): Date {
  let at = wallMs - zoneOffsetMs(wallMs, timeZone);
  at = wallMs - zoneOffsetMs(at, timeZone);
  return new Date(at);
}

const localText = (d: Date) =>
  d
    .toISOString()
    .slice(0, 19)
    .replace('T', ' ')
    .replace(/ 00:00:00$/, '');
const show = (v: SheetCell) => (v instanceof Date ? localText(v) : String(v ?? ''));
const cut = (s: string | null, n: number) => (s === null ? null : [...s].slice(0, n).join(''));

/** 1–5, or undefined when the word is not understood; null = no answer. */
function scoreOf(word: string): number | null | undefined {
  const w = word.replace(/\s/g, '');
  if (NO_SATISFACTION.has(w)) return null;
  const n = /^([1-5])(?:\.0+)?分?$/.exec(w);
  if (n) return Number(n[1]);
  return SATISFACTION_WORDS[w];
}

function categoryIdOf(word: string, categories: ValidateOptions['categories']): string | null {
  const w = word.replace(/\s/g, '');
  const lower = w.toLowerCase();
  const hit =
    categories.find((c) => c.name === w) ??
    categories.find((c) => c.id.toLowerCase() === lower || c.nameEn?.toLowerCase() === lower) ??
    categories.find((c) => CATEGORY_SYNONYMS[c.id]?.includes(w));
  return hit?.id ?? null;
}

function channelOf(word: string | null): string {
  if (!word) return '未注明';
  const w = word.replace(/\s/g, '');
  for (const [id, words] of Object.entries(CHANNEL_SYNONYMS)) if (words.includes(w)) return id;
  return cut(word, 20)!;
}
