/**
 * The web console through app.request: sign-in (token, Feishu and DingTalk OAuth against a fake server on
 * 127.0.0.1), sessions and CSRF, roles, every page, filters, the figures against the metrics module, the ledger
 * download read back with exceljs, and the day rollup's freshness.
 */
import ExcelJS from 'exceljs';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { overviewData, rangeMonths } from '../../src/console/overview-data.ts';
import { forgetRollup } from '../../src/console/rollup.ts';
import { ticketEvents, tickets } from '../../src/db/schema/index.ts';
import { rangeOfDays } from '../../src/reports/range.ts';
import { computeStats } from '../../src/reports/stats.ts';
import { dbKinds } from '../helpers/db.ts';
import { createTestDesk, TEST_ADMIN_TOKEN, type TestDesk } from '../helpers/services.ts';
import { FAKE_APPS, startFakeOAuth, type FakeOAuth } from '../e2e/fake-oauth.ts';
import { AGENT, buildWeek, REPORT_AT, type Week } from './reports.fixture.ts';
import { Jar } from '../helpers/console-session.ts';

const ROUTES_GET = ['/console', '/console/overview', '/console/tickets', '/console/tickets/FB-20260302-0001', '/console/ledger', '/console/settings'];
const ROUTES_POST = ['/console/ledger/download'];

describe.each(dbKinds)('web console on %s', (kind) => {
  let t: TestDesk;
  let fake: FakeOAuth;
  let week: Week;

  const req = async (jar: Jar | null, path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (jar) headers.set('cookie', jar.header());
    const res = await t.app.request(path, { ...init, headers });
    jar?.store(res);
    return res;
  };
  const csrfFrom = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const form = (data: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(data).toString(),
  });

  async function tokenLogin(): Promise<Jar> {
    const jar = new Jar();
    const page = await req(jar, '/console/login');
    const res = await req(jar, '/console/login', form({ csrf: csrfFrom(await page.text()), token: TEST_ADMIN_TOKEN, next: '/console/overview' }));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/overview');
    return jar;
  }

  /** Follows the platform's authorize redirect like a browser would (over real HTTP to the fake). */
  async function oauthLogin(provider: 'feishu' | 'dingtalk', next = '/console/overview'): Promise<{ jar: Jar; landed: string }> {
    const jar = new Jar();
    const start = await req(jar, `/console/auth/${provider}/start?next=${encodeURIComponent(next)}`);
    expect(start.status).toBe(302);
    const authorize = await fetch(start.headers.get('location')!, { redirect: 'manual' });
    expect(authorize.status).toBe(302);
    const back = new URL(authorize.headers.get('location')!);
    expect(back.origin).toBe('http://loopdesk.test');
    const cb = await req(jar, back.pathname + back.search);
    expect(cb.status).toBe(302);
    return { jar, landed: cb.headers.get('location')! };
  }

  beforeAll(async () => {
    fake = await startFakeOAuth();
    t = await createTestDesk({
      kind,
      config: {
        roles: {
          agents: [{ platform: 'feishu', userId: 'ou_agent', name: '王五' }, { ...AGENT }],
          leads: [{ platform: 'dingtalk', userId: 'staff_lead', name: '李组长' }],
          admins: [],
        },
      },
      env: {
        FEISHU_APP_ID: FAKE_APPS.feishu.id,
        FEISHU_APP_SECRET: FAKE_APPS.feishu.secret,
        FEISHU_DOMAIN: fake.url,
        DINGTALK_CLIENT_ID: FAKE_APPS.dingtalk.id,
        DINGTALK_CLIENT_SECRET: FAKE_APPS.dingtalk.secret,
        DINGTALK_API_BASE: fake.url,
      },
    });
    week = await buildWeek(t);
    t.clock.set(REPORT_AT);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('sends the unauthenticated to the login page (GET) or answers 401 (POST), on every route', async () => {
    for (const path of ROUTES_GET) {
      const res = await req(null, path);
      expect(res.status, path).toBe(302);
      const loc = res.headers.get('location')!;
      expect(loc, path).toMatch(path === '/console' ? /^\/console\/overview$/ : /^\/console\/login\?next=/);
    }
    for (const path of ROUTES_POST) {
      const res = await req(null, path, form({ from: '2026-03-01', to: '2026-03-31' }));
      expect(res.status, path).toBe(401);
    }
    expect((await req(null, '/console/logout', form({}))).status).toBe(303);
    const login = await req(null, '/console/login');
    expect(login.status).toBe(200);
    const html = await login.text();
    expect(html).toContain('使用飞书登录');
    expect(html).toContain('使用钉钉登录');
    expect(login.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('signs the first admin in with ADMIN_TOKEN, only with the CSRF token and the right token', async () => {
    const jar = new Jar();
    const page = await (await req(jar, '/console/login')).text();
    const noCsrf = await req(jar, '/console/login', form({ token: TEST_ADMIN_TOKEN }));
    expect(noCsrf.headers.get('location')).toContain('error=csrf');
    const wrong = await req(jar, '/console/login', form({ csrf: csrfFrom(page), token: 'not-the-admin-token-at-all' }));
    expect(wrong.headers.get('location')).toContain('error=token');
    expect(jar.cookies.has('loopdesk_console')).toBe(false);
    const foreign = await req(jar, '/console/login', {
      ...form({ csrf: csrfFrom(page), token: TEST_ADMIN_TOKEN }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
    });
    expect(foreign.headers.get('location')).toContain('error=csrf');
    const admin = await tokenLogin();
    const overview = await req(admin, '/console/overview');
    expect(overview.status).toBe(200);
    const html = await overview.text();
    expect(html).toContain('令牌登录（管理员）');
    for (const nav of ['概览', '工单', '台账', '机制说明']) expect(html).toContain(`>${nav}</a>`);
  });

  it('rejects a forged or altered session cookie', async () => {
    const admin = await tokenLogin();
    const value = admin.cookies.get('loopdesk_console')!;
    const [body, mac] = value.split('.');
    const forged = JSON.parse(Buffer.from(body, 'base64url').toString());
    forged.method = 'feishu';
    forged.userId = 'ou_someone';
    const jar = new Jar();
    jar.cookies.set('loopdesk_console', `${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${mac}`);
    expect((await req(jar, '/console/overview')).status).toBe(302);
  });

  it('signs an agent in with Feishu (open_id from the config) and keeps them out of lead pages', async () => {
    fake.feishuUser = { open_id: 'ou_agent', name: '王五' };
    const { jar, landed } = await oauthLogin('feishu', '/console/tickets');
    expect(landed).toBe('/console/tickets');
    expect(fake.calls).toContain('POST /open-apis/authen/v2/oauth/token');
    const list = await req(jar, '/console/tickets');
    expect(list.status).toBe(200);
    const html = await list.text();
    expect(html).toContain('王五（客服）');
    expect(html).not.toContain('>台账</a>');
    for (const path of ['/console/ledger', '/console/settings']) {
      const res = await req(jar, path);
      expect(res.status, path).toBe(403);
      expect(await res.text()).toContain('无权访问');
    }
    const dl = await req(jar, '/console/ledger/download', form({ csrf: csrfFrom(html), from: '2026-03-01', to: '2026-03-31', format: 'csv' }));
    expect(dl.status).toBe(403);
    expect((await req(jar, `/console/tickets/${week.A}`)).status).toBe(200);
  });

  it('refuses people who are not in config.roles, and a callback whose state does not match', async () => {
    fake.feishuUser = { open_id: 'ou_stranger', name: '路人' };
    const { jar, landed } = await oauthLogin('feishu');
    expect(landed).toBe('/console/login?error=not_member');
    expect(jar.cookies.has('loopdesk_console')).toBe(false);
    const j2 = new Jar();
    await req(j2, '/console/auth/feishu/start');
    const cb = await req(j2, '/console/auth/feishu/callback?code=whatever&state=forged');
    expect(cb.headers.get('location')).toBe('/console/login?error=state');
  });

  it('signs a lead in with DingTalk (unionId turned into the staffId the agents group uses)', async () => {
    fake.dingtalkUser = { unionId: 'union_lead', nick: '李组长', staffId: 'staff_lead' };
    const { jar, landed } = await oauthLogin('dingtalk', '/console/ledger');
    expect(landed).toBe('/console/ledger');
    expect(fake.calls).toContain('POST /topapi/user/getbyunionid');
    const res = await req(jar, '/console/ledger');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('李组长（负责人）');
    // Taken off the team: the next request signs them out.
    const leads = t.services.config.roles.leads.splice(0);
    const after = await req(jar, '/console/overview');
    expect(after.headers.get('location')).toContain('error=revoked');
    t.services.config.roles.leads.push(...leads);
  });

  it('shows six months of figures equal to the metrics module for the same range', async () => {
    const data = await overviewData(t.services, { fresh: true });
    const stats = await computeStats(
      { database: t.database, config: t.services.config, calendar: t.services.calendar, now: t.clock.now() },
      rangeOfDays(data.months[0].month + '-01', data.range.toDay, 'Asia/Shanghai'),
    );
    expect(data.total.received).toBe(6);
    expect(data.total.received).toBe(stats.metrics.received);
    expect(data.total.firstResponse).toMatchObject({
      met: stats.metrics.firstResponse.met,
      breached: stats.metrics.firstResponse.breached,
      metRate: stats.metrics.firstResponse.metRate,
    });
    expect(data.total.resolution.resolved).toBe(stats.metrics.resolution.resolved);
    expect(data.total.survey.distribution).toEqual(stats.metrics.survey.distribution);
    expect(data.weeks.reduce((n, w) => n + w.total, 0)).toBe(6);
    expect(data.backlog.total).toBe(stats.backlogNow.open);
    expect(data.backlog.byState.breached).toBeGreaterThanOrEqual(1); // E: a bug never answered
    const html = await (await req(await tokenLogin(), '/console/overview')).text();
    expect(html).toContain('每周收到的反馈（按分类）');
    expect(html).toContain('参考值 92%');
    expect(html).toMatch(/<svg[^>]+role="img"/);
  });

  it('filters the ticket list, searches by code and phone, hides probes unless asked', async () => {
    const jar = await tokenLogin();
    const codes = async (qs: string) =>
      [...(await (await req(jar, `/console/tickets${qs}`)).text()).matchAll(/class="mono">((?:FB|TC)-[\d-]+)</g)].map((m) => m[1]);
    const all = await codes('');
    expect(new Set(all)).toEqual(new Set([week.A, week.B, week.C, week.E, week.F, week.G]));
    expect(await codes('?probe=1')).toContain(week.D);
    expect(new Set(await codes('?category=bug'))).toEqual(new Set([week.A, week.E])); // G, a major complaint, is filed under 投诉
    expect(new Set(await codes('?category=complaint'))).toEqual(new Set([week.B, week.G]));
    expect(await codes(`?q=${week.C}`)).toEqual([week.C]);
    expect(await codes('?q=138-1234-5678')).toEqual([week.A]);
    expect(await codes('?q=qian@example.com')).toEqual([week.C]);
    expect(await codes(`?q=${encodeURIComponent('退款')}`)).toEqual([week.B]);
    expect(await codes('?major=1')).toEqual([week.G]);
    expect(await codes('?sla=breached')).toEqual([week.E]);
    expect(await codes('?status=closed')).toEqual(expect.arrayContaining([week.A, week.B]));
    expect(await codes('?from=2026-03-09&to=2026-03-09')).toEqual([week.F]);
    const agentId = (await t.db.select({ a: tickets.assigneeId }).from(tickets).where(eq(tickets.code, week.A)))[0].a;
    expect((await codes(`?agent=${agentId}`)).length).toBeGreaterThan(0);
    const bad = await req(jar, '/console/tickets?status=nonsense');
    expect(bad.status).toBe(200);
    expect(await bad.text()).toContain('筛选条件有误');
  });

  it('pages with a keyset cursor', async () => {
    for (let i = 0; i < 52; i++) {
      await t.desk.intake({
        channel: 'web',
        dedupeKey: `page-${i}`,
        customer: { externalId: `page-${i}` },
        replyTo: { visitor: `page-${i}` },
        text: `分页测试 ${i}：建议增加深色模式`,
        category: 'suggestion',
      });
    }
    const jar = await tokenLogin();
    const first = await (await req(jar, `/console/tickets?q=${encodeURIComponent('分页测试')}`)).text();
    const p1 = [...first.matchAll(/class="mono">((?:FB|TC)-[\d-]+)</g)].map((m) => m[1]);
    expect(p1).toHaveLength(50);
    const next = /href="(\/console\/tickets\?[^"]*after=[^"]+)">下一页/.exec(first)![1].replaceAll('&amp;', '&');
    const p2 = [...(await (await req(jar, next)).text()).matchAll(/class="mono">((?:FB|TC)-[\d-]+)</g)].map((m) => m[1]);
    expect(p2).toHaveLength(2);
    expect(p1.filter((c) => p2.includes(c))).toEqual([]);
  });

  it('shows a ticket: timeline from the event log, chain status, messages, survey; a tampered log shows', async () => {
    const jar = await tokenLogin();
    const html = await (await req(jar, `/console/tickets/${week.C}`)).text();
    expect(html).toContain('哈希链完整');
    expect(html).toContain(
      '<th scope="row">告知客户的承诺</th><td>咨询类问题：我们将在 1 个工作日内（工作时间 9:00–12:00、13:30–18:30）首次回复，最晚 3 月 3 日（周二）10:00 前。</td>',
    );
    expect(html).toContain('在「账户-发票」页面点击导出即可。');
    expect(html).toContain('没找到导出按钮');
    expect(html).toContain('客户评价');
    expect(html).toContain('首次响应');
    const [row] = await t.db.select({ id: tickets.id }).from(tickets).where(eq(tickets.code, week.B));
    await t.db.execute(sql`update ticket_events set data = jsonb_set(data, '{text}', '"篡改"') where ticket_id = ${row.id} and seq = 2`);
    const bad = await (await req(jar, `/console/tickets/${week.B}`)).text();
    expect(bad).toContain('哈希链校验失败');
    expect((await req(jar, '/console/tickets/FB-20990101-0001')).status).toBe(404);
    void ticketEvents;
  });

  it('downloads the ledger (XLSX and CSV) with the CSRF token, and its summary matches the page', async () => {
    const jar = await tokenLogin();
    const page = await (await req(jar, '/console/ledger?from=2026-03-01&to=2026-03-31')).text();
    expect(page).toContain('月度汇总（与文件一致）');
    expect(page).toContain('不脱敏');
    const noToken = await req(jar, '/console/ledger/download', form({ from: '2026-03-01', to: '2026-03-31', format: 'xlsx' }));
    expect(noToken.status).toBe(403);
    const res = await req(jar, '/console/ledger/download', form({ csrf: csrfFrom(page), from: '2026-03-01', to: '2026-03-31', format: 'xlsx' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('ledger_2026-03-01_2026-03-31.xlsx');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await res.arrayBuffer()) as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['台账', '月度汇总', '回访记录', '重大投诉', '服务承诺', '说明']);
    // Ticket rows only: the sign-off block (制表人 …) follows them.
    const ledgerRows = (wb.getWorksheet('台账')!.getSheetValues() as unknown[][]).filter((r) => r && /^FB-/.test(String(r[1]))).length;
    const { total } = await rangeMonths(t.services, rangeOfDays('2026-03-01', '2026-03-31', 'Asia/Shanghai'));
    expect(ledgerRows).toBe(total.received);
    const summary = wb.getWorksheet('月度汇总')!;
    const headers = (summary.getRow(1).values as unknown[]).slice(1);
    // 合计 is followed by the per-category section (各类别（区间合计）).
    const rows = (summary.getSheetValues() as unknown[][]).filter(Boolean).map((r) => r.slice(1));
    const totalRow = rows.find((r) => r[0] === '合计')!;
    expect(rows.some((r) => r[0] === '各类别（区间合计）')).toBe(true);
    expect(totalRow[0]).toBe('合计');
    expect(totalRow[headers.indexOf('收到工单')]).toBe(total.received);
    expect(totalRow[headers.indexOf('已标记解决（含待回访）')]).toBe(total.resolution.resolved);
    expect(totalRow[headers.indexOf('客户确认解决')]).toBe(total.resolution.confirmed);
    const csv = await req(jar, '/console/ledger/download', form({ csrf: csrfFrom(page), from: '2026-03-01', to: '2026-03-31', format: 'csv' }));
    const text = await csv.text();
    // March asked for on 03-09: the first line says the month is not over, then the header and one row per ticket.
    const lines = text.split('\r\n');
    expect(lines[0]).toContain('2026-03 尚未结束，该月数字截至 2026-03-09');
    expect(lines.slice(0, lines.indexOf(''))).toHaveLength(total.received + 2);
    expect(text).toContain('\r\n制表人,'); // the console user's name
    expect(text).not.toContain('13812345678'); // masked by default
  });

  it('prints the written description: categories, promises, holidays and make-up days, roles, channels', async () => {
    const html = await (await req(await tokenLogin(), '/console/settings')).text();
    for (const s of ['产品故障', '2 小时', '调休上班', '春节', '李组长', '官网留言', '首次响应及时率', '客户确认解决的工单数 ÷ 有解决时限的工单数'])
      expect(html).toContain(s);
    expect(html).toContain('@media print');
  });

  it('keeps the rollup current: a resolved ticket moves the figures, untouched days are not recomputed', async () => {
    const before = await overviewData(t.services, { fresh: true });
    t.clock.set('2026-03-09T11:00:00+08:00');
    await t.desk.act({ ticket: week.E, actor: AGENT, viaAgentGroup: true, action: 'respond', text: '抱歉久等，已修复。' });
    await t.desk.act({ ticket: week.E, actor: AGENT, viaAgentGroup: true, action: 'resolve' });
    const after = await overviewData(t.services, { fresh: true });
    expect(after.total.resolution.resolved).toBe(before.total.resolution.resolved + 1);
    // Nothing changed since: no day is rewritten.
    const written = async () => {
      const r = await t.db.execute(sql`select max(updated_at)::text as at, count(*)::int as n from kv where key like 'console:day:%'`);
      return (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows)[0];
    };
    const w1 = await written();
    await overviewData(t.services, { fresh: true });
    expect(await written()).toEqual(w1);
    // A restart: the days come back from kv, and the figures are the same.
    forgetRollup(t.database);
    const cold = await overviewData(t.services, { fresh: true });
    expect(cold.total).toEqual(after.total);
    const stored = await t.db.execute(sql`select count(*)::int as n from kv where key like 'console:day:%'`);
    expect(Number((Array.isArray(stored) ? stored : (stored as { rows: Array<{ n: number }> }).rows)[0].n)).toBeGreaterThan(100);
  });
});
