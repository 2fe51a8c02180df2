/** Node-only database parts: the embedded PGlite with its lock file, the migrator, and `openDatabase`. */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { openPostgres, schema, type Database, type Db } from './client.ts';
import { pgliteConf, readTemplate } from './pglite-template.ts';

export const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), '../../migrations');
/** Arbitrary constant shared by every Loopdesk instance: serialises concurrent migrations. */
const MIGRATION_LOCK = 7_404_817_352;

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

/** PGlite has no lock of its own; two processes on one data directory corrupt it, so hold a pid file. */
function lockDataDir(dir: string): () => void {
  const lockPath = join(dir, 'loopdesk.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(lockPath, 'utf8').trim());
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new DataDirLockedError(
          `DATA_DIR ${dir} is in use by process ${pid}. The embedded database serves one process; stop the other one, or set DATABASE_URL to share PostgreSQL between instances.`,
        );
      }
      rmSync(lockPath, { force: true }); // stale lock from a crashed process
    }
  }
  throw new DataDirLockedError(`could not lock DATA_DIR ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface OpenOptions {
  databaseUrl?: string;
  dataDir?: string;
  /** Start PGlite from a dump (tests: a migrated template, much faster than a fresh init). */
  loadDataDir?: Blob;
  /** In-memory PGlite, no lock file (tests, benchmarks). */
  memory?: boolean;
  migrate?: boolean;
  onNotice?: (message: string) => void;
  /** Told what a first start on an empty data directory is doing (it takes seconds, the first time only). */
  onProgress?: (message: string) => void;
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  const database = options.databaseUrl ? openPostgres(options.databaseUrl, options.onNotice) : await openPglite(options);
  if (options.migrate !== false) await migrateDatabase(database);
  return database;
}

async function openPglite(options: OpenOptions): Promise<Database> {
  let unlock = () => {};
  let pg: PGlite;
  if (options.memory) {
    pg = new PGlite({ loadDataDir: options.loadDataDir, postgresqlconf: pgliteConf });
  } else {
    const dir = resolve(options.dataDir ?? './data');
    mkdirSync(dir, { recursive: true });
    unlock = lockDataDir(dir);
    try {
      let loadDataDir = options.loadDataDir;
      if (!loadDataDir && !existsSync(join(dir, 'pglite', 'PG_VERSION'))) {
        loadDataDir = readTemplate(migrationsFolder);
        options.onProgress?.(
          loadDataDir
            ? `creating the embedded database in ${dir} from the template npm install prepared…`
            : `creating the embedded database in ${dir} (no template from npm install: initdb, about 10 s the first time)…`,
        );
      }
      pg = new PGlite(join(dir, 'pglite'), { loadDataDir, postgresqlconf: pgliteConf });
      await pg.waitReady;
    } catch (e) {
      unlock();
      throw e;
    }
  }
  await pg.waitReady;
  const db = drizzlePglite(pg, { schema }) as unknown as Db;
  const listeners = new Map<string, Set<() => void>>();
  return {
    kind: 'pglite',
    db,
    async listen(channel, onNotify) {
      // One process owns a PGlite directory, so an in-process wake-up reaches every listener.
      const unsub = await pg.listen(channel, () => onNotify());
      const set = listeners.get(channel) ?? new Set();
      set.add(onNotify);
      listeners.set(channel, set);
      return async () => {
        set.delete(onNotify);
        await unsub();
      };
    },
    async close() {
      try {
        await pg.close();
      } finally {
        unlock();
      }
    },
  };
}

/** Applies `migrations/` under an advisory lock, so several instances may start at once. */
export async function migrateDatabase(database: Database): Promise<void> {
  if (database.kind === 'pglite') {
    await migratePglite(database.db as never, { migrationsFolder });
    return;
  }
  // One dedicated connection: the advisory lock is per session, and drizzle's migrator needs a full client.
  const client = postgres(database.url!, { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migratePostgres(drizzlePostgres(client), { migrationsFolder });
  } finally {
    await client.end({ timeout: 5 });
  }
}

