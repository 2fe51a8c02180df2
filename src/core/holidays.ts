/**
 * Mainland China statutory holidays and 调休 make-up working days, as published by the State Council
 * (国务院办公厅关于 YYYY 年部分节假日安排的通知). Dates are local (Asia/Shanghai) calendar dates.
 *
 * Adding a year: copy the notice's seven items below (days off, and the weekend days that are working days),
 * then bump HOLIDAY_DATA_VERSION so tickets computed with the old data keep their old calendar version.
 */

export interface HolidayPeriod {
  /** Name as in the notice, e.g. '春节'. */
  name: string;
  nameEn: string;
  /** First and last day off, inclusive. */
  off: readonly [from: string, to: string];
  /** Weekend days that are working days because of this holiday (调休上班). */
  makeup: readonly string[];
}

export interface HolidayYear {
  /** Where the data comes from, for audits. */
  source: string;
  periods: readonly HolidayPeriod[];
}

/** Part of every calendar's version: changing the shipped data changes the version stored on new tickets. */
export const HOLIDAY_DATA_VERSION = 'cn-2025-2026.1';

export const CN_HOLIDAYS: Readonly<Record<number, HolidayYear>> = {
  2025: {
    source: '国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号，2024-11-12；新华社全文 https://m.gmw.cn/2024-11/12/content_1303894933.htm）',
    periods: [
      { name: '元旦', nameEn: "New Year's Day", off: ['2025-01-01', '2025-01-01'], makeup: [] },
      { name: '春节', nameEn: 'Spring Festival', off: ['2025-01-28', '2025-02-04'], makeup: ['2025-01-26', '2025-02-08'] },
      { name: '清明节', nameEn: 'Qingming Festival', off: ['2025-04-04', '2025-04-06'], makeup: [] },
      { name: '劳动节', nameEn: 'Labour Day', off: ['2025-05-01', '2025-05-05'], makeup: ['2025-04-27'] },
      { name: '端午节', nameEn: 'Dragon Boat Festival', off: ['2025-05-31', '2025-06-02'], makeup: [] },
      { name: '国庆节、中秋节', nameEn: 'National Day and Mid-Autumn Festival', off: ['2025-10-01', '2025-10-08'], makeup: ['2025-09-28', '2025-10-11'] },
    ],
  },
  2026: {
    source: '国务院办公厅关于2026年部分节假日安排的通知（2025-11-04；新华社全文 https://politics.gmw.cn/2025-11/04/content_38391083.htm）',
    periods: [
      { name: '元旦', nameEn: "New Year's Day", off: ['2026-01-01', '2026-01-03'], makeup: ['2026-01-04'] },
      { name: '春节', nameEn: 'Spring Festival', off: ['2026-02-15', '2026-02-23'], makeup: ['2026-02-14', '2026-02-28'] },
      { name: '清明节', nameEn: 'Qingming Festival', off: ['2026-04-04', '2026-04-06'], makeup: [] },
      { name: '劳动节', nameEn: 'Labour Day', off: ['2026-05-01', '2026-05-05'], makeup: ['2026-05-09'] },
      { name: '端午节', nameEn: 'Dragon Boat Festival', off: ['2026-06-19', '2026-06-21'], makeup: [] },
      { name: '中秋节', nameEn: 'Mid-Autumn Festival', off: ['2026-09-25', '2026-09-27'], makeup: [] },
      { name: '国庆节', nameEn: 'National Day', off: ['2026-10-01', '2026-10-07'], makeup: ['2026-09-20', '2026-10-10'] },
    ],
  },
};
