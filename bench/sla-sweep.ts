/**
 * The SLA sweep at scale: one sweep that fires 1,000 due timers (500 breaches + 500 assignee pings), with 100k and
 * with 1M tickets in the database (10% open), on PostgreSQL; and the same sweep on PGlite at 100k. The sweep must
 * not grow with the table: the claim walks the partial index of pending timers, the rest works on the claimed
 * tickets only. Each size runs two warm-up rounds, then five measured rounds on fresh tickets, alternating
 * between the 100k and the 1M database so that a busy machine slows both alike (median shown).
 *
 *   npx tsx bench/sla-sweep.ts            # PostgreSQL from BENCH_DATABASE_URL / TEST_DATABASE_URL / local default
 *
 * Uses its own databases (loopdesk_bench_sla, loopdesk_bench_sla_100k), dropped at the end.
 */
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { parseConfig } from '../src/config.ts';
import { createCalendar } from '../src/core/calendar.ts';
import { fixedClock } from '../src/core/clock.ts';
import { queryRows, type Database } from '../src/db/client.ts';
import { openDatabase } from '../src/db/node.ts';
import type { DeskDeps } from '../src/desk/deps.ts';
import { sweepDueTimers, type SweepResult } from '../src/jobs/sweep.ts';
import { silentLogger } from '../src/log.ts';

const BASE_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = 'loopdesk_bench_sla';
const NOW = new Date('2026-03-02T02:00:00Z'); // Monday 10:00 in Shanghai: business time, no deferral
const DUE = new Date(NOW.getTime() - 60_000);
const OPEN_EVERY = 10; // 10% of tickets open
const AGENTS = 20;
const DUE_TICKETS = 500; // × 2 timers = 1,000 due timers per sweep
const CHUNK = 100_000;
const POLICY = JSON.stringify({
  category: 'bug',
  clock: 'business',
  firstResponseMinutes: 120,
  resolutionMinutes: 1440,
  nextResponseMinutes: null,
  dueSoonRatio: 0.75,
  calendarVersion: 'bench',
  timeZone: 'Asia/Shanghai',
});

const iso = (d: Date) => `'${d.toISOString()}'::timestamptz`;
const exec = (database: Database, text: string) => database.db.execute(sql.raw(text));

async function seed(database: Database, from: number, to: number): Promise<void> {
  await exec(database, `insert into customers (channel, external_id) select 'web', 'bench-' || g from generate_series(1, 1000) g on conflict do nothing`);
  await exec(
    database,
    `insert into agents (platform, user_id, name) select 'feishu', 'ou_bench_' || g, '客服' || g from generate_series(1, ${AGENTS}) g on conflict do nothing`,
  );
  const [{ c0, a0 }] = await queryRows<{ c0: number; a0: number }>(
    database.db,
    sql.raw(`select (select min(id) from customers) as c0, (select min(id) from agents) as a0`),
  );
  for (let a = from; a <= to; a += CHUNK) {
    const b = Math.min(to, a + CHUNK - 1);
    const open = `g % ${OPEN_EVERY} = 0`;
    const created = `(${iso(NOW)} - make_interval(mins => 60 + (g % 260000)))`;
    await exec(
      database,
      `insert into tickets (id, code, channel, customer_id, reply_to, subject, category, status, assignee_id, access_token, created_at, claimed_at,
         first_response_due_at, resolution_due_at, first_response_at, resolved_at, closed_at, close_reason, survey_sent_at, csat_score, sla_policy, updated_at)
       select g, 'FB-B-' || g, 'web', ${c0} + (g % 1000), '{}'::jsonb, '压测工单 ' || g, 'bug',
         case when ${open} then 'claimed' else 'closed' end, ${a0} + ((g / ${OPEN_EVERY}) % ${AGENTS}), md5(g::text), ${created}, ${created},
         ${created} + interval '2 hours', ${created} + interval '3 days',
         case when ${open} then null else ${created} + interval '30 minutes' end,
         case when ${open} then null else ${created} + interval '1 day' end,
         case when ${open} then null else ${created} + interval '2 days' end,
         case when ${open} then null else 'satisfied' end,
         case when ${open} then null else ${created} + interval '1 day' end,
         case when ${open} then null else 5 end,
         '${POLICY}'::jsonb, ${created}
       from generate_series(${a}, ${b}) g`,
    );
    // Closed tickets keep their fired and cancelled timers; open ones have five pending timers in the future.
    await exec(
      database,
      `insert into timers (ticket_id, kind, due_at, status, dedupe_key, data, fired_at)
       select g, k.kind,
         case when ${open} then ${iso(NOW)} + make_interval(mins => 5 + (g % 4000) + k.n * 30) else ${created} + make_interval(mins => k.n * 30) end,
         case when ${open} then 'pending' when k.n = 1 then 'fired' else 'cancelled' end,
         'bench:' || g || ':' || k.n, '{"target":"first"}'::jsonb,
         case when ${open} or k.n <> 1 then null else ${created} + interval '2 hours' end
       from generate_series(${a}, ${b}) g
       cross join (values (1, 'sla.breach'), (2, 'sla.due_soon'), (3, 'sla.escalate'), (4, 'sla.escalate'), (5, 'sla.escalate')) as k(n, kind)
       where ${open} or k.n <= 2`,
    );
    await exec(
      database,
      `insert into ticket_events (ticket_id, seq, type, actor, data, at, prev_hash, hash)
       select g, s, case s when 1 then 'created' when 2 then 'acknowledged' else 'claimed' end, 'system', '{}'::jsonb, ${created}, repeat('0', 64), md5(g || ':' || s) || md5(s || ':' || g)
       from generate_series(${a}, ${b}) g cross join generate_series(1, 3) s`,
    );
    await exec(
      database,
      `insert into outbox (idem_key, channel, kind, ticket_id, payload, status, attempts, run_at, created_at, sent_at)
       select 'ack:' || g, 'web', 'customer.text', g, '{}'::jsonb, 'sent', 1, ${created}, ${created}, ${created}
       from generate_series(${a}, ${b}) g`,
    );
  }
  await exec(database, `select setval(pg_get_serial_sequence('tickets', 'id'), (select max(id) from tickets))`);
  await exec(database, `analyze`);
}

/** Makes 500 fresh open tickets due a minute ago, each with a breach and an assignee ping timer: 1,000 due timers. */
async function armDue(database: Database, round: string): Promise<void> {
  await exec(
    database,
    `with pick as (
       select id from tickets where status = 'claimed' and not escalated order by created_at desc, id limit ${DUE_TICKETS} for update)
     update tickets t set escalated = true, first_response_due_at = ${iso(DUE)} from pick where t.id = pick.id`,
  );
  const data = (extra: string) => `jsonb_build_object('target', 'first', 'due', '${DUE.toISOString()}', 'business', true${extra})`;
  await exec(
    database,
    `insert into timers (ticket_id, kind, due_at, dedupe_key, data)
     select t.id, k.kind, ${iso(DUE)}, 'due:${round}:' || t.id || ':' || k.kind, case when k.kind = 'sla.breach' then ${data('')} else ${data(`, 'afterMinutes', 0, 'notify', 'assignee'`)} end
     from tickets t cross join (values ('sla.breach'), ('sla.escalate')) as k(kind)
     where t.escalated and t.first_response_due_at = ${iso(DUE)} and not exists (select 1 from timers x where x.ticket_id = t.id and x.dedupe_key like 'due:%')`,
  );
}

function deps(database: Database): DeskDeps {
  const config = parseConfig({});
  return {
    database,
    config,
    calendar: createCalendar(config.calendar, () => {}),
    clock: fixedClock(NOW),
    log: silentLogger,
    agentSurfaces: ['feishu'],
    wake: () => {},
  };
}

interface Row {
  database: string;
  tickets: number;
  open: number;
  timerRows: number;
  eventRows: number;
  sweepsMs: number[];
  last: SweepResult;
}

interface Subject {
  label: string;
  database: Database;
  tickets: number;
  times: number[];
  last?: SweepResult;
  round: number;
  deps?: DeskDeps;
}

/** One sweep over 1,000 freshly armed due timers. */
async function round(s: Subject, measured: boolean): Promise<void> {
  await armDue(s.database, `${s.label}-${s.tickets}-${s.round++}`);
  const t0 = performance.now();
  const r = await sweepDueTimers((s.deps ??= deps(s.database)), NOW);
  const ms = performance.now() - t0;
  if (r.claimed !== DUE_TICKETS * 2 || r.breaches !== DUE_TICKETS) throw new Error(`unexpected sweep result ${JSON.stringify(r)}`);
  s.last = r;
  if (measured) s.times.push(ms);
}

/**
 * Two warm-up rounds each, then measured rounds alternating between the subjects, so a busy machine slows both
 * sides alike and the ratio stays meaningful.
 */
async function compare(subjects: Subject[], measuredRounds = 5): Promise<Row[]> {
  for (const s of subjects) for (let i = 0; i < 2; i++) await round(s, false);
  for (let i = 0; i < measuredRounds; i++) for (const s of subjects) await round(s, true);
  const rows: Row[] = [];
  for (const s of subjects) {
    const [counts] = await queryRows<{ timers: string; events: string }>(
      s.database.db,
      sql.raw(`select (select count(*) from timers) as timers, (select count(*) from ticket_events) as events`),
    );
    rows.push({
      database: s.label,
      tickets: s.tickets,
      open: s.tickets / OPEN_EVERY,
      timerRows: Number(counts.timers),
      eventRows: Number(counts.events),
      sweepsMs: [...s.times].sort((a, b) => a - b),
      last: s.last!,
    });
  }
  return rows;
}

async function main() {
  const admin = postgres(BASE_URL, { max: 1, onnotice: () => {} });
  const names = { small: `${DB_NAME}_100k`, large: DB_NAME };
  const urlOf = (name: string) => {
    const url = new URL(BASE_URL);
    url.pathname = `/${name}`;
    return url.toString();
  };
  for (const n of Object.values(names)) {
    await admin.unsafe(`drop database if exists ${n} with (force)`);
    await admin.unsafe(`create database ${n}`);
  }
  const rows: Row[] = [];
  const seedSeconds: Record<string, number> = {};
  try {
    const small = await openDatabase({ databaseUrl: urlOf(names.small) });
    const large = await openDatabase({ databaseUrl: urlOf(names.large) });
    try {
      let t0 = performance.now();
      await seed(small, 1, 100_000);
      seedSeconds['postgres 100k'] = (performance.now() - t0) / 1000;
      t0 = performance.now();
      await seed(large, 1, 1_000_000);
      seedSeconds['postgres 1M'] = (performance.now() - t0) / 1000;
      rows.push(
        ...(await compare([
          { label: 'postgres', database: small, tickets: 100_000, times: [], round: 0 },
          { label: 'postgres', database: large, tickets: 1_000_000, times: [], round: 0 },
        ])),
      );
    } finally {
      await small.close();
      await large.close();
    }
    const lite = await openDatabase({ memory: true });
    try {
      const t0 = performance.now();
      await seed(lite, 1, 100_000);
      seedSeconds['pglite 100k'] = (performance.now() - t0) / 1000;
      rows.push(...(await compare([{ label: 'pglite', database: lite, tickets: 100_000, times: [], round: 0 }])));
    } finally {
      await lite.close();
    }
  } finally {
    for (const n of Object.values(names)) await admin.unsafe(`drop database if exists ${n} with (force)`);
    await admin.end();
  }

  const median = (xs: number[]) => xs[Math.floor(xs.length / 2)];
  const base = median(rows[0].sweepsMs);
  console.log(
    `sla-sweep: one sweep firing ${DUE_TICKETS * 2} due timers (${DUE_TICKETS} breaches + ${DUE_TICKETS} assignee pings, ${AGENTS} assignees), one batch (default batch size 1000)`,
  );
  console.table(
    rows.map((r) => ({
      database: r.database,
      tickets: r.tickets.toLocaleString('en'),
      open: r.open.toLocaleString('en'),
      'timer rows': r.timerRows.toLocaleString('en'),
      'event rows': r.eventRows.toLocaleString('en'),
      'sweep ms (median of 5)': median(r.sweepsMs).toFixed(0),
      'min–max ms': `${r.sweepsMs[0].toFixed(0)}–${r.sweepsMs.at(-1)!.toFixed(0)}`,
      'vs postgres 100k': `${(median(r.sweepsMs) / base).toFixed(2)}×`,
      'ping messages': r.last.pings,
    })),
  );
  const ratio = median(rows[1].sweepsMs) / base;
  console.log(`ratio 1M / 100k on PostgreSQL: ${ratio.toFixed(2)} (target ≤ 1.5) · 1M sweep ${median(rows[1].sweepsMs).toFixed(0)} ms (target < 1000 ms)`);
  console.log(
    `seeding (not measured): ${Object.entries(seedSeconds)
      .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
      .join(' · ')}`,
  );
  if (ratio > 1.5 || median(rows[1].sweepsMs) >= 1000) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
