// `npm start`: runs src/main.ts from a JavaScript bundle instead of compiling TypeScript at every start (issue 18).
// The bundle is made with esbuild (installed with tsx) when a source file changed since the last one: a first start
// after `npm install` or an update prints that it is preparing, a restart only checks the files' times and sizes.
// It is imported into this very process, so `exec node scripts/start.mjs` keeps SIGTERM reaching the service.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = ['src', 'cards'];

/** Paths, times and sizes of every source file (and the settings that shape the output): changes when any does. */
function fingerprint() {
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|tsx|json)$/.test(e.name)) {
        const s = statSync(p);
        hash.update(`${p}\0${s.mtimeMs}\0${s.size}\n`);
      }
    }
  };
  for (const d of SOURCES) walk(join(root, d));
  for (const f of ['tsconfig.json', 'package.json', 'scripts/start.mjs']) hash.update(`${f}\0${statSync(join(root, f)).mtimeMs}\n`);
  return hash.digest('hex').slice(0, 12);
}

// Two levels below the project root, like src/<dir>/: the modules that find files next to them through
// import.meta.url (migrations, the PGlite template, card templates) resolve the same paths from the bundle.
const cache = join(root, 'node_modules');
const id = fingerprint();
const out = join(cache, `.loopdesk-${id}`);
if (!existsSync(join(out, 'main.js'))) {
  process.stderr.write('loopdesk: 正在准备运行文件（源代码有变化时一次，约几秒）…\n');
  const { build } = await import('esbuild');
  const tmp = `${out}.${process.pid}.partial`;
  mkdirSync(cache, { recursive: true });
  await build({
    entryPoints: { main: join(root, 'src/main.ts') },
    bundle: true,
    // Channel SDKs stay behind their dynamic import (channels/load.ts): loaded only when configured.
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outdir: tmp,
    sourcemap: 'linked',
    logLevel: 'error',
    // A package's JSON data (chinese-days' calendar) is read into the bundle: Node would want an import attribute.
    plugins: [
      {
        name: 'package-json-data',
        setup: (b) => b.onResolve({ filter: /^[^./].*\.json$/ }, (a) => ({ path: createRequire(a.importer).resolve(a.path) })),
      },
    ],
  });
  try {
    renameSync(tmp, out);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another start built the same sources meanwhile
  }
  // Bundles of older sources, after a week: a service still running from one imports parts of it later (the audit
  // pack, reports), so a fresh build must not pull it away.
  const weekAgo = Date.now() - 7 * 86_400_000;
  for (const e of readdirSync(cache)) {
    const p = join(cache, e);
    if (e.startsWith('.loopdesk-') && e !== `.loopdesk-${id}` && statSync(p).mtimeMs < weekAgo) rmSync(p, { recursive: true, force: true });
  }
  writeFileSync(join(out, 'built-from.txt'), `${SOURCES.join(', ')} of ${root}\n`);
}
// Stack traces name the TypeScript lines.
process.setSourceMapsEnabled(true);
await import(pathToFileURL(join(out, 'main.js')).href);
