/**
 * Holiday years imported with `npx loopdesk calendar import FILE`, kept in the `kv` table so that every instance
 * on one PostgreSQL reads the same calendar. The calendar is built once per process: an import takes effect at
 * the next start (the command says so).
 */
import type { DbOrTx } from '../db/client.ts';
import { SHIPPED_HOLIDAYS, withImportedYears, type HolidayData, type ImportedYear } from '../core/holidays.ts';
import { kvGet, kvSet } from '../probes/kv.ts';

const KEY = 'calendar:imported';

export async function loadImportedYears(db: DbOrTx): Promise<ImportedYear[]> {
  return (await kvGet<ImportedYear[]>(db, KEY)) ?? [];
}

/** The shipped data plus the imported years: what `createServices({ holidays })` takes. */
export async function loadHolidayData(db: DbOrTx): Promise<HolidayData> {
  return withImportedYears(SHIPPED_HOLIDAYS, await loadImportedYears(db));
}

/** Replaces the stored years present in `years`, keeps the others; importing the same file twice changes nothing. */
export async function saveImportedYears(db: DbOrTx, years: readonly ImportedYear[], now: Date): Promise<ImportedYear[]> {
  const replaced = new Set(years.map((y) => y.year));
  const kept = (await loadImportedYears(db)).filter((y) => !replaced.has(y.year));
  const all = [...kept, ...years].sort((a, b) => a.year - b.year);
  await kvSet(db, KEY, all, now);
  return all;
}
