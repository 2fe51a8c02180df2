/**
 * What customer text may hold, decided once. PostgreSQL refuses U+0000 in text and jsonb, and a lone UTF-16
 * surrogate in jsonb; JavaScript strings carry both happily. So every string that enters from outside is cleaned
 * (NUL and other C0 controls except tab/newline/CR dropped, a lone surrogate replaced by U+FFFD), and every cut
 * counts code points, so a cut never leaves half an emoji behind.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the control characters PostgreSQL and the pages must not get is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text as we store it: no NUL or stray control characters, no lone surrogates. */
export function cleanText(s: string): string {
  return s.replace(CONTROL, '').replace(LONE_SURROGATE, '\uFFFD');
}

/** Every string in a parsed payload (JSON object, array, form), keys included, cleaned; other values kept. */
export function cleanDeep<T>(value: T): T {
  if (typeof value === 'string') return cleanText(value) as T;
  if (Array.isArray(value)) return value.map(cleanDeep) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [cleanText(k), cleanDeep(v)])) as T;
  }
  return value;
}

/** At most `max` code points of `s` (never half a surrogate pair). */
export function cutText(s: string, max: number): string {
  if (s.length <= max) return s;
  let out = '';
  let n = 0;
  for (const ch of s) {
    if (n++ >= max) break;
    out += ch;
  }
  return out;
}

/** `cutText` with an ellipsis when something was cut. */
export function excerpt(s: string, max: number): string {
  const cut = cutText(s, max);
  return cut.length < s.length ? `${cut}…` : s;
}
