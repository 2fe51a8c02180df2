/** CSV for Excel in China: UTF-8 with a BOM (Excel guesses GBK without it and garbles the Chinese), CRLF lines. */
export const BOM = '\uFEFF';

export function csvCell(v: string | number | null | undefined): string {
  const s = v === null || v === undefined ? '' : String(v);
  // A leading = + - @ would run as a formula in Excel: quote it as text.
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) || safe !== s ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function csvLine(cells: Array<string | number | null | undefined>): string {
  return cells.map(csvCell).join(',');
}
