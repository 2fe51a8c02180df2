/**
 * Admin reporting API (bearer ADMIN_TOKEN): GET /api/stats, GET /api/ledger.xlsx, GET /api/ledger.csv.
 * Registered per path, not as an `/api/*` sub-app, so the admin check never touches the public /api/feedback.
 * Ledgers stream: the first bytes leave before the last row is read.
 */
import { PassThrough, Readable } from 'node:stream';
import { DEMO_NOTICE, isDemoDatabase } from '../demo/marker.ts';
import type { Hono } from 'hono';
import { z } from 'zod';
import { reviewWindow, parseFromTo, parsePeriod, BadRangeError, type DateRange } from '../reports/range.ts';
import { writeLedgerCsv, writeLedgerXlsx, xlsxLedgerAvailable, XLSX_UNAVAILABLE } from '../reports/ledger.ts';
import { computeStats } from '../reports/stats.ts';
import { statsDeps } from '../reports/stats.ts';
import type { Services } from '../services.ts';
import { adminAuth } from './admin-auth.ts';
import type { AppEnv } from './env.ts';
import { ApiError } from './errors.ts';

const day = z.string().regex(/^\d{4}-\d{2}(-\d{2})?$/, '应为 YYYY-MM-DD 或 YYYY-MM');
const statsQuery = z
  .object({
    period: z.string().optional(),
    from: day.optional(),
    to: day.optional(),
    category: z.string().min(1).optional(),
    channel: z.string().min(1).optional(),
    agent: z.coerce.number().int().positive().optional(),
  })
  .strict();
/** `by`: 制表人 printed on the file's sign-off (a token has no name); unset = config company.preparer. */
const ledgerQuery = z
  .object({
    from: day.optional(),
    to: day.optional(),
    unmasked: z.enum(['1', 'true', '0', 'false']).optional(),
    by: z.string().trim().min(1).max(50).optional(),
  })
  .strict();

function range(services: Services, from: string | undefined, to: string | undefined): DateRange {
  const now = services.clock.now();
  try {
    return parseFromTo(from, to, now, services.calendar, () => reviewWindow(now, services.calendar));
  } catch (e) {
    if (e instanceof BadRangeError) throw new ApiError('bad_request', e.message);
    throw e;
  }
}

function attachment(name: string, ascii: string): string {
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export function mountAdminRoutes(app: Hono<AppEnv>, services: Services): void {
  const auth = adminAuth(services);

  app.get('/api/stats', auth, async (c) => {
    const q = statsQuery.parse(c.req.query());
    if (q.category && !services.config.categories.some((x) => x.id === q.category)) throw new ApiError('bad_request', `未知分类：${q.category}`);
    let r: DateRange;
    if (q.period) {
      if (q.from || q.to) throw new ApiError('bad_request', 'period 与 from/to 只能二选一');
      const p = parsePeriod(q.period, services.clock.now(), services.calendar);
      if (!p) throw new ApiError('bad_request', `无法识别的 period：${q.period}（today|yesterday|week|month|YYYY-MM|YYYY-MM-DD）`);
      r = p;
    } else r = q.from || q.to ? range(services, q.from, q.to) : parsePeriod('month', services.clock.now(), services.calendar)!;
    const stats = await computeStats(statsDeps(services), r, { category: q.category, channel: q.channel, agentId: q.agent }, { breakdowns: 'full' });
    // A demo database says so in every answer made from it (demo/marker.ts).
    return c.json((await isDemoDatabase(services.database)) ? { demo: true, notice: DEMO_NOTICE, ...stats } : stats);
  });

  for (const format of ['xlsx', 'csv'] as const) {
    app.get(`/api/ledger.${format}`, auth, async (c) => {
      if (format === 'xlsx' && !xlsxLedgerAvailable()) throw new ApiError('not_implemented', XLSX_UNAVAILABLE);
      const q = ledgerQuery.parse(c.req.query());
      const r = range(services, q.from, q.to);
      const unmasked = q.unmasked === '1' || q.unmasked === 'true';
      const pass = new PassThrough();
      const deps = statsDeps(services);
      const log = c.get('log');
      const write = format === 'xlsx' ? writeLedgerXlsx : writeLedgerCsv;
      // Headers are sent as soon as the body starts; a failure after that can only cut the download short.
      write(deps, r, pass, { unmasked, source: `管理接口导出（${format === 'csv' ? 'CSV' : 'XLSX'}）`, by: q.by })
        .then(() => pass.end())
        .catch((e: unknown) => {
          log.error('ledger export failed', { err: String(e) });
          pass.destroy(e instanceof Error ? e : new Error(String(e)));
        });
      const name = `投诉处理台账_${r.fromDay}_${r.toDay}.${format}`;
      return new Response(Readable.toWeb(pass) as unknown as ReadableStream, {
        headers: {
          'content-type': format === 'xlsx' ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv; charset=utf-8',
          'content-disposition': attachment(name, `ledger_${r.fromDay}_${r.toDay}.${format}`),
          'cache-control': 'no-store',
        },
      });
    });
  }
}
