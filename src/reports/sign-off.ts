/**
 * The sign-off block every exported file ends with: 制表人 (who ran the export), 审核人 (config company.reviewer),
 * 日期 (the export date in the company's zone) and a 盖章 space. One helper, rendered for each format (spreadsheet
 * rows, CSV lines, Markdown, HTML, Word, JSON). An unknown name is a line to sign by hand, never an id.
 */
import type { Config } from '../config.ts';
import { csvLine } from './csv.ts';

export interface SignOff {
  preparer: string;
  reviewer: string;
  date: string;
}

/** What a person signs on when no name is known. */
export const SIGN_HERE = '＿＿＿＿＿＿＿＿';
export const STAMP_LABEL = '盖章';

/** '2026 年 12 月 7 日' in the zone. */
export function chineseDate(at: Date, timeZone: string): string {
  const [y, m, d] = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at).split('-').map(Number);
  return `${y} 年 ${m} 月 ${d} 日`;
}

/** `by`: the person who ran the export (console user, chat user, CLI --by); else config company.preparer. */
export function signOffOf(deps: { config: Config; calendar: { timeZone: string }; now: Date }, by?: string | null): SignOff {
  const name = (s: string | null | undefined) => (s && s.trim() ? s.trim() : null);
  return {
    preparer: name(by) ?? name(deps.config.company.preparer) ?? SIGN_HERE,
    reviewer: name(deps.config.company.reviewer) ?? SIGN_HERE,
    date: chineseDate(deps.now, deps.calendar.timeZone),
  };
}

/** [label, value] pairs; the stamp's value is the empty space left for it. */
export function signOffRows(s: SignOff): Array<[string, string]> {
  return [
    ['制表人', s.preparer],
    ['审核人', s.reviewer],
    ['日期', s.date],
    [STAMP_LABEL, ''],
  ];
}

export const signOffLines = (s: SignOff): string[] => signOffRows(s).map(([k, v]) => `${k}：${v}`);

/** Markdown: one paragraph per line, then room for the stamp. */
export const signOffMarkdown = (s: SignOff): string => ['---', ...signOffLines(s)].join('\n\n');

/** CSV lines (no trailing line break), after an empty line that ends the table. */
export const signOffCsv = (s: SignOff, eol = '\r\n'): string => ['', ...signOffRows(s).map(([k, v]) => csvLine([k, v]))].join(eol);

const esc = (t: string) => t.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** HTML: the lines, and a framed space for the stamp (kept on one printed page). */
export function signOffHtml(s: SignOff): string {
  const [preparer, reviewer, date] = signOffLines(s);
  return `<div class="sign-off" style="margin-top:2em;page-break-inside:avoid">
<p>${esc(preparer)}</p><p>${esc(reviewer)}</p><p>${esc(date)}</p>
<p>${STAMP_LABEL}：</p><div class="stamp" style="width:5cm;height:5cm;border:1px dashed #bbb"></div>
</div>`;
}

/** JSON files: the same block as an object (keys in Chinese, as a reviewer reads them). */
export const signOffJson = (s: SignOff): Record<string, string> => Object.fromEntries(signOffRows(s));
