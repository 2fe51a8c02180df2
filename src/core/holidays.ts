/**
 * Mainland China statutory holidays and 调休 make-up working days, as data. The shipped years come from the
 * maintained `chinese-days` package (its JSON, bundled as data: no I/O here); a year the package does not have
 * yet can be imported from the State Council notice as ICS or JSON (`npx loopdesk calendar import FILE`) and is
 * passed to the calendar with `withImportedYears`. Dates are local (Asia/Shanghai) calendar dates.
 */
import shippedJson from 'chinese-days/dist/chinese-days.json' with { type: 'json' };

export interface HolidayDay {
  kind: 'holiday' | 'makeup';
  /** Name of the holiday as in the notice, e.g. '春节'. */
  name: string;
}

export interface HolidayData {
  /** Part of every calendar's version: changing the data changes the version stored on new tickets. */
  readonly version: string;
  /** Where each year comes from, for audits ('chinese-days 1.5.7', or the imported file). */
  readonly sources: ReadonlyMap<number, string>;
  readonly days: ReadonlyMap<string, HolidayDay>;
}

/** An imported year: the shape `calendar import` stores and the calendar takes. */
export interface ImportedYear {
  year: number;
  source: string;
  days: Array<{ date: string } & HolidayDay>;
}

/** chinese-days writes 'Spring Festival,春节,4'; the notice says 清明节, 端午节, 中秋节. */
export function holidayName(raw: string): string {
  const parts = raw.split(',');
  const zh = (parts.length >= 2 ? parts[1] : raw).trim();
  return /^(清明|端午|中秋)$/.test(zh) ? `${zh}节` : zh;
}

const SHIPPED_PACKAGE = 'chinese-days 1.5.7';

/** Builds holiday data from the chinese-days JSON shape ({ holidays: {date: name}, workdays: {date: name} }). */
export function fromChineseDaysJson(
  json: { holidays?: Record<string, string>; workdays?: Record<string, string> },
  source: string,
  version: string,
): HolidayData {
  const days = new Map<string, HolidayDay>();
  const sources = new Map<number, string>();
  for (const [date, name] of Object.entries(json.holidays ?? {})) days.set(date, { kind: 'holiday', name: holidayName(name) });
  for (const [date, name] of Object.entries(json.workdays ?? {})) days.set(date, { kind: 'makeup', name: holidayName(name) });
  for (const date of days.keys()) sources.set(Number(date.slice(0, 4)), source);
  return { version, sources, days };
}

/** The shipped data. Bump the version suffix when the package is upgraded, so old tickets keep their version. */
export const SHIPPED_HOLIDAYS: HolidayData = fromChineseDaysJson(shippedJson, SHIPPED_PACKAGE, 'cn-chinese-days-1.5.7');

/** Imported years replace the shipped data of the same year entirely (a published notice is the whole year). */
export function withImportedYears(base: HolidayData, imported: readonly ImportedYear[]): HolidayData {
  if (!imported.length) return base;
  const years = new Set(imported.map((y) => y.year));
  const days = new Map([...base.days].filter(([d]) => !years.has(Number(d.slice(0, 4)))));
  const sources = new Map([...base.sources].filter(([y]) => !years.has(y)));
  for (const y of imported) {
    sources.set(y.year, y.source);
    for (const d of y.days) days.set(d.date, { kind: d.kind, name: d.name });
  }
  const tag = [...imported]
    .sort((a, b) => a.year - b.year)
    .map((y) => `${y.year}:${y.days.length}`)
    .join(',');
  return { version: `${base.version}+import(${tag})`, sources, days };
}
