import { createHash } from 'node:crypto';
import { TICKET_CODE_SOURCE } from '../../core/ticket-code.ts';

/** Ticket codes as they appear in subjects ("[FB-20260302-0001]") and in our Message-IDs. */
const CODE = new RegExp(TICKET_CODE_SOURCE, 'i');

/**
 * Our Message-ID carries the ticket code and a hash of the outbox row's idempotency key: a retried send has the
 * same id (the receiver drops the copy), and a reply's In-Reply-To/References leads back to the ticket.
 */
export function messageIdFor(code: string, idemKey: string, domain: string): string {
  const h = createHash('sha256').update(idemKey).digest('hex').slice(0, 20);
  return `<${code}.${h}@${domain}>`;
}

export function codeFromIds(ids: string[], domain: string): string | null {
  for (const id of ids) {
    const m = new RegExp(`^<?(${CODE.source})\\.[0-9a-f]{20}@${domain.replace(/\./g, '\\.')}>?$`, 'i').exec(id.trim());
    if (m) return m[1].toUpperCase();
  }
  return null;
}

export function codeFromSubject(subject: string): string | null {
  const m = new RegExp(`\\[(${CODE.source})\\]`, 'i').exec(subject);
  return m ? m[1].toUpperCase() : null;
}

/** "Re: <subject> [FB-…]": the original subject once, without stacked "Re:"/"回复:" prefixes or an old code. */
export function replySubject(original: string, code: string): string {
  const bare = original
    .replace(new RegExp(`\\s*\\[${CODE.source}\\]\\s*`, 'gi'), ' ')
    .replace(/^\s*((re|fw|fwd|aw|回复|答复|转发)\s*[:：]\s*)+/i, '')
    .trim();
  return `Re: ${bare || '您的反馈'} [${code}]`;
}

export const isReplySubject = (subject: string) => /^\s*(re|aw|回复|答复)\s*[:：]/i.test(subject);
