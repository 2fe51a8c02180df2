/** A refusal the caller shows to a person (toast, 4xx, chat reply): a closed set of codes, a Chinese message. */
export type DeskErrorCode =
  | 'not_found'
  | 'forbidden'
  | 'invalid'
  | 'closed'
  | 'already_claimed'
  | 'already_yours'
  | 'not_responded'
  | 'not_resolved'
  | 'bad_score'
  | 'same_category'
  | 'empty_text'
  | 'no_change'
  | 'not_your_ticket'
  | 'not_merged';

export class DeskError extends Error {
  override name = 'DeskError';
  constructor(
    readonly code: DeskErrorCode,
    message: string,
  ) {
    super(message);
  }
}
