import { feishuCardToHtml } from '../sandbox/render-feishu.ts';
import { SANDBOX_CSS } from '../sandbox/page.ts';

/** One Feishu card drawn by the sandbox's renderer on a page of its own (pictures of a card without a chat). */
export function cardPage(card: Record<string, unknown>, caption = ''): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>${SANDBOX_CSS} body{background:#f5f6f7;padding:16px} .cap{color:#646a73;font-size:12px;margin-bottom:6px}</style></head>
<body><div class="cap">${caption.replace(/</g, '&lt;')}</div><div id="card">${feishuCardToHtml(card)}</div></body></html>`;
}
