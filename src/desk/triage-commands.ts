/**
 * Typed commands for triage: /merge, /unmerge (admin), /major, /duty, /canned, /incident. Registered by
 * commands.ts; each refusal is a DeskError, which the command runner shows with the usage.
 */
import type { CommandReply, CommandSpec } from './commands.ts';
import { setDuty } from './assign.ts';
import { addCanned, cannedUsage, listCanned, removeCanned } from './canned.ts';
import { DeskError } from './errors.ts';
import { upsertAgent } from './act.ts';
import { agentActor } from './deps.ts';
import { cutText } from '../core/text.ts';
import { TICKET_CODE_TYPED } from '../core/ticket-code.ts';

const CODE = TICKET_CODE_TYPED;
const INCIDENT = /^INC-\d{8}-\d{2,}$/i;

function code(arg: string | undefined, example = 'FB-20260302-0001'): string {
  if (!arg || !CODE.test(arg)) throw new DeskError('invalid', `请提供工单号，例如 ${example}`);
  return arg.toUpperCase();
}

/** Text after the first `n` words of `rest`, verbatim. */
function after(rest: string, n: number): string {
  let s = rest.trimStart();
  for (let i = 0; i < n; i++) s = s.replace(/^\S+\s*/, '');
  return s.trim();
}

export function registerTriageCommands(register: (name: string, spec: CommandSpec) => void): void {
  register('merge', {
    usage: '/merge 工单号 目标工单号',
    summary: '把重复工单合并到承载该问题的工单（客户会收到通知和目标工单的回访）',
    async run({ services, input, args }): Promise<CommandReply> {
      const r = await services.desk.merge({ ticket: code(args[0]), into: code(args[1]), actor: input.actor, viaAgentGroup: input.viaAgentGroup });
      return { kind: 'ticket', view: await services.deliveryContext.ticketView(r.ticketId), text: r.message };
    },
  });
  register('unmerge', {
    usage: '/unmerge 工单号',
    summary: '撤销合并（仅管理员）',
    minRole: 'admin',
    async run({ services, input, args }): Promise<CommandReply> {
      const r = await services.desk.unmerge({ ticket: code(args[0]), actor: input.actor, viaAgentGroup: input.viaAgentGroup });
      return { kind: 'ticket', view: await services.deliveryContext.ticketView(r.ticketId), text: r.message };
    },
  });
  register('major', {
    usage: '/major 工单号 [off] [原因]',
    summary: '标记或取消重大投诉（标记后立即通知负责人）',
    async run({ services, input, args, rest }): Promise<CommandReply> {
      const off = args[1]?.toLowerCase() === 'off';
      const reason = after(rest, off ? 2 : 1);
      const r = await services.desk.act({
        ticket: code(args[0]),
        actor: input.actor,
        viaAgentGroup: input.viaAgentGroup,
        action: 'major',
        major: !off,
        text: reason || (off ? '客服取消' : '客服标记'),
      });
      return {
        kind: 'ticket',
        view: await services.deliveryContext.ticketView(r.ticketId),
        text: `${r.code}：${off ? '已取消重大投诉标记' : '已标记为重大投诉，已通知负责人'}`,
      };
    },
  });
  register('duty', {
    usage: '/duty on|off|auto',
    summary: '值班状态：on 接收自动分配（含非工作时间），off 暂停，auto 按工作时间',
    async run({ services, input, args, role }): Promise<CommandReply> {
      const duty = args[0]?.toLowerCase();
      if (duty !== 'on' && duty !== 'off' && duty !== 'auto') throw new DeskError('invalid', '请写 on、off 或 auto');
      await services.database.db.transaction(async (tx) => setDuty(tx, await upsertAgent(tx, input.actor, role), duty));
      const text =
        duty === 'on'
          ? '已开始值班：新工单会自动分配给你（含非工作时间）。'
          : duty === 'off'
            ? '已暂停值班：不再自动分配新工单，也不接收值班提醒。'
            : '值班状态改为按工作时间自动。';
      return { kind: 'text', text };
    },
  });
  register('canned', {
    usage: '/canned list | /canned send 工单号 编号 | /canned add 标题 | 正文 [| 分类] | /canned remove 编号',
    summary: '快捷回复：查看、发送；负责人可添加、删除（占位符 {客户} {工单号} {承诺}）',
    async run({ services, input, args, rest, role }): Promise<CommandReply> {
      const sub = args[0]?.toLowerCase();
      const db = services.database.db;
      const lead = role === 'lead' || role === 'admin';
      if (!sub || sub === 'list') {
        const [list, usage] = await Promise.all([listCanned(db, services.config), cannedUsage(db, services.config)]);
        if (list.length === 0) return { kind: 'text', text: '还没有快捷回复。负责人可用 /canned add 标题 | 正文 [| 分类] 添加。' };
        const used = new Map(usage.map((u) => [u.id, u.count]));
        const lines = list.map(
          (c) =>
            `- **${c.id}** ${c.title}${c.category ? `（${c.category}）` : ''} · 已使用 ${used.get(c.id) ?? 0} 次${c.source === 'config' ? ' · 配置文件' : ''}\n  ${cutText(c.text.replace(/\n/g, ' '), 80)}`,
        );
        return { kind: 'markdown', title: '快捷回复', markdown: lines.join('\n') };
      }
      if (sub === 'send') {
        const r = await services.desk.act({
          ticket: code(args[1]),
          actor: input.actor,
          viaAgentGroup: input.viaAgentGroup,
          action: 'respond',
          canned: args[2] ?? '',
        });
        return { kind: 'ticket', view: await services.deliveryContext.ticketView(r.ticketId), text: `${r.code}：已发送快捷回复 ${args[2]}` };
      }
      if (!lead) throw new DeskError('forbidden', '只有负责人可以添加或删除快捷回复');
      if (sub === 'add') {
        const [title, text, category] = after(rest, 1)
          .split('|')
          .map((x) => x.trim());
        const c = await addCanned(
          db,
          services.config,
          { title: title ?? '', text: text ?? '', category: category || undefined, createdBy: agentActor(input.actor.platform, input.actor.userId) },
          services.clock.now(),
        );
        return { kind: 'text', text: `已添加快捷回复 ${c.id}「${c.title}」` };
      }
      if (sub === 'remove') {
        const c = await removeCanned(db, services.config, args[1] ?? '');
        return { kind: 'text', text: `已删除快捷回复 ${c.id}「${c.title}」` };
      }
      throw new DeskError('invalid', `未知子命令 ${sub}`);
    },
  });
  register('incident', {
    usage: '/incident 事件号 reply|resolve 内容',
    summary: '事件（批量相似工单）：统一回复全部客户，或全部解决并回访',
    async run({ services, input, args, rest }): Promise<CommandReply> {
      if (!args[0] || !INCIDENT.test(args[0])) throw new DeskError('invalid', '请提供事件号，例如 INC-20260302-01');
      const sub = args[1]?.toLowerCase();
      if (sub !== 'reply' && sub !== 'resolve') throw new DeskError('invalid', '请写 reply 或 resolve');
      const r = await services.desk.incidentAct({
        incident: args[0],
        actor: input.actor,
        viaAgentGroup: input.viaAgentGroup,
        action: sub === 'reply' ? 'incident_reply' : 'incident_resolve',
        text: after(rest, 2),
      });
      return { kind: 'text', text: r.message };
    },
  });
}
