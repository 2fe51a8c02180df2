import { and, eq, inArray } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { inboundReceipts } from '../../db/schema/index.ts';

/**
 * Receipts for deliveries that do not go through intake (agents' thread replies, commands, card clicks): the
 * desk's act() has no dedupe key, so a re-pushed "respond" would otherwise reach the customer twice. Same table
 * and namespace as intake's receipts (source 'feishu', message_id / `event:<id>` / `card:<event_id>`).
 */
export async function firstDelivery(database: Database, keys: string[]): Promise<boolean> {
  const fresh = await database.db
    .insert(inboundReceipts)
    .values(keys.map((k) => ({ source: 'feishu', externalId: k })))
    .onConflictDoNothing()
    .returning({ k: inboundReceipts.externalId });
  return fresh.length === keys.length;
}

/** After an unexpected failure: let the platform's re-delivery be processed. Refusals keep their receipt. */
export async function forgetDelivery(database: Database, keys: string[]): Promise<void> {
  await database.db.delete(inboundReceipts).where(and(eq(inboundReceipts.source, 'feishu'), inArray(inboundReceipts.externalId, keys)));
}
