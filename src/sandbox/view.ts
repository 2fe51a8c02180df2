import type { ChatMessage } from './chats.ts';
import { escapeHtml } from './markdown.ts';
import { BOT_OPEN_ID, personaByOpenId } from './personas.ts';
import { dingTalkCardToHtml, dingTalkMarkdownToHtml } from './render-dingtalk.ts';
import { feishuCardToHtml } from './render-feishu.ts';
import { personaByStaffId } from './personas.ts';

export interface MessageView {
  id: string;
  chatId: string;
  rev: number;
  from: string;
  mine: boolean;
  html: string;
}

/** One chat message as the page shows it: text, a drawn card, or a file. */
export function messageView(m: ChatMessage, company: string): MessageView {
  const from = m.senderId === BOT_OPEN_ID ? `${company}（机器人）` : (personaByOpenId(m.senderId)?.name ?? personaByStaffId(m.senderId)?.name ?? m.senderId);
  return { id: m.id, chatId: m.chatId, rev: m.rev, from, mine: m.senderId !== BOT_OPEN_ID, html: bodyHtml(m) };
}

function bodyHtml(m: ChatMessage): string {
  const quote = m.parentId ? '<div class="quote">↪ 回复</div>' : '';
  switch (m.msgType) {
    case 'text':
      return `${quote}<div class="text">${textHtml(String(m.content.text ?? ''))}</div>`;
    case 'interactive':
      try {
        return quote + feishuCardToHtml(m.content);
      } catch (e) {
        return `${quote}<div class="text error">沙盒无法绘制这张卡片：${escapeHtml((e as Error).message)}</div>`;
      }
    case 'dt-text':
      return `<div class="text">${textHtml(String(m.content.text ?? ''))}</div>`;
    case 'dt-markdown':
      return `<div class="text md">${dingTalkMarkdownToHtml(String(m.content.text ?? ''))}</div>`;
    case 'dt-card':
      try {
        return dingTalkCardToHtml(m.content.params as Record<string, string>);
      } catch (e) {
        return `<div class="text error">沙盒无法绘制这张卡片：${escapeHtml((e as Error).message)}</div>`;
      }
    case 'dt-file':
      return `<div class="text">📎 文件 ${escapeHtml(String(m.content.name ?? ''))}</div>`;
    case 'file':
      return `${quote}<div class="text">📎 文件 ${escapeHtml(
        String(m.content.file_key ?? '')
          .split(':')
          .slice(1)
          .join(':'),
      )}</div>`;
    default:
      return `${quote}<div class="text">[${escapeHtml(m.msgType)} 消息]</div>`;
  }
}

/** Text messages may carry `<at user_id="…"></at>` (the bot @-mentions a customer in a group). */
function textHtml(t: string): string {
  return escapeHtml(t)
    .replace(
      /&lt;at user_id=&quot;([\w-]+)&quot;&gt;&lt;\/at&gt;/g,
      (_, id: string) => `<span class="at">@${escapeHtml(personaByOpenId(id)?.name ?? id)}</span>`,
    )
    .replace(/\n/g, '<br>');
}
