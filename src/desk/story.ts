import { and, desc, eq, sql } from 'drizzle-orm';
import { MAX_STORY_TEXT, STORY_EVENT, STORY_SECTION_LIST, storyLabel, storySectionOf } from '../core/story.ts';
import { ticketEvents } from '../db/schema/index.ts';
import { actorRole, checkVersion, upsertAgent, type Role } from './act.ts';
import { agentActor, type DeskDeps } from './deps.ts';
import { DeskError } from './errors.ts';
import { loadPeople } from './people.ts';
import { recordReceipt, type DeliveryReceipt } from './receipts.ts';
import { appendEvents, lockTicketByCode } from './store.ts';
import type { AgentRef } from './types.ts';

/** One section of a major complaint's story (事件经过 … 整改措施), written on the ticket by an agent or a lead. */
export interface StoryInput {
  ticket: string;
  actor: AgentRef;
  viaAgentGroup: boolean;
  /** The section's label (原因分析), alias or id. */
  section: string;
  text: string;
  /** The console's per-request role (see AgentAction.role). */
  role?: Role;
  /** The ticket version the console form was drawn from: a stale tab or a second submit is refused. */
  expectVersion?: number;
  receipt?: DeliveryReceipt;
}

export interface StoryResult {
  ticketId: number;
  code: string;
  message: string;
  /** False when the section already says exactly this (a re-delivered command): nothing was written. */
  written: boolean;
}

/**
 * Saves one section as a `case_story` event in the ticket's hash chain (the latest event of a section is its text;
 * earlier versions stay in the timeline). Any status, closed included: 客户最终意见 and 整改措施 come after the close.
 * Refused before anything is written: no agent role, an unknown section, empty or overlong text.
 */
export async function writeStory(deps: DeskDeps, input: StoryInput): Promise<StoryResult> {
  const role = await actorRole(deps, input.actor, input.viaAgentGroup, input.role);
  if (!role) throw new DeskError('forbidden', '只有客服成员可以填写处理记述');
  const section = storySectionOf(input.section ?? '');
  if (!section) throw new DeskError('invalid', `未知栏目「${input.section || '（空）'}」，可填：${STORY_SECTION_LIST}`);
  const text = (input.text ?? '').trim();
  if (!text) throw new DeskError('empty_text', `请写上「${storyLabel(section)}」的内容`);
  if (text.length > MAX_STORY_TEXT) throw new DeskError('invalid', `内容过长：${text.length} 个字符，最多 ${MAX_STORY_TEXT} 个`);
  const now = deps.clock.now();
  const result = await deps.database.db.transaction(async (tx) => {
    await recordReceipt(tx, input.receipt);
    const t = await lockTicketByCode(tx, input.ticket);
    if (!t) throw new DeskError('not_found', `找不到工单 ${input.ticket}`);
    await checkVersion(tx, t.id, input.expectVersion);
    const [last] = await tx
      .select({ data: ticketEvents.data })
      .from(ticketEvents)
      .where(and(eq(ticketEvents.ticketId, t.id), eq(ticketEvents.type, STORY_EVENT), sql`${ticketEvents.data}->>'section' = ${section}`))
      .orderBy(desc(ticketEvents.seq))
      .limit(1);
    const label = storyLabel(section);
    if ((last?.data as { text?: string } | undefined)?.text === text) {
      return { ticketId: t.id, code: t.code, message: `「${label}」已是这段内容，未重复保存`, written: false };
    }
    await upsertAgent(tx, input.actor, role);
    const byName = (await loadPeople(tx, deps.config))(input.actor);
    await appendEvents(tx, t.id, agentActor(input.actor.platform, input.actor.userId), now, [{ type: STORY_EVENT, data: { section, text, byName } }]);
    return { ticketId: t.id, code: t.code, message: `已保存「${label}」，将列入处理记录（重大投诉报告）`, written: true };
  });
  return result;
}
