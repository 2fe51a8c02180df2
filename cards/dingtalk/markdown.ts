import type { ActionName, IncidentView, TicketView } from '../view.ts';

/**
 * DingTalk markdown renderings of the neutral views: the body of the template card (`markdown` param) and, without
 * a template, the whole message, with the typed commands that stand in for the buttons.
 */

const SLA_ICON: Record<string, string> = { on_track: '🟢', due_soon: '🟠', breached: '🔴', met: '✅', paused: '⏸️', none: '⚪' };

/** Customer text goes in a quote; a leading "#" or "-" would otherwise become a heading or a list. */
function quote(text: string): string {
  return text
    .split('\n')
    .map((l) => `> ${l.replace(/^([#>*-])/, '\\$1')}`)
    .join('\n');
}

/**
 * Text inside a line (a masked name such as 王**, a comment): markdown marks become their full-width look-alikes, so
 * they show as typed instead of pairing with our own **bold** further on.
 */
function inline(text: string): string {
  return text.replace(/[*_`[\]]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
}

export function ticketTitle(view: TicketView): string {
  return `工单 ${view.code} · ${view.statusLabel}`;
}

export function ticketMarkdown(view: TicketView): string {
  const flags = [
    view.isMajor ? '🚨 重大投诉' : '',
    view.escalated ? '⬆️ 已升级' : '',
    view.isProbe ? '🧪 拨测' : '',
    view.reopenCount ? `🔁 重开 ${view.reopenCount} 次` : '',
    view.incident ? `📣 事件 ${view.incident.code}（${view.incident.count} 个相似工单）` : '',
    view.callCustomer ? '📞 **请电话联系客户**（邮件/短信无法送达）' : '',
    view.mergedInto ? `🔗 已合并到 ${view.mergedInto}` : '',
  ].filter(Boolean);
  const why = view.classification
    ? `**分类依据**：${view.classification.sourceLabel} · 置信度 ${view.classification.confidence.toFixed(2)} · ${view.classification.reason}`
    : '';
  const dups = view.duplicates?.length ? `**可能重复**：${view.duplicates.map((d) => `${d.code}（${d.score.toFixed(2)}）`).join('，')}` : '';
  const lines = [
    `### ${ticketTitle(view)}`,
    flags.length ? flags.join(' · ') : '',
    `**分类**：${view.category.name} · **优先级**：${view.priority} · **渠道**：${view.channelLabel}`,
    why,
    dups,
    `**客户**：${inline(view.customer.name)}${view.customer.contact ? `（${inline(view.customer.contact)}）` : ''}`,
    `**处理人**：${view.assignee ? view.assignee.name : '未认领'}`,
    `**首次响应**：${SLA_ICON[view.firstResponse.state] ?? ''} ${view.firstResponse.label}`,
    `**解决时限**：${SLA_ICON[view.resolution.state] ?? ''} ${view.resolution.label}`,
    view.csatScore !== null ? `**满意度**：${view.csatScore} 分${view.csatComment ? `（${inline(view.csatComment)}）` : ''}` : '',
    '',
    quote(view.excerpt),
    view.url ? `\n[在控制台查看](${view.url})` : '',
  ];
  return lines.filter((l, i) => l !== '' || i === 10).join('\n');
}

const HINT: Record<Exclude<ActionName, 'csat'>, (code: string, view: TicketView) => string> = {
  claim: (c) => `认领：\`/claim ${c}\``,
  respond: (c) => `回复客户：\`/reply ${c} 内容\`（等待客户：\`/wait ${c} 内容\`）`,
  resolve: (c) => `解决并回访：\`/resolve ${c}\``,
  reclassify: (c, v) => `重新分类：\`/reclassify ${c} 分类\`（${v.categories.map((x) => `${x.id}=${x.name}`).join('，')}）`,
  escalate: (c) => `升级：\`/escalate ${c} 原因\``,
  major: (c, v) => (v.isMajor ? `取消重大投诉：\`/major ${c} off 原因\`` : `标记重大投诉：\`/major ${c} 原因\``),
  merge: (c, v) => `合并到重复工单：${(v.duplicates ?? []).map((d) => `\`/merge ${c} ${d.code}\``).join(' 或 ')}`,
};

/** Without a template: the same facts, and the commands for the actions that make sense now. */
export function ticketMarkdownWithCommands(view: TicketView): string {
  const hints = view.actions.filter((a): a is Exclude<ActionName, 'csat'> => a !== 'csat').map((a) => `- ${HINT[a](view.code, view)}`);
  if (view.canned?.length && view.actions.includes('respond'))
    hints.push(
      `- 快捷回复：\`/canned send ${view.code} 编号\`（${view.canned
        .slice(0, 8)
        .map((c) => `${c.id}=${c.title}`)
        .join('，')}）`,
    );
  return hints.length ? `${ticketMarkdown(view)}\n\n**操作**（在本群 @机器人 发送）：\n${hints.join('\n')}` : ticketMarkdown(view);
}

export const SCORE_LABELS: Record<number, string> = { 5: '非常满意', 4: '满意', 3: '一般', 2: '不满意', 1: '非常不满意' };

export function surveyTitle(code: string): string {
  return `请为工单 ${code} 的处理打分`;
}

/**
 * The survey as a message. In a 1:1 chat `dtmd://` links make the client send the number for the customer; in a
 * group such a message is not an @robot and would never reach us, so there the customer @-mentions the robot.
 */
export function surveyMarkdown(code: string, where: 'single' | 'group'): string {
  const choices = [5, 4, 3, 2, 1].map((n) =>
    where === 'single'
      ? `- [${n} 分 · ${SCORE_LABELS[n]}](dtmd://dingtalkclient/sendMessage?content=${encodeURIComponent(String(n))})`
      : `- ${n} 分 · ${SCORE_LABELS[n]}`,
  );
  const how =
    where === 'single'
      ? '点击下方选项，或直接回复数字 1–5（可在数字后附上意见，如「5 很及时」）：'
      : '请 @我 并回复数字 1–5（可在数字后附上意见，如「@我 5 很及时」）：';
  return `### ${surveyTitle(code)}\n您的问题已处理完毕，对本次服务满意吗？${how}\n\n${choices.join('\n')}`;
}

export function surveyAnsweredMarkdown(code: string, score: number): string {
  return `### 工单 ${code} 已评价\n感谢您的评价：**${score} 分 · ${SCORE_LABELS[score] ?? ''}**`;
}

export function incidentTitle(view: IncidentView): string {
  return `事件 ${view.code} · ${view.count} 个相似工单`;
}

/** The incident card as markdown (DingTalk has no template for it): counts, channels, samples and the commands. */
export function incidentMarkdown(view: IncidentView): string {
  const lines = [
    `### 📣 ${incidentTitle(view)}`,
    `**${view.title}** · ${view.statusLabel}`,
    `待回复 ${view.waiting} · 已回复 ${view.responded} · 已解决 ${view.resolved} · 已归档 ${view.closed}${view.major ? ` · 🚨 重大投诉 ${view.major}` : ''}`,
    `**渠道**：${view.channels.map((c) => `${c.label} ${c.count}`).join(' · ') || '—'}`,
    '',
    ...view.samples.slice(0, 5).map((s) => quote(s)),
  ];
  if (view.actions.length) {
    lines.push(
      '',
      '**操作**（在本群 @机器人 发送）：',
      `- 回复全部：\`/incident ${view.code} reply 内容\``,
      `- 全部解决并回访：\`/incident ${view.code} resolve 内容\``,
    );
  }
  return lines.join('\n');
}
