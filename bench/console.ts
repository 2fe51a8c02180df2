/**
 * Web console benchmark (issue 9): server time of each console page on BENCH_TICKETS (default 1,000,000) tickets
 * on PostgreSQL, through app.request with a signed-in session. Target: < 200 ms per page.
 *
 * Data: one year of tickets bulk-inserted with generate_series into a dedicated database (loopdesk_bench_console,
 * dropped at the end), a live backlog of ~2,000 tickets, plus a few tickets made through the desk (with messages
 * and a hash-chained log) for the ticket page. Baselines measured in the same run: GET /healthz (the HTTP layer)
 * and the metrics module's computeStats over the same six months (what the overview would cost without the
 * console's rollup).
 *
 *   npx tsx bench/console.ts            BENCH_TICKETS=200000 npx tsx bench/console.ts
 */
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { createWebChannel } from '../src/channels/web/index.tsx';
import { parseConfig, parseEnv } from '../src/config.ts';
import { forgetOverview } from '../src/console/overview-data.ts';
import { forgetRollup } from '../src/console/rollup.ts';
import { fixedClock } from '../src/core/clock.ts';
import { openDatabase } from '../src/db/node.ts';
import { createApp } from '../src/http/app.ts';
import { silentLogger } from '../src/log.ts';
import { rangeOfDays } from '../src/reports/range.ts';
import { computeStats } from '../src/reports/stats.ts';
import { createServices } from '../src/services.ts';
import { table } from './lib.ts';

const N = Number(process.env.BENCH_TICKETS ?? 1_000_000);
const RUNS = 5;
const TARGET_MS = 200;
const PG = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB = 'loopdesk_bench_console';
const NOW = '2026-03-09T10:00:00+08:00';
const TOKEN = 'bench-admin-token-0123456789';

async function admin<T>(fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(PG, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

async function seed(sql: postgres.Sql) {
  const t0 = performance.now();
  await sql.unsafe(`insert into agents (platform, user_id, name, role) select 'feishu', 'ou_bench_' || g, '客服' || g, 'agent' from generate_series(1, 20) g`);
  await sql.unsafe(`insert into customers (channel, external_id, name, phone, email)
    select 'web', 'visitor-' || g, '客户' || g, '139' || lpad(g::text, 8, '0'), 'user' || g || '@example.com' from generate_series(1, 200000) g`);
  // Ticket i was received i/N of a year before NOW; the newest ~2,000 are still being worked.
  await sql.unsafe(`
    insert into tickets (code, channel, customer_id, reply_to, subject, category, priority, status, assignee_id, access_token, is_probe, is_major,
      created_at, claimed_at, first_response_at, last_response_at, resolved_at, survey_sent_at, survey_answered_at, closed_at, close_reason,
      first_response_due_at, resolution_due_at, sla_policy, csat_score, reopen_count, updated_at)
    select 'FB-' || to_char(c at time zone 'Asia/Shanghai', 'YYYYMMDD') || '-' || lpad(g::text, 7, '0'),
      (array['web','feishu','dingtalk','email','api','web','feishu','wecom'])[1 + g % 8],
      1 + g % 200000, '{}'::jsonb,
      (array['APP 登录后闪退','退款迟迟不到账','如何导出发票','希望增加深色模式','页面打不开'])[1 + g % 5] || '（第 ' || g || ' 条）',
      cat, 'normal',
      case when g <= 2000 then (array['new','claimed','responded','reopened'])[1 + g % 4] when g % 97 = 0 then 'resolved' else 'closed' end,
      case when g <= 2000 and g % 4 = 0 then null else 1 + g % 20 end,
      md5('bench' || g), g % 500 = 0, g % 1000 = 7,
      c, c + interval '20 minutes',
      case when g <= 2000 and g % 4 = 0 then null else c + (g % 180) * interval '1 minute' end,
      case when g <= 2000 and g % 4 = 0 then null else c + (g % 180) * interval '1 minute' end,
      case when g > 2000 then c + (g % 40) * interval '1 hour' end,
      case when g > 2000 then c + (g % 40) * interval '1 hour' end,
      case when g > 2000 and g % 97 <> 0 and g % 5 <> 0 then c + (g % 40 + 3) * interval '1 hour' end,
      case when g > 2000 and g % 97 <> 0 then c + (g % 40 + 3) * interval '1 hour' end,
      case when g > 2000 and g % 97 <> 0 then (case when g % 5 = 0 then 'unrated' else 'satisfied' end) end,
      c + interval '2 hours', c + interval '48 hours',
      jsonb_build_object('category', cat, 'clock', 'calendar', 'firstResponseMinutes', 120, 'resolutionMinutes', 2880, 'nextResponseMinutes', null, 'dueSoonRatio', 0.75, 'timeZone', 'Asia/Shanghai', 'calendarVersion', 'bench'),
      case when g > 2000 and g % 97 <> 0 and g % 5 <> 0 then 4 + g % 2 when g % 13 = 0 then 2 end,
      case when g % 50 = 0 then 1 else 0 end,
      c + (g % 40 + 3) * interval '1 hour'
    from (select g, '${NOW}'::timestamptz - (g::float8 / ${N}) * interval '365 days' as c,
                 (array['bug','complaint','consultation','suggestion','other'])[1 + g % 5] as cat
            from generate_series(1, ${N}) g) s`);
  await sql.unsafe('analyze');
  return (performance.now() - t0) / 1000;
}

async function main() {
  await admin(async (sql) => {
    await sql.unsafe(`drop database if exists ${DB} with (force)`);
    await sql.unsafe(`create database ${DB}`);
  });
  const url = new URL(PG);
  url.pathname = `/${DB}`;
  const database = await openDatabase({ databaseUrl: url.toString() });
  try {
    const seedSql = postgres(url.toString(), { max: 1, onnotice: () => {} });
    const seconds = await seed(seedSql);
    await seedSql.end();
    console.log(`seeded ${N.toLocaleString('en')} tickets in ${seconds.toFixed(1)} s`);

    const clock = fixedClock(NOW);
    const config = parseConfig({ roles: { agents: [{ platform: 'feishu', userId: 'ou_desk', name: '测试客服' }], leads: [], admins: [] } });
    const services = createServices({
      env: parseEnv({ ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'silent', PUBLIC_BASE_URL: 'http://bench.test' }),
      config,
      database,
      clock,
      log: silentLogger,
      channels: [createWebChannel],
    });
    const app = createApp(services);
    // A few real tickets through the desk: messages and a hash-chained log for the ticket page.
    const made = [];
    for (let i = 0; i < 3; i++) {
      const r = await services.desk.intake({
        channel: 'web',
        dedupeKey: `bench-${i}`,
        customer: { externalId: `bench-${i}`, name: '测试', phone: '13700000000' },
        replyTo: {},
        text: `支付后没到账，订单 ${i}`,
        category: 'bug',
      });
      await services.desk.act({
        ticket: r.code,
        actor: { platform: 'feishu', userId: 'ou_desk', name: '测试客服' },
        viaAgentGroup: true,
        action: 'respond',
        text: '正在核查。',
      });
      made.push(r.code);
    }

    // Sign in once (token), like a browser.
    const login = await app.request('/console/login');
    const csrfCookie = login.headers
      .getSetCookie()
      .find((c) => c.startsWith('loopdesk_csrf='))!
      .split(';')[0];
    const csrf = /name="csrf" value="([^"]+)"/.exec(await login.text())![1];
    const signed = await app.request('/console/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie },
      body: new URLSearchParams({ csrf, token: TOKEN }).toString(),
    });
    const session = signed.headers
      .getSetCookie()
      .find((c) => c.startsWith('loopdesk_console='))!
      .split(';')[0];
    const cookie = `${csrfCookie}; ${session}`;

    const get = async (path: string) => {
      const t0 = performance.now();
      const res = await app.request(path, { headers: { cookie } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
      return performance.now() - t0;
    };
    const rows: Array<Record<string, string | number>> = [];
    const measure = async (name: string, path: string, before?: () => void | Promise<void>) => {
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        await before?.();
        times.push(await get(path));
      }
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)];
      rows.push({
        page: name,
        path: path.length > 48 ? `${path.slice(0, 45)}…` : path,
        'median ms': Math.round(median),
        'max ms': Math.round(times[times.length - 1]),
        '< 200 ms': median < TARGET_MS ? 'yes' : 'NO',
      });
    };
    const once = async (name: string, path: string, before?: () => void | Promise<void>) => {
      await before?.();
      const ms = await get(path);
      rows.push({ page: name, path, 'median ms': Math.round(ms), 'max ms': Math.round(ms), '< 200 ms': 'one-off' });
    };

    await measure('baseline: GET /healthz', '/healthz');
    await once('overview, cold (builds 6 months of day rollups)', '/console/overview', () => {
      forgetOverview(services);
      forgetRollup(database);
    });
    await measure('overview (rollup current, no page cache)', '/console/overview', () => forgetOverview(services));
    await measure('overview (30 s page cache)', '/console/overview');
    // A working day: 50 of the last three days' tickets change between two looks (resolved, rated): those days are recomputed.
    let bump = 0;
    const touch = (where: string, n: number) => async () => {
      forgetOverview(services);
      bump++;
      await services.database.db.execute(
        sql.raw(
          `update tickets set updated_at = '${NOW}'::timestamptz + interval '${bump} seconds' where id in (select id from tickets where ${where} order by random() limit ${n})`,
        ),
      );
    };
    await measure(
      'overview after 50 recent tickets changed',
      '/console/overview',
      touch(`created_at > '${NOW}'::timestamptz - interval '3 days' and status = 'closed'`, 50),
    );
    // Worst case: 200 changes spread over the whole year (every touched day is recomputed).
    await once('overview after 200 changes spread over a year', '/console/overview', touch(`status = 'closed'`, 200));
    const lastMonth = '/console/ledger?from=2025-09-01&to=2026-02-28';
    await once('ledger, 6 full months, first view', lastMonth);
    await measure('ledger summary (6 full months)', lastMonth);
    await measure('tickets: newest 50', '/console/tickets');
    await measure('tickets: category = bug', '/console/tickets?category=bug');
    await measure('tickets: channel = wecom', '/console/tickets?channel=wecom');
    await measure('tickets: agent = #7', '/console/tickets?agent=7');
    await measure('tickets: status = closed, March 2025', '/console/tickets?status=closed&from=2025-03-01&to=2025-03-31');
    await measure('tickets: major only', '/console/tickets?major=1');
    await measure('tickets: unclaimed', '/console/tickets?status=new');
    await measure('tickets: SLA breached (backlog)', '/console/tickets?sla=breached');
    await measure('tickets: search by code', `/console/tickets?q=${made[0]}`);
    await measure('tickets: search by phone', '/console/tickets?q=13900012345');
    await measure('tickets: search text (rare word)', `/console/tickets?q=${encodeURIComponent('深色模式（第 99')}`);
    await measure('tickets: page 2 of a filter', '/console/tickets?category=complaint&after=1772000000000_999999999');
    await measure('ticket page', `/console/tickets/${made[0]}`);
    await measure('settings (mechanism description)', '/console/settings');

    // Baseline: the metrics module's own path for the overview's months (its per-day kv cache, cold then warm).
    const range = rangeOfDays('2025-10-01', '2026-03-09', 'Asia/Shanghai');
    const deps = { database, config, calendar: services.calendar, now: clock.now() };
    let t0 = performance.now();
    await computeStats(deps, range);
    rows.push({
      page: 'baseline: computeStats 6 months, cold',
      path: '(reports/stats.ts)',
      'median ms': Math.round(performance.now() - t0),
      'max ms': Math.round(performance.now() - t0),
      '< 200 ms': 'one-off',
    });
    t0 = performance.now();
    await computeStats(deps, range);
    rows.push({
      page: 'baseline: computeStats 6 months, warm',
      path: '(reports/stats.ts)',
      'median ms': Math.round(performance.now() - t0),
      'max ms': Math.round(performance.now() - t0),
      '< 200 ms': 'one-off',
    });

    table(`Web console on PostgreSQL, ${N.toLocaleString('en')} tickets (server time via app.request, ${RUNS} runs each; target < ${TARGET_MS} ms)`, rows);
    await services.stop();
  } finally {
    await database.close();
    await admin((sql) => sql.unsafe(`drop database if exists ${DB} with (force)`));
  }
}

await main();
