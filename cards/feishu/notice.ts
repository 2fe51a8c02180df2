import { card, escapeMarkdown, markdown, mention, type Card } from './elements.ts';

/**
 * A notice in the agents' group (SLA ping, reopened ticket, unreachable customer). The mentions are real
 * `<at>` tags, so the named people get notified; `all` mentions everyone. The text itself is escaped: it can
 * quote a customer's comment.
 */
export function renderNoticeCard(text: string, mentions: string[] | 'all', title = 'Loopdesk 提醒'): Card {
  const at = mentions === 'all' ? mention('all') : mentions.map(mention).join(' ');
  return card({ title, template: 'orange', summary: text, elements: [markdown(`${at ? `${at} ` : ''}${escapeMarkdown(text)}`)] });
}

/** A command's answer: our own markdown (the command module builds it), under a title. */
export function renderMarkdownCard(title: string, body: string): Card {
  return card({ title, template: 'indigo', summary: title, elements: [markdown(body)] });
}
