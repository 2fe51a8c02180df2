import { html, raw } from 'hono/html';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The small page behind the survey links: confirm a score (POST), or show the thanks. */
export function surveyPage(p: { company: string; code: string; score: number | null; open: boolean; done?: string }) {
  const body = p.done
    ? `<p>${esc(p.done)}</p>`
    : !p.open
      ? '<p>该工单当前不在待评价状态，感谢您的关注。</p>'
      : `<form method="post">
  <p>请确认您的评分（5 分最满意）：</p>
  <p>${[5, 4, 3, 2, 1].map((n) => `<label><input type="radio" name="score" value="${n}"${p.score === n ? ' checked' : ''} required> ${n} 分</label>`).join('<br>')}</p>
  <p><textarea name="comment" rows="3" cols="40" placeholder="您的意见（选填）"></textarea></p>
  <p><button type="submit">提交评价</button></p>
</form>`;
  return html`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>满意度评价 · ${p.company}</title></head><body><h1>工单 ${p.code} 满意度评价</h1>${raw(body)}</body></html>`;
}
