// Prints the Worker bundle's size after `wrangler deploy --dry-run --outdir dist` (npm run build:worker), against
// Cloudflare's limits on the compressed upload: 3 MiB on the Free plan, 10 MiB on Paid.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const file = process.argv[2] ?? 'dist/worker.js';
const raw = readFileSync(file);
const gzip = gzipSync(raw, { level: 9 }).length;
const mib = (n) => `${(n / 1024 / 1024).toFixed(2)} MiB`;
console.log(`worker bundle ${file}: ${mib(raw.length)} raw, ${mib(gzip)} gzip (limits on gzip: Free 3 MiB, Paid 10 MiB)`);
if (gzip > 10 * 1024 * 1024) {
  console.error('worker bundle is over the 10 MiB limit');
  process.exit(1);
}
