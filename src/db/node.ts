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

/**
 * PGlite has no lock of its own; two processes on one data directory corrupt it, so hold a lock file naming the
 * process by pid *and* start time: after a crash and a reboot (containers restart at pid 1), the pid in a stale
 * lock may belong to another live process, which must not keep the directory locked forever.
 */
function lockDataDir(dir: string): () => void {
  const lockPath = join(dir, 'loopdesk.lock');
  const me: LockOwner = { pid: process.pid, started: processStartTime(process.pid) };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = readLockOwner(lockPath);
      if (owner && owner.pid !== process.pid && isAlive(owner)) {
        throw new DataDirLockedError(
          `DATA_DIR ${dir} is in use by process ${owner.pid}. The embedded database serves one process; stop the other one, or set DATABASE_URL to share PostgreSQL between instances.`,
        );
      }
      rmSync(lockPath, { force: true }); // stale lock from a crashed process
    }
  }
  throw new DataDirLockedError(`could not lock DATA_DIR ${dir}`);
}

interface LockOwner {
  pid: number;
  /** Clock ticks since boot when the process started (Linux /proc); null where unknown. */
  started: string | null;
}

/** `{"pid":…,"started":…}`, or a bare pid (lock files written before the start time was kept). */
function readLockOwner(path: string): LockOwner | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
  if (/^\d+$/.test(text)) return { pid: Number(text), started: null };
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    return typeof v.pid === 'number' ? { pid: v.pid, started: typeof v.started === 'string' ? v.started : null } : null;
  } catch {
    return null;
  }
}

/** Field 22 of /proc/<pid>/stat (after the command name, which may hold spaces and parentheses). */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** The lock's process still runs: its pid is alive and, where we can tell, it started when the lock says. */
function isAlive(owner: LockOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!owner.started) return true;
  const now = processStartTime(owner.pid);
  return now === null || now === owner.started;
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
