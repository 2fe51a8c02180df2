import type { TicketView } from '../../cards/view.ts';
import type { AgentRef } from './types.ts';
import type { Services } from '../services.ts';
import { roleOf, type AgentActionName, type Role } from './act.ts';
import { DeskError } from './errors.ts';
import { registerReportCommands } from '../reports/commands.ts';
import { probeCommand } from '../probes/command.ts';
import { registerTriageCommands } from './triage-commands.ts';
import { registerReachCommands } from './reach-commands.ts';
import { storyCommand } from './story-command.ts';
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

export interface CommandContext {
  services: Services;
  input: CommandInput;
  role: Role;
  args: string[];
  /** Everything after the command word, verbatim (for free text such as a reply). */
  rest: string;
}

export interface CommandSpec {
  usage: string;
  summary: string;
  /** Lowest role allowed. */
  minRole?: Role;
  run(ctx: CommandContext): Promise<CommandReply>;
}

const RANK: Record<Role, number> = { agent: 1, lead: 2, admin: 3 };
const CODE = TICKET_CODE_TYPED;

/** The command table; other modules (stats, ledger, probes…) add theirs with `registerCommand`. */
const commands = new Map<string, CommandSpec>();

export function registerCommand(name: string, spec: CommandSpec): void {
  commands.set(name, spec);
}

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

registerCommand('help', {
  usage: '/help',
  summary: '查看可用命令',
  async run({ role }) {
    const lines = [...commands.entries()]
      .filter(([, s]) => RANK[role] >= RANK[s.minRole ?? 'agent'])
      .map(([, s]) => `- \`${s.usage}\` ${s.summary}`);
    return { kind: 'markdown', title: 'Loopdesk 命令', markdown: lines.join('\n') };
  },
});
registerCommand('probe', probeCommand);
registerCommand('claim', { usage: '/claim 工单号', summary: '认领工单', run: ticketAction('claim') });
registerCommand('reply', { usage: '/reply 工单号 内容', summary: '回复客户', run: ticketAction('respond', { needsText: true }) });
registerCommand('wait', { usage: '/wait 工单号 内容', summary: '回复客户并等待客户答复（暂停计时）', run: ticketAction('respond', { needsText: true, wait: true }) });
registerCommand('note', { usage: '/note 工单号 内容', summary: '添加内部备注（客户不可见）', run: ticketAction('note', { needsText: true }) });
registerCommand('resolve', { usage: '/resolve 工单号', summary: '标记解决并向客户发送满意度回访', run: ticketAction('resolve') });
registerCommand('reclassify', { usage: '/reclassify 工单号 分类', summary: '重新分类（按新分类重算时限）', run: ticketAction('reclassify', { category: true }) });
registerCommand('escalate', { usage: '/escalate 工单号 [原因]', summary: '升级给负责人', run: ticketAction('escalate') });
registerCommand('story', storyCommand);

/**
 * Runs one typed command. Refusals (unknown command, bad arguments, no permission) come back as a short text
 * reply with the usage, never as an exception: the person typing it should see why.
 */
export async function runCommand(services: Services, raw: CommandInput): Promise<CommandReply> {
  const input = cleanDeep(raw);
  const text = input.text.trim();
  const match = /^\/(\S+)\s*([\s\S]*)$/.exec(text);
  if (!match) return { kind: 'text', text: '命令以 / 开头，输入 /help 查看可用命令。' };
  const name = match[1].toLowerCase();
  const rest = match[2];
  const spec = commands.get(name);
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
// Reporting commands (/stats, /open, /mine, /sla, /ledger, /case, /report, /auditpack).
registerReportCommands(registerCommand);
// Triage: /merge, /unmerge, /major, /duty, /canned, /incident.
registerTriageCommands(registerCommand);
// Beyond the chat: /new (phone, visit, letter), /csat (a follow-up answer taken by phone), /visit (a failed attempt).
registerReachCommands(registerCommand);
