/** JSON-lines logger. Every line is redacted (log-redact.ts): customer data, tokens and query parameters never reach it. */
import { redact, redactString } from './log-redact.ts';

export type Level = 'debug' | 'info' | 'warn' | 'error';
export type Logger = Record<Level, (msg: string, fields?: Record<string, unknown>) => void> & { child(fields: Record<string, unknown>): Logger };

const ORDER: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export function createLogger(
  level: Level | 'silent' = 'info',
  base: Record<string, unknown> = {},
  write: (line: string) => void = (l) => process.stdout.write(l + '\n'),
): Logger {
  const make = (lvl: Level) => (msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < ORDER[level]) return;
    write(
      JSON.stringify({ time: new Date().toISOString(), level: lvl, msg: redactString(msg), ...(redact({ ...base, ...fields }) as Record<string, unknown>) }),
    );
  };
  return { debug: make('debug'), info: make('info'), warn: make('warn'), error: make('error'), child: (f) => createLogger(level, { ...base, ...f }, write) };
}

export const silentLogger = createLogger('silent');
