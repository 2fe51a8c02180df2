import type { TicketView } from '../../cards/view.ts';
import type { Config, Env } from '../config.ts';
import type { BusinessCalendar } from '../core/calendar.ts';
import type { Clock } from '../core/clock.ts';
import type { Database } from '../db/client.ts';
import type { Logger } from '../log.ts';
import type { AgentRef, DeliveryContext } from './types.ts';
import type { Desk } from './index.ts';
import { roleOf, type AgentActionName, type Role } from './act.ts';
import { DeskError } from './errors.ts';
import { cleanDeep } from '../core/text.ts';
import { TICKET_CODE_TYPED } from '../core/ticket-code.ts';

/** What a command answers; each channel renders it (card, markdown, file upload). */
export type CommandReply =
  | { kind: 'text'; text: string }
  | { kind: 'markdown'; title: string; markdown: string }
  | { kind: 'ticket'; view: TicketView; text?: string }
  | { kind: 'file'; path: string; name: string; text?: string }
  | { kind: 'card'; card: Record<string, unknown>; text: string };

export interface CommandInput {
  /** The message text, bot mention already stripped. */
  text: string;
  actor: AgentRef;
  viaAgentGroup: boolean;
  /** The channel it was typed in (replies go back there). */
  surface: string;
  /** The platform's id of the message (Feishu message_id, DingTalk msgId): a command that records something keys on it. */
  deliveryId?: string;
}

/**
 * What every command may use. The services assembled at the composition root (services.ts) are one; commands that
 * need more of them (reports, probes) are typed `CommandSpec<Services>` where they are written.
 */
export interface CommandHost {
  env: Env;
  config: Config;
  calendar: BusinessCalendar;
  clock: Clock;
  log: Logger;
  database: Database;
  desk: Desk;
  deliveryContext: DeliveryContext;
}

export interface CommandContext<S extends CommandHost = CommandHost> {
  services: S;
  input: CommandInput;
  role: Role;
  args: string[];
  /** Everything after the command word, verbatim (for free text such as a reply). */
  rest: string;
}

export interface CommandSpec<S extends CommandHost = CommandHost> {
  usage: string;
  summary: string;
  /** Lowest role allowed. */
  minRole?: Role;
  run(ctx: CommandContext<S>): Promise<CommandReply>;
}

/** The one command table, in /help order; assembled at the composition root (src/command-table.ts). */
export type CommandTable<S extends CommandHost = CommandHost> = ReadonlyMap<string, CommandSpec<S>>;

const RANK: Record<Role, number> = { agent: 1, lead: 2, admin: 3 };
const CODE = TICKET_CODE_TYPED;

function ticketAction(action: AgentActionName, opts: { needsText?: boolean; wait?: boolean; category?: boolean } = {}): CommandSpec['run'] {
  return async ({ services, input, args, rest }) => {
    const code = args[0]?.toUpperCase();
    if (!code || !CODE.test(code)) throw new DeskError('invalid', '请提供工单号，例如 FB-20260302-0001');
    const text = rest.slice(rest.indexOf(args[0]) + args[0].length).trim();
    if (opts.needsText && !text) throw new DeskError('invalid', '请在工单号后写上内容');
    if (opts.category && !args[1]) throw new DeskError('invalid', `请提供分类：${services.config.categories.map((c) => c.id).join(' / ')}`);
    const result = await services.desk.act({
      ticket: code,
      actor: input.actor,
      viaAgentGroup: input.viaAgentGroup,
      action,
      text: opts.category ? undefined : text || undefined,
      category: opts.category ? args[1] : undefined,
      waitForCustomer: opts.wait,
    });
    const view = await services.deliveryContext.ticketView(result.ticketId);
    return { kind: 'ticket', view, text: `${result.code}：${result.message}` };
  };
}

/** Lists the commands of the table the person may use. */
export const helpCommand: CommandSpec<CommandHost & { commands: CommandTable }> = {
  usage: '/help',
  summary: '查看可用命令',
  async run({ services, role }) {
    const lines = [...services.commands.entries()].filter(([, s]) => RANK[role] >= RANK[s.minRole ?? 'agent']).map(([, s]) => `- \`${s.usage}\` ${s.summary}`);
    return { kind: 'markdown', title: 'Loopdesk 命令', markdown: lines.join('\n') };
  },
};

/** The card's actions typed as commands. */
export const ticketCommands: Record<string, CommandSpec> = {
  claim: { usage: '/claim 工单号', summary: '认领工单', run: ticketAction('claim') },
  reply: { usage: '/reply 工单号 内容', summary: '回复客户', run: ticketAction('respond', { needsText: true }) },
  wait: { usage: '/wait 工单号 内容', summary: '回复客户并等待客户答复（暂停计时）', run: ticketAction('respond', { needsText: true, wait: true }) },
  note: { usage: '/note 工单号 内容', summary: '添加内部备注（客户不可见）', run: ticketAction('note', { needsText: true }) },
  resolve: { usage: '/resolve 工单号', summary: '标记解决并向客户发送满意度回访', run: ticketAction('resolve') },
  reclassify: { usage: '/reclassify 工单号 分类', summary: '重新分类（按新分类重算时限）', run: ticketAction('reclassify', { category: true }) },
  escalate: { usage: '/escalate 工单号 [原因]', summary: '升级给负责人', run: ticketAction('escalate') },
};

/**
 * Runs one typed command. Refusals (unknown command, bad arguments, no permission) come back as a short text
 * reply with the usage, never as an exception: the person typing it should see why.
 */
export async function runCommand<S extends CommandHost & { commands: CommandTable<S> }>(services: S, raw: CommandInput): Promise<CommandReply> {
  const input = cleanDeep(raw);
  const text = input.text.trim();
  const match = /^\/(\S+)\s*([\s\S]*)$/.exec(text);
  if (!match) return { kind: 'text', text: '命令以 / 开头，输入 /help 查看可用命令。' };
  const name = match[1].toLowerCase();
  const rest = match[2];
  const spec = services.commands.get(name);
  if (!spec) return { kind: 'text', text: `未知命令 /${name}。输入 /help 查看可用命令。` };
  const role = roleOf(services.config, input.actor, input.viaAgentGroup);
  if (!role) return { kind: 'text', text: '只有客服成员可以使用命令。' };
  if (RANK[role] < RANK[spec.minRole ?? 'agent']) return { kind: 'text', text: `/${name} 仅限${spec.minRole === 'admin' ? '管理员' : '负责人'}使用。` };
  try {
    return await spec.run({ services, input, role, args: rest.split(/\s+/).filter(Boolean), rest });
  } catch (e) {
    if (e instanceof DeskError) return { kind: 'text', text: `${e.message}\n用法：${spec.usage}` };
    throw e;
  }
}
