import type { RefusalCode } from '../core/ticket.ts';

/**
 * A refusal the caller shows to a person (toast, 4xx, chat reply): a closed set of codes, a Chinese message. The
 * state machine's refusals plus the desk's own (lookup, permission, validation).
 */
export type DeskErrorCode = RefusalCode | 'not_found' | 'forbidden' | 'invalid' | 'not_your_ticket' | 'already_answered' | 'stale';

export class DeskError extends Error {
  override name = 'DeskError';
  constructor(
    readonly code: DeskErrorCode,
    message: string,
  ) {
    super(message);
  }
}
