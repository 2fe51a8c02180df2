import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { agents, customers } from '../db/schema/index.ts';
import { PERSONAS, staffIdOf } from './personas.ts';

/**
 * The sandbox's customers, marked as such before their first message: intake copies the mark onto every ticket
 * they open, in the same transaction, so no sandbox ticket is ever counted. Agents get their display names. Feishu
 * knows people by open_id; the DingTalk channel names a 1:1 customer `user:<staffId>`.
 */
export async function ensureSandboxPeople(database: Database, platforms: { feishu: boolean; dingtalk: boolean }): Promise<void> {
  if (!platforms.feishu && !platforms.dingtalk) return;
  const cs = PERSONAS.filter((p) => p.role === 'customer');
  await database.db
    .insert(customers)
    .values(
      cs.flatMap((p) => [
        ...(platforms.feishu ? [{ channel: 'feishu', externalId: p.openId, name: p.name, isSandbox: true }] : []),
        ...(platforms.dingtalk ? [{ channel: 'dingtalk', externalId: `user:${staffIdOf(p)}`, name: p.name, isSandbox: true }] : []),
      ]),
    )
    .onConflictDoUpdate({ target: [customers.channel, customers.externalId], set: { isSandbox: sql`true` } });
  await database.db
    .insert(agents)
    .values(
      PERSONAS.filter((p) => p.role === 'agent').flatMap((p) => [
        ...(platforms.feishu ? [{ platform: 'feishu', userId: p.openId, name: p.name }] : []),
        ...(platforms.dingtalk ? [{ platform: 'dingtalk', userId: staffIdOf(p), name: p.name }] : []),
      ]),
    )
    .onConflictDoNothing();
}
