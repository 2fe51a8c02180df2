/**
 * Start-up (issue 18, point 4): the real `npm start` on an empty DATA_DIR, from the template `npm install` prepared
 * and, as the baseline in the same run, with initdb and every migration (the template moved aside for that run);
 * then a restart on the existing directory. Time to the "ready" log line; peak RSS summed over the process tree
 * (npm, sh, tsx and the service: an upper bound, each process's own peak), idle RSS after 2 s.
 * Targets: first start < 3 s and < 500 MB peak; restart < 1.5 s.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { templatePath } from '../src/db/pglite-template.ts';
import { table } from './lib.ts';

const root = join(import.meta.dirname, '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

function tree(pid: number): number[] {
  const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return [pid, ...kids.flatMap(tree)];
}
const status = (pid: number, field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

function start(dataDir: string, cmd: string[] = ['npm', 'start', '--silent']): Promise<{ ms: number; peakMb: number; idleMb: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd[0], cmd.slice(1), {
      cwd: root,
      env: { ...process.env, DATA_DIR: dataDir, PORT: '0', DATABASE_URL: '', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (!out.includes('"msg":"ready"')) return;
      out = '';
      const ms = performance.now() - t0;
      setTimeout(() => {
        const pids = tree(child.pid!);
        const peakMb = pids.reduce((s, p) => s + status(p, 'VmHWM'), 0);
        const idleMb = pids.reduce((s, p) => s + status(p, 'VmRSS'), 0);
        child.kill('SIGTERM');
        for (const p of pids)
          try {
            process.kill(p, 'SIGTERM');
          } catch {} // whichever start command is in use
        child.once('exit', () => setTimeout(() => resolve({ ms, peakMb, idleMb }), 500));
      }, 2000);
    });
    child.once('error', reject);
  });
}

const template = templatePath();
if (!existsSync(template)) throw new Error(`no template at ${template}: run npm install first`);
const rows: Array<Record<string, string | number>> = [];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
type Run = Awaited<ReturnType<typeof start>>;
const runs = { template: [] as Run[], initdb: [] as Run[], restart: [] as Run[], tsx: [] as Run[], rebuild: [] as Run[] };
// `npm start` runs a bundle of src/ made when a source changed (scripts/start.mjs): one start after a change (the
// bundle made anew, here by touching main.ts), which also leaves the bundle ready for the rounds.
const touch = () => {
  const f = join(root, 'src/main.ts');
  const now = new Date();
  utimesSync(f, now, now);
};
{
  touch();
  const d = mkdtempSync(join(tmpdir(), 'loopdesk-bench-rebuild-'));
  runs.rebuild.push(await start(d));
  rmSync(d, { recursive: true, force: true });
}
for (let i = 0; i < ROUNDS; i++) {
  // Alternate the two first starts so that a busy moment on the machine hits both alike.
  const a = mkdtempSync(join(tmpdir(), 'loopdesk-bench-first-'));
  runs.template.push(await start(a));
  runs.restart.push(await start(a));
  // Baseline in the same run: the former start command, compiling the TypeScript through tsx at every start.
  runs.tsx.push(await start(a, [process.execPath, '--import', 'tsx', 'src/main.ts']));
  rmSync(a, { recursive: true, force: true });
  const b = mkdtempSync(join(tmpdir(), 'loopdesk-bench-initdb-'));
  renameSync(template, `${template}.aside`);
  try {
    runs.initdb.push(await start(b));
  } finally {
    renameSync(`${template}.aside`, template);
    rmSync(b, { recursive: true, force: true });
  }
}
const row = (name: string, r: typeof runs.template, target: string) => ({
  start: name,
  'ready ms (median)': Math.round(median(r.map((x) => x.ms))),
  'peak RSS MB': Math.round(median(r.map((x) => x.peakMb))),
  'idle RSS MB': Math.round(median(r.map((x) => x.idleMb))),
  target,
});
rows.push(row('first start, template (npm install made it)', runs.template, '< 3000 ms, < 500 MB peak'));
rows.push(row('first start, initdb + migrations (baseline)', runs.initdb, '—'));
rows.push(row('restart on the existing DATA_DIR', runs.restart, '< 1500 ms, idle < 400 MB'));
rows.push(row('restart, TypeScript compiled at start (tsx, the former npm start)', runs.tsx, '— (baseline)'));
rows.push(row('first start after a source change (bundle made, 1 run)', runs.rebuild, '—'));
table(`npm start on PGlite, ${ROUNDS} rounds, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`, rows);
const ratio = median(runs.template.map((x) => x.ms)) / median(runs.initdb.map((x) => x.ms));
console.log(`restart from the bundle ÷ through tsx: ${(median(runs.restart.map((x) => x.ms)) / median(runs.tsx.map((x) => x.ms))).toFixed(2)} of the time`);
console.log(
  `first start from the template ÷ with initdb: ${ratio.toFixed(2)} of the time, ${(median(runs.template.map((x) => x.peakMb)) / median(runs.initdb.map((x) => x.peakMb))).toFixed(2)} of the peak memory`,
);
