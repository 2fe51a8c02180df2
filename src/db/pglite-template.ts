/**
 * A migrated, empty PGlite data directory, made once by `npm install` (postinstall) and loaded by a first start
 * instead of running initdb and every migration: initdb in WebAssembly is the slow, memory-hungry part of a first
 * start (seconds, ~850 MB peak), loading a dump is not (~400 MB peak). A template made before newer migrations is
 * still right: the migrator applies the rest at start. One file per PGlite version, since a data directory belongs
 * to the PostgreSQL build that wrote it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pgliteVersion = (JSON.parse(readFileSync(join(root, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string }).version;

/**
 * PostgreSQL's default 128 MB of shared buffers is sized for a server; one embedded process with the OS page cache
 * behind it does as well with 32 MB, and idles ~100 MB smaller.
 */
export const pgliteConf = ['shared_buffers=32MB'];

/** Where the template lives: node_modules' cache folder, so it goes with the install that made it. */
export function templatePath(): string {
  return join(root, 'node_modules', '.cache', 'loopdesk', `pglite-${pgliteVersion}.tar.gz`);
}

/** The migrations in `migrations/` (their tags, in order), as drizzle's journal lists them. */
function migrationTags(migrationsFolder: string): string[] {
  const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as { entries: Array<{ tag: string }> };
  return journal.entries.map((e) => e.tag);
}

/**
 * The template as PGlite's `loadDataDir` takes it, or undefined when none was made for this PGlite or it was made from
 * migrations that are not the first ones of `migrationsFolder` (another branch's, say): the migrator could not finish
 * such a database, so a first start then runs initdb instead.
 */
export function readTemplate(migrationsFolder: string, path = templatePath()): Blob | undefined {
  if (!existsSync(path) || !existsSync(`${path}.json`)) return undefined;
  const made = (JSON.parse(readFileSync(`${path}.json`, 'utf8')) as { migrations?: string[] }).migrations ?? [];
  const now = migrationTags(migrationsFolder);
  if (made.length > now.length || made.some((tag, i) => tag !== now[i])) return undefined;
  return new Blob([readFileSync(path)]);
}

/** Runs initdb and the migrations once, in a scratch directory, and writes the dump atomically. */
export async function buildTemplate(migrationsFolder: string): Promise<string> {
  const scratch = mkdtempSync(join(tmpdir(), 'loopdesk-template-'));
  try {
    const pg = new PGlite(join(scratch, 'pglite'), { postgresqlconf: pgliteConf });
    await migrate(drizzle(pg), { migrationsFolder });
    const dump = await pg.dumpDataDir('gzip');
    await pg.close();
    const path = templatePath();
    mkdirSync(dirname(path), { recursive: true });
    const partial = `${path}.${process.pid}.partial`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    writeFileSync(`${partial}.json`, JSON.stringify({ migrations: migrationTags(migrationsFolder) }));
    // The list first, then the dump: never a half-written template, nor one read against the wrong list.
    renameSync(`${partial}.json`, `${path}.json`);
    renameSync(partial, path);
    return path;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
