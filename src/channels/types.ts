import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import type { TicketView } from '../../cards/view.ts';
import type { Logger } from '../log.ts';

/**
 * Outbox kinds the desk writes (platform-neutral intents; each channel renders them its own way):
 * - `agents.card`     {}                              post the ticket card to the agents' group, or update it in place
 * - `agents.text`     { text, mention?: AgentRef[] }  a notice in the agents' group (SLA ping, reopen, unreachable customer)
 * - `agents.file`     { path, name, text? }           upload a file (ledger) to the agents' group
 * - `customer.text`   { text, purpose }               to the customer, on the ticket's channel (purpose: ack | reply | notice)
 * - `customer.survey` {}                              the satisfaction survey, on the ticket's channel
 * - `agents.reply`    { reply: CommandReply, replyTo? } the answer to a command typed in the agents' group
 * - `agents.mail`     { to, subject, text }           an e-mail to a local account (SLA reminder), sent by the contact channel
 * - `agents.incident` { incidentId }                  post the incident card (a burst of similar tickets), or update it
 */
export type OutboxKind = 'agents.card' | 'agents.text' | 'agents.file' | 'agents.reply' | 'agents.incident' | 'agents.mail' | 'customer.text' | 'customer.survey';

export interface AgentRef {
  platform: string;
  userId: string;
  name?: string | null;
}

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
