import type { DeliveryContext, OutboxKind } from '../desk/types.ts';

// The desk's own words for who acts, what it asks of a channel and what a sender may read; channels use them
// through this module.
export type { AgentRef, DeliveryContext, OutboxKind } from '../desk/types.ts';

export interface OutboxRow {
  id: number;
  idemKey: string;
  channel: string;
  kind: OutboxKind;
  ticketId: number | null;
  payload: Record<string, unknown>;
  attempts: number;
}

/** A channel's outbound half. Throw RetryLater for transient failures, Undeliverable for permanent ones. */
export interface ChannelSender {
  readonly name: string;
  deliver(row: OutboxRow, ctx: DeliveryContext): Promise<void>;
}

export class RetryLater extends Error {
  override name = 'RetryLater';
  constructor(
    message: string,
    /** Platform-advised wait (e.g. Feishu's x-ogw-ratelimit-reset); the worker's backoff is used when absent. */
    readonly afterMs?: number,
  ) {
    super(message);
  }
}

export class Undeliverable extends Error {
  override name = 'Undeliverable';
}
