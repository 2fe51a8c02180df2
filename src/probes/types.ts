import type { Channel } from '../services.ts';

/** How a channel lets a machine play the customer: the probe runner drives it and follows the ticket. */
export interface ProbeDriver {
  /** Sends the planted complaint through the channel's public entry (as a customer would). */
  send(input: { runId: string; marker: string; text: string; baseUrl: string }): Promise<void>;
  /** Makes the channel look for new inbound at once (e-mail: poll the mailbox) instead of waiting for its timer. */
  nudge?(): Promise<void>;
  /** Extra proof that the acknowledgement reached the customer's side (e.g. our own webhook sink got it). */
  ackReceived?(ticketCode: string): Promise<boolean>;
}

export interface ProbeableChannel extends Channel {
  probe?: ProbeDriver;
}
