/**
 * What a log line may not carry, whatever its level: customer words, contacts, private-link tokens, secrets, and
 * the parameters of a failed query (drizzle puts them in the error message, and so in every stack we log).
 */

/** Fields whose value is customer data or a secret: replaced whole. */
const SENSITIVE_KEY =
  /^(text|body|content|comment|reply|contact|phone|mobile|email|token|accesstoken|access_token|params|password|secret|authorization|cookie|sessionwebhook|signature|sign)$/i;

const RULES: Array<[RegExp, string]> = [
  // drizzle: "Failed query: …\nparams: a,b,c" — the values of the query, often a message body or a token.
  [/(\bparams:)[^\n]*/g, '$1 [redacted]'],
  // PostgreSQL quotes the offending value: invalid input syntax for type integer: "13812345678".
  [/(: )"(?:[^"\\\n]|\\.)*"/g, '$1"[redacted]"'],
  [/(Key \([^)]*\)=\()[^)]*\)/g, '$1[redacted])'],
  // The private ticket page's token, and any query string of a URL or path.
  [/(\/t\/)[A-Za-z0-9_-]+/g, '$1[token]'],
  [/(\/[^\s?"']*)\?[^\s"'#]+/g, '$1?[redacted]'],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@"']+:)[^\s@/"']+@/gi, '$1[redacted]@'],
  [/\b(Bearer\s+)[^\s"']+/gi, '$1[redacted]'],
  [/[^\s@"'<>(),;:[\]]+@[^\s@"'<>(),;:[\]]+\.[A-Za-z]{2,}/g, '[email]'],
  [/(?<![\d.])(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?![\d.])/g, '[phone]'],
];

export function redactString(s: string): string {
  return RULES.reduce((acc, [re, to]) => acc.replace(re, to), s);
}

/** A copy of `value` with sensitive fields replaced and every string scrubbed; depth-limited, cycle-safe. */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value instanceof Error) return redactString(value.stack ?? `${value.name}: ${value.message}`);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 6 || seen.has(value)) return '[…]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1, seen));
  if (value instanceof Date) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SENSITIVE_KEY.test(k) && v != null ? '[redacted]' : redact(v, depth + 1, seen)]));
}
