/** Small builders for Feishu card JSON 2.0 (feishu.md §4); 2.0 rejects unknown properties, so only known ones. */
import type { ActionValue, IncidentActionValue } from '../view.ts';

export type Card = Record<string, unknown>;
export type Element = Record<string, unknown>;

export const plain = (content: string) => ({ tag: 'plain_text', content });

/** Text we did not write (customer content) goes in plain_text: no markdown, no `<at>` injection. */
export const plainDiv = (content: string): Element => ({ tag: 'div', text: plain(content) });

export const markdown = (content: string): Element => ({ tag: 'markdown', content });

/** For values we interpolate into markdown: `<at id=all>` or links typed by someone else must stay text. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([*_~`[\]\\])/g, '\\$1');
}

/** `<at id=ou_x></at>` is a real mention in card markdown; `all` mentions everyone in the chat. */
export const mention = (openId: string) => `<at id=${openId.replace(/[^\w-]/g, '')}></at>`;

export function button(opts: {
  name: string;
  text: string;
  type?: 'primary' | 'default' | 'danger' | 'primary_filled';
  value: ActionValue | IncidentActionValue;
  submit?: boolean;
}): Element {
  return {
    tag: 'button',
    name: opts.name,
    text: plain(opts.text),
    type: opts.type ?? 'default',
    ...(opts.submit ? { form_action_type: 'submit' } : {}),
    behaviors: [{ type: 'callback', value: opts.value }],
  };
}

export function columns(elements: Element[]): Element {
  return {
    tag: 'column_set',
    flex_mode: 'flow',
    horizontal_spacing: '8px',
    columns: elements.map((e) => ({ tag: 'column', width: 'auto', elements: [e] })),
  };
}

export function card(opts: { title: string; subtitle?: string; template: string; summary: string; elements: Element[] }): Card {
  return {
    schema: '2.0',
    // update_multi: the card is shared by everyone in the chat and can be PATCHed (required for 2.0 cards anyway).
    config: { update_multi: true, width_mode: 'fill', summary: { content: opts.summary.slice(0, 100) } },
    header: { title: plain(opts.title), ...(opts.subtitle ? { subtitle: plain(opts.subtitle) } : {}), template: opts.template },
    body: { elements: opts.elements },
  };
}
