import { PERSONAS } from './personas.ts';

export const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const nameOf = (id: string) => (id === 'all' ? '所有人' : (PERSONAS.find((p) => p.openId === id)?.name ?? id));
const SAFE_COLOUR = /^[a-z-]{1,20}$/;

/**
 * The card markdown subset our builders write (feishu.md §4): **bold**, [links](http…), `- ` lists, line breaks,
 * `<font color='…'>`, `<at id=…></at>`, backslash escapes and the entities escapeMarkdown produces. Everything
 * else stays text: the input is HTML-escaped first, and only those tags are recognised on the escaped form.
 */
export function markdownToHtml(md: string): string {
  // Backslash escapes become entities before anything else sees them, so `\*` never opens bold.
  let s = md.replace(/\\([*_~`[\]\\])/g, (_, c: string) => `&#${c.charCodeAt(0)};`);
  // Entities written by escapeMarkdown (&lt; &gt; &amp;) are kept; a bare & is escaped.
  s = s
    .replace(/&(?!(?:lt|gt|amp|quot|#\d+);)/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
  s = s.replace(/&lt;at id=([\w-]+)&gt;&lt;\/at&gt;/g, (_, id: string) => `<span class="at">@${escapeHtml(nameOf(id))}</span>`);
  s = s.replace(
    /&lt;font color=['"]?([\w-]+)['"]?&gt;([\s\S]*?)&lt;\/font&gt;/g,
    (_, c: string, body: string) => `<span class="fc-${SAFE_COLOUR.test(c) ? c : 'default'}">${body}</span>`,
  );
  s = s.replace(
    /\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g,
    (_, text: string, url: string) => `<a href="${url.replace(/"/g, '%22')}" target="_blank" rel="noopener">${text}</a>`,
  );
  s = s.replace(/\*\*([\s\S]+?)\*\*/g, '<b>$1</b>');
  const out: string[] = [];
  let list = false;
  for (const line of s.split('\n')) {
    const item = /^\s*[-*] (.*)$/.exec(line);
    if (item) {
      if (!list) out.push('<ul>');
      list = true;
      out.push(`<li>${item[1]}</li>`);
      continue;
    }
    if (list) out.push('</ul>');
    list = false;
    out.push(`${line}<br>`);
  }
  if (list) out.push('</ul>');
  return out.join('').replace(/(<br>)+$/, '');
}
