import type { TicketView, IncidentView } from '../../cards/view.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';

/** Types the desk defines and the channels use: who acts, and what the desk asks a channel to deliver. */

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
export type OutboxKind =
  | 'agents.card'
  | 'agents.text'
  | 'agents.file'
  | 'agents.reply'
  | 'agents.incident'
  | 'agents.mail'
  | 'customer.text'
  | 'customer.survey';

export interface AgentRef {
  platform: string;
  userId: string;
  name?: string | null;
}

/** What a channel's sender is given for each outbox row: reads of the ticket or incident, and where its card is. */
export interface DeliveryContext {
  config: Config;
  log: Logger;
  now(): Date;
  /** The ticket as the cards show it, read at delivery time (so a late card shows the latest state). */
  ticketView(ticketId: number): Promise<TicketView>;
  /** The ticket's reply-to data and channel, for customer-side messages; its card refs and private-page token. */
  ticketRoute(
    ticketId: number,
  ): Promise<{ channel: string; replyTo: Record<string, unknown>; code: string; cardRefs: Record<string, string>; accessToken: string }>;
  /** Remember the platform id of the agents' card, so later changes update it in place. */
  saveCardRef(ticketId: number, surface: string, ref: string): Promise<void>;
  /** The incident card as it is now, and the platform ids it was posted under. */
  incidentCard(incidentId: number): Promise<{ view: IncidentView; cardRefs: Record<string, string> }>;
  saveIncidentCardRef(incidentId: number, surface: string, ref: string): Promise<void>;
}
