import { contactRoute, recordedChannelOf, RECORDED_CHANNEL_LABELS, splitContact, CALL_THE_CUSTOMER } from '../core/contact.ts';
import { eq } from 'drizzle-orm';
import type { Env } from '../config.ts';
import { tickets } from '../db/schema/index.ts';
import type { CommandSpec } from './commands.ts';
import { DeskError } from './errors.ts';
import { TICKET_CODE_TYPED } from '../core/ticket-code.ts';

const CODE = TICKET_CODE_TYPED;
const NEW_EXAMPLE = '例如：/new 电话 张先生 13800138000 投诉 扣费两次，要求退款';

/** Which routes this deployment has for customers outside a chat (the contact channel decides per message). */
export function customerRoutes(env: Env): { email: boolean; sms: boolean } {
  return { email: !!(env.EMAIL_SMTP_URL && env.EMAIL_ADDRESS), sms: !!env.SMS_PROVIDER };
}

/** How the customer of a recorded ticket will hear back, in words for the agent who typed it. */
export function reachLine(env: Env, contact: string): string {
  const c = splitContact(contact) ?? {};
  const route = contactRoute(c, customerRoutes(env));
  if (route?.kind === 'email') return '回执、回复和满意度回访将通过邮件发送给客户。';
  if (route?.kind === 'sms') return '回执、回复和满意度回访将通过短信发送给客户。';
  return `客户无法通过邮件或短信收到通知：${CALL_THE_CUSTOMER}，解决后请电话回访并用 /csat 记录。`;
}

/**
 * /new: a phone call, visit or letter typed in on the customer's behalf. Positional, one line, so it works the
 * same in Feishu, DingTalk and their bot menus: channel, name, contact, an optional category, then the complaint.
 */
export const newTicketCommand: CommandSpec = {
  usage: '/new 电话|来访|信函 客户称呼 手机号或邮箱 [分类] 内容',
  summary: '登记电话、来访或信函投诉（代客户建单：同样的承诺时限、回执与台账）',
  async run({ services, input, rest }) {
    const m = /^(\S+)\s+(\S+)\s+(\S+)\s+([\s\S]*\S[\s\S]*)$/.exec(rest.trim());
    if (!m) throw new DeskError('invalid', `请依次写上渠道、客户称呼、联系方式和内容。${NEW_EXAMPLE}`);
    const [, channelWord, name, contact, tail] = m;
    const channel = recordedChannelOf(channelWord);
    if (!channel) throw new DeskError('invalid', `渠道须为 电话 / 来访 / 信函，收到「${channelWord}」。${NEW_EXAMPLE}`);
    // An optional category word first: an id (bug) or a name (投诉) from the config.
    const [first, ...others] = tail.trim().split(/\s+/);
    const known = services.config.categories.find((c) => c.id === first.toLowerCase() || c.name === first);
    const text = known && others.length ? tail.trim().slice(first.length).trim() : tail.trim();
    const r = await services.desk.openRecordedTicket({
      channel,
      name,
      contact,
      text,
      category: known && others.length ? known.id : undefined,
      actor: input.actor,
      viaAgentGroup: input.viaAgentGroup,
    });
    const view = await services.deliveryContext.ticketView(r.ticketId);
    const label = RECORDED_CHANNEL_LABELS[channel];
    const head = r.duplicate
      ? `这条${label}登记已提交过：工单 ${r.code}`
      : r.created
        ? `已登记${label}工单 ${r.code}。${r.promise}`
        : `客户已有未结的${label}工单 ${r.code}，内容已追加到该工单。`;
    return { kind: 'ticket', view, text: `${head}\n${reachLine(services.env, contact)}` };
  },
};

/** /csat: the survey answer a customer gave by phone or in person, recorded by the assignee or a lead. */
export const followUpCommand: CommandSpec = {
  usage: '/csat 工单号 评分1-5 [客户原话]',
  summary: '录入电话回访结果（满意归档，不满意重开）',
  async run({ services, input, args, rest }) {
    const code = args[0]?.toUpperCase();
    if (!code || !CODE.test(code)) throw new DeskError('invalid', '请提供工单号，例如 /csat FB-20260302-0001 5 客户表示满意');
    const scoreWord = args[1] ?? '';
    if (!/^[1-5]$/.test(scoreWord)) throw new DeskError('bad_score', `评分须为 1–5 的整数，收到「${scoreWord || '（空）'}」`);
    const afterCode = rest.slice(rest.indexOf(args[0]) + args[0].length);
    const comment = afterCode.slice(afterCode.indexOf(scoreWord) + scoreWord.length).trim() || undefined;
    const r = await services.desk.recordFollowUp({ ticket: code, actor: input.actor, viaAgentGroup: input.viaAgentGroup, score: Number(scoreWord), comment });
    const [row] = await services.database.db.select({ id: tickets.id }).from(tickets).where(eq(tickets.code, r.code));
    return { kind: 'ticket', view: await services.deliveryContext.ticketView(row.id), text: `${r.code}：${r.message}` };
  },
};

/**
 * /visit: one failed follow-up attempt (电话回访 nobody answered), by the named person or a lead. The platform's
 * message id is recorded with the attempt, so a re-delivered command records nothing more.
 */
export const visitCommand: CommandSpec = {
  usage: '/visit 工单号 电话|短信|邮件|上门 结果 [备注]',
  summary: '登记一次回访未果（如 未接通 / 拒接 / 号码错误）；达到次数后按“未评价”归档',
  async run({ services, input, args }) {
    const code = args[0]?.toUpperCase();
    if (!code || !CODE.test(code)) throw new DeskError('invalid', '请提供工单号，例如 /visit FB-20260302-0001 电话 未接通');
    const [, means = '', result = '', ...note] = args;
    if (!result) throw new DeskError('invalid', `请写上回访方式和结果，例如 /visit ${code} 电话 未接通`);
    const receipt = input.deliveryId ? { source: `visit:${input.surface}`, keys: [input.deliveryId] } : undefined;
    try {
      const attempt = { ticket: code, actor: input.actor, viaAgentGroup: input.viaAgentGroup, means, result, note: note.join(' ') || undefined, receipt };
      const r = await services.desk.recordFollowUpAttempt(attempt);
      const [row] = await services.database.db.select({ id: tickets.id }).from(tickets).where(eq(tickets.code, r.code));
      return { kind: 'ticket', view: await services.deliveryContext.ticketView(row.id), text: `${r.code}：${r.message}` };
    } catch (e) {
      if (e instanceof DeskError && e.code === 'already_handled') return { kind: 'text', text: `${code}：这条回访登记已处理过，未重复记录。` };
      throw e;
    }
  },
};

export function registerReachCommands(register: (name: string, spec: CommandSpec) => void): void {
  register('new', newTicketCommand);
  register('csat', followUpCommand);
  register('visit', visitCommand);
}
