/**
 * The forbidden-words scan of reviewer-facing files (issue 20, item 7): a reviewer reads Chinese only, never our
 * configuration values, internal ids or developer words.
 *
 * Latin words are refused unless listed in ALLOWED_LATIN, each with its reason: names of standards a reviewer checks
 * with their own tools (SHA-256, HMAC), file formats they open (Excel, CSV, XLSX), the statistic P90 (defined in 口径说明),
 * and the ticket-code prefixes (FB, TC, DR for imported records; explained in 说明). SLA is NOT allowed: the files say 时限 / 承诺.
 * Web addresses and page paths are data (the self-check names the page it could not reach), not words.
 * Customer-typed text (quoted as evidence) and contact details are removed before the scan by the caller.
 */
import ExcelJS from 'exceljs';
import { strFromU8, unzipSync } from 'fflate';

export const ALLOWED_LATIN = new Set(['SHA', 'HMAC', 'Excel', 'CSV', 'XLSX', 'P90', 'FB', 'TC', 'DR']);

/** Always wrong, whatever the allowed list says. */
export const FORBIDDEN: Array<[RegExp, string]> = [
  [/\b(?:ou|oc|on|cid|un)_[A-Za-z0-9]+/, '平台内部 id'],
  [/\b(?:null|undefined|NaN|Infinity|true|false)\b/, '程序值'],
  [/\[object Object\]/, '程序值'],
  [/JSON|PGlite|Loopdesk|PostgreSQL|Postgres/i, '开发者用语'],
  [/\b(?:Bug|high|normal|low|urgent|business|calendar)\b/, '配置值'],
  [/Asia\/Shanghai/, '时区名'],
  [/状态机/, '开发者用语'],
];

export interface Finding {
  file: string;
  match: string;
  why: string;
  context: string;
}

/** Text as a reviewer sees it: HTML without tags, styles or scripts; entities decoded. */
export function visibleText(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>/gi, ' ')
    .replace(/<script[\s\S]*?<\/script>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/**
 * Hex digests and fingerprints, times, file names, e-mail and web addresses (a reviewer may visit them, as the
 * self-check lists them): data, not words.
 */
function stripData(text: string): string {
  return text
    .replace(/https?:\/\/[^\s，。（）、|]+/g, ' ')
    .replace(/(?<![\w/])\/[a-z][\w/-]*/g, ' ')
    .replace(/[0-9a-f]{16,}/gi, ' ')
    .replace(/[0-9a-f]{8,}…/gi, ' ')
    .replace(/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8}\b/g, ' ')
    .replace(/\d{4}-\d{2}-\d{2}T[\d:.]+Z?/g, ' ')
    .replace(/[^\s@，。（）、]+@[^\s@，。（）、]+/g, ' ')
    .replace(/[^\s/，。、"“”]+\.(?:xlsx|csv|md|html|docx|zip|png|txt|json)\b/gi, ' ');
}

export function scanText(file: string, raw: string, exempt: readonly string[] = []): Finding[] {
  let text = raw;
  for (const e of exempt) text = text.replaceAll(e, ' ');
  text = stripData(text);
  const out: Finding[] = [];
  const ctx = (i: number) => text.slice(Math.max(0, i - 30), i + 30).replace(/\s+/g, ' ');
  for (const [re, why] of FORBIDDEN) {
    const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
    for (const m of text.matchAll(g)) out.push({ file, match: m[0], why, context: ctx(m.index!) });
  }
  for (const m of text.matchAll(/[A-Za-z][A-Za-z0-9]*/g)) {
    if (!ALLOWED_LATIN.has(m[0])) out.push({ file, match: m[0], why: '英文词', context: ctx(m.index!) });
  }
  return out;
}

/** Every sheet name and cell of a workbook, and its printed header/footer, as lines of text. */
export async function workbookText(buf: Uint8Array): Promise<string> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(buf) as never);
  const lines: string[] = [];
  for (const ws of wb.worksheets) {
    lines.push(ws.name);
    const hf = ws.headerFooter;
    // '&L', '&C&A', '&P' are Excel's header codes, not words.
    for (const part of [hf?.oddHeader, hf?.oddFooter]) if (part) lines.push(part.replace(/&[LCRAPN]/g, ' ').replace(/&&/g, '&'));
    ws.eachRow((row) => row.eachCell((cell) => lines.push(cell.value instanceof Date ? '' : String(cell.text ?? ''))));
  }
  return lines.join('\n');
}

/** The words of a DOCX: the text runs of its body. */
export function docxText(buf: Uint8Array): string {
  const files = unzipSync(buf);
  const xml = strFromU8(files['word/document.xml']);
  return [...xml.matchAll(/<w:t(?:\s[^>]*)?>([^<]*)<\/w:t>/g)].map((m) => m[1]).join('');
}

/** The string values of a JSON document (its keys are for machines). */
export function jsonValues(doc: unknown): string[] {
  if (typeof doc === 'string') return [doc];
  if (Array.isArray(doc)) return doc.flatMap(jsonValues);
  if (doc && typeof doc === 'object') return Object.values(doc).flatMap(jsonValues);
  return [];
}

/** Scans every file of an unzipped pack by its kind. */
export async function scanFiles(files: Record<string, Uint8Array>, exempt: readonly string[]): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const [name, buf] of Object.entries(files)) {
    if (name.endsWith('/') || name.endsWith('.png')) continue;
    out.push(...scanText(`${name}（文件名）`, name, exempt));
    let text: string;
    if (name.endsWith('.xlsx')) text = await workbookText(buf);
    else if (name.endsWith('.docx')) text = docxText(buf);
    else if (name.endsWith('.json')) text = jsonValues(JSON.parse(strFromU8(buf))).join('\n');
    else if (name.endsWith('.html')) text = visibleText(strFromU8(buf));
    else text = strFromU8(buf);
    out.push(...scanText(name, text, exempt));
  }
  return out;
}
