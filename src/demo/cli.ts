/**
 * `loopdesk demo [--data-dir DIR | --database-url URL] [--days N] [--per-day N] [--seed N]`: six months of demo
 * history in a database of its own. It opens its target itself (never DATA_DIR or DATABASE_URL, so it cannot
 * write into the production database by accident) and refuses any target that already holds non-demo data.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '../config.ts';
import { openPostgres, queryRows, sql, type Database } from '../db/client.ts';
import { migrateDatabase, openDatabase } from '../db/node.ts';
import { demoMark, DEMO_LABEL } from './marker.ts';
import { generateDemo, type DemoSummary } from './run.ts';

export const DEMO_EXIT = { ok: 0, usage: 64, refused: 4 } as const;
export const DEFAULT_DEMO_DIR = './data-demo';

export class DemoTargetRefused extends Error {
  override name = 'DemoTargetRefused';
}

export interface DemoTarget {
  dataDir?: string;
  databaseUrl?: string;
}

/**
 * Opens the target and checks it: empty (then migrated), or a finished demo database (left as it is). A database
 * with tickets, customers or agents that is not marked as demo, an unfinished demo run, a directory that is not a
 * Loopdesk data directory, or a PostgreSQL database with foreign tables is refused before anything is written.
 */
export async function openDemoTarget(target: DemoTarget): Promise<{ database: Database; existing?: Awaited<ReturnType<typeof demoMark>> }> {
  if (target.databaseUrl) {
    const probe = openPostgres(target.databaseUrl, undefined, 1);
    try {
      const tables = (
        await queryRows<{ name: string }>(probe.db, sql`select table_name as name from information_schema.tables where table_schema = 'public'`).catch(
          (e: Error) => {
            throw new DemoTargetRefused(
              `无法打开数据库 ${redact(target.databaseUrl!)}：${(e.cause as Error | undefined)?.message ?? e.message}（演示数据写入一个已存在的空数据库，例如先 createdb loopdesk_demo）`,
            );
          },
        )
      ).map((r) => r.name);
      if (tables.length > 0 && !tables.includes('tickets'))
        throw new DemoTargetRefused(
          `数据库 ${redact(target.databaseUrl)} 不是空的，也不是 Loopdesk 数据库（有 ${tables.length} 张其他表）：演示数据只写入空数据库或演示数据库。`,
        );
    } finally {
      await probe.close();
    }
    const database = await openDatabase({ databaseUrl: target.databaseUrl, migrate: false });
    return checkContents(database, redact(target.databaseUrl));
  }
  const dir = resolve(target.dataDir ?? DEFAULT_DEMO_DIR);
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, 'pglite'))) {
    throw new DemoTargetRefused(`目录 ${dir} 不是空的，也不是 Loopdesk 数据目录：请换一个目录（默认 ${DEFAULT_DEMO_DIR}）。`);
  }
  const database = await openDatabase({ dataDir: dir, migrate: false });
  return checkContents(database, dir);
}

async function checkContents(database: Database, where: string) {
  try {
    await migrateDatabase(database);
    const mark = await demoMark(database);
    const [n] = await queryRows<{ rows: number }>(
      database.db,
      sql`select ((select count(*) from tickets) + (select count(*) from customers) + (select count(*) from agents))::int as rows`,
    );
    if (!mark && Number(n.rows) > 0)
      throw new DemoTargetRefused(`${where} 里已有真实数据（未标记为演示数据库）：演示数据不会写入其中。请指定空目录，例如 --data-dir ${DEFAULT_DEMO_DIR}。`);
    if (mark?.status === 'generating') throw new DemoTargetRefused(`${where} 里有一次未完成的演示数据生成（开始于 ${mark.startedAt}）：请删除它后重新运行。`);
    return { database, existing: mark };
  } catch (e) {
    await database.close();
    throw e;
  }
}

const redact = (url: string) => url.replace(/\/\/[^@/]*@/, '//***@');

export async function runDemoCli(argv: string[], ctx: { config: Config; out: (text: string) => void; now?: Date }): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        'data-dir': { type: 'string' },
        'database-url': { type: 'string' },
        days: { type: 'string' },
        'per-day': { type: 'string' },
        seed: { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (e) {
    ctx.out(`${(e as Error).message}\n${DEMO_USAGE}`);
    return DEMO_EXIT.usage;
  }
  const num = (v: string | undefined, name: string, min: number, max: number) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new DemoTargetRefused(`--${name} 应为 ${min}–${max} 之间的整数，收到 ${v}`);
    return n;
  };
  if (args['data-dir'] && args['database-url']) {
    ctx.out(`--data-dir 与 --database-url 只能选一个\n${DEMO_USAGE}`);
    return DEMO_EXIT.usage;
  }
  let opened;
  let days, perDay, seed;
  try {
    days = num(args.days, 'days', 7, 730);
    perDay = num(args['per-day'], 'per-day', 1, 200);
    seed = num(args.seed, 'seed', 0, 2 ** 31);
    opened = await openDemoTarget({ dataDir: args['data-dir'], databaseUrl: args['database-url'] });
  } catch (e) {
    if (!(e instanceof DemoTargetRefused)) throw e;
    ctx.out(`已拒绝：${e.message}`);
    return DEMO_EXIT.refused;
  }
  const { database, existing } = opened;
  try {
    if (existing) {
      // A second run changes nothing: the history is fixed by its seed and its end day.
      ctx.out(`这里已有演示数据（${existing.fromDay} 至 ${existing.toDay}，${existing.tickets ?? '?'} 张工单），未做改动。要重新生成，请先删除它。`);
      return DEMO_EXIT.ok;
    }
    const summary = await generateDemo(database, ctx.config, {
      endAt: ctx.now ?? new Date(),
      days,
      perWorkingDay: perDay,
      seed,
      onProgress: (day, done, total) => {
        if (day.endsWith('-01')) ctx.out(`  ${day}（${Math.round((done / total) * 100)}%）`);
      },
    });
    ctx.out(demoReport(summary, args['database-url'] ? undefined : resolve(args['data-dir'] ?? DEFAULT_DEMO_DIR)));
    return DEMO_EXIT.ok;
  } finally {
    await database.close();
  }
}

function demoReport(s: DemoSummary, dir: string | undefined): string {
  return [
    `${DEMO_LABEL}已生成：${s.fromDay} 至 ${s.toDay}，${s.tickets} 张工单，${s.steps} 个操作，SLA 超时 ${s.breaches} 次，用时 ${(s.elapsedMs / 1000).toFixed(1)} 秒。`,
    ...(s.refused.length
      ? [
          `注意：${s.refused.length} 个计划操作被拒绝（${s.refused
            .slice(0, 3)
            .map((r) => `${r.key} ${r.type}：${r.reason}`)
            .join('；')}）`,
        ]
      : []),
    dir
      ? `打开控制台：DATA_DIR=${dir} ADMIN_TOKEN=<至少16位> npm start，然后访问 http://localhost:3000/console`
      : '打开控制台：DATABASE_URL=<同一数据库> ADMIN_TOKEN=<至少16位> npm start',
  ].join('\n');
}

export const DEMO_USAGE = '用法：loopdesk demo [--data-dir 目录（默认 ./data-demo）| --database-url postgres://…] [--days 183] [--per-day 30] [--seed N]';
