/**
 * The sandbox end to end in headless Chromium: a customer writes, the ticket card appears in the agents' group, the
 * agent works it from the card, the customer answers the survey (2 stars reopens, 5 stars closes), and /stats draws
 * its charts. Everything goes through the Feishu channel's own code and the real outbox.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { eq } from 'drizzle-orm';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebChannel } from '../../src/channels/web/index.tsx';
import { tickets } from '../../src/db/schema/index.ts';
import { createSandboxChannel, createSandboxDingTalkChannel } from '../../src/sandbox/index.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';
import { CHROMIUM, chromiumPresent } from '../helpers/chromium.ts';

const haveChromium = chromiumPresent('sandbox e2e');
const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts/sandbox');

describe.skipIf(!haveChromium)('the sandbox in headless Chromium', () => {
  let t: TestDesk;
  let server: ServerType;
  let base = '';
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    t = await createTestDesk({
      channels: [createWebChannel, createSandboxChannel, createSandboxDingTalkChannel],
      config: { company: { name: '临港示例科技', nameEn: 'Lingang Demo' } },
    });
    await t.services.start();
    server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((r) => (server.listening ? r() : server.once('listening', () => r())));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
    page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 }, locale: 'zh-CN' })).newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await t?.close();
  });

  const customerLog = () => page.locator('#customer-log');
  const agentCard = (code: string) => page.locator('#agents-log .card', { hasText: code }).first();
  const ticket = async (code: string) => (await t.db.select().from(tickets).where(eq(tickets.code, code)))[0];
  async function toast(text: string | RegExp) {
    await expect.poll(() => page.locator('#toast').textContent(), { timeout: 10_000 }).toMatch(text);
  }
  async function say(side: 'customer' | 'agents', text: string) {
    await page.locator(`#${side}-input`).fill(text);
    await page.locator(`#${side}-input`).press('Enter');
  }
  async function respond(code: string, text: string) {
    await agentCard(code).locator('textarea[name=reply]').fill(text);
    await agentCard(code).getByRole('button', { name: '回复客户' }).click();
    await toast(/已回复|已发送|回复/);
    await customerLog().getByText(text).waitFor({ timeout: 10_000 });
  }

  it('customer message → card → claim → reply → resolve → 2 stars reopens → reply → resolve → 5 stars closes', async () => {
    await page.goto(`${base}/sandbox`);
    await say('customer', 'App 登录一直报错 500，麻烦尽快处理');
    const card = page.locator('#agents-log .card', { hasText: '认领' }).first();
    await card.waitFor({ timeout: 15_000 });
    const code = /FB-\d{8}-\d{4,}/.exec((await card.locator('.card-t').textContent()) ?? '')![0];
    // The acknowledgement with the ticket code reached the customer's chat.
    await customerLog().getByText(code).first().waitFor();
    expect((await ticket(code)).isSandbox).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, '01-new-card.png') });

    await agentCard(code).getByRole('button', { name: '认领' }).click();
    await toast(/认领/);
    await expect.poll(async () => (await ticket(code)).status).toBe('claimed');
    await respond(code, '您好，请更新到 3.2.1 版本后再试。');
    await agentCard(code).getByRole('button', { name: '标记解决' }).click();
    await toast(/解决/);

    const survey = () => customerLog().locator('.card', { hasText: '服务满意度回访' }).last();
    await survey().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(ARTIFACTS, '02-survey.png') });
    await survey().getByRole('button', { name: /^2 分/ }).click();
    await expect.poll(async () => (await ticket(code)).status, { timeout: 10_000 }).toBe('reopened');
    await customerLog().locator('.card', { hasText: '感谢您的评价' }).first().waitFor();

    await respond(code, '已为您重置账号，请再试一次。');
    await agentCard(code).getByRole('button', { name: '标记解决' }).click();
    await expect.poll(() => customerLog().locator('.card', { hasText: '服务满意度回访' }).count(), { timeout: 15_000 }).toBe(1);
    await survey().getByRole('button', { name: /^5 分/ }).click();
    await expect.poll(async () => (await ticket(code)).status, { timeout: 10_000 }).toBe('closed');
    const closed = await ticket(code);
    expect(closed.closeReason).toBe('satisfied');
    expect(closed.csatScore).toBe(5);
    await expect.poll(() => agentCard(code).locator('.card-h').getAttribute('class')).toContain('h-grey');
    await page.screenshot({ path: join(ARTIFACTS, '03-closed.png') });
  });

  it("/stats answers in the agents' group with its charts", async () => {
    await say('agents', '/stats week');
    const stats = page.locator('#agents-log .card', { hasText: '客服数据' }).last();
    await stats.waitFor({ timeout: 15_000 });
    expect(await stats.locator('svg.chart').count()).toBe(2);
    await page.screenshot({ path: join(ARTIFACTS, '04-stats.png') });
  });

  it('DingTalk switch: the same loop with the template card, 2 reopens and 5 closes; /stats answers in markdown', async () => {
    await page.goto(`${base}/sandbox?platform=dingtalk`);
    await say('customer', '钉钉里反馈：导出报表一直失败');
    const card = page.locator('#agents-log .card.dt', { hasText: '导出报表' }).last();
    await card.waitFor({ timeout: 15_000 });
    const code = /FB-\d{8}-\d{4,}/.exec((await card.locator('.card-t').textContent()) ?? '')![0];
    expect((await ticket(code)).channel).toBe('dingtalk');
    await customerLog().getByText(code).first().waitFor();
    await page.screenshot({ path: join(ARTIFACTS, '05-dingtalk-card.png') });
    const dtCard = () => page.locator('#agents-log .card.dt', { hasText: code }).last();
    await dtCard().getByRole('button', { name: '认领' }).click();
    await expect.poll(async () => (await ticket(code)).status, { timeout: 10_000 }).toBe('claimed');
    await expect.poll(() => dtCard().getByRole('button', { name: '认领' }).count(), { timeout: 10_000 }).toBe(0);
    const reply = async (text: string) => {
      await dtCard().locator('textarea[name=reply]').fill(text);
      await dtCard().getByRole('button', { name: '回复客户' }).click();
      await customerLog().getByText(text).waitFor({ timeout: 10_000 });
    };
    await reply('已修复导出问题，请重试。');
    await dtCard().getByRole('button', { name: '解决并回访' }).click();
    const survey = () => customerLog().locator('.card.dt', { hasText: '请为工单' }).last();
    await survey().getByRole('button', { name: '2 不满意' }).waitFor({ timeout: 15_000 });
    await survey().getByRole('button', { name: '2 不满意' }).click();
    await expect.poll(async () => (await ticket(code)).status, { timeout: 10_000 }).toBe('reopened');
    // Typed commands work too: the agent answers with /reply in the group.
    await say('agents', `/reply ${code} 已为您重新生成报表，请查收。`);
    await customerLog().getByText('已为您重新生成报表，请查收。').waitFor({ timeout: 10_000 });
    await say('agents', `/resolve ${code}`);
    await expect.poll(() => customerLog().locator('.card.dt', { hasText: '请为工单' }).count(), { timeout: 15_000 }).toBe(2);
    await survey().getByRole('button', { name: '5 非常满意' }).click();
    await expect.poll(async () => (await ticket(code)).status, { timeout: 10_000 }).toBe('closed');
    expect((await ticket(code)).csatScore).toBe(5);
    await say('agents', '/stats week');
    await page.locator('#agents-log .msg', { hasText: '首次响应及时率' }).last().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(ARTIFACTS, '06-dingtalk-closed.png') });
  });

  it('DingTalk without a card template: markdown messages, typed commands, the score typed as a number', async () => {
    await page.goto(`${base}/sandbox?platform=dingtalk`);
    await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: 'Markdown 消息' }).click()]);
    expect(await page.locator('[data-cards=markdown]').getAttribute('class')).toBe('on');
    await say('customer', '钉钉里反馈：发票抬头开错了');
    const msg = page.locator('#agents-log .msg', { hasText: '发票抬头开错了' }).last();
    await msg.waitFor({ timeout: 15_000 });
    const code = /FB-\d{8}-\d{4,}/.exec((await msg.textContent()) ?? '')![0];
    // No template: the ticket is a markdown message naming the commands, not a card with buttons.
    expect(await page.locator('#agents-log .card.dt', { hasText: code }).count()).toBe(0);
    expect(await msg.textContent()).toContain('/claim');
    await say('agents', `/claim ${code}`);
    await expect.poll(async () => (await ticket(code)).status, { timeout: 10_000 }).toBe('claimed');
    await say('agents', `/reply ${code} 已为您重开发票，请查收邮件。`);
    await customerLog().getByText('已为您重开发票，请查收邮件。').waitFor({ timeout: 10_000 });
    await say('agents', `/resolve ${code}`);
    await customerLog().locator('.msg', { hasText: '回复数字 1–5' }).last().waitFor({ timeout: 15_000 });
    await say('customer', '5 很及时');
    await expect.poll(async () => (await ticket(code)).status, { timeout: 10_000 }).toBe('closed');
    expect((await ticket(code)).csatScore).toBe(5);
    await page.screenshot({ path: join(ARTIFACTS, '06b-dingtalk-markdown.png') });
    await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: '模板卡片' }).click()]);
    expect(await page.locator('[data-cards=template]').getAttribute('class')).toBe('on');
  });

  it('two customers and two agents: assignment, a second claim refused, a duplicate merged', async () => {
    await page.goto(`${base}/sandbox`);
    await page.locator('[data-persona=wang]').click();
    await say('customer', '支付页面一直转圈，付款失败，订单号 20260302');
    const first = page.locator('#agents-log .card', { hasText: '支付页面一直转圈' }).last();
    await first.waitFor({ timeout: 15_000 });
    const a = /FB-\d{8}-\d{4,}/.exec((await first.locator('.card-t').textContent()) ?? '')![0];

    await page.locator('[data-persona=li]').click();
    await expect.poll(() => customerLog().locator('.msg').count()).toBe(0);
    await say('customer', '支付页面一直转圈，付款失败了');
    const second = page.locator('#agents-log .card', { hasText: '付款失败了' }).last();
    await second.waitFor({ timeout: 15_000 });
    const b = /FB-\d{8}-\d{4,}/.exec((await second.locator('.card-t').textContent()) ?? '')![0];
    expect(b).not.toBe(a);

    // 陈主管 claims the first; 张客服's /claim on it afterwards is refused with the reason.
    await page.locator('[data-persona=chen]').click();
    await agentCard(a).getByRole('button', { name: '认领' }).click();
    await expect.poll(async () => (await ticket(a)).assigneeId).not.toBeNull();
    await expect.poll(() => agentCard(a).textContent()).toContain('陈主管');
    await page.locator('[data-persona=zhang]').click();
    const before = (await ticket(a)).assigneeId;
    await say('agents', `/claim ${a}`);
    await page.locator('#agents-log .msg', { hasText: '已被其他人认领' }).last().waitFor({ timeout: 10_000 });
    // A rule refused in the card itself: resolving before anyone answered the customer.
    await agentCard(b).getByRole('button', { name: '标记解决' }).click();
    await toast('请先回复客户');
    expect((await ticket(a)).assigneeId).toBe(before);

    // The second customer's card offers to merge into the first (likely duplicate).
    const merge = agentCard(b).getByRole('button', { name: `合并到 ${a}` });
    await merge.waitFor({ timeout: 10_000 });
    await merge.click();
    await expect.poll(async () => (await ticket(b)).closeReason, { timeout: 10_000 }).toBe('merged');
    await page.screenshot({ path: join(ARTIFACTS, '07-merged.png') });
  });

  it('快进: the sandbox clock jumps a working day and the broken promise is told in the group', async () => {
    await page.goto(`${base}/sandbox`);
    // 李先生's earlier ticket was merged (closed): this message opens a new one.
    await page.locator('[data-persona=li]').click();
    await say('customer', '官网打不开了，一直报错 502');
    const card = page.locator('#agents-log .card', { hasText: '官网打不开' }).last();
    await card.waitFor({ timeout: 15_000 });
    const code = /FB-\d{8}-\d{4,}/.exec((await card.locator('.card-t').textContent()) ?? '')![0];
    await page.getByRole('button', { name: '快进 1 个工作日' }).click();
    await toast(/沙盒时间已快进/);
    await page
      .locator('#agents-log .msg', { hasText: `${code}` })
      .filter({ hasText: '已超时' })
      .last()
      .waitFor({ timeout: 15_000 });
    await expect.poll(() => page.locator('#clock-now').textContent()).toContain('已快进');
    await page.screenshot({ path: join(ARTIFACTS, '08-fast-clock.png') });
  });
});
