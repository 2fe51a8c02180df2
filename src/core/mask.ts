/**
 * Masking of personal data that customers type into free text (order, bank-card, ID-card and phone numbers,
 * e-mail addresses), for masked exports: the ledger promises 脱敏 and a reviewer reads the 问题摘要 column too.
 * Numbers keep their first 3 and last 4 characters, like the contact column (138****5678); e-mail addresses their
 * first character and domain.
 */
const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu;
/**
 * Runs of digits in groups of 3 or more, joined by single spaces or hyphens (bank cards, landlines; not dates such as
 * 2026-03-02), an ID card's final X included; 7 digits or more in all are masked.
 */
const NUMBER = /(?<!\p{N})\d{3,}(?:[ -]\d{3,})*(?:[Xx](?!\p{L}))?/gu;

export function maskFreeText(text: string): string {
  return text
    .replace(EMAIL, (m) => {
      const at = m.lastIndexOf('@');
      return `${[...m.slice(0, at)][0]}***${m.slice(at)}`;
    })
    .replace(NUMBER, (m) => {
      const chars = m.replace(/[ -]/g, '');
      if (chars.length < 7) return m;
      return `${chars.slice(0, 3)}${'*'.repeat(chars.length - 7)}${chars.slice(-4)}`;
    });
}
