/**
 * `loopdesk demo` (issue 14): six months at ~30 tickets a working day, on a fresh PGlite data directory, as the
 * command runs it. Target: under a minute. Printed beside a baseline measured in the same run: the desk's own
 * intake use case on the same kind of database, per call, so the ratio says how much the demo adds per step.
 * BENCH_DEMO_DAYS (183) and BENCH_DEMO_PER_DAY (30) change the size.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../src/config.ts';
import { createCalendar } from '../src/core/calendar.ts';
import { fixedClock } from '../src/core/clock.ts';
import { openDatabase } from '../src/db/node.ts';
import { createDesk } from '../src/desk/index.ts';
import { generateDemo } from '../src/demo/run.ts';
import { silentLogger } from '../src/log.ts';
import { table } from './lib.ts';

const DAYS = Number(process.env.BENCH_DEMO_DAYS ?? 183);
const PER_DAY = Number(process.env.BENCH_DEMO_PER_DAY ?? 30);
const config = parseConfig({});
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function baseline(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'loopdesk-bench-demo-base-'));
  const database = await openDatabase({ dataDir: dir });
  const clock = fixedClock('2026-03-02T02:00:00Z');
  const desk = createDesk({ database, config, calendar: createCalendar(config.calendar), clock, log: silentLogger, agentSurfaces: [], wake: () => {} });
  const n = 300;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    clock.advance(1);
    await desk.intake({ channel: 'web', dedupeKey: `b${i}`, customer: { externalId: `c${i}` }, replyTo: {}, text: `第 ${i} 条：页面打不开，提示报错 ${i}` });
  }
  const perCall = (performance.now() - t0) / n;
  await database.close();
  rmSync(dir, { recursive: true, force: true });
  return perCall;
}

/**
 * Is it the disk? The same short history on a data directory and in memory (no file system at all), CPU of each:
 * a ratio near 1 says the cost is the statements, not durability.
 */
async function diskVersusMemory(days: number): Promise<{ disk: number; memory: number; steps: number }> {
  const run = async (memory: boolean) => {
    const d = mkdtempSync(join(tmpdir(), 'loopdesk-bench-demo-cmp-'));
    const db = await openDatabase(memory ? { memory: true } : { dataDir: d });
    const c = cpu();
    const s = await generateDemo(db, config, { endAt: new Date(), days, perWorkingDay: PER_DAY });
    const used = cpu() - c;
    await db.close();
    rmSync(d, { recursive: true, force: true });
    return { used, steps: s.steps };
  };
  const disk = await run(false);
  const memory = await run(true);
  return { disk: disk.used, memory: memory.used, steps: disk.steps };
}

const base = await baseline();
const cmp = await diskVersusMemory(Number(process.env.BENCH_DEMO_COMPARE_DAYS ?? 10));
const dir = mkdtempSync(join(tmpdir(), 'loopdesk-bench-demo-'));
const w0 = performance.now();
const c0 = cpu();
const database = await openDatabase({ dataDir: dir });
const opened = performance.now() - w0;
const summary = await generateDemo(database, config, { endAt: new Date(), days: DAYS, perWorkingDay: PER_DAY });
await database.close();
const wall = performance.now() - w0;
const cpuMs = cpu() - c0;
rmSync(dir, { recursive: true, force: true });

table(`loopdesk demo: ${DAYS} days at ~${PER_DAY} tickets a working day (target: under 60 s)`, [
  { measure: 'tickets', value: summary.tickets },
  { measure: 'steps (desk use-case calls)', value: summary.steps },
  { measure: 'SLA sweeps', value: summary.sweeps },
  { measure: 'open + migrate (s)', value: opened / 1000 },
  { measure: 'total wall (s)', value: wall / 1000 },
  { measure: 'total CPU of this process (s)', value: cpuMs / 1000 },
  { measure: 'wall per step (ms)', value: summary.elapsedMs / summary.steps },
  { measure: 'baseline: one intake call (ms)', value: base },
  { measure: 'ratio step / intake call', value: summary.elapsedMs / summary.steps / base },
  { measure: 'refused steps', value: summary.refused.length },
  { measure: `same ${cmp.steps} steps: CPU on a data dir (s)`, value: cmp.disk / 1000 },
  { measure: `same ${cmp.steps} steps: CPU in memory (s)`, value: cmp.memory / 1000 },
  { measure: 'ratio data dir / memory', value: cmp.disk / cmp.memory },
]);
