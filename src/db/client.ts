/**
 * The database seen by the rest of the service: drizzle over PostgreSQL (postgres.js) or PGlite, behind one type.
 * This module is runtime-neutral (Node and Workers); the embedded PGlite, its lock file and the migrator live in
 * `node.ts`.
 */
import { sql, type SQL } from 'drizzle-orm';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import * as schema from './schema/index.ts';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export interface Database {
  kind: 'pglite' | 'postgres';
  db: Db;
  /** PostgreSQL only: the connection URL. */
  url?: string;
  /** Subscribe to cross-instance wake-ups (LISTEN on PostgreSQL; in-process on PGlite, which is one process). */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Rows of a raw `db.execute`, whatever the driver (PGlite answers `{rows}`, postgres-js an array). */
export async function queryRows<T>(db: DbOrTx, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows?: T[] } | T[];
  return Array.isArray(result) ? result : (result.rows ?? []);
}

/**
 * A timestamp parameter for raw `sql` templates. drizzle's postgres-js driver does not serialise Date parameters
 * in raw SQL (PGlite does), so pass ISO text with an explicit cast: the same on both drivers.
 */
export const sqlTime = (d: Date) => sql`${d.toISOString()}::timestamptz`;

export function openPostgres(url: string, onNotice?: (message: string) => void, max = 10): Database {
  const client = postgres(url, { max, onnotice: (n) => onNotice?.(String(n.message)), connection: { application_name: 'loopdesk' } });
  const db = drizzlePostgres(client, { schema }) as unknown as Db;
  return {
    kind: 'postgres',
    db,
    url,
    async listen(channel, onNotify) {
      const sub = await client.listen(channel, () => onNotify());
      return () => sub.unlisten();
    },
    close: () => client.end({ timeout: 5 }),
  };
}

export { sql, schema };
