/**
 * The promise a customer can check: one wording for every acknowledgement (chat, web page, e-mail, SMS), the
 * ticket page, the 服务承诺 sheet, the commitment page and the mechanism description. Pure: the calendar and the
 * instant are parameters.
 *
 * Why the words: a business-clock target is counted in working time, so "24 小时（工作时间）" is three working days
 * of waiting, which nobody reads that way. A business target is said in working days when it is a whole number
 * of them ("1 个工作日"), otherwise in hours with the working hours spelled out; and every acknowledgement names
 * the concrete deadline (the latest instant, with the weekday and whether that day is a make-up working day).
 */
import type { Config } from '../config.ts';
import type { BusinessCalendar } from './calendar.ts';
import { dueAt, type SlaPolicy } from './sla.ts';

type Hours = Config['calendar']['hours'];

const WEEKDAYS = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];

/** '9:00–12:00、13:30–18:30' */
export function workingHoursText(hours: Hours): string {
  return hours.map((h) => `${h.start.replace(/^0/, '')}–${h.end.replace(/^0/, '')}`).join('、');
}

/** Minutes of work in one working day (480 with the default 9:00–12:00 and 13:30–18:30). */
export function workingDayMinutes(hours: Hours): number {
  const min = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
  return hours.reduce((sum, h) => sum + Math.max(0, min(h.end) - min(h.start)), 0);
}

/**
 * How long, in the words a customer reads: '1 个工作日', '2 小时', '30 分钟' (business clock), '24 小时', '3 天'
 * (calendar clock). A business target is never said in 天 or in hours beyond a working day's worth of them
 * unless it is not a whole number of working days.
 */
export function targetText(minutes: number, clock: SlaPolicy['clock'], hours: Hours): string {
  const day = workingDayMinutes(hours);
  if (clock === 'business' && day > 0 && minutes >= day && minutes % day === 0) return `${minutes / day} 个工作日`;
  if (clock === 'calendar' && minutes > 72 * 60 && minutes % 1440 === 0) return `${minutes / 1440} 天`;
  if (minutes % 60 === 0) return `${minutes / 60} 小时`;
  if (minutes < 60) return `${minutes} 分钟`;
  return `${Math.floor(minutes / 60)} 小时 ${minutes % 60} 分钟`;
}

/** '（工作时间 9:00–12:00、13:30–18:30）' for the business clock, '（全天候，含节假日）' for the calendar clock. */
export function clockText(clock: SlaPolicy['clock'], hours: Hours): string {
  return clock === 'business' ? `（工作时间 ${workingHoursText(hours)}）` : '（全天候计时，含夜间和节假日）';
}

// Building an Intl formatter costs far more than using one (every acknowledgement names a deadline): one per zone.
const clockFormats = new Map<string, Intl.DateTimeFormat>();
function clockFormat(timeZone: string): Intl.DateTimeFormat {
  let f = clockFormats.get(timeZone);
  if (!f) clockFormats.set(timeZone, (f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })));
  return f;
}

/** '2 月 14 日（周六，调休上班）10:00'; the year is added when it differs from `ref`'s. */
export function deadlineText(at: Date, calendar: BusinessCalendar, ref?: Date): string {
  const iso = calendar.localDate(at);
  const [y, m, d] = iso.split('-').map(Number);
  const weekday = WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()];
  const info = calendar.dayInfo(iso);
  const note = info.kind === 'makeup' ? '，调休上班' : info.kind === 'holiday' ? `，${info.name ?? '节假日'}` : '';
  const time = clockFormat(calendar.timeZone).format(at);
  const year = ref && calendar.localDate(ref).slice(0, 4) !== iso.slice(0, 4) ? `${y} 年 ` : '';
  return `${year}${m} 月 ${d} 日（${weekday}${note}）${time}`;
}

export interface PromiseFacts {
  /** The whole sentence told to the customer. */
  text: string;
  /** The first-response deadline, or null when the category promises none. */
  deadline: Date | null;
}

/**
 * 「产品故障类问题：我们将在 2 小时内（工作时间 9:00–12:00、13:30–18:30）首次回复，最晚 2 月 14 日（周六，调休上班）10:00 前。」
 * `receivedAt` is when the clock started (the ticket's creation); `hours` the working hours of the calendar.
 */
export function customerPromise(args: {
  categoryName: string;
  policy: SlaPolicy;
  calendar: BusinessCalendar;
  receivedAt: Date;
  hours: Hours;
  deadline?: Date;
}): PromiseFacts {
  const { categoryName, policy, calendar, receivedAt, hours } = args;
  const target = policy.firstResponseMinutes;
  if (target == null) return { text: `${categoryName}类问题：我们已收到，会尽快处理。`, deadline: null };
  const deadline = args.deadline ?? dueAt(policy, calendar, receivedAt, target);
  const text = `${categoryName}类问题：我们将在 ${targetText(target, policy.clock, hours)}内${clockText(policy.clock, hours)}首次回复，最晚 ${deadlineText(deadline, calendar, receivedAt)} 前。`;
  return { text, deadline };
}

/**
 * The major-complaint promise (config.major) in the words of the rule sheets, and the sentence that states it:
 * 「重大投诉（扬言向监管部门、媒体反映，或造成资金损失等）一律按投诉处理，1 小时内（全天候…）首次回复、24 小时内…解决。」
 */
export function majorPromiseText(config: Pick<Config, 'major' | 'categories' | 'calendar'>): { firstResponse: string; resolution: string; sentence: string } {
  const m = config.major;
  const hours = config.calendar.hours;
  const firstResponse = promiseRule(m.firstResponseMinutes, m.clock, hours, '首次回复');
  const resolution = promiseRule(m.resolutionMinutes, m.clock, hours, '解决');
  const category = config.categories.find((c) => c.id === m.category)?.name;
  const as = category ? `一律按“${category}”处理，并` : '';
  return {
    firstResponse,
    resolution,
    sentence: `重大投诉（扬言向监管部门、媒体、律师反映，或造成资金损失、信息泄露等）${as}适用更严的时限：${firstResponse}，${resolution}；负责人立即介入。`,
  };
}

/** The promise without a deadline, for the sheets that describe the rule: 「2 小时内（工作时间 …）首次回复」. */
export function promiseRule(minutes: number | null, clock: SlaPolicy['clock'], hours: Hours, what = '首次回复'): string {
  if (minutes == null) return '不承诺时限';
  return `${targetText(minutes, clock, hours)}内${clockText(clock, hours)}${what}`;
}
