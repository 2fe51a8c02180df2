import { describe, expect, it } from 'vitest';
import { categoryOf, parseConfig } from '../../src/config.ts';
import { createCalendar } from '../../src/core/calendar.ts';
import { customerPromise, promiseRule, targetText } from '../../src/core/promise.ts';
import { policyFor } from '../../src/core/sla.ts';

const config = parseConfig({});
const calendar = createCalendar(config.calendar, () => {});
const hours = config.calendar.hours;
const sh = (local: string) => new Date(`${local}:00+08:00`);
const promise = (category: string, local: string, patch: Record<string, unknown> = {}) => {
  const c = { ...categoryOf(config, category), ...patch };
  return customerPromise({ categoryName: c.name, policy: policyFor(c, config, calendar), calendar, receivedAt: sh(local), hours });
};
const WH = '（工作时间 9:00–12:00、13:30–18:30）';

describe('the promise a customer reads, with the deadline (2026 calendar)', () => {
  it.each([
    // Friday evening before the Spring Festival: the make-up Saturday 2-14 is a working day.
    ['bug', '2026-02-13T19:05', `产品故障类问题：我们将在 2 小时内${WH}首次回复，最晚 2 月 14 日（周六，调休上班）11:00 前。`],
    // On the make-up Saturday afternoon: the festival (2-15 … 2-23) is skipped.
    ['bug', '2026-02-14T17:30', `产品故障类问题：我们将在 2 小时内${WH}首次回复，最晚 2 月 24 日（周二）10:00 前。`],
    // 17:00–18:30 on 2-14 is 90 of the 480 minutes; the other 390 are 9:00–12:00 and 13:30–17:00 on 2-24.
    ['consultation', '2026-02-14T17:00', `咨询类问题：我们将在 1 个工作日内${WH}首次回复，最晚 2 月 24 日（周二）17:00 前。`],
    // Across the lunch break: 11:20 + 2 h = 1 h 20 before 12:00 … 40 min after 13:30.
    ['complaint', '2026-03-03T11:20', `投诉类问题：我们将在 2 小时内${WH}首次回复，最晚 3 月 3 日（周二）14:50 前。`],
    // National Day eve: Wednesday 9-30 at 17:00, the holiday runs 10-01 … 10-07, 10-10 (Saturday) is a make-up day.
    ['bug', '2026-09-30T17:00', `产品故障类问题：我们将在 2 小时内${WH}首次回复，最晚 10 月 8 日（周四）09:30 前。`],
    ['consultation', '2026-10-09T18:00', `咨询类问题：我们将在 1 个工作日内${WH}首次回复，最晚 10 月 10 日（周六，调休上班）18:00 前。`],
    // A consultation at 00:22 on a Tuesday is answered the same working day.
    ['consultation', '2026-03-03T00:22', `咨询类问题：我们将在 1 个工作日内${WH}首次回复，最晚 3 月 3 日（周二）18:30 前。`],
    // The calendar clock says so and counts the night.
    [
      'bug',
      '2026-12-31T22:00',
      '产品故障类问题：我们将在 24 小时内（全天候计时，含夜间和节假日）首次回复，最晚 2027 年 1 月 1 日（周五）22:00 前。',
      { clock: 'calendar', firstResponseMinutes: 1440 },
    ],
  ] as Array<[string, string, string, Record<string, unknown>?]>)('%s at %s', (category, at, text, patch = {}) => {
    expect(promise(category, at, patch).text).toBe(text);
  });

  it('a category without a first-response target promises no time', () => {
    expect(promise('bug', '2026-03-03T10:00', { firstResponseMinutes: null })).toEqual({ text: '产品故障类问题：我们已收到，会尽快处理。', deadline: null });
  });

  it('the deadline is the SLA due time', () => {
    expect(promise('bug', '2026-02-13T19:05').deadline).toEqual(sh('2026-02-14T11:00'));
  });
});

describe('the rule as the sheets say it', () => {
  it.each([
    [120, 'business', '2 小时'],
    [480, 'business', '1 个工作日'],
    [1440, 'business', '3 个工作日'],
    [90, 'business', '1 小时 30 分钟'],
    [45, 'business', '45 分钟'],
    [1440, 'calendar', '24 小时'],
    [2880, 'calendar', '48 小时'],
    [10080, 'calendar', '7 天'],
  ] as const)('%i min (%s) → %s', (m, clock, text) => {
    expect(targetText(m, clock, hours)).toBe(text);
  });

  it('uses the same words as the acknowledgement', () => {
    expect(promise('consultation', '2026-03-03T10:00').text).toContain(promiseRule(480, 'business', hours));
    expect(promiseRule(null, 'business', hours)).toBe('不承诺时限');
  });
});
