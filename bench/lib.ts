/** Small helpers shared by the benchmark scripts: percentiles, a printed table, load generators, a database of each kind. */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import type { Database } from '../src/db/client.ts';
import { openDatabase } from '../src/db/node.ts';

export type BenchDbKind = 'pglite' | 'postgres';
export const PG_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Both kinds, or the one BENCH_DB names. */
export const benchKinds = (): BenchDbKind[] => (process.env.BENCH_DB ? [process.env.BENCH_DB as BenchDbKind] : ['pglite', 'postgres']);

/** PGlite on disk in a scratch directory, or a fresh PostgreSQL database `name`; drop() removes it. */
export async function openBenchDb(kind: BenchDbKind, name: string): Promise<{ database: Database; drop(): Promise<void> }> {
  if (kind === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'loopdesk-bench-'));
    const database = await openDatabase({ dataDir: dir });
    return { database, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const admin = postgres(PG_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString() });
  return {
    database,
    async drop() {
      const a = postgres(PG_URL, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

/** Open loop: one call every 1/rate s for `seconds`, whatever the answers do (queueing shows in p99). */
export async function openLoop(rate: number, seconds: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < rate * seconds; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t0 = performance.now();
    pending.push(fn(i).then(() => void latencies.push(performance.now() - t0)));
  }
  await Promise.all(pending);
  return latencies;
}

/** The machine's load averages (1, 5, 15 min), printed under every table: the machine is shared. */
export const loadNote = () =>
  `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ')}`;
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summarize(latencies: number[]) {
  const s = [...latencies].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), n: s.length };
}

export function table(title: string, rows: Array<Record<string, string | number>>): void {
  const cols = Object.keys(rows[0] ?? {});
  const fmt = (v: string | number) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1)) : v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => fmt(r[c]).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(`\n${title}\n${line(cols)}\n${line(widths.map((w) => '-'.repeat(w)))}\n${rows.map((r) => line(cols.map((c) => fmt(r[c])))).join('\n')}`);
}

/** Runs `fn` `total` times with `concurrency` in flight; returns per-call latencies (ms) and the elapsed time. */
export async function load(total: number, concurrency: number, fn: (i: number) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await fn(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  return { latencies, seconds, rate: total / seconds };
}
