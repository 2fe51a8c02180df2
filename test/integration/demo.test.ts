/**
 * `loopdesk demo`: the history it writes is the desk's own (chains verify, the ledger equals the metrics module), it
 * has every ingredient of the story (channels, categories, breaches, escalations, reopenings, unrated closes, a
 * burst, merges, the major complaint), every artefact made from it says 演示数据, a second run changes nothing,
 * and a database with real data is refused without a write. A short range here; the six-month run is `BENCH=demo`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { unzipSync, strFromU8 } from 'fflate';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig, parseEnv } from '../../src/config.ts';
import { fixedClock } from '../../src/core/clock.ts';
import { computeMetrics, ticketFacts } from '../../src/core/metrics.ts';
import { openPostgres, queryRows, type Database } from '../../src/db/client.ts';
import { openDatabase } from '../../src/db/node.ts';
import { customers, tickets } from '../../src/db/schema/index.ts';
import { runDemoCli, DEMO_EXIT } from '../../src/demo/cli.ts';
import { demoMark, DEMO_LABEL } from '../../src/demo/marker.ts';
import { generateDemo } from '../../src/demo/run.ts';
import { caseReport } from '../../src/desk/case.ts';
import { createApp } from '../../src/http/app.ts';
import { silentLogger } from '../../src/log.ts';
import { writeAuditPack } from '../../src/reports/auditpack.ts';
import { buildCase } from '../../src/reports/case.ts';
import { statsDeps } from '../../src/reports/commands.ts';
import { SUMMARY_COLUMNS, writeLedgerCsv, writeLedgerXlsx } from '../../src/reports/ledger.ts';
import { mechanismMarkdown } from '../../src/reports/mechanism.ts';
import { mechanismDocx } from '../../src/reports/mechanism-docx.ts';
import { rangeOfDays } from '../../src/reports/range.ts';
import { createServices, type Services } from '../../src/services.ts';
import { createPostgresDatabase, dbKinds, type DbKind } from '../helpers/db.ts';
import { TEST_ADMIN_TOKEN } from '../helpers/services.ts';

/** Friday 2026-03-20 17:30 in Shanghai: the demo's "now". */
const END = new Date('2026-03-20T09:30:00Z');
const DAYS = 18;
const ARGS = ['--days', String(DAYS), '--per-day', '5', '--seed', '7'];
const config = parseConfig({});
const template = () => new Blob([readFileSync(inject('pgliteTemplate'))]);

/** An empty, migrated target: a PGlite data directory made from the test template, or a fresh PostgreSQL database. */
async function emptyTarget(kind: DbKind): Promise<{ args: string[]; open(): Promise<Database>; drop(): Promise<void> }> {
  if (kind === 'pglite') {
    const dir = join(mkdtempSync(join(tmpdir(), 'loopdesk-demo-')), 'data-demo');
    await (await openDatabase({ dataDir: dir, loadDataDir: template(), migrate: false })).close();
    return {
      args: ['--data-dir', dir],
      open: () => openDatabase({ dataDir: dir }),
      drop: async () => rmSync(join(dir, '..'), { recursive: true, force: true }),
    };
  }
  const { url, drop } = await createPostgresDatabase();
  return { args: ['--database-url', url], open: () => openDatabase({ databaseUrl: url }), drop };
}

const count = async (database: Database, query: string) => Number((await queryRows<{ n: number }>(database.db, sql.raw(query)))[0].n);

describe.each(dbKinds)('loopdesk demo on %s', (kind) => {
  let target: Awaited<ReturnType<typeof emptyTarget>>;
  let database: Database;
  let services: Services;
  let dir: string;
  const lines: string[] = [];
  let code: number;
  const range = rangeOfDays('2026-03-01', '2026-03-20', 'Asia/Shanghai');

  beforeAll(async () => {
    target = await emptyTarget(kind);
    code = await runDemoCli([...target.args, ...ARGS], { config, out: (t) => lines.push(t), now: END });
    database = await target.open();
    services = createServices({
      env: parseEnv({ ADMIN_TOKEN: TEST_ADMIN_TOKEN, LOG_LEVEL: 'silent' }),
      config,
      database,
      clock: fixedClock(END),
      log: silentLogger,
      channels: [],
    });
    dir = mkdtempSync(join(tmpdir(), 'demo-artefacts-'));
  }, 600_000);
  afterAll(async () => {
    await database?.close();
    await target?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs through the desk without a refused step and marks the database as a finished demo', async () => {
    expect(code).toBe(DEMO_EXIT.ok);
    expect(lines.join('\n')).toMatch(/演示数据已生成：2026-03-02 至 2026-03-20，\d+ 张工单/);
    expect(lines.join('\n')).not.toContain('被拒绝');
    expect(await demoMark(database)).toMatchObject({ status: 'complete', toDay: '2026-03-20', seed: 7 });
    // Nothing waits to be sent: the outbox rows are the record, marked delivered.
    expect(await count(database, `select count(*)::int as n from outbox where status <> 'sent'`)).toBe(0);
  });

  it('has every ingredient: channels, categories, breaches, escalations, reopenings, unrated, burst, merges, the major complaint', async () => {
    const channels = (await queryRows<{ c: string }>(database.db, sql`select distinct channel as c from tickets order by 1`)).map((r) => r.c);
    expect(channels).toEqual(['api', 'dingtalk', 'email', 'feishu', 'helpdesk', 'web', 'wecom']);
    // As classified at intake (其他 tickets are then reclassified by an agent, or stay 其他).
    const categories = (
      await queryRows<{ c: string }>(database.db, sql`select distinct data->>'category' as c from ticket_events where type = 'created' order by 1`)
    ).map((r) => r.c);
    expect(categories).toEqual(['bug', 'complaint', 'consultation', 'other', 'suggestion']);
    expect(await count(database, `select count(*)::int as n from ticket_events where type = 'sla_breached'`)).toBeGreaterThan(0);
    expect(await count(database, `select count(*)::int as n from ticket_events where type = 'sla_escalated'`)).toBeGreaterThan(0);
    expect(await count(database, `select count(*)::int as n from ticket_events where type = 'escalated'`)).toBeGreaterThan(0);
    expect(await count(database, `select count(*)::int as n from tickets where reopen_count > 0`)).toBeGreaterThan(0);
    expect(await count(database, `select count(*)::int as n from tickets where close_reason = 'unrated'`)).toBeGreaterThan(0);
    expect(await count(database, `select count(*)::int as n from tickets where close_reason = 'merged'`)).toBeGreaterThan(0);
    expect(await count(database, `select count(*)::int as n from ticket_events where type = 'reclassified'`)).toBeGreaterThan(0);
    expect(await count(database, `select count(*)::int as n from tickets where incident_id is not null`)).toBeGreaterThanOrEqual(20);
    // Weekends are quieter than working days.
    const byDay = await queryRows<{ dow: number; n: number }>(
      database.db,
      sql`select extract(isodow from day)::int as dow, count(*)::int as n from (select (created_at at time zone 'Asia/Shanghai')::date as day from tickets where incident_id is null) d group by day`,
    );
    const avg = (days: number[]) => {
      const list = byDay.filter((d) => days.includes(Number(d.dow)));
      return list.reduce((s, d) => s + Number(d.n), 0) / list.length;
    };
    expect(avg([6, 7])).toBeLessThan(avg([1, 2, 3, 4, 5]) / 2);
  });

  it('tells the major complaint start to end, and its case report is marked 演示数据', async () => {
    const [major] = await queryRows<{ code: string }>(database.db, sql`select code from tickets where is_major order by id limit 1`);
    const doc = (await buildCase(statsDeps(services), major.code))!;
    const types = doc.timeline.map((e) => e.type);
    for (const t of ['created', 'major_flagged', 'claimed', 'responded', 'customer_message', 'noted', 'escalated', 'resolved', 'reopened', 'closed'])
      expect(types).toContain(t);
    expect(doc.facts.outcome).toBeDefined();
    expect(doc.chain.intact).toBe(true);
    expect(doc.title).toContain(DEMO_LABEL);
    expect(doc.markdown).toContain(DEMO_LABEL);
    expect(doc.html).toContain(`<title>【${DEMO_LABEL}】`);
  });

  it('every hash chain verifies', async () => {
    const codes = (await queryRows<{ code: string }>(database.db, sql`select code from tickets order by id`)).map((r) => r.code);
    expect(codes.length).toBeGreaterThan(50);
    const broken: string[] = [];
    for (const c of codes) if (!(await caseReport(database.db, c))!.chain.intact) broken.push(c);
    expect(broken).toEqual([]);
  });

  it('the XLSX ledger equals the metrics module and says 演示数据 on every sheet', async () => {
    const path = join(dir, 'ledger.xlsx');
    await writeLedgerXlsx(statsDeps(services), range, path);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(path);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['台账', '月度汇总', '回访记录', '重大投诉', '服务承诺', '说明'].map((n) => `${n}（${DEMO_LABEL}）`));
    expect((wb.getWorksheet(`说明（${DEMO_LABEL}）`)!.getRow(2).values as unknown[]).slice(1)).toEqual([
      DEMO_LABEL,
      expect.stringContaining('不是真实客户反馈'),
    ]);
    const rows = (
      await database.db
        .select()
        .from(tickets)
        .where(
          sql`${tickets.createdAt} >= ${range.from.toISOString()}::timestamptz and ${tickets.createdAt} < ${range.to.toISOString()}::timestamptz and not ${tickets.isProbe}`,
        )
    ).map((r) => ({ ...r, slaPolicy: r.slaPolicy as never }));
    const expected = computeMetrics(rows, { calendar: services.calendar, satisfiedMin: 4, now: END });
    const summary: unknown[][] = [];
    wb.getWorksheet(`月度汇总（${DEMO_LABEL}）`)!.eachRow((r) => summary.push((r.values as unknown[]).slice(1)));
    const total = summary.find((r) => r[0] === '合计')!;
    SUMMARY_COLUMNS.forEach((c, i) => expect([c.header, total[i + 1] ?? null]).toEqual([c.header, c.value(expected)]));
    // Ticket rows only: the sign-off block (制表人 …) follows them.
    const ledgerRows = (wb.getWorksheet(`台账（${DEMO_LABEL}）`)!.getSheetValues() as unknown[][]).filter((r) => r && /^FB-/.test(String(r[1]))).length;
    expect(ledgerRows).toBe(rows.length);
    // One ticket's row against its facts.
    const facts = ticketFacts(rows[0], { calendar: services.calendar, satisfiedMin: 4, now: END });
    expect(facts.firstResponse.outcome).toMatch(/met|breached|pending|none/);
  });

  it('the CSV ledger, the mechanism description and the audit pack say 演示数据', async () => {
    const csvPath = join(dir, 'ledger.csv');
    await writeLedgerCsv(statsDeps(services), range, csvPath);
    const [first, second] = readFileSync(csvPath, 'utf8').split('\r\n');
    expect(first).toContain(DEMO_LABEL);
    expect(second.startsWith('工单号')).toBe(true);

    const deps = { ...statsDeps(services), channels: [] };
    const mechanism = await mechanismMarkdown(deps, range);
    expect(mechanism.split('\n')[0]).toContain(DEMO_LABEL);
    const docx = unzipSync(new Uint8Array(await mechanismDocx(deps, range)));
    expect(strFromU8(docx['word/document.xml'])).toContain(`【${DEMO_LABEL}】`);

    const zipPath = join(dir, 'pack.zip');
    await writeAuditPack(deps, range, zipPath);
    const files = unzipSync(new Uint8Array(readFileSync(zipPath)));
    const names = Object.keys(files);
    expect(names).toContain(`${DEMO_LABEL}_请先阅读.txt`);
    expect(names.some((n) => n.startsWith(`${DEMO_LABEL}_台账_`))).toBe(true);
    const manifest = JSON.parse(strFromU8(files['manifest.json']));
    expect(manifest).toMatchObject({ demo: true, title: expect.stringContaining(DEMO_LABEL), eventLog: { chainsBroken: [] } });
    expect(strFromU8(files['客户反馈处理机制说明.md'])).toContain(DEMO_LABEL);
    const cases = names.filter((n) => n.startsWith('重大投诉/') && n.endsWith('.html'));
    expect(cases.length).toBeGreaterThan(0);
    for (const n of cases) expect(strFromU8(files[n])).toContain(DEMO_LABEL);
  });

  it('the /stats card (Feishu card and markdown) and GET /api/stats say 演示数据', async () => {
    const actor = { platform: 'feishu', userId: 'ou_demo_lina' };
    const reply = await services.runCommand({ text: '/stats month', actor, viaAgentGroup: true, surface: 'feishu' });
    if (reply.kind !== 'card') throw new Error(`expected the stats card, got ${reply.kind}`);
    expect(JSON.stringify(reply.card)).toContain(`【${DEMO_LABEL}】客服数据`);
    expect(reply.text.split('\n')[0]).toContain(`【${DEMO_LABEL}】`);
    const app = createApp(services);
    const api = await app.request('/api/stats?period=month', { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(api.status).toBe(200);
    expect(await api.json()).toMatchObject({ demo: true, notice: expect.stringContaining(DEMO_LABEL), metrics: { received: expect.any(Number) } });
  });

  it('every console page shows the 演示数据 banner', async () => {
    const app = createApp(services);
    const login = await app.request('/console/login');
    const html = await login.text();
    expect(html).toContain(DEMO_LABEL);
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1];
    const signIn = await app.request('/console/login', {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, token: TEST_ADMIN_TOKEN, next: '/console/overview' }).toString(),
    });
    expect(signIn.status).toBe(303);
    const session = [cookie, ...signIn.headers.getSetCookie().map((c) => c.split(';')[0])].join('; ');
    const [major] = await queryRows<{ code: string }>(database.db, sql`select code from tickets where is_major limit 1`);
    const pages = ['/console/overview', '/console/queues', '/console/tickets', `/console/tickets/${major.code}`, '/console/ledger'];
    pages.push('/console/readiness', '/console/customers', '/console/new-ticket', '/console/settings');
    for (const path of pages) {
      const res = await app.request(path, { headers: { cookie: session } });
      expect([path, res.status]).toEqual([path, 200]);
      const page = await res.text();
      expect(page).toContain('class="demo-banner"');
      expect(page).toContain(`<title>【${DEMO_LABEL}】`);
    }
  });

  it('a second run changes nothing', async () => {
    const before = await count(database, 'select (select count(*) from ticket_events) + (select count(*) from tickets) as n');
    await database.close();
    const out: string[] = [];
    expect(await runDemoCli([...target.args, ...ARGS], { config, out: (t) => out.push(t), now: new Date(END.getTime() + 86_400_000) })).toBe(DEMO_EXIT.ok);
    expect(out.join('\n')).toContain('未做改动');
    database = await target.open();
    services = createServices({ env: parseEnv({ LOG_LEVEL: 'silent' }), config, database, clock: fixedClock(END), log: silentLogger, channels: [] });
    expect(await count(database, 'select (select count(*) from ticket_events) + (select count(*) from tickets) as n')).toBe(before);
  });
});

describe.each(dbKinds)('loopdesk demo refuses a target with real data on %s', (kind) => {
  it('leaves a database with a real customer as it was', async () => {
    const target = await emptyTarget(kind);
    try {
      let database = await target.open();
      await database.db.insert(customers).values({ channel: 'web', externalId: 'real-1', name: '真实客户' });
      await database.close();
      const out: string[] = [];
      expect(await runDemoCli([...target.args, ...ARGS], { config, out: (t) => out.push(t), now: END })).toBe(DEMO_EXIT.refused);
      expect(out.join('\n')).toMatch(/已拒绝：.*已有真实数据/);
      database = await target.open();
      expect(await demoMark(database)).toBeUndefined();
      expect(await count(database, 'select (select count(*) from tickets) + (select count(*) from customers) as n')).toBe(1);
      await database.close();
    } finally {
      await target.drop();
    }
  }, 120_000);
});

describe('loopdesk demo under a config that names its agents', () => {
  it('still plays every step (the demo agents join the configured roles for the run)', async () => {
    const database = await openDatabase({ memory: true, loadDataDir: template(), migrate: false });
    try {
      const named = parseConfig({ roles: { agents: [{ platform: 'feishu', userId: 'ou_real_agent', name: '真实客服' }], leads: [], admins: [] } });
      const summary = await generateDemo(database, named, { endAt: END, days: 7, perWorkingDay: 2, seed: 3 });
      expect(summary.tickets).toBeGreaterThan(5);
      expect(summary.refused).toEqual([]);
    } finally {
      await database.close();
    }
  }, 300_000);
});

describe('loopdesk demo refuses bad arguments and foreign directories', () => {
  it('a directory that is not a Loopdesk data directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopdesk-foreign-'));
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const out: string[] = [];
    try {
      expect(await runDemoCli(['--data-dir', dir], { config, out: (t) => out.push(t), now: END })).toBe(DEMO_EXIT.refused);
      expect(out.join('\n')).toContain('不是 Loopdesk 数据目录');
      expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(!!process.env.TEST_DATABASE_URL)('a PostgreSQL database that does not exist, or holds other tables', async () => {
    const out: string[] = [];
    const missing = new URL(process.env.TEST_DATABASE_URL!);
    missing.pathname = '/loopdesk_demo_missing_db';
    expect(await runDemoCli(['--database-url', missing.toString()], { config, out: (t) => out.push(t), now: END })).toBe(DEMO_EXIT.refused);
    expect(out.join('\n')).toContain('does not exist');
    const { url, drop } = await createPostgresDatabase();
    const foreign = openPostgres(url, undefined, 1);
    try {
      await foreign.db.execute(sql`create table invoices (id int)`);
      expect(await runDemoCli(['--database-url', url], { config, out: (t) => out.push(t), now: END })).toBe(DEMO_EXIT.refused);
      expect(out.join('\n')).toContain('不是 Loopdesk 数据库');
      const tables = await queryRows<{ n: string }>(foreign.db, sql`select table_name as n from information_schema.tables where table_schema = 'public'`);
      expect(tables.map((t) => t.n)).toEqual(['invoices']);
    } finally {
      await foreign.close();
      await drop();
    }
  });

  it('bad numbers and unknown flags', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'loopdesk-args-')), 'never');
    const out: string[] = [];
    expect(await runDemoCli(['--data-dir', dir, '--days', '3'], { config, out: (t) => out.push(t), now: END })).toBe(DEMO_EXIT.refused);
    expect(await runDemoCli(['--data-dir', dir, '--bogus'], { config, out: (t) => out.push(t), now: END })).toBe(DEMO_EXIT.usage);
    expect(await runDemoCli(['--data-dir', dir, '--database-url', 'postgres://x@127.0.0.1/y'], { config, out: (t) => out.push(t), now: END })).toBe(
      DEMO_EXIT.usage,
    );
    expect(out.join('\n')).toContain('--days 应为 7–730 之间的整数');
    // Nothing was created for a refused command.
    expect(() => readFileSync(join(dir, 'loopdesk.lock'))).toThrow();
  });
});
