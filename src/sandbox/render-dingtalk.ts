import { readFileSync } from 'node:fs';
import { escapeHtml, markdownToHtml } from './markdown.ts';
import { UnknownCardElement } from './render-feishu.ts';

type Params = Record<string, string>;
interface Button {
  id: string;
  text: string;
  color?: string;
  actionType?: string;
  visible?: string;
  params: Array<{ name: string; type: 'fixed' | 'variable'; value?: string; variable?: string }>;
}
interface Component {
  component: string;
  id?: string;
  title?: string;
  placeholder?: string;
  localVariable?: string;
  visible?: string;
  content?: { variable: string };
  options?: { variable: string };
  buttons?: Button[];
}
export interface DingTalkTemplate {
  header: { cardName: string; tagText?: string };
  components: Component[];
}

/** The template we ask companies to import (cards/dingtalk/): the sandbox draws the cards from it and their params. */
export const LOOPDESK_TEMPLATE: DingTalkTemplate = JSON.parse(
  readFileSync(new URL('../../cards/dingtalk/loopdesk-card.template.json', import.meta.url), 'utf8'),
);

/** DingTalk markdown (headings, quotes, dtmd:// links) → the shared subset renderer. */
export function dingTalkMarkdownToHtml(md: string): string {
  const lines = md
    .replace(/\[([^\]]+)\]\(dtmd:[^)]*\)/g, '$1')
    .replace(/\\([#>-])/g, (_, c: string) => `&#${c.charCodeAt(0)};`)
    .split('\n')
    .map((l) => l.replace(/^#{1,6}\s+(.*)$/, '**$1**').replace(/^>\s?(.*)$/, '│ $1'));
  return markdownToHtml(lines.join('\n'));
}

/** `kind != 'survey' && can_respond == true`: conjunctions of comparisons, as the template uses them. */
export function visible(expr: string | undefined, params: Params): boolean {
  if (!expr) return true;
  return expr.split('&&').every((part) => {
    const m = /^\s*(\w+)\s*(==|!=)\s*(true|false|'[^']*')\s*$/.exec(part);
    if (!m) throw new UnknownCardElement(`template expression "${part.trim()}"`);
    const actual = params[m[1]] ?? '';
    const wanted = m[3].startsWith("'") ? m[3].slice(1, -1) : m[3];
    return m[2] === '==' ? actual === wanted : actual !== wanted;
  });
}

const COLOURS: Record<string, string> = { blue: 'primary', red: 'danger', gray: 'default' };

function options(raw: string | undefined): Array<{ value: string; text: string }> {
  try {
    const list = JSON.parse(raw || '[]') as Array<{ value?: unknown; text?: unknown }>;
    return Array.isArray(list) ? list.map((o) => ({ value: String(o.value ?? ''), text: String(o.text ?? '') })) : [];
  } catch {
    return [];
  }
}

/**
 * A template card drawn from the template and its cardParamMap, as DingTalk's client would: header, markdown,
 * inputs and selects (their values are the card's local variables), and request buttons whose params are resolved
 * here (fixed values and card params) or from the form (`$locals`) when clicked.
 */
export function dingTalkCardToHtml(params: Params, template: DingTalkTemplate = LOOPDESK_TEMPLATE): string {
  const fill = (s: string) => s.replace(/\$\{(\w+)\}/g, (_, k: string) => params[k] ?? '');
  const locals = new Set(template.components.flatMap((c) => (c.localVariable ? [c.localVariable] : [])));
  const parts: string[] = [];
  for (const c of template.components) {
    if (!visible(c.visible, params)) continue;
    switch (c.component) {
      case 'Markdown':
        parts.push(`<div class="md">${dingTalkMarkdownToHtml(params[c.content?.variable ?? ''] ?? '')}</div>`);
        break;
      case 'Input':
        parts.push(
          `<label class="dt-l">${escapeHtml(c.title ?? '')}</label><textarea name="${escapeHtml(c.localVariable ?? c.id ?? '')}" rows="2" placeholder="${escapeHtml(c.placeholder ?? '')}"></textarea>`,
        );
        break;
      case 'Select':
        parts.push(
          `<label class="dt-l">${escapeHtml(c.title ?? '')}</label><select name="${escapeHtml(c.localVariable ?? c.id ?? '')}"><option value="">请选择</option>${options(
            params[c.options?.variable ?? ''],
          )
            .map((o) => `<option value="${escapeHtml(o.value)}">${escapeHtml(o.text)}</option>`)
            .join('')}</select>`,
        );
        break;
      case 'ButtonBlock': {
        const buttons = (c.buttons ?? []).filter((b) => visible(b.visible, params));
        parts.push(
          `<div class="cols flow">${buttons
            .map((b) => {
              if (b.actionType !== 'request') throw new UnknownCardElement(`button action ${String(b.actionType)}`);
              const value: Record<string, unknown> = {};
              const fromForm: string[] = [];
              for (const p of b.params) {
                if (p.type === 'fixed') value[p.name] = p.value ?? '';
                else if (p.type === 'variable' && p.variable && locals.has(p.variable)) fromForm.push(p.variable);
                else if (p.type === 'variable' && p.variable) value[p.name] = params[p.variable] ?? '';
                else throw new UnknownCardElement(`button param type ${String(p.type)}`);
              }
              if (fromForm.length) value.$locals = fromForm;
              return `<button type="button" class="btn btn-${COLOURS[b.color ?? 'gray'] ?? 'default'}" data-submit="1" data-value="${escapeHtml(JSON.stringify(value))}">${escapeHtml(b.text)}</button>`;
            })
            .join('')}</div>`,
        );
        break;
      }
      default:
        throw new UnknownCardElement(`DingTalk template component "${c.component}"`);
    }
  }
  const tag = template.header.tagText ? fill(template.header.tagText) : '';
  return `<div class="card dt"><div class="card-h h-dt"><div class="card-t">${escapeHtml(fill(template.header.cardName))}</div>${tag ? `<div class="card-st">${escapeHtml(tag)}</div>` : ''}</div><form class="card-b form" onsubmit="return false">${parts.join('')}</form></div>`;
}

export const KNOWN_TEMPLATE_COMPONENTS = ['Markdown', 'Input', 'Select', 'ButtonBlock'];
