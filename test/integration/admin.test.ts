import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds } from '../helpers/db.ts';
import { createTestDesk, TEST_ADMIN_TOKEN, type TestDesk } from '../helpers/services.ts';
import { json } from '../helpers/http.ts';
import { buildWeek, REPORT_AT, type Week } from './reports.fixture.ts';

describe.each(dbKinds)('admin reporting API on %s', (kind) => {
  let t: TestDesk;
  let week: Week;
  beforeAll(async () => {
    t = await createTestDesk({ kind, now: REPORT_AT });
    week = await buildWeek(t);
  });
  afterAll(() => t.close());

  const get = (path: string, token: string | null = TEST_ADMIN_TOKEN) =>
    t.app.request(path, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  const errorOf = async (res: Response) => (await res.json()) as { error: { code: string; message: string; requestId: string } };

  it.each(['/api/stats', '/api/ledger.xlsx', '/api/ledger.csv'])('%s answers 401 without the bearer token, and with a wrong one', async (path) => {
    for (const token of [null, 'wrong-token-0123456789']) {
      const res = await get(path, token);
      expect(res.status).toBe(401);
      const body = await errorOf(res);
      expect(body.error.code).toBe('unauthorized');
      expect(body.error.requestId).toBeTruthy();
    }
  });

  it('stays closed when no ADMIN_TOKEN is configured', async () => {
    const closed = await createTestDesk({ kind: 'pglite', env: { ADMIN_TOKEN: '' } });
    try {
      const res = await closed.app.request('/api/stats', { headers: { authorization: 'Bearer anything-at-all-123' } });
      expect(res.status).toBe(401);
    } finally {
      await closed.close();
    }
  });

  it.each([
    ['/api/stats?from=2026-13-01', '2026-13-01'],
    ['/api/stats?period=lastyear', 'period'],
    ['/api/stats?period=month&from=2026-03', 'period'],
    ['/api/stats?category=nope', 'nope'],
    ['/api/stats?agent=abc', 'agent'],
    ['/api/stats?sneaky=1', 'sneaky'],
    ['/api/ledger.xlsx?from=2026-03-10&to=2026-03-01', '晚于'],
    ['/api/ledger.csv?from=20260301', 'from'],
    ['/api/ledger.csv?unmasked=yes', 'unmasked'],
  ])('%s answers 400 with the one error shape', async (path, mentions) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    const body = await errorOf(res);
    expect(body.error.code).toBe('bad_request');
    expect(JSON.stringify(body.error)).toContain(mentions);
  });

  it('GET /api/stats answers the metrics of a range, filtered', async () => {
    const res = await get('/api/stats?from=2026-03-01&to=2026-03-31');
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.range).toMatchObject({ fromDay: '2026-03-01', toDay: '2026-03-31' });
    expect(body.metrics.received).toBe(6);
    expect(body.metrics.resolution.reference).toBe(0.92);
    expect(body.daily).toHaveLength(31);
    // Ticket G of the hand-built week names a regulator: the major flag moved it from 产品故障 to 投诉.
    const bugs = await json(await get('/api/stats?period=2026-03&category=bug'));
    expect(bugs.metrics.received).toBe(2);
  });

  it('GET /api/ledger.xlsx streams a workbook exceljs can read; .csv a masked CSV', async () => {
    const res = await get('/api/ledger.xlsx?from=2026-03&to=2026-03');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(res.headers.get('content-disposition')).toContain("filename*=UTF-8''");
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await res.arrayBuffer()) as never);
    expect(wb.getWorksheet('台账')!.getCell('A2').value).toBe(week.G);
    expect(wb.getWorksheet('台账')!.rowCount).toBe(7 + 5); // header, 6 tickets, an empty row and the sign-off
    // A token has no name: 制表人 is `?by=`, else a line to sign by hand.
    expect(wb.getWorksheet('台账')!.getCell('A9').value).toBe('制表人');
    const csv = await (await get('/api/ledger.csv?from=2026-03&by=张制表')).text();
    expect(csv).toContain('\r\n制表人,张制表\r\n');
    expect(csv).toContain('张*,138****5678');
    expect(csv).not.toContain('13812345678');
    const full = await (await get('/api/ledger.csv?from=2026-03&unmasked=1')).text();
    expect(full).toContain('张三,13812345678');
  });

  it('leaves the public feedback API open', async () => {
    const res = await t.app.request('/api/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.7.7.7' },
      body: JSON.stringify({ contact: '13900003333', content: '你好，想咨询一下价格' }),
    });
    expect(res.status).toBe(201);
  });
});
