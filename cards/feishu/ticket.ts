import type { ActionValue, TicketView } from '../view.ts';
import { button, card, columns, escapeMarkdown, markdown, mention, plain, plainDiv, type Card, type Element } from './elements.ts';

function colour(v: TicketView): string {
  if (v.status === 'closed') return 'grey';
  if (v.status === 'resolved') return 'green';
  if (v.isMajor || v.firstResponse.state === 'breached' || v.resolution.state === 'breached') return 'red';
  if (v.firstResponse.state === 'due_soon' || v.resolution.state === 'due_soon') return 'orange';
  if (v.status === 'reopened') return 'carmine';
  return v.status === 'new' ? 'blue' : 'wathet';
}

const value = (action: ActionValue['action'], v: TicketView): ActionValue => ({ action, ticket: v.code });

/** Form fields (names are the public contract: `reply`, `waitForCustomer`, `category`). */
export const WAIT_YES = 'yes';

/**
 * The agents' ticket card: who, what, how long is left, and the buttons that make sense now (others hidden).
 * Every button's callback value is `{action, ticket}` (DESIGN.md "Card actions").
 */
export function renderTicketCard(v: TicketView): Card {
  const assignee = v.assignee ? (v.assignee.platform === 'feishu' ? mention(v.assignee.userId) : escapeMarkdown(v.assignee.name)) : '未认领';
  const flags = [
    v.isMajor ? '🚨 **重大投诉**' : '',
    v.escalated ? '⬆️ 已升级' : '',
    v.isProbe ? '🧪 拨测工单' : '',
    v.reopenCount ? `🔁 已重开 ${v.reopenCount} 次` : '',
    v.incident ? `📣 事件 ${escapeMarkdown(v.incident.code)}（${v.incident.count} 个相似工单，请在事件卡片统一处理）` : '',
    v.callCustomer ? '📞 **请电话联系客户**（邮件/短信无法送达）' : '',
    v.mergedInto ? `🔗 已合并到 ${escapeMarkdown(v.mergedInto)}` : '',
  ].filter(Boolean);
  const why = v.classification
    ? [
        `**分类依据**：${escapeMarkdown(v.classification.sourceLabel)} · 置信度 ${v.classification.confidence.toFixed(2)} · ${escapeMarkdown(v.classification.reason)}`,
      ]
    : [];
  const sla =
    v.status === 'closed'
      ? ''
      : `\n**首次响应**：${escapeMarkdown(v.firstResponse.label)}\n**解决时限**：${escapeMarkdown(v.resolution.label)}${v.paused ? '（等待客户，已暂停）' : ''}`;
  const lines = [
    `**分类**：${escapeMarkdown(v.category.name)}　**渠道**：${escapeMarkdown(v.channelLabel)}　**优先级**：${escapeMarkdown(v.priority)}`,
    ...why,
    `**客户**：${escapeMarkdown(v.customer.name)}${v.customer.contact ? `（${escapeMarkdown(v.customer.contact)}）` : ''}`,
    `**状态**：${escapeMarkdown(v.statusLabel)}　**处理人**：${assignee}${sla}`,
    ...(v.csatScore !== null ? [`**满意度**：${'★'.repeat(v.csatScore)}${'☆'.repeat(5 - v.csatScore)}（${v.csatScore} 分）`] : []),
    ...(flags.length ? [flags.join('　')] : []),
  ];
  const elements: Element[] = [markdown(lines.join('\n')), { tag: 'hr' }, plainDiv(v.excerpt || v.subject)];
  if (v.url) elements.push(markdown(`[在控制台查看](${encodeURI(v.url)})`));

  const has = (a: ActionValue['action']) => v.actions.includes(a);
  const quick: Element[] = [];
  if (has('claim')) quick.push(button({ name: 'claim', text: '认领', type: 'primary', value: value('claim', v) }));
  if (has('resolve')) quick.push(button({ name: 'resolve', text: '标记解决', value: value('resolve', v) }));
  if (has('escalate') && !v.escalated) quick.push(button({ name: 'escalate', text: '升级', type: 'danger', value: value('escalate', v) }));
  if (has('major'))
    quick.push(button({ name: 'major', text: v.isMajor ? '取消重大投诉' : '标记重大投诉', value: { action: 'major', ticket: v.code, major: !v.isMajor } }));
  if (quick.length) elements.push({ tag: 'hr' }, columns(quick));

  // Likely the same problem as other customers' open tickets: one click merges this one into that one.
  if (has('merge') && v.duplicates?.length) {
    elements.push(
      markdown(
        `**可能重复**（相似度）：\n${v.duplicates.map((d) => `- ${escapeMarkdown(d.code)}「${escapeMarkdown(d.subject.slice(0, 40))}」${d.score.toFixed(2)}`).join('\n')}`,
      ),
    );
    elements.push(
      columns(v.duplicates.map((d, i) => button({ name: `merge_${i}`, text: `合并到 ${d.code}`, value: { action: 'merge', ticket: v.code, into: d.code } }))),
    );
  }

  if (has('respond')) {
    elements.push({
      tag: 'form',
      name: 'respond_form',
      elements: [
        {
          tag: 'input',
          name: 'reply',
          input_type: 'multiline_text',
          rows: 3,
          max_length: 1000,
          required: !v.canned?.length,
          placeholder: plain(v.canned?.length ? '回复客户（留空则发送所选快捷回复）' : '回复客户（客户将以公司名义收到）'),
          width: 'fill',
        },
        ...(v.canned?.length
          ? [
              {
                tag: 'select_static',
                name: 'canned',
                width: 'fill',
                placeholder: plain('快捷回复（本分类优先）'),
                options: v.canned.map((c) => ({ text: plain(c.title), value: c.id })),
              },
            ]
          : []),
        {
          tag: 'select_static',
          name: 'waitForCustomer',
          placeholder: plain('回复后'),
          initial_option: 'no',
          width: 'fill',
          options: [
            { text: plain('回复后继续处理'), value: 'no' },
            { text: plain('等待客户回复（暂停计时）'), value: WAIT_YES },
          ],
        },
        button({ name: 'respond', text: '回复客户', type: 'primary', submit: true, value: value('respond', v) }),
      ],
    });
  }
  if (has('reclassify')) {
    const others = v.categories.filter((c) => c.id !== v.category.id);
    if (others.length) {
      elements.push({
        tag: 'form',
        name: 'reclassify_form',
        elements: [
          {
            tag: 'select_static',
            name: 'category',
            required: true,
            width: 'fill',
            placeholder: plain('改为其他分类'),
            options: others.map((c) => ({ text: plain(c.name), value: c.id })),
          },
          button({ name: 'reclassify', text: '重新分类', submit: true, value: value('reclassify', v) }),
        ],
      });
    }
  }
  return card({
    title: `${v.code} · ${v.subject}`.slice(0, 120),
    subtitle: `${v.category.name} · ${v.statusLabel}`,
    template: colour(v),
    summary: `${v.code} ${v.statusLabel} ${v.subject}`,
    elements,
  });
}
