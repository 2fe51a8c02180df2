/**
 * Customers outside a chat: how a ticket reaches them. Pure helpers shared by the desk (which channels have no
 * chat to answer in), the contact sender (e-mail or SMS) and the entry points that take a contact.
 */

/** Channels whose customer is not in a chat: replies, notices and the survey go to the contact they left. */
export const CONTACT_CHANNELS = ['web', 'phone', 'visit', 'letter'] as const;
/** Tickets an agent opens on the customer's behalf (电话 / 来访 / 信函). */
export const RECORDED_CHANNELS = ['phone', 'visit', 'letter'] as const;
export type RecordedChannel = (typeof RECORDED_CHANNELS)[number];

export const RECORDED_CHANNEL_LABELS: Record<RecordedChannel, string> = { phone: '电话', visit: '来访', letter: '信函' };

/** The outbox channel of customer messages on CONTACT_CHANNELS tickets (one sender picks e-mail or SMS). */
export const CONTACT_OUTBOX_CHANNEL = 'contact';

export const isContactChannel = (channel: string) => (CONTACT_CHANNELS as readonly string[]).includes(channel);

/** 电话 / 来访 / 信函 (or phone / visit / letter) → the channel id; null when it is none of them. */
export function recordedChannelOf(word: string): RecordedChannel | null {
  const w = word.trim().toLowerCase();
  for (const c of RECORDED_CHANNELS) if (w === c || w === RECORDED_CHANNEL_LABELS[c]) return c;
  return null;
}

export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Any phone number a person may leave (landline with area code, mobile, +86…). */
export const PHONE_PATTERN = /^\+?\d[\d\s-]{5,18}\d$/;

/**
 * A mainland mobile number as SMS providers take it (11 digits, 1[3-9]…), or null. Accepts +86 / 0086 / 86
 * prefixes, spaces and dashes. Landlines and foreign numbers are null: mainland SMS templates reach neither.
 */
export function mainlandMobile(raw: string | null | undefined): string | null {
  if (!raw) return null;
  let d = raw.replace(/[\s-]/g, '');
  if (d.startsWith('+86')) d = d.slice(3);
  else if (d.startsWith('0086')) d = d.slice(4);
  else if (d.length === 13 && d.startsWith('86')) d = d.slice(2);
  return /^1[3-9]\d{9}$/.test(d) ? d : null;
}

export type ContactRoute = { kind: 'email'; address: string } | { kind: 'sms'; mobile: string };

/** E-mail first (it carries the whole text), then SMS; null when no configured route reaches this contact. */
export function contactRoute(contact: { email?: string | null; phone?: string | null }, available: { email: boolean; sms: boolean }): ContactRoute | null {
  const email = contact.email?.trim();
  if (available.email && email && EMAIL_PATTERN.test(email)) return { kind: 'email', address: email };
  const mobile = mainlandMobile(contact.phone);
  if (available.sms && mobile) return { kind: 'sms', mobile };
  return null;
}

/** Splits what a person typed as a contact into the customer's e-mail or phone. */
export function splitContact(contact: string): { email?: string; phone?: string } | null {
  const c = contact.trim();
  if (EMAIL_PATTERN.test(c)) return { email: c.toLowerCase() };
  if (PHONE_PATTERN.test(c)) return { phone: c.replace(/\s+/g, '') };
  return null;
}

/** What the card and the console say when no route reaches the customer. */
export const CALL_THE_CUSTOMER = '请电话联系客户';
