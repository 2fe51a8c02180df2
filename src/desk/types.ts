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
export type OutboxKind = 'agents.card' | 'agents.text' | 'agents.file' | 'agents.reply' | 'agents.incident' | 'agents.mail' | 'customer.text' | 'customer.survey';

export interface AgentRef {
  platform: string;
  userId: string;
  name?: string | null;
}
