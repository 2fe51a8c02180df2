import { inboundReceipts } from '../db/schema/index.ts';
import type { Tx } from '../db/client.ts';
import { DeskError } from './errors.ts';

/**
 * A platform delivery (a card click, an agent's message) the use case records as handled. It is written in the
 * use case's own transaction, as intake does, so a crash can neither lose the change while keeping the receipt
 * (the re-push would answer "already handled" although nothing changed) nor apply it twice.
 */
export interface DeliveryReceipt {
  source: string;
  keys: string[];
}

/** First statement of a use case's transaction; a key seen before aborts it with `already_handled`. */
export async function recordReceipt(tx: Tx, receipt: DeliveryReceipt | undefined): Promise<void> {
  if (!receipt || receipt.keys.length === 0) return;
  // A concurrent re-delivery blocks on the primary key until we commit, then sees the conflict.
  const fresh = await tx
    .insert(inboundReceipts)
    .values(receipt.keys.map((k) => ({ source: receipt.source, externalId: k })))
    .onConflictDoNothing()
    .returning({ k: inboundReceipts.externalId });
  if (fresh.length < receipt.keys.length) throw new DeskError('already_handled', '该操作已处理');
}
