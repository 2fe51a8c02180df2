/**
 * The one action table for ticket cards and the console: the names of DESIGN.md "Card actions" (plus the console's
 * note and unmerge), who may use them, and how a click's value and form fields become one desk use case. Feishu's
 * card callback and the console's ticket page both call `runTicketAction`, so they refuse the same things with the
 * same Chinese message.
 */
import { z } from 'zod';
import type { AgentRef } from './types.ts';
import type { ActResult, Role } from './act.ts';
import type { DeliveryReceipt } from './receipts.ts';
import type { createDesk } from './index.ts';
import { TICKET_CODE } from '../core/ticket-code.ts';

type Desk = Pick<ReturnType<typeof createDesk>, 'act' | 'merge' | 'unmerge'>;

export const TICKET_ACTIONS = {
  claim: { label: '认领', min: 'agent' },
  respond: { label: '回复客户', min: 'agent' },
  resolve: { label: '标记解决并发送回访', min: 'agent' },
  reclassify: { label: '重新分类', min: 'agent' },
  escalate: { label: '升级给负责人', min: 'agent' },
  major: { label: '重大投诉标记', min: 'agent' },
  merge: { label: '合并到另一工单', min: 'agent' },
  unmerge: { label: '撤销合并', min: 'admin' },
  note: { label: '内部备注', min: 'agent' },
} as const satisfies Record<string, { label: string; min: Role }>;

export type TicketActionName = keyof typeof TICKET_ACTIONS;
export const TICKET_ACTION_NAMES = Object.keys(TICKET_ACTIONS) as TicketActionName[];

const RANK: Record<Role, number> = { agent: 1, lead: 2, admin: 3 };
export const mayUse = (role: Role, action: TicketActionName) => RANK[role] >= RANK[TICKET_ACTIONS[action].min];

export { TICKET_CODE };

/** The fields a card form or a console form may carry; anything else is ignored. */
export const actionFields = z.object({
  reply: z.string().optional(),
  canned: z.string().max(100).optional(),
  waitForCustomer: z.boolean().optional(),
  category: z.string().max(100).optional(),
  into: z.string().trim().toUpperCase().optional(),
  major: z.boolean().optional(),
});
export type ActionFields = z.infer<typeof actionFields>;

export interface TicketActionRequest {
  action: TicketActionName;
  ticket: string;
  actor: AgentRef;
  viaAgentGroup: boolean;
  fields: ActionFields;
  /** The console's per-request role (see AgentAction.role); unset on chat surfaces. */
  role?: Role;
  /** The ticket version the form was drawn from (console); unset on cards, whose clicks dedupe by event id. */
  expectVersion?: number;
  /** A platform delivery (a card click): recorded in the transaction of the change (desk/receipts.ts). */
  receipt?: DeliveryReceipt;
}

/** Routes one action to its use case. Refusals are DeskErrors (the caller shows their message). */
export async function runTicketAction(desk: Desk, r: TicketActionRequest): Promise<ActResult> {
  const base = { ticket: r.ticket, actor: r.actor, viaAgentGroup: r.viaAgentGroup, role: r.role, expectVersion: r.expectVersion, receipt: r.receipt };
  const f = r.fields;
  switch (r.action) {
    case 'merge':
      return desk.merge({ ...base, into: f.into ?? '' });
    case 'unmerge':
      return desk.unmerge({ ticket: r.ticket, actor: r.actor, viaAgentGroup: r.viaAgentGroup, role: r.role, expectVersion: r.expectVersion });
    case 'respond':
      return desk.act({ ...base, action: 'respond', text: f.reply ?? '', canned: f.canned || undefined, waitForCustomer: f.waitForCustomer });
    case 'resolve':
      return desk.act({ ...base, action: 'resolve', text: f.reply?.trim() || undefined, tellCustomer: true });
    case 'note':
      return desk.act({ ...base, action: 'note', text: f.reply ?? '' });
    case 'escalate':
      return desk.act({ ...base, action: 'escalate', text: f.reply?.trim() || undefined });
    case 'reclassify':
      return desk.act({ ...base, action: 'reclassify', category: f.category });
    case 'major':
      return desk.act({ ...base, action: 'major', major: f.major ?? true, text: f.reply?.trim() || undefined });
    case 'claim':
      return desk.act({ ...base, action: 'claim' });
  }
}
