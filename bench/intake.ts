/**
 * Foundation benchmark (issue 2):
 * 1. web intake beside a bare INSERT per request through the same driver and the same HTTP layer (goal ≥ 0.40 on PostgreSQL, ≥ 0.25 on PGlite: one connection);
 * 2. time from an accepted intake to the outbox handing the agents' card row to the channel sender, at saturation
 *    (goal p99 < 1 s) and at a steady 50 messages/s (goal p50 < 50 ms, p99 < 250 ms);
 * (start-up is measured in bench/startup.ts).
 */
import { Hono } from 'hono';
import { parseConfig, parseEnv } from '../src/config.ts';
import { queryRows, sql } from '../src/db/client.ts';
import { createApp } from '../src/http/app.ts';
import { createWebChannel } from '../src/channels/web/index.tsx';
import { silentLogger } from '../src/log.ts';
import { createServices, type Channel } from '../src/services.ts';
import { benchKinds, load, loadNote, openBenchDb, openLoop, summarize, table, type BenchDbKind } from './lib.ts';

const N = Number(process.env.BENCH_N ?? 2000);
const CONCURRENCY = 16;
/** The steady rate of the second handoff figure (issue 18), for STEADY_SECONDS. */
const STEADY_RATE = 50;
const STEADY_SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 10);

const post = (app: { request: Hono['request'] }, path: string, body: string) =>
  app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
const payload = (i: number) => JSON.stringify({ contact: `138${String(i).padStart(8, '0')}`, content: `第 ${i} 条反馈：页面加载很慢，希望尽快处理` });

async function benchKind(kind: BenchDbKind) {
  const { database, drop } = await openBenchDb(kind, 'loopdesk_bench_intake');
  const handedAt = new Map<number, number>();
  // Records when the worker hands the agents' card row over: how fast a customer's message reaches the agents.
  const recorder = (): Channel => ({
    name: 'rec',
    agentSurface: true,
    sender: { name: 'rec', deliver: async (row) => void handedAt.set(row.ticketId!, performance.now()) },
  });
  const services = createServices({
    env: parseEnv({ LOG_LEVEL: 'silent' }),
    // Burst grouping off: these near-identical posts would share one incident card, and this measures each ticket's.
    config: parseConfig({
      web: { rateLimitPerMinute: 1_000_000, maxContentLength: 5000 },
      triage: { bursts: { enabled: false } },
      // Round robin among five agents, none ever full: every ticket takes the rotation's cursor.
      assignment: { mode: 'round_robin', maxOpenPerAgent: 1_000_000, agents: Array.from({ length: 5 }, (_, i) => ({ platform: 'web', userId: `agent${i}` })) },
    }),
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
  const accept = async (i: number) => {
    const r = await post(app, '/api/feedback', payload(i));
    if (r.status !== 201) throw new Error(`intake ${r.status}: ${await r.text()}`);
    acceptedAt.set(((await r.json()) as { ticket: string }).ticket, performance.now());
  };
  const intake = await load(N, CONCURRENCY, (i) => accept(2e6 + i));
  await waitHanded(handedAt, N + 100);
  const saturated = await handoffs(database, acceptedAt, handedAt);
  // The same at a steady 50 messages/s (open loop: a slow answer does not slow the sender down).
  acceptedAt.clear();
  await openLoop(STEADY_RATE, STEADY_SECONDS, (i) => accept(3e6 + i));
  await waitHanded(handedAt, N + 100 + STEADY_RATE * STEADY_SECONDS);
  const steady = await handoffs(database, acceptedAt, handedAt);
  await services.stop();
  await database.close();
  await drop();
  return { base, intake, saturated, steady };
}

async function waitHanded(handedAt: Map<number, number>, n: number) {
  const deadline = Date.now() + 60_000;
  while (handedAt.size < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

/** accepted → handed, per ticket accepted in this phase (ms). */
async function handoffs(database: import('../src/db/client.ts').Database, acceptedAt: Map<string, number>, handedAt: Map<number, number>) {
  const ids = await queryRows<{ id: number; code: string }>(database.db, sql`select id, code from tickets`);
  return ids.filter((r) => acceptedAt.has(r.code) && handedAt.has(Number(r.id))).map((r) => Math.max(0, handedAt.get(Number(r.id))! - acceptedAt.get(r.code)!));
}

async function main() {
  const rows: Array<Record<string, string | number>> = [];
  const handoffRows: Array<Record<string, string | number>> = [];
  for (const kind of benchKinds()) {
    const r = await benchKind(kind);
    const s = summarize(r.intake.latencies);
    const b = summarize(r.base.latencies);
    const ratio = r.intake.rate / r.base.rate;
    const goal = kind === 'pglite' ? 0.25 : 0.4;
    rows.push({
      driver: kind,
      'bare INSERT req/s': Math.round(r.base.rate),
      'intake req/s': Math.round(r.intake.rate),
      'intake ÷ bare': ratio,
      goal: `≥ ${goal.toFixed(2)}`,
      met: ratio >= goal ? 'yes' : 'no',
      'bare p50/p99 ms': `${b.p50.toFixed(1)} / ${b.p99.toFixed(1)}`,
      'intake p50/p99 ms': `${s.p50.toFixed(1)} / ${s.p99.toFixed(1)}`,
    });
    const sat = summarize(r.saturated);
    const st = summarize(r.steady);
    const row = (load: string, h: typeof sat, goal: string, met: boolean) => ({
      driver: kind,
      load,
      rows: h.n,
      'p50 ms': h.p50,
      'p99 ms': h.p99,
      goal,
      met: met ? 'yes' : 'no',
    });
    handoffRows.push(row(`saturation (${CONCURRENCY} in flight)`, sat, 'p99 < 1000', sat.p99 < 1000));
    handoffRows.push(row(`steady ${STEADY_RATE}/s for ${STEADY_SECONDS} s`, st, 'p50 < 50, p99 < 250', st.p50 < 50 && st.p99 < 250));
  }
  table(
    `Web intake beside a bare INSERT through the same driver and HTTP layer (${N} requests, ${CONCURRENCY} in flight; triage, duplicates, ` +
      'assignment on, incident grouping off: these near-identical messages would all join one incident, bench/burst.ts measures that)',
    rows,
  );
  table('Accepted intake → agents-card row handed to the channel sender', handoffRows);
  console.log(loadNote());
}

await main();
