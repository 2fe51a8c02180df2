/** What the chain commits to for values kept outside the events (each a salted digest, see core/hash.ts). */
import { saltedDigest } from '../core/hash.ts';

export interface MessageValues {
  ticketId: number | string;
  direction: string;
  body: string;
  attachments: unknown;
}
export interface ContactValues {
  name: string | null;
  phone: string | null;
  email: string | null;
}

export const messageDigest = (salt: string, id: number, m: MessageValues) =>
  saltedDigest(salt, 'message', Number(m.ticketId), id, m.direction, m.body, m.attachments ?? []);
export const contactDigest = (salt: string, c: ContactValues) => saltedDigest(salt, 'contact', c.name ?? null, c.phone ?? null, c.email ?? null);
export const subjectDigest = (salt: string, subject: string) => saltedDigest(salt, 'subject', subject);
