/**
 * Reading an old ledger: XLSX through exceljs (the first sheet), or CSV in UTF-8 (with or without BOM), GB18030/GBK
 * (what Excel in China writes for 「CSV（逗号分隔）」) or UTF-16 (「Unicode 文本」, tab-separated). Node's own
 * TextDecoder decodes GB18030, so no extra dependency. Rows keep the spreadsheet's numbering (header row included),
 * so a refusal names the line the user sees in Excel.
 */
import { createHash } from 'node:crypto';
import ExcelJS from 'exceljs';

/** A cell: text, a number, or a date cell's wall-clock time (as a UTC Date, the way spreadsheets hold dates). */
export type SheetCell = string | number | Date | null;
export interface SheetRow {
  line: number;
  cells: SheetCell[];
}
export interface Sheet {
  sha256: string;
  rows: SheetRow[];
  /** How the file was decoded (CSV) or which sheet was read (XLSX), for the summary line. */
  source: string;
}

export class ImportFileError extends Error {
  override name = 'ImportFileError';
}

const XLSX_MAGIC = [0x50, 0x4b, 0x03, 0x04];

export async function readSheet(bytes: Buffer, fileName: string): Promise<Sheet> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const zipped = XLSX_MAGIC.every((b, i) => bytes[i] === b);
  if (/\.xls$/i.test(fileName) || (bytes[0] === 0xd0 && bytes[1] === 0xcf)) {
    throw new ImportFileError('不支持旧版 Excel 97-2003（.xls）文件：请在 Excel 中「另存为」Excel 工作簿（.xlsx）或 CSV UTF-8（逗号分隔）后再导入。');
  }
  if (zipped || /\.xlsx$/i.test(fileName)) {
    if (!zipped) throw new ImportFileError('文件扩展名是 .xlsx，但内容不是 Excel 工作簿：请用 Excel 重新保存后再导入。');
    return { sha256, ...(await readXlsx(bytes)) };
  }
  const { text, encoding } = decodeText(bytes);
  return { sha256, rows: parseDelimited(text), source: encoding };
}

async function readXlsx(bytes: Buffer): Promise<Omit<Sheet, 'sha256'>> {
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch (e) {
    throw new ImportFileError(`无法读取 Excel 文件：${(e as Error).message}`);
  }
  const ws = wb.worksheets.find((w) => w.state === 'visible' && w.actualRowCount > 0) ?? wb.worksheets[0];
  if (!ws) throw new ImportFileError('Excel 文件里没有工作表。');
  const rows: SheetRow[] = [];
  ws.eachRow({ includeEmpty: false }, (row, line) => {
    const cells: SheetCell[] = [];
    for (let i = 1; i <= row.cellCount; i++) cells.push(cellValue(row.getCell(i).value));
    rows.push({ line, cells });
  });
  return { rows, source: `工作表「${ws.name}」` };
}

function cellValue(v: ExcelJS.CellValue): SheetCell {
  if (v === null || v === undefined) return null;
  if (v instanceof Date || typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? '是' : '否';
  if (typeof v === 'object') {
    if ('richText' in v) return v.richText.map((r) => r.text).join('');
    if ('result' in v) return v.result === undefined ? null : cellValue(v.result as ExcelJS.CellValue);
    if ('text' in v) return String(v.text);
    if ('error' in v) return String(v.error);
  }
  return String(v);
}

function decodeText(bytes: Buffer): { text: string; encoding: string } {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'UTF-16（Unicode 文本）' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'UTF-16（Unicode 文本）' };
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bom ? bytes.subarray(3) : bytes), encoding: bom ? 'UTF-8（带 BOM）' : 'UTF-8' };
  } catch {
    // Not UTF-8: Excel's 「CSV（逗号分隔）」 on a Chinese Windows writes GBK, which GB18030 contains.
  }
  try {
    return { text: new TextDecoder('gb18030', { fatal: true }).decode(bytes), encoding: 'GBK/GB18030' };
  } catch {
    throw new ImportFileError('无法识别文件编码（既不是 UTF-8 也不是 GBK）：请在 Excel 中「另存为」CSV UTF-8（逗号分隔）或 Excel 工作簿（.xlsx）后再导入。');
  }
}

/**
 * RFC 4180 with the delimiter of the header (comma, or tab for Excel's 「Unicode 文本」): quoted fields may hold
 * commas, doubled quotes and line breaks. A record's line is the spreadsheet row it becomes (1 = first record).
 */
export function parseDelimited(text: string): SheetRow[] {
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const sep = (firstLine.match(/\t/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? '\t' : ',';
  const rows: SheetRow[] = [];
  let cells: SheetCell[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  const endField = () => {
    cells.push(field === '' ? null : field);
    field = '';
  };
  const endRow = () => {
    endField();
    if (cells.some((c) => c !== null && String(c).trim() !== '')) rows.push({ line, cells });
    cells = [];
    line++;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === sep) endField();
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
    } else field += ch;
  }
  if (field !== '' || cells.length) endRow();
  return rows;
}
