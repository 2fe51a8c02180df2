/**
 * What the public commitment page (/promise) and the DOCX say, from the live config: the channels a customer can
 * use and how, the promise per category in the words of the acknowledgement, working hours and holidays, the
 * follow-up policy. `probes` is our own channel check, never a customer channel.
 */
import type { Config, Env } from '../config.ts';
import type { BusinessCalendar, SpecialDay } from '../core/calendar.ts';
import { promiseRule, workingHoursText, majorPromiseText } from '../core/promise.ts';
import { CHANNEL_LABELS } from '../desk/view.ts';

/** Channels that are ours, not the customer's. */
export const INTERNAL_CHANNELS = new Set(['probes']);

export const COMPANY_PLACEHOLDER = '我们的团队';

/** The company's name, or a prompt to set it: a reviewer must never read a placeholder as the company. */
export function companyLabel(config: Config): string {
  return config.company.name === COMPANY_PLACEHOLDER ? '【请在配置 company.name 中填写公司全称】' : config.company.name;
}

export function customerChannels(names: readonly string[]): string[] {
  return [...new Set(['web', ...names])].filter((n) => !INTERNAL_CHANNELS.has(n));
}

export function howToReach(channel: string, env: Env): string {
  const form = new URL('/feedback', env.PUBLIC_BASE_URL).toString();
  switch (channel) {
    case 'web':
      return `在线反馈表单：${form}（也可扫描本页二维码）`;
    case 'email':
      return env.EMAIL_ADDRESS ? `发送邮件至 ${env.EMAIL_ADDRESS}` : '发送邮件至公司客服邮箱';
    case 'feishu':
      return '在飞书中搜索并私聊公司客服机器人，或在服务群中 @机器人';
    case 'dingtalk':
      return '在钉钉中私聊公司客服机器人，或在服务群中 @机器人';
    case 'wecom':
      return '在微信中打开公司的微信客服';
    case 'helpdesk':
      return '在飞书服务台中提交';
    case 'api':
      return '在公司 App 内的“意见反馈”中提交';
    default:
      return CHANNEL_LABELS[channel] ?? channel;
  }
}

export interface CommitmentContent {
  company: string;
  channels: Array<{ name: string; label: string; how: string }>;
  categories: Array<{ name: string; firstResponse: string; resolution: string }>;
  /** The major-complaint promise (config.major): its row of the table and the sentence under it. */
  major: { firstResponse: string; resolution: string; sentence: string };
  workdays: string;
  hours: string;
  years: Array<{ year: number; days: SpecialDay[]; loaded: boolean }>;
  followUp: string[];
  formUrl: string;
  /** The privacy notice the form shows (config privacy.notice). */
  privacy: string;
}

const WEEKDAY = ['', '周一', '周二', '周三', '周四', '周五', '周六', '周日'];

export function commitmentContent(args: { config: Config; env: Env; calendar: BusinessCalendar; channels: readonly string[]; now: Date }): CommitmentContent {
  const { config, env, calendar, now } = args;
  const year = Number(calendar.localDate(now).slice(0, 4));
  const hours = config.calendar.hours;
  const s = config.survey;
  return {
    company: companyLabel(config),
    channels: customerChannels(args.channels).map((name) => ({ name, label: CHANNEL_LABELS[name] ?? name, how: howToReach(name, env) })),
    categories: config.categories.map((c) => ({
      name: c.name,
      firstResponse: promiseRule(c.firstResponseMinutes, c.clock, hours, '首次回复'),
      resolution: promiseRule(c.resolutionMinutes, c.clock, hours, '解决'),
    })),
    major: majorPromiseText(config),
    workdays: config.calendar.workdays.map((d) => WEEKDAY[d]).join('、'),
    hours: workingHoursText(hours),
    years: [year, year + 1]
      .filter((y) => y === year || calendar.hasDataFor(y))
      .map((y) => ({ year: y, days: calendar.specialDays(y), loaded: calendar.hasDataFor(y) })),
    followUp: [
      '每条反馈都会立即回复工单号和最晚回复时间；您可随时通过工单链接查看进度。',
      `问题解决后我们会请您评价（1–5 分）：${s.satisfiedMin}–5 分视为满意并结案；低于 ${s.satisfiedMin} 分会重新处理并由负责人跟进。`,
      `${s.reminderHours} 小时未评价会提醒一次；仍未评价的，由专人电话回访，回访不成功才记为“未评价”，绝不记为满意。`,
      '涉及向监管部门、媒体反映或造成损失的重大投诉，按投诉处理并适用更严的时限（见上表“重大投诉”），负责人会立即介入。',
    ],
    formUrl: new URL('/feedback', env.PUBLIC_BASE_URL).toString(),
    privacy: config.privacy.notice,
  };
}
