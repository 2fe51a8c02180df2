import { createHash } from 'node:crypto';
import { z } from 'zod';
import { RECORDED_CHANNELS, RECORDED_CHANNEL_LABELS, splitContact, type RecordedChannel } from '../core/contact.ts';
import type { AgentRef } from './types.ts';
import { roleOf, type Role } from './act.ts';
import type { DeskDeps } from './deps.ts';
import { DeskError } from './errors.ts';
import { intake, type IntakeResult } from './intake.ts';

/** A complaint an agent took by phone, at the counter or by letter, typed in on the customer's behalf. */
export interface RecordedTicket {
  channel: string;
  name: string;
  contact: string;
  text: string;
  /** A category id or its Chinese name; unset = classified like any other ticket. */
  category?: string;
  /** Same id → same ticket (a double submit, a re-delivered command). */
  submissionId?: string;
  actor: AgentRef;
  viaAgentGroup: boolean;
  /** A role the caller already established (the console checks its session against config.roles itself). */
  role?: Role;
}

function schemaOf(maxContent: number) {
  return z.object({
    channel: z.enum(RECORDED_CHANNELS, { error: '渠道须为 电话 / 来访 / 信函' }),
    name: z.string({ error: '请填写客户称呼' }).trim().min(1, '请填写客户称呼').max(50, '客户称呼最多 50 个字'),
    contact: z
      .string({ error: '请填写客户的手机号、电话或邮箱' })
      .trim()
      .min(1, '请填写客户的手机号、电话或邮箱')
      .max(100, '联系方式过长')
      .refine((v) => splitContact(v) !== null, '联系方式须为手机号、电话（含区号）或邮箱'),
    text: z.string({ error: '请填写客户反映的内容' }).trim().min(1, '请填写客户反映的内容').max(maxContent, `内容最多 ${maxContent} 个字`),
    category: z.string().trim().optional(),
    submissionId: z.string().trim().min(8).max(100).optional(),
  });
}

/**
 * Opens (or, when this customer already has an open ticket of that channel, adds to) a ticket through the same
 * intake as every channel: same promise, SLA clock, triage, acknowledgement and ledger row. The agent who typed it
 * is recorded on the event. Bad input is refused before anything is written.
 */
export async function openRecordedTicket(deps: DeskDeps, input: RecordedTicket): Promise<IntakeResult & { channel: RecordedChannel }> {
  const role = input.role ?? roleOf(deps.config, input.actor, input.viaAgentGroup);
  if (!role) throw new DeskError('forbidden', '只有客服成员可以登记工单');
  const parsed = schemaOf(deps.config.web.maxContentLength).safeParse(input);
  if (!parsed.success) throw new DeskError('invalid', parsed.error.issues[0].message);
  const f = parsed.data;
  const category = f.category ? categoryId(deps, f.category) : undefined;
  const contact = splitContact(f.contact)!;
  const now = deps.clock.now();
  // Without a form id (a typed command), the same agent typing the same complaint of the same customer on the same
  // day is one ticket; the chat channels already drop re-delivered messages before this.
  const submission =
    f.submissionId ??
    createHash('sha256')
      .update(JSON.stringify([input.actor.platform, input.actor.userId, f.channel, contact, f.text, deps.calendar.localDate(now)]))
      .digest('base64url')
      .slice(0, 32);
  const result = await intake(deps, {
    channel: f.channel,
    dedupeKey: `recorded:${submission}`,
    // One customer per contact and channel: a second call while the ticket is open joins it.
    customer: { externalId: contact.email ?? contact.phone!, name: f.name, ...contact },
    replyTo: { contact: f.contact },
    text: f.text,
    category,
    recordedBy: { platform: input.actor.platform, userId: input.actor.userId, name: input.actor.name ?? null },
  });
  return { ...result, channel: f.channel };
}

function categoryId(deps: DeskDeps, word: string): string {
  const c = deps.config.categories.find((x) => x.id === word.toLowerCase() || x.name === word);
  if (!c) throw new DeskError('invalid', `未知分类：${word}（可选：${deps.config.categories.map((x) => x.name).join(' / ')}）`);
  return c.id;
}

export const recordedChannelLabel = (c: RecordedChannel) => RECORDED_CHANNEL_LABELS[c];
