import { existsSync } from 'node:fs';

/** Debian's Chromium, driven by playwright-core (which never downloads a browser of its own). */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser tests of `suite` can run: outside CI they skip with a message; CI must run them. */
export function chromiumPresent(suite: string): boolean {
  const present = existsSync(CHROMIUM);
  if (!present && process.env.CI) throw new Error(`${CHROMIUM} is missing: run scripts/ci-chromium.sh before the tests (CI must run the browser tests)`);
  if (!present) console.warn(`[${suite}] skipped: ${CHROMIUM} not found (install with: bash scripts/ci-chromium.sh)`);
  return present;
}
