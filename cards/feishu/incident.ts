import type { IncidentActionValue, IncidentView } from '../view.ts';
import { button, card, columns, escapeMarkdown, markdown, plain, plainDiv, type Card, type Element } from './elements.ts';

const value = (action: IncidentActionValue['action'], v: IncidentView): IncidentActionValue => ({ action, incident: v.code });

/**
 * One card for a burst of similar tickets: how many, from where, what customers say, and two buttons that act on
 * every member (each customer still gets their own reply and survey). Button values: `{action, incident}`.
 */
export function renderIncidentCard(v: IncidentView): Card {
  const channels = v.channels.map((c) => `${escapeMarkdown(c.label)} ${c.count}`).join(' · ');
  const lines = [
    `**相似工单**：${v.count} 个（待回复 ${v.waiting} · 已回复 ${v.responded} · 已解决 ${v.resolved} · 已归档 ${v.closed}）`,
    `**渠道**：${channels || '—'}${v.major ? `　🚨 **重大投诉 ${v.major} 个**` : ''}`,
    `**状态**：${escapeMarkdown(v.statusLabel)}　每位客户都已单独收到受理回执，各工单分别计时、分别入台账。`,
  ];
  const elements: Element[] = [
    markdown(lines.join('\n')),
    { tag: 'hr' },
    markdown('**客户原话（节选）**'),
    ...v.samples.slice(0, 5).map((s) => plainDiv(`· ${s}`)),
  ];
  if (v.actions.length) {
    elements.push(
      { tag: 'hr' },
      {
        tag: 'form',
        name: 'incident_form',
        elements: [
          {
            tag: 'input',
            name: 'reply',
            input_type: 'multiline_text',
            rows: 3,
            max_length: 1000,
            required: false,
            placeholder: plain('统一回复（发给本事件的每一位客户）'),
            width: 'fill',
          },
          columns([
            button({ name: 'incident_reply', text: '回复全部', type: 'primary', submit: true, value: value('incident_reply', v) }),
            button({ name: 'incident_resolve', text: '全部解决并回访', submit: true, value: value('incident_resolve', v) }),
          ]),
        ],
      },
    );
  }
  return card({
    title: `📣 事件 ${v.code} · ${v.title}`.slice(0, 120),
    subtitle: `${v.count} 个相似工单 · ${v.statusLabel}`,
    template: v.status === 'open' ? 'red' : 'green',
    summary: `事件 ${v.code}：${v.count} 个相似工单`,
    elements,
  });
}
