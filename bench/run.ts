/** `npm run bench`: every benchmark script in turn (each prints its own table); BENCH=name runs one. */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = import.meta.dirname;
const only = process.env.BENCH;
const scripts = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'lib.ts'].includes(f))
  .filter((f) => !only || f.startsWith(only));
let failed = 0;
for (const f of scripts) {
  console.log(`\n## ${f}`);
  const r = spawnSync(join(dir, '../node_modules/.bin/tsx'), [join(dir, f)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
