/**
 * The web console end to end in Debian's headless Chromium (driven by playwright-core): the service listens on
 * 127.0.0.1, the fake Feishu/DingTalk OAuth server too. Log in, open each page at desktop and phone widths,
 * filter, download the ledger and read it back, sign in through Feishu as an agent and be kept out of lead pages.
 * Screenshots go to test-artifacts/console/ (gitignored) for a person to look at.
 *
 * Needs /usr/bin/chromium (scripts/ci-chromium.sh). Without it the file is skipped with a message, except in CI
 * (CI=true), where a missing browser is a failure.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import ExcelJS from 'exceljs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDesk, TEST_ADMIN_TOKEN, type TestDesk } from '../helpers/services.ts';
import { AGENT, buildWeek, REPORT_AT, type Week } from '../integration/reports.fixture.ts';
import { FAKE_APPS, startFakeOAuth, type FakeOAuth } from './fake-oauth.ts';
import { CHROMIUM, chromiumPresent } from '../helpers/chromium.ts';

const haveChromium = chromiumPresent('console e2e');

const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts/console');

describe.skipIf(!haveChromium)('web console in headless Chromium', () => {
  let t: TestDesk;
  let fake: FakeOAuth;
  let server: ServerType;
  let base = '';
  let browser: Browser;
  let week: Week;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    fake = await startFakeOAuth();
    let app: { fetch: (r: Request) => Response | Promise<Response> } | null = null;
    server = serve({ fetch: (r) => app!.fetch(r), port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((r) => (server.listening ? r() : server.once('listening', () => r())));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    t = await createTestDesk({
      config: {
        company: { name: '临港示例科技', nameEn: 'Lingang Demo' },
        roles: {
          agents: [{ platform: 'feishu', userId: 'ou_agent', name: '王五' }, { ...AGENT }],
          leads: [{ platform: 'dingtalk', userId: 'staff_lead', name: '李组长' }],
          admins: [],
        },
      },
      env: {
        PUBLIC_BASE_URL: base,
        FEISHU_APP_ID: FAKE_APPS.feishu.id,
        FEISHU_APP_SECRET: FAKE_APPS.feishu.secret,
        FEISHU_DOMAIN: fake.url,
        DINGTALK_CLIENT_ID: FAKE_APPS.dingtalk.id,
        DINGTALK_CLIENT_SECRET: FAKE_APPS.dingtalk.secret,
        DINGTALK_API_BASE: fake.url,
      },
    });
    app = t.app;
    week = await buildWeek(t);
    t.clock.set(REPORT_AT);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-quic',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await t?.close();
    await fake?.close();
  });

  const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  async function adminPage(width = 1280, height = 900): Promise<Page> {
    const ctx = await browser.newContext({ viewport: { width, height }, locale: 'zh-CN', acceptDownloads: true });
    const page = await ctx.newPage();
    await page.goto(`${base}/console/tickets`);
    expect(new URL(page.url()).pathname).toBe('/console/login');
    await page.getByLabel('管理令牌（ADMIN_TOKEN）').fill(TEST_ADMIN_TOKEN);
    await page.getByRole('button', { name: '用管理令牌登录' }).click();
    await page.waitForURL(`${base}/console/tickets`);
    return page;
  }

  it('redirects every page to the login page without a session', async () => {
    const ctx = await browser.newContext();
    for (const path of ['/console/overview', '/console/tickets', `/console/tickets/${week.A}`, '/console/ledger', '/console/settings']) {
      const res = await ctx.request.get(`${base}${path}`, { maxRedirects: 0 });
      expect(res.status(), path).toBe(302);
      expect(res.headers().location, path).toMatch(/^\/console\/login\?next=/);
    }
    const post = await ctx.request.post(`${base}/console/ledger/download`, { form: { from: '2026-03-01', to: '2026-03-31' }, maxRedirects: 0 });
    expect(post.status()).toBe(401);
    const page = await ctx.newPage();
    await page.goto(`${base}/console/login`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string | undefined>('document.activeElement?.textContent?.trim()')).toBe('跳到正文');
    await shot(page, '01-login');
    await ctx.close();
  });

  it('logs in with the admin token and shows the overview with its charts', async () => {
    const page = await adminPage();
    await page.getByRole('link', { name: '概览' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('概览');
    expect(await page.locator('svg[role=img]').count()).toBeGreaterThanOrEqual(5);
    expect(await page.locator('.kpi .v').first().textContent()).toBe('6');
    await expect.poll(() => page.getByText('参考值 92%').count()).toBeGreaterThan(0);
    await shot(page, '02-overview');
    await page.context().close();
  });

  it('filters the ticket list and opens a ticket with its timeline', async () => {
    const page = await adminPage();
    await page.getByLabel('分类').selectOption('bug');
    await page.getByRole('button', { name: '筛选' }).click();
    await page.waitForURL(/category=bug/);
    const codes = await page.locator('table.list td[data-label="工单号"] a').allTextContents();
    // G names a regulator: the major flag made it a 投诉, so the bug filter lists A and E.
    expect(new Set(codes)).toEqual(new Set([week.A, week.E]));
    await shot(page, '03-tickets-filtered');
    await page.getByLabel('分类').selectOption('');
    await page.getByLabel('时限状态').selectOption('breached');
    await page.getByRole('button', { name: '筛选' }).click();
    await page.waitForURL(/sla=breached/);
    expect(await page.locator('table.list td[data-label="工单号"] a').allTextContents()).toEqual([week.E]);
    await page.goto(`${base}/console/tickets`);
    await page.getByRole('link', { name: week.C }).click();
    await page.waitForURL(`${base}/console/tickets/${week.C}`);
    await expect.poll(() => page.getByText('哈希链完整').count()).toBe(1);
    expect(await page.getByText('没找到导出按钮').count()).toBeGreaterThan(0);
    await shot(page, '04-ticket');
    await page.context().close();
  });

  it('shows the ledger summary and downloads the XLSX and CSV that read back', async () => {
    const page = await adminPage();
    await page.goto(`${base}/console/ledger`);
    await page.getByLabel('起始日期').fill('2026-03-01');
    await page.getByLabel('结束日期').fill('2026-03-31');
    await page.getByRole('button', { name: '查看汇总' }).click();
    await page.waitForURL(/from=2026-03-01/);
    const totalRow = page.locator('tr', { has: page.locator('th', { hasText: '合计' }) });
    const received = Number(await totalRow.locator('td').first().textContent());
    expect(received).toBe(6);
    await shot(page, '05-ledger');
    const [xlsx] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /下载 XLSX/ }).click()]);
    expect(xlsx.suggestedFilename()).toBe('投诉处理台账_2026-03-01_2026-03-31.xlsx');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(readFileSync(await xlsx.path()) as unknown as ArrayBuffer);
    // One row per ticket under the header; the sign-off (制表人 …) follows the rows.
    const codes: string[] = [];
    wb.getWorksheet('台账')!.eachRow((row) => void (/^FB-/.test(String(row.getCell(1).value)) && codes.push(String(row.getCell(1).value))));
    expect(codes).toHaveLength(received);
    expect(new Set(codes)).toEqual(new Set([week.A, week.B, week.C, week.E, week.G, week.F].filter((c) => c.startsWith('FB-202603'))));
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /下载 CSV/ }).click()]);
    const lines = readFileSync(await csv.path(), 'utf8')
      .replace(/^\uFEFF/, '')
      .split('\r\n');
    // March is still running on the fixture's day: the first line says so, then the header and one line per ticket.
    expect(lines.some((l) => l.startsWith('工单号,'))).toBe(true);
    expect(lines.filter((l) => l.startsWith('FB-'))).toHaveLength(received);
    expect(lines.some((l) => l.startsWith('制表人,'))).toBe(true);
    await page.context().close();
  });

  it('prints the mechanism description (settings) cleanly', async () => {
    const page = await adminPage();
    await page.goto(`${base}/console/settings`);
    await expect.poll(() => page.getByRole('heading', { name: '三、工作时间与节假日' }).count()).toBe(1);
    expect(await page.getByText('调休上班').count()).toBeGreaterThan(0);
    await shot(page, '06-settings');
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('header.top').isVisible()).toBe(false);
    await shot(page, '07-settings-print');
    await page.context().close();
  });

  it('fits a phone screen', async () => {
    const page = await adminPage(390, 844);
    await shot(page, '08-mobile-tickets');
    await page.goto(`${base}/console/overview`);
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(1);
    await shot(page, '09-mobile-overview');
    await page.context().close();
  });

  it('signs an agent in through Feishu, who cannot open the ledger or the settings', async () => {
    fake.feishuUser = { open_id: 'ou_agent', name: '王五' };
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
    const page = await ctx.newPage();
    await page.goto(`${base}/console/login`);
    await page.getByRole('link', { name: '使用飞书登录' }).click();
    await page.waitForURL(`${base}/console/overview`);
    expect(await page.getByText('王五（客服）').count()).toBe(1);
    expect(await page.getByRole('link', { name: '台账' }).count()).toBe(0);
    for (const path of ['/console/ledger', '/console/settings']) {
      const res = await page.goto(`${base}${path}`);
      expect(res!.status(), path).toBe(403);
    }
    await shot(page, '10-agent-forbidden');
    await page.goto(`${base}/console/overview`);
    await page.getByRole('button', { name: '退出' }).click();
    await page.waitForURL(`${base}/console/login`);
    await ctx.close();
  });
});
