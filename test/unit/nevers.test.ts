import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The nevers of DESIGN.md are checked by dependency-cruiser (`npm run lint`, .dependency-cruiser.cjs). This runs the
 * real configuration on a small tree in which every door is broken once, beside imports that are allowed, and
 * checks that exactly the broken ones are reported.
 */
const repo = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'loopdesk-nevers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tree: Record<string, string> = {
  'src/db/client.ts': 'export const db = 1;\n',
  'src/db/schema/index.ts': 'export const tickets = 1;\n',
  'src/probes/kv.ts': "import { db } from '../db/client.ts';\nexport const kvGet = () => db;\n",
  // Broken: the core reaches for storage and for the file system.
  'src/core/pure.ts': "import { db } from '../db/client.ts';\nimport { readFileSync } from 'node:fs';\nexport const pure = () => [db, readFileSync];\n",
  // Allowed: the core uses the core.
  'src/core/ok.ts': "import { pure } from './pure.ts';\nexport const ok = pure;\n",
  // Broken: the desk imports a channel. Allowed: the desk uses the database.
  'src/desk/a.ts': "import { y } from '../channels/feishu/b.ts';\nimport { db } from '../db/client.ts';\nexport const a = [y, db];\n",
  // Broken: a channel touches the database, directly and through the kv helper. Allowed: a channel uses the desk's types.
  'src/channels/feishu/b.ts':
    "import { db } from '../../db/client.ts';\nimport { kvGet } from '../../probes/kv.ts';\nimport type { T } from '../../desk/types.ts';\nexport const y: T = [db, kvGet];\n",
  'src/desk/types.ts': 'export type T = unknown;\n',
  // Broken: the composition root holds SQL.
  'src/services.ts': "import { tickets } from './db/schema/index.ts';\nexport const services = tickets;\n",
  // Broken: a runtime circle. Allowed: a circle of type-only imports (erased at build time).
  'src/jobs/p.ts': "import { q } from './q.ts';\nexport const p = () => q;\n",
  'src/jobs/q.ts': "import { p } from './p.ts';\nexport const q = () => p;\n",
  'src/jobs/t1.ts': "import type { T2 } from './t2.ts';\nexport type T1 = { next?: T2 };\nexport const t1 = 1;\n",
  'src/jobs/t2.ts': "import type { T1 } from './t1.ts';\nexport type T2 = { next?: T1 };\nexport const t2 = 2;\n",
};

describe('the nevers, checked by dependency-cruiser', () => {
  it('reports exactly the broken doors of a fixture tree', async () => {
    for (const [path, text] of Object.entries(tree)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', allowImportingTsExtensions: true } }),
    );
    symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
    const bin = join(repo, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
    const run = await promisify(execFile)(process.execPath, [bin, 'src', '--config', join(repo, '.dependency-cruiser.cjs'), '--output-type', 'json'], {
      cwd: dir,
    }).catch(
      // depcruise exits non-zero when it finds violations; its report is on stdout all the same.
      (e: { stdout: string }) => e,
    );
    const report = JSON.parse(run.stdout) as { summary: { violations: Array<{ rule: { name: string }; from: string; to: string }> } };
    const found = report.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
    expect(found).toEqual(
      [
        'channels-never-touch-the-database: src/channels/feishu/b.ts → src/db/client.ts',
        'channels-never-touch-the-database: src/channels/feishu/b.ts → src/probes/kv.ts',
        'composition-root-holds-no-sql: src/services.ts → src/db/schema/index.ts',
        'core-is-pure: src/core/pure.ts → src/db/client.ts',
        'core-no-node-io: src/core/pure.ts → fs',
        'desk-imports-no-channel: src/desk/a.ts → src/channels/feishu/b.ts',
        // A circle is reported once, at the first module of it.
        'no-circular: src/jobs/p.ts → src/jobs/q.ts',
      ].sort(),
    );
  });
});
