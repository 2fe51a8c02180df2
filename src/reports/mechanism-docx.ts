/**
 * The mechanism description as DOCX (the `docx` package), ready to print and stamp: the same text as the
 * Markdown (one source: mechanismMarkdown), turned into Word headings, paragraphs, lists and tables, with the
 * company name, the date and a stamp line filled in.
 */
import { AlignmentType, BorderStyle, Document, HeadingLevel, Packer, Paragraph, Table, TableCell, TableRow, TextRun, WidthType } from 'docx';
import { companyLabel } from '../promise/content.ts';
import { mechanismMarkdown, type MechanismDeps, type MechanismOptions } from './mechanism.ts';
import { signOffOf, signOffRows, STAMP_LABEL } from './sign-off.ts';
import type { DateRange } from './range.ts';

const FONT = { ascii: 'Calibri', eastAsia: 'SimSun', hAnsi: 'Calibri' } as const;

/** `**bold**` spans as runs. */
function runs(text: string, bold = false): TextRun[] {
  return text
    .split(/(\*\*[^*]+\*\*)/)
    .filter(Boolean)
    .map((part) =>
      part.startsWith('**') && part.endsWith('**')
        ? new TextRun({ text: part.slice(2, -2), bold: true, font: FONT })
        : new TextRun({ text: part, bold, font: FONT }),
    );
}

function cells(line: string): string[] {
  return line
    .replace(/^\|\s*/, '')
    .replace(/\s*\|$/, '')
    .split(/\s*\|\s*/);
}

function table(lines: string[]): Table {
  const [head, , ...body] = lines;
  const border = { style: BorderStyle.SINGLE, size: 4, color: '999999' };
  const row = (cs: string[], header: boolean) =>
    new TableRow({
      tableHeader: header,
      children: cs.map(
        (c) =>
          new TableCell({ children: [new Paragraph({ children: runs(c, header) })], borders: { top: border, bottom: border, left: border, right: border } }),
      ),
    });
  return new Table({ width: { size: 100, type: WidthType.PERCENTAGE }, rows: [row(cells(head), true), ...body.map((l) => row(cells(l), false))] });
}

/** Markdown as mechanismMarkdown writes it (headings, paragraphs, - and 1. lists, > quotes, | tables). */
export function markdownToDocx(markdown: string): Array<Paragraph | Table> {
  const out: Array<Paragraph | Table> = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.trim()) continue;
    if (line.startsWith('|')) {
      const block: string[] = [];
      while (i < lines.length && lines[i].startsWith('|')) block.push(lines[i++]);
      i--;
      out.push(table(block), new Paragraph({ text: '' }));
      continue;
    }
    const h = /^(#{1,3})\s+(.*)$/.exec(line);
    if (h) {
      const level = [HeadingLevel.TITLE, HeadingLevel.HEADING_1, HeadingLevel.HEADING_2][h[1].length - 1];
      out.push(new Paragraph({ heading: level, alignment: h[1].length === 1 ? AlignmentType.CENTER : undefined, children: runs(h[2]) }));
    } else if (/^- /.test(line)) out.push(new Paragraph({ bullet: { level: 0 }, children: runs(line.slice(2)) }));
    else if (/^> /.test(line)) out.push(new Paragraph({ indent: { left: 480 }, children: runs(line.slice(2)) }));
    else out.push(new Paragraph({ children: runs(line) }));
  }
  return out;
}

export async function mechanismDocx(deps: MechanismDeps, range: DateRange, opts: Pick<MechanismOptions, 'by'> = {}): Promise<Buffer> {
  const markdown = await mechanismMarkdown(deps, range, { signOff: false });
  const company = companyLabel(deps.config);
  // 制表人 / 审核人 / 日期, then the company's stamp line with empty lines under it for the seal.
  const signOff = signOffRows(signOffOf(deps, opts.by)).map(([label, value]) =>
    label === STAMP_LABEL
      ? [new Paragraph({ alignment: AlignmentType.RIGHT, children: runs(`${company}（${STAMP_LABEL}）`) }), ...[1, 2, 3].map(() => new Paragraph({ text: '' }))]
      : [new Paragraph({ alignment: AlignmentType.RIGHT, children: runs(`${label}：${value}`) })],
  );
  const doc = new Document({
    creator: company,
    title: `${company} 客户反馈处理机制说明`,
    styles: { default: { document: { run: { font: FONT, size: 22 } } } },
    sections: [
      {
        children: [...markdownToDocx(markdown), new Paragraph({ text: '' }), ...signOff.flat()],
      },
    ],
  });
  return Packer.toBuffer(doc);
}
