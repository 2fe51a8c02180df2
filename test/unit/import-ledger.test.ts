import { describe, expect, it } from 'vitest';
import { defaultCategories } from '../../src/config.ts';
import { columnOfHeader } from '../../src/imports/mapping.ts';
import { parseDelimited, readSheet } from '../../src/imports/read.ts';
import { problemReport, validateSheet } from '../../src/imports/validate.ts';

const opts = { categories: defaultCategories(), timeZone: 'Asia/Shanghai', now: new Date('2026-12-07T02:00:00Z') };
const HEAD = '日期,类别,内容摘要,首次响应时间,解决时间,满意度';
const one = (line: string) => validateSheet(parseDelimited(`${HEAD}\n${line}\n`), opts);

describe('import-ledger: reading the old sheet', () => {
  it('headers match after notes in brackets, spaces and a required-mark star', () => {
    expect(columnOfHeader('首次响应时间（年-月-日 时:分）')?.field).toBe('firstResponseAt');
    expect(columnOfHeader(' 受理日期 * ')?.field).toBe('receivedAt');
    expect(columnOfHeader('办结时间')?.field).toBe('resolvedAt');
    expect(columnOfHeader('备注')).toBeUndefined();
  });

  it('CSV: quoted commas, doubled quotes and line breaks; rows numbered as Excel shows them', () => {
    const rows = parseDelimited('a,b\r\n"x, y","say ""hi""\nagain"\r\n\r\nlast,1\r\n');
    expect(rows).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['x, y', 'say "hi"\nagain'] },
      { line: 4, cells: ['last', '1'] },
    ]);
  });

  it('decodes UTF-8 with and without BOM, GBK and UTF-16 (tab-separated), and refuses .xls', async () => {
    const text = `${HEAD}\n2026-08-01 09:00,投诉,扣费,,2026-08-02,满意\n`;
    const gbk = Buffer.from([0xc8, 0xd5, 0xc6, 0xda]); // 「日期」 in GBK
    for (const [bytes, encoding] of [
      [Buffer.from(text), 'UTF-8'],
      [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), 'UTF-8（带 BOM）'],
      [Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.replaceAll(',', '\t'), 'utf16le')]), 'UTF-16（Unicode 文本）'],
    ] as const) {
      const sheet = await readSheet(bytes, 'a.csv');
      expect(sheet.source).toBe(encoding);
      expect(validateSheet(sheet.rows, opts).records).toHaveLength(1);
    }
    const g = await readSheet(gbk, 'a.csv');
    expect(g.source).toBe('GBK/GB18030');
    expect(g.rows[0].cells).toEqual(['日期']);
    await expect(readSheet(Buffer.from([0xd0, 0xcf, 0x11, 0xe0]), 'old.xls')).rejects.toThrow(/另存为.*\.xlsx/);
  });

  it('reads the date forms of real ledgers as Beijing time', () => {
    for (const [cell, iso] of [
      ['2026-08-03 09:12', '2026-08-03T01:12:00.000Z'],
      ['2026/8/3 9:12', '2026-08-03T01:12:00.000Z'],
      ['2026年8月3日 9时12分', '2026-08-03T01:12:00.000Z'],
      ['2026.08.03 09:12:30', '2026-08-03T01:12:30.000Z'],
      ['2026-08-03', '2026-08-02T16:00:00.000Z'],
    ]) {
      expect(one(`${cell},投诉,x,,2026-08-05,`).records[0]?.receivedAt.toISOString(), cell).toBe(iso);
    }
  });

  it('names each bad cell with its row', () => {
    const cases: Array<[string, string]> = [
      ['2026-13-01,投诉,x,,2026-12-01,', '行 2：日期「2026-13-01」无法识别（应为 2026-08-03 或 2026-08-03 09:30）'],
      ['2026-02-30,投诉,x,,2026-03-01,', '行 2：日期「2026-02-30」无法识别'],
      ['2026-12-08 09:00,投诉,x,,2026-12-08 10:00,', '行 2：日期「2026-12-08 09:00」晚于现在'],
      ['2026-08-01,售后,x,,2026-08-02,', '行 2：类别「售后」不是本公司的分类（可选：产品故障、投诉、咨询、建议、其他）'],
      ['2026-08-01,投诉,,,2026-08-02,', '行 2：内容摘要为空（必填）'],
      ['2026-08-01,投诉,x,,,', '行 2：解决时间为空：只能导入已经办结的记录'],
      ['2026-08-05,投诉,x,,2026-08-02,', '行 2：解决时间「2026-08-02」早于日期「2026-08-05」'],
      ['2026-08-01 10:00,投诉,x,2026-08-03,2026-08-02,', '行 2：首次响应时间「2026-08-03」晚于解决时间「2026-08-02」'],
      ['2026-08-01,投诉,x,,2026-08-02,7', '行 2：满意度「7」无法识别'],
    ];
    for (const [line, message] of cases) {
      const v = one(line);
      expect(v.records, line).toEqual([]);
      expect(problemReport(v.problems).join('\n'), line).toContain(message);
    }
  });

  it('maps category synonyms and satisfaction words; 未评价 is no score; a duplicate 编号 is refused', () => {
    const v = validateSheet(
      parseDelimited(
        [
          `编号,${HEAD}`,
          'A1,2026-08-01,故障,x,09:30,2026-08-02,非常满意',
          'A2,2026-08-01,complaint,x,,2026-08-02,基本满意',
          'A3,2026-08-01,意见建议,x,,2026-08-02,未评价',
          'A4,2026-08-01,咨询,x,,2026-08-02,3分',
          'A1,2026-08-01,咨询,x,,2026-08-02,',
        ].join('\n'),
      ),
      opts,
    );
    expect(v.records.map((r) => [r.category, r.score])).toEqual([
      ['bug', 5],
      ['complaint', 3],
      ['suggestion', null],
      ['consultation', 3],
    ]);
    // A time of day alone is on the day of receipt.
    expect(v.records[0].firstResponseAt?.toISOString()).toBe('2026-08-01T01:30:00.000Z');
    expect(problemReport(v.problems)).toEqual(['行 6：编号「A1」与第 2 行重复']);
  });

  it('finds the header below a title row; reports a missing column once, on the header row', () => {
    const v = validateSheet(parseDelimited('某公司投诉台账\n日期,类别,内容\n2026-08-01,投诉,x\n'), opts);
    expect(v.headerLine).toBe(2);
    expect(problemReport(v.problems)).toEqual([expect.stringMatching(/^行 2：缺少必需的列「解决时间」/)]);
    expect(problemReport(validateSheet(parseDelimited('a,b\n1,2\n'), opts).problems)[0]).toMatch(/^行 1：找不到表头/);
  });
});
