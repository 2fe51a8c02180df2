/**
 * The platform-neutral view of a ticket, survey and notices. Renderers (cards/feishu, cards/dingtalk) turn it into
 * platform JSON; nothing here knows a platform.
 */
export type ActionName = 'claim' | 'respond' | 'resolve' | 'reclassify' | 'escalate' | 'csat' | 'merge' | 'major';
export type IncidentActionName = 'incident_reply' | 'incident_resolve';
export type SlaState = 'none' | 'on_track' | 'due_soon' | 'breached' | 'met' | 'paused';

export interface SlaView {
  state: SlaState;
  /** Short Chinese label, e.g. "剩余 1小时20分", "已超时 35分", "已达成". */
  label: string;
  labelEn: string;
  dueAt: string | null;
}

export interface TicketView {
  id: number;
  code: string;
  status: string;
  statusLabel: string;
  category: { id: string; name: string; nameEn: string };
  categories: Array<{ id: string; name: string; nameEn: string }>;
  priority: string;
  channel: string;
  channelLabel: string;
  customer: { name: string; contact: string | null };
  subject: string;
  /** The latest customer text, shortened for the card. */
  excerpt: string;
  assignee: { name: string; platform: string; userId: string } | null;
  isMajor: boolean;
  escalated: boolean;
  isProbe: boolean;
  createdAt: string;
  firstResponse: SlaView;
  resolution: SlaView;
  /** Next response after the customer's latest unanswered message (categories with nextResponseMinutes); state 'none' otherwise. */
  nextResponse?: SlaView;
  paused: boolean;
  reopenCount: number;
  csatScore: number | null;
  csatComment: string | null;
  /** Buttons that make sense in this state; others are hidden. */
  actions: ActionName[];
  /** Link to the web console / customer page, when PUBLIC_BASE_URL is set. */
  url: string | null;
  /** How the category was decided (rules / learned / default / customer / agent), shown on the card. */
  classification?: { source: string; sourceLabel: string; confidence: number; reason: string };
  /** Other customers' open tickets that look like the same problem (merge this one into one of them). */
  duplicates?: Array<{ code: string; subject: string; score: number }>;
  /** The burst this ticket belongs to (its card then lives on the incident card). */
  incident?: { code: string; count: number } | null;
  /** Closed as merged into this ticket. */
  mergedInto?: string | null;
  /** A customer outside a chat whom no e-mail or SMS reached: 「请电话联系客户」, and the follow-up is the agent's. */
  callCustomer?: boolean;
  /** Canned replies for the respond form, this category's first, placeholders filled. */
  canned?: Array<{ id: string; title: string; text: string }>;
}

/** A burst of similar tickets under one card (count, samples, channels; reply to all / resolve all). */
export interface IncidentView {
  id: number;
  code: string;
  title: string;
  status: string;
  statusLabel: string;
  count: number;
  /** Not answered yet (new, claimed, reopened). */
  waiting: number;
  responded: number;
  resolved: number;
  closed: number;
  major: number;
  channels: Array<{ channel: string; label: string; count: number }>;
  samples: string[];
  createdAt: string;
  lastTicketAt: string;
  actions: IncidentActionName[];
}

/** Every button's callback value: the public contract (DESIGN.md "Card actions"). */
export interface ActionValue {
  action: ActionName;
  ticket: string;
  score?: number;
  /** merge: the ticket that carries the case. */
  into?: string;
  /** major: set (true) or clear (false). */
  major?: boolean;
}

/** Incident card buttons: `{action, incident}` (+ form field `reply`). */
export interface IncidentActionValue {
  action: IncidentActionName;
  incident: string;
}
