/**
 * The platform-neutral view of a ticket, survey and notices. Renderers (cards/feishu, cards/dingtalk) turn it into
 * platform JSON; nothing here knows a platform.
 */
export type ActionName = 'claim' | 'respond' | 'resolve' | 'reclassify' | 'escalate' | 'csat';
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
}

/** Every button's callback value: the public contract (DESIGN.md "Card actions"). */
export interface ActionValue {
  action: ActionName;
  ticket: string;
  score?: number;
}
