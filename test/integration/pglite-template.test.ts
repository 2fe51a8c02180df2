import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { queryRows, sql } from '../../src/db/client.ts';
import { migrationsFolder, openDatabase } from '../../src/db/node.ts';
import { readTemplate, templatePath } from '../../src/db/pglite-template.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('first start on an empty DATA_DIR', () => {
  it('loads the template npm install prepared, then has every migration applied', async () => {
    expect(readTemplate(migrationsFolder), `no template at ${templatePath()}: npm install (postinstall) prepares it`).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'loopdesk-first-'));
    dirs.push(dir);
    const progress: string[] = [];
    const database = await openDatabase({ dataDir: dir, onProgress: (m) => progress.push(m) });
    try {
      expect(progress).toEqual([expect.stringContaining('from the template npm install prepared')]);
      const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] };
      const [{ n }] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
      expect(n).toBe(journal.entries.length);
      const [{ tickets }] = await queryRows<{ tickets: number }>(database.db, sql`select count(*)::int as tickets from tickets`);
      expect(tickets).toBe(0);
    } finally {
      await database.close();
    }
    // A restart finds its own data directory and says nothing about creating one.
    const again: string[] = [];
    const reopened = await openDatabase({ dataDir: dir, onProgress: (m) => again.push(m) });
    await reopened.close();
    expect(again).toEqual([]);
  });

  it("ignores a template made from other migrations than the first ones here (another branch's), so the start runs initdb", () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopdesk-template-check-'));
    dirs.push(dir);
    const path = join(dir, 'pglite.tar.gz');
    copyFileSync(templatePath(), path);
    const tags = (JSON.parse(readFileSync(join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as { entries: Array<{ tag: string }> }).entries.map(
      (e) => e.tag,
    );
    writeFileSync(`${path}.json`, JSON.stringify({ migrations: tags.slice(0, 2) }));
    expect(readTemplate(migrationsFolder, path), 'an older template: the migrator adds the rest').toBeDefined();
    writeFileSync(`${path}.json`, JSON.stringify({ migrations: [...tags.slice(0, 2), '0002_from_another_branch'] }));
    expect(readTemplate(migrationsFolder, path)).toBeUndefined();
    writeFileSync(`${path}.json`, JSON.stringify({ migrations: [...tags, '9999_newer_than_this_checkout'] }));
    expect(readTemplate(migrationsFolder, path)).toBeUndefined();
    rmSync(`${path}.json`);
    expect(readTemplate(migrationsFolder, path), 'no list: made by an older Loopdesk, not trusted').toBeUndefined();
  });
});
