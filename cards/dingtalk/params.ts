import type { ActionName, TicketView } from '../view.ts';
import { SCORE_LABELS, surveyAnsweredMarkdown, surveyTitle, ticketMarkdown, ticketTitle } from './markdown.ts';

/**
 * Template params (cardParamMap) for the imported templates in this folder. DingTalk wants every value as a
 * string (≤ 1 KB; arrays and objects as JSON strings); buttons read `ticket` and send {action, ticket[, score]}.
 */

const MAX_VALUE = 1000;
const clip = (s: string) => (s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE - 1)}…` : s);
const flag = (b: boolean) => (b ? 'true' : 'false');

export function ticketCardParams(view: TicketView): Record<string, string> {
  const has = (a: ActionName) => flag(view.actions.includes(a));
  return {
    title: ticketTitle(view),
    tag: view.statusLabel,
    status: view.status,
    ticket: view.code,
    markdown: clip(ticketMarkdown(view)),
    category: view.category.id,
    categories: clip(JSON.stringify(view.categories.map((c) => ({ value: c.id, text: c.name })))),
    assignee: view.assignee?.name ?? '',
    sla_state: view.resolution.state === 'breached' || view.firstResponse.state === 'breached' ? 'breached' : view.firstResponse.state,
    can_claim: has('claim'),
    can_respond: has('respond'),
    can_resolve: has('resolve'),
    can_reclassify: has('reclassify'),
    can_escalate: has('escalate'),
    can_merge: has('merge'),
    /** merge button: the best duplicate (others by command). */
    merge_into: view.duplicates?.[0]?.code ?? '',
    canned: clip(JSON.stringify((view.canned ?? []).map((c) => ({ value: c.id, text: c.title })))),
    closed: flag(view.actions.length === 0),
  };
}

export function surveyCardParams(code: string, answeredScore: number | null): Record<string, string> {
  return {
    title: surveyTitle(code),
    ticket: code,
    markdown:
      answeredScore === null
        ? `### ${surveyTitle(code)}\n您的问题已处理完毕，对本次服务满意吗？请点击下方按钮打分。`
        : surveyAnsweredMarkdown(code, answeredScore),
    answered: flag(answeredScore !== null),
    score: answeredScore === null ? '' : String(answeredScore),
    score_label: answeredScore === null ? '' : (SCORE_LABELS[answeredScore] ?? ''),
  };
}
