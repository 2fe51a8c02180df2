import type { RefusalCode } from '../core/ticket.ts';

/**
 * A refusal the caller shows to a person (toast, 4xx, chat reply): a closed set of codes, a Chinese message. The
 * state machine's refusals plus the desk's own (lookup, permission, validation).
 */
/** `already_handled`: a platform re-delivered a click or message whose change is committed (desk/receipts.ts).
 * `reused_id`: a delivery id seen before, sent by someone else or with other content (never answered with the first's ticket).
 * `stale`: a console form drawn from an older version of the ticket. */
export type DeskErrorCode =
  | RefusalCode
  | 'not_found'
  | 'forbidden'
  | 'invalid'
  | 'not_your_ticket'
  | 'already_answered'
  | 'stale'
  | 'reused_id'
  | 'already_handled';

export class DeskError extends Error {
  override name = 'DeskError';
  constructor(
    readonly code: DeskErrorCode,
    message: string,
  ) {
    super(message);
  }
}
