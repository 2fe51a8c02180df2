/**
 * Foundation benchmark (issue 2):
 * 1. web intake beside a bare INSERT per request through the same driver and the same HTTP layer (target ≥ 0.40);
 * 2. time from an accepted intake to the outbox handing the agents' card row to the channel sender
 *    (target p50 < 50 ms, p99 < 250 ms at the sustained intake rate);
 * (start-up is measured in bench/startup.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import postgres from 'postgres';
import { parseConfig, parseEnv } from '../src/config.ts';
import { queryRows, sql, type Database } from '../src/db/client.ts';
import { openDatabase } from '../src/db/node.ts';
import { createApp } from '../src/http/app.ts';
import { createWebChannel } from '../src/channels/web/index.tsx';
import { silentLogger } from '../src/log.ts';
import { createServices, type Channel } from '../src/services.ts';
import { load, summarize, table } from './lib.ts';

const N = Number(process.env.BENCH_N ?? 2000);
const CONCURRENCY = 16;
const PG = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function openBenchDb(kind: 'pglite' | 'postgres'): Promise<{ database: Database; drop(): Promise<void> }> {
  if (kind === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'loopdesk-bench-'));
    const database = await openDatabase({ dataDir: dir });
    return { database, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const admin = postgres(PG, { max: 1, onnotice: () => {} });
  await admin.unsafe('drop database if exists loopdesk_bench_intake with (force)');
  await admin.unsafe('create database loopdesk_bench_intake');
  await admin.end();
  const url = new URL(PG);
  url.pathname = '/loopdesk_bench_intake';
  const database = await openDatabase({ databaseUrl: url.toString() });
  return {
    database,
    async drop() {
      const a = postgres(PG, { max: 1, onnotice: () => {} });
      await a.unsafe('drop database if exists loopdesk_bench_intake with (force)');
      await a.end();
    },
  };
}

const post = (app: { request: Hono['request'] }, path: string, body: string) => app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
const payload = (i: number) => JSON.stringify({ contact: `138${String(i).padStart(8, '0')}`, content: `第 ${i} 条反馈：页面加载很慢，希望尽快处理` });

async function benchKind(kind: 'pglite' | 'postgres') {
  const { database, drop } = await openBenchDb(kind);
  const handedAt = new Map<number, number>();
  // Records when the worker hands the agents' card row over: how fast a customer's message reaches the agents.
  const recorder = (): Channel => ({ name: 'rec', agentSurface: true, sender: { name: 'rec', deliver: async (row) => void handedAt.set(row.ticketId!, performance.now()) } });
  const services = createServices({
    env: parseEnv({ LOG_LEVEL: 'silent' }),
    // Burst grouping off: these near-identical posts would share one incident card, and this measures each ticket's.
    config: parseConfig({ web: { rateLimitPerMinute: 1_000_000, maxContentLength: 5000 }, triage: { bursts: { enabled: false } } }),
    database,
    log: silentLogger,
    channels: [createWebChannel, recorder],
  });
  await services.start();
  const app = createApp(services);

  await database.db.execute(sql`create table bench_bare (id bigserial primary key, body text not null, created_at timestamptz not null default now())`);
  const bare = new Hono();
  bare.post('/bare', async (c) => {
    const body = (await c.req.json()) as { content: string };
    await database.db.execute(sql`insert into bench_bare (body) values (${body.content})`);
    return c.json({ ok: true }, 201);
  });

  await load(100, 4, async (i) => void (await post(bare, '/bare', payload(i))));
  await load(100, 4, async (i) => void (await post(app, '/api/feedback', payload(1e6 + i))));

  const base = await load(N, CONCURRENCY, async (i) => {
    const r = await post(bare, '/bare', payload(i));
    if (r.status !== 201) throw new Error(`bare ${r.status}`);
  });
  const acceptedAt = new Map<string, number>();
  const intake = await load(N, CONCURRENCY, async (i) => {
    const r = await post(app, '/api/feedback', payload(2e6 + i));
    if (r.status !== 201) throw new Error(`intake ${r.status}: ${await r.text()}`);
    acceptedAt.set(((await r.json()) as { ticket: string }).ticket, performance.now());
  });
  const deadline = Date.now() + 60_000;
  while (handedAt.size < N + 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const ids = await queryRows<{ id: number; code: string }>(database.db, sql`select id, code from tickets`);
  const handoff = ids.filter((r) => acceptedAt.has(r.code) && handedAt.has(Number(r.id))).map((r) => Math.max(0, handedAt.get(Number(r.id))! - acceptedAt.get(r.code)!));
  await services.stop();
  await database.close();
  await drop();
  return { base, intake, handoff };
}

async function main() {
  const rows: Array<Record<string, string | number>> = [];
  const handoffRows: Array<Record<string, string | number>> = [];
  for (const kind of (process.env.BENCH_DB ? [process.env.BENCH_DB] : ['pglite', 'postgres']) as Array<'pglite' | 'postgres'>) {
    const r = await benchKind(kind);
    const s = summarize(r.intake.latencies);
    const b = summarize(r.base.latencies);
    const h = summarize(r.handoff);
    rows.push({ driver: kind, 'bare INSERT req/s': Math.round(r.base.rate), 'intake req/s': Math.round(r.intake.rate), 'intake ÷ bare': r.intake.rate / r.base.rate, target: '≥ 0.40', 'bare p50/p99 ms': `${b.p50.toFixed(1)} / ${b.p99.toFixed(1)}`, 'intake p50/p99 ms': `${s.p50.toFixed(1)} / ${s.p99.toFixed(1)}` });
    handoffRows.push({ driver: kind, rows: h.n, 'p50 ms': h.p50, 'p99 ms': h.p99, target: 'p50 < 50, p99 < 250' });
  }
  table(`Web intake beside a bare INSERT through the same driver (${N} requests, ${CONCURRENCY} in flight)`, rows);
  table('Accepted intake → agents-card row handed to the channel sender (at the sustained intake rate)', handoffRows);
}

await main();
