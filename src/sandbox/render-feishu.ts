import { chartToSvg } from './chart.ts';
import { escapeHtml, markdownToHtml } from './markdown.ts';

/** An element the renderer does not know: the sandbox must not silently drop what Feishu would show. */
export class UnknownCardElement extends Error {
  override name = 'UnknownCardElement';
}

type El = Record<string, unknown>;
const TEMPLATES = new Set(['blue', 'wathet', 'turquoise', 'green', 'yellow', 'orange', 'red', 'carmine', 'violet', 'purple', 'indigo', 'grey', 'default']);
const BUTTON_TYPES = new Set(['default', 'primary', 'danger', 'primary_filled', 'text', 'laser']);

const textOf = (t: unknown) => String((t as { content?: unknown } | undefined)?.content ?? '');
const attr = (v: unknown) => escapeHtml(typeof v === 'string' ? v : JSON.stringify(v));

/** Every element tag our card builders emit, drawn as Feishu would draw it (as near as HTML gets). */
const ELEMENTS: Record<string, (e: El, inForm: boolean) => string> = {
  markdown: (e) => `<div class="md">${markdownToHtml(String(e.content ?? ''))}</div>`,
  div: (e) => {
    const t = e.text as El | undefined;
    if (t && t.tag !== 'plain_text' && t.tag !== 'lark_md') throw new UnknownCardElement(`div text tag ${String(t.tag)}`);
    return `<div class="plain">${t?.tag === 'lark_md' ? markdownToHtml(textOf(t)) : escapeHtml(textOf(t)).replace(/\n/g, '<br>')}</div>`;
  },
  hr: () => '<hr>',
  column_set: (e, inForm) =>
    `<div class="cols ${e.flex_mode === 'flow' ? 'flow' : ''}">${((e.columns as El[]) ?? [])
      .map((c) => {
        if (c.tag !== 'column') throw new UnknownCardElement(`column_set child ${String(c.tag)}`);
        const grow = c.width === 'weighted' ? Number(c.weight ?? 1) : 0;
        return `<div class="col" style="flex:${grow} 1 auto">${elements((c.elements as El[]) ?? [], inForm)}</div>`;
      })
      .join('')}</div>`,
  button: (e, inForm) => {
    const type = BUTTON_TYPES.has(String(e.type)) ? String(e.type) : 'default';
    const behaviour = ((e.behaviors as El[]) ?? []).find((b) => b.type === 'callback');
    if (!behaviour) throw new UnknownCardElement('button without a callback behaviour');
    const submit = e.form_action_type === 'submit';
    if (inForm && !submit) throw new UnknownCardElement('a button inside a form must submit it');
    return `<button type="button" class="btn btn-${type}" data-name="${attr(e.name ?? '')}" data-value="${attr(behaviour.value)}"${submit ? ' data-submit="1"' : ''}>${escapeHtml(textOf(e.text))}</button>`;
  },
  form: (e, inForm) => {
    if (inForm) throw new UnknownCardElement('form inside a form');
    return `<form class="form" data-form="${attr(e.name ?? '')}" onsubmit="return false">${elements((e.elements as El[]) ?? [], true)}</form>`;
  },
  input: (e, inForm) => {
    if (!inForm) throw new UnknownCardElement('input outside a form');
    const ph = escapeHtml(textOf(e.placeholder));
    const req = e.required ? ' required' : '';
    const max = e.max_length ? ` maxlength="${Number(e.max_length)}"` : '';
    return e.input_type === 'multiline_text'
      ? `<textarea name="${attr(e.name)}" rows="${Number(e.rows ?? 3)}" placeholder="${ph}"${req}${max}></textarea>`
      : `<input name="${attr(e.name)}" placeholder="${ph}"${req}${max}>`;
  },
  select_static: (e, inForm) => {
    if (!inForm) throw new UnknownCardElement('select outside a form');
    const options = ((e.options as El[]) ?? []).map(
      (o) => `<option value="${attr(o.value)}"${o.value === e.initial_option ? ' selected' : ''}>${escapeHtml(textOf(o.text))}</option>`,
    );
    const none = e.initial_option ? '' : `<option value="">${escapeHtml(textOf(e.placeholder) || '请选择')}</option>`;
    return `<select name="${attr(e.name)}"${e.required ? ' required' : ''}>${none}${options.join('')}</select>`;
  },
  chart: (e) => chartToSvg((e.chart_spec as El) ?? {}),
};

function elements(list: El[], inForm: boolean): string {
  return list
    .map((e) => {
      const draw = ELEMENTS[String(e.tag)];
      if (!draw) throw new UnknownCardElement(`card element "${String(e.tag)}"`);
      return draw(e, inForm);
    })
    .join('');
}

/** A Feishu card JSON 2.0 as HTML; throws UnknownCardElement on anything our renderer does not know. */
export function feishuCardToHtml(card: El): string {
  if (card.schema !== '2.0') throw new UnknownCardElement(`card schema ${String(card.schema)}`);
  const header = (card.header as El | undefined) ?? {};
  const template = String(header.template ?? 'default');
  if (!TEMPLATES.has(template)) throw new UnknownCardElement(`header template ${template}`);
  const head = header.title
    ? `<div class="card-h h-${template}"><div class="card-t">${escapeHtml(textOf(header.title))}</div>${header.subtitle ? `<div class="card-st">${escapeHtml(textOf(header.subtitle))}</div>` : ''}</div>`
    : '';
  return `<div class="card">${head}<div class="card-b">${elements(((card.body as El | undefined)?.elements as El[]) ?? [], false)}</div></div>`;
}

/** The element tags the renderer knows (the coverage test walks every builder against this). */
export const KNOWN_ELEMENTS = Object.keys(ELEMENTS);
