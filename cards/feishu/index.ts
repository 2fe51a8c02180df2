export { renderTicketCard, WAIT_YES } from './ticket.ts';
export { renderSurveyCard } from './survey.ts';
export { renderIncidentCard } from './incident.ts';
export { renderNoticeCard, renderMarkdownCard } from './notice.ts';
export { toast, type CallbackAnswer, type ToastType } from './toast.ts';
export type { Card } from './elements.ts';
