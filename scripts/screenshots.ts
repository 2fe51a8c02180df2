/**
 * `npm run screenshots`: draws the pictures in docs/screenshots/ from throwaway services on 127.0.0.1 (embedded
 * databases in a temporary folder and in memory, fixed clocks): the sandbox with the ticket card in each state, the
 * survey card and the DingTalk template card; the web form and a customer's ticket page at phone width; and, from a
 * shorter `loopdesk demo` history (marked 演示数据 as every demo artefact is), the /stats card, the console overview
 * and the ledger page. Needs Chromium (/usr/bin/chromium).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { createWebChannel } from '../src/channels/web/index.tsx';
import { parseConfig, parseEnv } from '../src/config.ts';
import { fixedClock } from '../src/core/clock.ts';
import { openDatabase } from '../src/db/node.ts';
import { customers, tickets } from '../src/db/schema/index.ts';
import { createApp } from '../src/http/app.ts';
import { createLogger } from '../src/log.ts';
import { createSandboxChannel, createSandboxDingTalkChannel } from '../src/sandbox/index.ts';
import { launchChromium } from '../src/screenshots/chromium.ts';
import { createServices } from '../src/services.ts';
import { generateDemo } from '../src/demo/run.ts';

const OUT = join(import.meta.dirname, '../docs/screenshots');
const ADMIN_TOKEN = 'screenshots-admin-token-0123456789';
const AGENT = { platform: 'feishu', userId: 'ou_sandbox_agent_zhang' };
/**
 * Demo history behind the /stats card and the console pictures: six months (the overview's range) at a few tickets a
 * working day, so that every chart is filled and the run stays a few minutes on a loaded machine.
 */
const DEMO_DAYS = Number(process.env.SCREENSHOTS_DEMO_DAYS ?? 183);
const DEMO_PER_DAY = Number(process.env.SCREENSHOTS_DEMO_PER_DAY ?? 3);

async function main() {
  const launched = await launchChromium();
  if ('missing' in launched) {
    process.stderr.write(`screenshots: ${launched.missing}\n`);
    process.exit(1);
  }
  const { browser } = launched;
  mkdirSync(OUT, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'loopdesk-shots-'));
  const clock = fixedClock('2026-02-23T02:00:00Z');
  const database = await openDatabase({ dataDir });
  let app: ReturnType<typeof createApp> | null = null;
  const server = serve({ fetch: (r, bindings) => app!.fetch(r, bindings), port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((r) => (server.listening ? r() : server.once('listening', () => r())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const env = parseEnv({ ADMIN_TOKEN, PUBLIC_BASE_URL: base, DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  const config = parseConfig({ company: { name: '临港示例科技', nameEn: 'Lingang Demo' } });
  const services = createServices({
    env,
    config,
    database,
    clock,
    log: createLogger('warn'),
    channels: [createWebChannel, createSandboxChannel, createSandboxDingTalkChannel],
  });
  app = createApp(services);
  await services.start();
  const settle = async () => {
    for (let i = 0; i < 100; i++) if ((await services.outbox.wake()).claimed === 0) return;
  };
  const written: string[] = [];

  try {
    // ── a week of real (web) tickets, worked through the desk, for the console and the ledger ──────────────
    const samples = [
      ['支付成功但订单一直显示未支付，报错 500', 5],
      ['想咨询企业版如何开具增值税专用发票', 4],
      ['客服电话一直打不通，要投诉', 2],
      ['建议 App 增加深色模式', 5],
      ['登录验证码收不到', 4],
      ['退款申请提交三天了还没处理，再不处理就打 12315', 3],
    ] as const;
    let token = '';
    for (const [i, [text, score]] of samples.entries()) {
      clock.set(new Date(Date.parse('2026-02-23T02:00:00Z') + i * 86_400_000 * 1.2));
      const res = await app.request('/api/feedback', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.0.0.${i + 1}` },
        body: JSON.stringify({ name: `客户${i + 1}`, contact: `1380000000${i}`, content: text }),
      });
      const body = (await res.json()) as { ticket: string };
      const [row] = await database.db.select({ customerId: tickets.customerId, token: tickets.accessToken }).from(tickets).where(eq(tickets.code, body.ticket));
      token = row.token;
      if (i === samples.length - 1) break; // the newest stays open: the phone picture shows a ticket in progress
      const [cust] = await database.db.select({ externalId: customers.externalId }).from(customers).where(eq(customers.id, row.customerId));
      clock.advance(20);
      await services.desk.act({ ticket: body.ticket, actor: AGENT, viaAgentGroup: true, action: 'respond', text: '您好，已收到，我们正在处理。' });
      clock.advance(90);
      await services.desk.act({ ticket: body.ticket, actor: AGENT, viaAgentGroup: true, action: 'resolve' });
      clock.advance(30);
      await services.desk.answerSurvey({ ticket: body.ticket, channel: 'web', customerExternalId: cust.externalId, score });
    }
    await settle();
    clock.set('2026-03-02T02:00:00Z');

    const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 }, locale: 'zh-CN' });
    const page = await ctx.newPage();
    const shot = async (name: string, target: Page | ReturnType<Page['locator']>) => {
      await target.screenshot({ path: join(OUT, name) });
      written.push(name);
    };
    const agentCard = () => page.locator('#agents-log .card', { hasText: 'App 登录一直报错' }).last();
    const toastGone = () => page.evaluate("document.getElementById('toast').style.display='none'");
    const click = async (name: RegExp | string, where = agentCard()) => {
      await where.getByRole('button', { name }).first().click();
      await page.waitForTimeout(400);
      await settle();
      await page.waitForTimeout(900);
      await toastGone();
    };

    // ── the sandbox: a customer writes, the card goes through its states ───────────────────────────────────
    await page.goto(`${base}/sandbox`);
    // Whole cards in the pictures: the chat panes stop scrolling while single cards are photographed.
    const unclip = await page.addStyleTag({ content: 'main{height:auto!important} .log{overflow:visible!important}' });
    await page.locator('#customer-input').fill('App 登录一直报错 500，麻烦尽快处理');
    await page.locator('#customer-input').press('Enter');
    await agentCard().waitFor();
    await settle();
    await page.waitForTimeout(900);
    await shot('card-new.png', agentCard());
    clock.advance(6);
    await click('认领');
    await shot('card-claimed.png', agentCard());
    clock.advance(15);
    await agentCard().locator('textarea[name=reply]').fill('您好，请将 App 更新到 3.2.1 版本后再试，我们已修复该问题。');
    await click('回复客户');
    await shot('card-responded.png', agentCard());
    clock.advance(40);
    await click('标记解决');
    await shot('card-resolved.png', agentCard());
    const survey = page.locator('#customer-log .card', { hasText: '服务满意度回访' }).last();
    await survey.waitFor();
    await shot('survey-card.png', survey);
    await click(/^2 分/, survey);
    await shot('card-reopened.png', agentCard());
    clock.advance(10);
    await agentCard().locator('textarea[name=reply]').fill('已为您重置账号并清理缓存，请再试一次。');
    await click('回复客户');
    await click('标记解决');
    await click(/^5 分/, page.locator('#customer-log .card', { hasText: '服务满意度回访' }).last());
    await shot('card-closed.png', agentCard());
    await unclip.evaluate((el) => el.remove());
    await page.waitForTimeout(300);
    await shot('sandbox.png', page);

    // The DingTalk switch: a template card drawn from its params.
    await page.goto(`${base}/sandbox?platform=dingtalk`);
    await page.addStyleTag({ content: 'main{height:auto!important} .log{overflow:visible!important}' });
    await page.locator('#customer-input').fill('导出报表一直失败，提示“服务器繁忙”');
    await page.locator('#customer-input').press('Enter');
    const dtCard = page.locator('#agents-log .card.dt', { hasText: '导出报表' }).last();
    await dtCard.waitFor({ timeout: 10_000 }).catch(async (e) => {
      process.stderr.write(String(await page.locator('main').innerText()).slice(-1500));
      throw e;
    });
    await settle();
    await page.waitForTimeout(900);
    await shot('dingtalk-card.png', dtCard);

    // 快进: a working day ahead on the sandbox clock, the broken promise told in the group.
    await page.goto(`${base}/sandbox`);
    await page.locator('[data-persona=li]').click();
    await page.locator('#customer-input').fill('官网打不开了，一直报错 502');
    await page.locator('#customer-input').press('Enter');
    await page.locator('#agents-log .card', { hasText: '官网打不开' }).last().waitFor();
    await settle();
    await page.getByRole('button', { name: '快进 1 个工作日' }).click();
    await page.locator('#agents-log .msg', { hasText: '已超时' }).last().waitFor({ timeout: 20_000 });
    await settle();
    await page.waitForTimeout(1200);
    await toastGone();
    await shot('sandbox-fast-clock.png', page);
    await ctx.close();

    // ── the web form and a ticket page on a phone ────────────────────────────────────────────────────────────
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', isMobile: true });
    const pp = await phone.newPage();
    await pp.goto(`${base}/feedback`);
    await shot('feedback-form-phone.png', pp);
    await pp.goto(`${base}/t/${token}`);
    await shot('ticket-page-phone.png', pp);
    await phone.close();
    // ── demo history (loopdesk demo): the /stats card, the console overview and the ledger page ─────────────────
    written.push(...(await demoShots(browser)));
    process.stdout.write(`screenshots: ${written.length} pictures in docs/screenshots/\n${written.map((w) => `  ${w}`).join('\n')}\n`);
  } finally {
    await browser.close();
    await services.stop();
    await new Promise<void>((r) => server.close(() => r()));
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Charts and figures need history: a shorter `loopdesk demo` (same generator, same use cases) in an in-memory database,
 * served on its own; every picture from it carries the 演示数据 mark the product puts on demo data.
 */
async function demoShots(browser: Browser): Promise<string[]> {
  const end = new Date('2026-03-20T09:30:00Z');
  const database = await openDatabase({ memory: true });
  const config = parseConfig({ company: { name: '临港示例科技', nameEn: 'Lingang Demo' } });
  const summary = await generateDemo(database, config, { endAt: end, days: DEMO_DAYS, perWorkingDay: DEMO_PER_DAY });
  process.stdout.write(`screenshots: demo history of ${summary.tickets} tickets in ${(summary.elapsedMs / 1000).toFixed(0)} s\n`);
  let app: ReturnType<typeof createApp> | null = null;
  const server = serve({ fetch: (r, bindings) => app!.fetch(r, bindings), port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((r) => (server.listening ? r() : server.once('listening', () => r())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const env = parseEnv({ ADMIN_TOKEN, PUBLIC_BASE_URL: base, LOG_LEVEL: 'warn' });
  const services = createServices({ env, config, database, clock: fixedClock(end), log: createLogger('warn'), channels: [createSandboxChannel] });
  app = createApp(services);
  await services.start();
  const written: string[] = [];
  try {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 }, locale: 'zh-CN' });
    const page = await ctx.newPage();
    await page.goto(`${base}/sandbox`);
    await page.addStyleTag({ content: 'main{height:auto!important} .log{overflow:visible!important}' });
    await page.locator('#agents-input').fill('/stats month');
    await page.locator('#agents-input').press('Enter');
    const stats = page.locator('#agents-log .card', { hasText: '客服数据' }).last();
    await stats.waitFor({ timeout: 30_000 });
    await page.waitForTimeout(500);
    await stats.screenshot({ path: join(OUT, 'stats-card.png') });
    written.push('stats-card.png');
    await ctx.close();

    const desk = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    const cp = await desk.newPage();
    await cp.goto(`${base}/console/login`);
    await cp.getByLabel('管理令牌（ADMIN_TOKEN）').fill(ADMIN_TOKEN);
    await cp.getByRole('button', { name: '用管理令牌登录' }).click();
    await cp.waitForURL(/\/console\//);
    for (const [name, path] of [
      ['console-overview.png', '/console/overview'],
      ['console-ledger.png', '/console/ledger'],
    ]) {
      await cp.goto(`${base}${path}`);
      await cp.screenshot({ path: join(OUT, name) });
      written.push(name);
    }
    await desk.close();
    return written;
  } finally {
    await services.stop();
    await new Promise<void>((r) => server.close(() => r()));
    await database.close();
  }
}

main().catch((e) => {
  process.stderr.write(`screenshots: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
