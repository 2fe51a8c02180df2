import type { ActionValue, TicketView } from '../view.ts';
import { button, card, columns, plain, plainDiv, type Card } from './elements.ts';

const LABELS = ['', '非常不满意', '不满意', '一般', '满意', '非常满意'];

/**
 * The satisfaction survey the customer gets in their own chat: five buttons (`csat` + `score`) in a form with an
 * optional `comment` field. Once answered (or closed) it shows the result and no buttons.
 */
export function renderSurveyCard(v: Pick<TicketView, 'code' | 'subject'>, company: string, answered?: { score: number; comment?: string | null }): Card {
  const intro = plainDiv(`${company}：您反馈的问题（工单 ${v.code}「${v.subject}」）已处理。您对本次服务满意吗？`);
  if (answered) {
    return card({
      title: '感谢您的评价',
      template: answered.score >= 4 ? 'green' : 'orange',
      summary: `工单 ${v.code} 已评价`,
      elements: [
        intro,
        plainDiv(
          `您的评分：${'★'.repeat(answered.score)}${'☆'.repeat(5 - answered.score)}（${answered.score} 分，${LABELS[answered.score]}）${answered.comment ? `\n您的意见：${answered.comment}` : ''}`,
        ),
      ],
    });
  }
  const score = (n: number): ActionValue => ({ action: 'csat', ticket: v.code, score: n });
  return card({
    title: '服务满意度回访',
    template: 'blue',
    summary: `请评价工单 ${v.code}`,
    elements: [
      intro,
      {
        tag: 'form',
        name: 'csat_form',
        elements: [
          { tag: 'input', name: 'comment', required: false, max_length: 500, width: 'fill', placeholder: plain('（选填）还有什么想告诉我们的？') },
          columns(
            [1, 2, 3, 4, 5].map((n) =>
              button({ name: `csat_${n}`, text: `${n} 分 ${LABELS[n]}`, type: n >= 4 ? 'primary' : 'default', submit: true, value: score(n) }),
            ),
          ),
        ],
      },
    ],
  });
}
