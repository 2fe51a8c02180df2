/**
 * Ledger and stats at scale: 1,000,000 tickets over 6 months on PostgreSQL (a dedicated database, dropped after).
 *
 *   ceiling   exceljs' streaming writer writing the same number of 台账 rows from generated data (no database)
 *   ledger    the real XLSX ledger (all six sheets) streamed from PostgreSQL with a server-side cursor
 *   csv       the CSV ledger
 *   stats     /stats for one month: cold (daily aggregates rebuilt) and warm (cached days + live open tickets)
 *
 * Each phase runs in its own process so its peak RSS is its own. Targets: ledger ≥ 0.6 × ceiling rows/s, peak RSS
 * < 300 MB, /stats month < 300 ms. Env: BENCH_DATABASE_URL (default TEST_DATABASE_URL, then the local
 * postgres), BENCH_TICKETS (default 1,000,000).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import postgres from 'postgres';
import { parseConfig } from '../src/config.ts';
import { createCalendar } from '../src/core/calendar.ts';
import { openPostgres } from '../src/db/client.ts';
import { LEDGER_SHEET_COLUMNS, sheetBackpressure, writeLedgerCsv, writeLedgerXlsx } from '../src/reports/ledger.ts';
import { rangeOfDays } from '../src/reports/range.ts';
import { computeStats } from '../src/reports/stats.ts';
import { statsReply } from '../src/reports/commands.ts';
import { wallClock } from '../src/reports/format.ts';
import { table } from './lib.ts';

const N = Number(process.env.BENCH_TICKETS ?? 1_000_000);
const BASE = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const FROM_DAY = '2025-09-01';
const TO_DAY = '2026-02-28';
const NOW = new Date('2026-03-02T09:00:00+08:00');
const STATS_MONTH = '2026-01';
const MB = 1024 * 1024;
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

const config = parseConfig({});
const calendar = createCalendar(config.calendar, () => {});

interface PhaseResult {
  ms: number;
  /** CPU time of the phase's process (user + system): steadier than wall time on a busy machine. */
  cpuMs?: number;
  rows?: number;
  bytes?: number;
  maxRssMb: number;
  /** RSS when the phase starts (modules loaded, database open): the part that does not depend on the export. */
  baseRssMb?: number;
  extra?: Record<string, number>;
}

// ── child phases ─────────────────────────────────────────────────────────────────────────────────────────────

/** The same workbook shape from generated rows: 台账 (N rows) and 回访记录 (M rows), same columns and styles. */
async function childCeiling(out: string, rows: number, surveys: number): Promise<PhaseResult> {
  const baseRssMb = process.memoryUsage().rss / MB;
  const wall = wallClock(calendar.timeZone);
  const started = performance.now();
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: out, useStyles: true, useSharedStrings: false });
  const ws = wb.addWorksheet('台账', { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = LEDGER_SHEET_COLUMNS.map((c) => ({
    width: c.width,
    style: c.kind === 'date' ? { numFmt: 'yyyy-mm-dd hh:mm:ss' } : c.kind === 'minutes' ? { numFmt: '0.0' } : c.kind === 'int' ? { numFmt: '0' } : {},
  }));
  ws.addRow(LEDGER_SHEET_COLUMNS.map((c) => c.header)).commit();
  const t0 = Date.parse('2025-09-01T00:00:00+08:00');
  for (let g = 1; g <= rows; g++) {
    const created = new Date(t0 + g * 15_552);
    ws.addRow([
      `FB-20251001-${String(g).padStart(7, '0')}`,
      '官网留言',
      '客*',
      '138****5678',
      '咨询',
      `bench ticket ${g} 登录后闪退，报错 500`,
      wall(created),
      wall(new Date(created.getTime() + 7_200_000)),
      wall(new Date(created.getTime() + 600_000)),
      10.5,
      10,
      '及时',
      '客服7',
      wall(new Date(created.getTime() + 86_400_000)),
      wall(new Date(created.getTime() + 3_600_000)),
      60,
      60,
      '及时',
      '满意归档',
      wall(new Date(created.getTime() + 3_600_000)),
      wall(new Date(created.getTime() + 7_200_000)),
      5,
      null,
      0,
      '已归档',
      '否',
      4,
      'f'.repeat(64),
    ]).commit();
    if (g % 1000 === 0) await sheetBackpressure(ws);
  }
  ws.commit();
  const sv = wb.addWorksheet('回访记录', { views: [{ state: 'frozen', ySplit: 1 }] });
  sv.columns = [18, 10, 12, 8, 19, 19, 10, 30, 14].map((width, i) => ({ width, style: i === 4 || i === 5 ? { numFmt: 'yyyy-mm-dd hh:mm:ss' } : {} }));
  sv.addRow(['工单号', '分类', '处理人', '回访次序', '回访发送时间', '评价时间', '满意度评分', '评价内容', '回访结果']).commit();
  for (let g = 1; g <= surveys; g++) {
    const sent = new Date(t0 + g * 15_552);
    sv.addRow([
      `FB-20251001-${String(g).padStart(7, '0')}`,
      '咨询',
      '客服7',
      1,
      wall(sent),
      wall(new Date(sent.getTime() + 3_600_000)),
      5,
      null,
      '满意，已归档',
    ]).commit();
    if (g % 1000 === 0) await sheetBackpressure(sv);
  }
  sv.commit();
  await wb.commit();
  return { ms: performance.now() - started, rows, bytes: statSync(out).size, maxRssMb: process.resourceUsage().maxRSS / 1024, baseRssMb, cpuMs: cpuMs() };
}

async function childLedger(url: string, out: string, format: 'xlsx' | 'csv'): Promise<PhaseResult> {
  const database = openPostgres(url, undefined, 4);
  const baseRssMb = process.memoryUsage().rss / MB;
  try {
    const deps = { database, config, calendar, now: NOW };
    const range = rangeOfDays(FROM_DAY, TO_DAY, calendar.timeZone);
    const started = performance.now();
    const s =
      format === 'xlsx'
        ? await writeLedgerXlsx(deps, range, out, { batchSize: Number(process.env.BENCH_BATCH ?? 1000) })
        : await writeLedgerCsv(deps, range, out, { batchSize: Number(process.env.BENCH_BATCH ?? 1000) });
    return {
      ms: performance.now() - started,
      rows: s.rows,
      bytes: statSync(out).size,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      baseRssMb,
      cpuMs: cpuMs(),
      extra: { surveys: s.surveys },
    };
  } finally {
    await database.close();
  }
}

async function childStats(url: string): Promise<PhaseResult> {
  const database = openPostgres(url, undefined, 4);
  try {
    const deps = { database, config, calendar, now: NOW };
    const month = rangeOfDays(`${STATS_MONTH}-01`, `${STATS_MONTH}-31`, calendar.timeZone, STATS_MONTH);
    const sql = (database.db as unknown as { $client: postgres.Sql }).$client;
    await sql`delete from kv where key like 'metrics:day:%'`;
    const coldStart = performance.now();
    await computeStats(deps, month);
    const cold = performance.now() - coldStart;
    const warm: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      const s = await computeStats(deps, month);
      statsReply({ config, calendar }, s); // the card and its chart specs are part of the answer
      warm.push(performance.now() - t0);
    }
    warm.sort((a, b) => a - b);
    const s = await computeStats(deps, month);
    return {
      ms: warm[3],
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      extra: { cold, warmMin: warm[0], warmMax: warm[warm.length - 1], received: s.metrics.received },
    };
  } finally {
    await database.close();
  }
}

// ── data ─────────────────────────────────────────────────────────────────────────────────────────────────────

function policySql(): string {
  const cases = config.categories
    .map(
      (c) =>
        `when '${c.id}' then '${JSON.stringify({ category: c.id, clock: c.clock, firstResponseMinutes: c.firstResponseMinutes, resolutionMinutes: c.resolutionMinutes, nextResponseMinutes: null, dueSoonRatio: 0.75, calendarVersion: calendar.version, timeZone: calendar.timeZone })}'::jsonb`,
    )
    .join(' ');
  return `case b.cat ${cases} end`;
}

async function seed(url: string): Promise<Record<string, number>> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const times: Record<string, number> = {};
  const step = async (name: string, fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    await fn();
    times[name] = (performance.now() - t0) / 1000;
  };
  try {
    await sql`set synchronous_commit = off`;
    await step('customers+agents', async () => {
      await sql.unsafe(
        `insert into customers (channel, external_id, name, phone) select 'web', 'c' || g, '客户' || g, '138' || lpad(g::text, 8, '0') from generate_series(1, 100000) g`,
      );
      await sql.unsafe(`insert into agents (platform, user_id, name) select 'feishu', 'ou_' || g, '客服' || g from generate_series(1, 20) g`);
    });
    const span = (Date.parse(`${TO_DAY}T24:00:00+08:00`) - Date.parse(`${FROM_DAY}T00:00:00+08:00`)) / 1000;
    await step('tickets', () =>
      sql.unsafe(`
      insert into tickets (code, channel, customer_id, reply_to, subject, category, priority, status, assignee_id, access_token, is_probe, is_major,
        created_at, claimed_at, first_response_at, last_response_at, resolved_at, survey_sent_at, survey_answered_at, closed_at, close_reason,
        first_response_due_at, resolution_due_at, sla_policy, sla_paused_minutes, csat_score, csat_comment, reopen_count, updated_at)
      select 'FB-' || to_char(b.created at time zone 'Asia/Shanghai', 'YYYYMMDD') || '-' || lpad(b.g::text, 7, '0'),
        (array['web', 'feishu', 'dingtalk', 'email'])[1 + b.g % 4], 1 + b.g % 100000, '{}'::jsonb, 'bench ticket ' || b.g || ' 登录后闪退，报错 500',
        b.cat, 'normal', b.status, case when b.status = 'new' then null else 1 + b.g % 20 end, md5(b.g::text) || b.g, b.g % 500 = 0, b.g % 997 = 0,
        b.created, case when b.status = 'new' then null else b.created + b.fr end, case when b.status = 'new' or b.status = 'claimed' then null else b.created + b.fr end,
        case when b.status = 'new' or b.status = 'claimed' then null else b.created + b.fr end,
        case when b.status in ('resolved', 'closed') then b.created + b.res end, case when b.status in ('resolved', 'closed') then b.created + b.res end,
        case when b.status = 'closed' and b.r < 8 then b.created + b.res + interval '1 hour' end,
        case when b.status = 'closed' then b.created + b.res + case when b.r < 8 then interval '1 hour' else interval '4 days' end end,
        case when b.status = 'closed' then case when b.r < 8 then 'satisfied' else 'unrated' end end,
        b.created + interval '2 hours', b.created + interval '1 day', ${policySql()}, case when b.g % 13 = 0 then 45 else 0 end,
        case when b.status = 'closed' and b.r < 8 then 4 + b.g % 2 end, case when b.status = 'closed' and b.r = 0 then '处理得很快' end,
        case when b.g % 20 = 0 then 1 else 0 end, b.created + b.res
      from (
        select g, '${FROM_DAY}T00:00:00+08:00'::timestamptz + ((g - 1)::float8 * ${span} / ${N}) * interval '1 second' as created,
          (array['bug', 'complaint', 'consultation', 'consultation', 'suggestion', 'other', 'bug', 'consultation', 'bug', 'complaint'])[1 + g % 10] as cat,
          case when g > ${N} * 0.995 then (array['new', 'claimed', 'responded'])[1 + g % 3] when g > ${N} * 0.99 then 'resolved' else 'closed' end as status,
          (5 + (g::bigint * 7919) % 300) * interval '1 minute' as fr, (30 + (g::bigint * 104729) % 3000) * interval '1 minute' as res, g % 10 as r
        from generate_series(1, ${N}) g
      ) b`),
    );
    await step('events', () =>
      sql.unsafe(`
      insert into ticket_events (ticket_id, seq, type, actor, data, at, prev_hash, hash)
      select t.id, e.seq, e.type, 'system', e.data, e.at, md5(t.id || '-' || (e.seq - 1)) || md5('p' || t.id || '-' || (e.seq - 1)), md5(t.id || '-' || e.seq) || md5('p' || t.id || '-' || e.seq)
      from tickets t cross join lateral (values
        (1, 'created', '{}'::jsonb, t.created_at),
        (2, 'survey_sent', '{}'::jsonb, t.survey_sent_at),
        (3, 'survey_answered', jsonb_build_object('score', t.csat_score, 'comment', t.csat_comment), t.survey_answered_at),
        (4, 'closed', jsonb_build_object('reason', t.close_reason), t.closed_at)
      ) as e(seq, type, data, at)
      where e.at is not null`),
    );
    await step('analyze', () => sql`analyze`);
    const [{ n }] = await sql`select count(*)::int as n from ticket_events`;
    times.eventRows = Number(n);
  } finally {
    await sql.end();
  }
  return times;
}

// ── driver ───────────────────────────────────────────────────────────────────────────────────────────────────

function runChild(args: string[]): PhaseResult {
  const r = spawnSync(join(import.meta.dirname, '../node_modules/.bin/tsx'), [import.meta.filename, '--child', ...args], {
    encoding: 'utf8',
    maxBuffer: 16 * MB,
  });
  if (r.status !== 0) throw new Error(`phase ${args[0]} failed:\n${r.stderr}\n${r.stdout}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as PhaseResult;
}

async function measure(url: string, dir: string): Promise<boolean> {
  const ledger = runChild(['ledger', url, join(dir, 'ledger.xlsx')]);
  const ceiling = runChild(['ceiling', join(dir, 'ceiling.xlsx'), String(ledger.rows), String(ledger.extra?.surveys ?? 0)]);
  const csv = runChild(['csv', url, join(dir, 'ledger.csv')]);
  const stats = runChild(['stats', url]);

  const rate = (p: PhaseResult) => (p.rows ?? 0) / (p.ms / 1000);
  const cpuRate = (p: PhaseResult) => (p.rows ?? 0) / ((p.cpuMs ?? p.ms) / 1000);
  table(`Ledger: ${N.toLocaleString()} tickets over 6 months, PostgreSQL (${ledger.rows} rows after probes, ${ledger.extra?.surveys} survey records)`, [
    {
      phase: 'ceiling: exceljs, same sheets, generated rows',
      'rows/s': Math.round(rate(ceiling)),
      seconds: ceiling.ms / 1000,
      'vs ceiling': 1,
      'rows/CPU-s': Math.round(cpuRate(ceiling)),
      'CPU vs ceiling': 1,
      'file MB': (ceiling.bytes ?? 0) / MB,
      'base RSS MB': ceiling.baseRssMb ?? NaN,
      'peak RSS MB': ceiling.maxRssMb,
      target: '—',
    },
    {
      phase: 'ledger XLSX (6 sheets) from PostgreSQL',
      'rows/s': Math.round(rate(ledger)),
      seconds: ledger.ms / 1000,
      'vs ceiling': rate(ledger) / rate(ceiling),
      'rows/CPU-s': Math.round(cpuRate(ledger)),
      'CPU vs ceiling': cpuRate(ledger) / cpuRate(ceiling),
      'file MB': (ledger.bytes ?? 0) / MB,
      'base RSS MB': ledger.baseRssMb ?? NaN,
      'peak RSS MB': ledger.maxRssMb,
      target: '≥ 0.6, < 300 MB',
    },
    {
      phase: 'ledger CSV (台账) from PostgreSQL',
      'rows/s': Math.round(rate(csv)),
      seconds: csv.ms / 1000,
      'vs ceiling': rate(csv) / rate(ceiling),
      'rows/CPU-s': Math.round(cpuRate(csv)),
      'CPU vs ceiling': cpuRate(csv) / cpuRate(ceiling),
      'file MB': (csv.bytes ?? 0) / MB,
      'base RSS MB': csv.baseRssMb ?? NaN,
      'peak RSS MB': csv.maxRssMb,
      target: '< 300 MB',
    },
  ]);
  table(`/stats ${STATS_MONTH} (${stats.extra?.received?.toLocaleString()} tickets in the month)`, [
    { run: 'cold: daily aggregates rebuilt', ms: stats.extra?.cold ?? NaN, target: '—' },
    { run: 'warm: median of 7', ms: stats.ms, target: '< 300 ms' },
    { run: 'warm: min / max', ms: `${(stats.extra?.warmMin ?? 0).toFixed(0)} / ${(stats.extra?.warmMax ?? 0).toFixed(0)}`, target: '' },
    { run: 'peak RSS MB', ms: stats.maxRssMb, target: '' },
  ]);
  const ok = rate(ledger) / rate(ceiling) >= 0.6 && ledger.maxRssMb < 300 && csv.maxRssMb < 300 && stats.ms < 300;
  const [load1] = (await import('node:os')).loadavg();
  console.log(
    `${ok ? '\nall targets met' : '\nsome targets missed'} (load average ${load1.toFixed(1)} on ${(await import('node:os')).cpus().length} CPUs; rows/CPU-s counts this process only, not PostgreSQL)`,
  );
  return ok;
}

async function main() {
  const name = `loopdesk_bench_${randomBytes(4).toString('hex')}`;
  const admin = postgres(BASE, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(BASE);
  url.pathname = `/${name}`;
  const dir = mkdtempSync(join(tmpdir(), 'loopdesk-bench-'));
  try {
    // Migrations need the Node entry's opener; the measured phases use the plain PostgreSQL client (no PGlite loaded).
    const { openDatabase } = await import('../src/db/node.ts');
    const db = await openDatabase({ databaseUrl: url.toString() });
    await db.close();
    console.log(`seeding ${N.toLocaleString()} tickets (${FROM_DAY} … ${TO_DAY}) into ${name} …`);
    const seedTimes = await seed(url.toString());
    console.log(
      `seeded in ${Object.entries(seedTimes)
        .map(([k, v]) => `${k} ${k === 'eventRows' ? v : `${v.toFixed(1)} s`}`)
        .join(', ')}`,
    );

    await measure(url.toString(), dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') {
  const [, phase, a, b] = argv;
  const result =
    phase === 'ceiling'
      ? await childCeiling(a, Number(b), Number(argv[4]))
      : phase === 'ledger'
        ? await childLedger(a, b, 'xlsx')
        : phase === 'csv'
          ? await childLedger(a, b, 'csv')
          : await childStats(a);
  console.log(JSON.stringify(result));
} else if (argv[0] === '--measure') {
  // Profiling aid: the phases against an already seeded database (`tsx bench/ledger.ts --measure URL`).
  const dir = mkdtempSync(join(tmpdir(), 'loopdesk-bench-'));
  await measure(argv[1], dir).finally(() => rmSync(dir, { recursive: true, force: true }));
} else if (argv[0] === '--seed') {
  // Profiling aid: seed an existing, migrated database and keep it (`tsx bench/ledger.ts --seed URL`).
  const { openDatabase } = await import('../src/db/node.ts');
  const db = await openDatabase({ databaseUrl: argv[1] });
  await db.close();
  console.log(await seed(argv[1]));
} else {
  await main();
}
