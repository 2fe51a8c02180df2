import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import type { TicketView } from '../../cards/view.ts';
import type { Logger } from '../log.ts';
import type { AgentRef, OutboxKind } from '../desk/types.ts';

// The desk's own words for who acts and what it asks of a channel; channels use them through this module.
export type { AgentRef, OutboxKind } from '../desk/types.ts';

export interface OutboxRow {
  id: number;
  idemKey: string;
  channel: string;
  kind: OutboxKind;
  ticketId: number | null;
  payload: Record<string, unknown>;
  attempts: number;
}

export interface DeliveryContext {
  database: Database;
  config: Config;
  log: Logger;
  now(): Date;
  /** The ticket as the cards show it, read at delivery time (so a late card shows the latest state). */
  ticketView(ticketId: number): Promise<TicketView>;
  /** The ticket's reply-to data and channel, for customer-side messages. */
  ticketRoute(ticketId: number): Promise<{ channel: string; replyTo: Record<string, unknown>; code: string }>;
  /** Remember the platform id of the agents' card, so later changes update it in place. */
  saveCardRef(ticketId: number, surface: string, ref: string): Promise<void>;
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
