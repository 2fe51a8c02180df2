/**
 * The whole loop in Debian's headless Chromium with no chat platform and no ADMIN_TOKEN configured: a customer posts
 * the web form with an e-mail contact → an agent signs in with a local account's one-time link (loopdesk user add) →
 * the ticket appears in the queue without a reload → claim and reply → resolve with a note → the customer answers 5
 * on the private page → closed; the ledger row shows it.
 *
 * The customer hears back by e-mail (SMTP only, a real SMTP server on 127.0.0.1): the acknowledgement and the reply
 * with the private link, the resolution note, the survey link; they follow the links from the mails.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { eq } from 'drizzle-orm';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tickets } from '../../src/db/schema/index.ts';
import { createContactChannel } from '../../src/channels/contact/index.ts';
import { createWebChannel } from '../../src/channels/web/index.tsx';
import { startSmtp, type FakeSmtp } from '../fakes/email/smtp.ts';
import { addUser, cli } from '../helpers/console-session.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';
import { CHROMIUM, chromiumPresent } from '../helpers/chromium.ts';

const haveChromium = chromiumPresent('workspace e2e');

const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts/workspace');

describe.skipIf(!haveChromium)('the whole loop in the browser, no platform configured', () => {
  let t: TestDesk;
  let server: ServerType;
  let base = '';
  let browser: Browser;
  let smtp: FakeSmtp;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    let app: { fetch: (r: Request) => Response | Promise<Response> } | null = null;
    server = serve({ fetch: (r) => app!.fetch(r), port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((r) => (server.listening ? r() : server.once('listening', () => r())));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // No ADMIN_TOKEN, no SESSION_SECRET, no Feishu/DingTalk: a fresh machine.
    smtp = await startSmtp({ user: 'relay', pass: 'relay-pass' });
    t = await createTestDesk({
      env: { PUBLIC_BASE_URL: base, ADMIN_TOKEN: undefined as unknown as string, EMAIL_SMTP_URL: smtp.url, EMAIL_ADDRESS: 'service@example.test' },
      config: { company: { name: '临港示例科技', nameEn: 'Lingang Demo' } },
      channels: [createWebChannel, createContactChannel],
    });
    expect(t.services.env.ADMIN_TOKEN).toBeUndefined();
    app = t.app;
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
    await smtp?.close();
  });

  const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const settle = async () => {
    for (let i = 0; i < 50 && (await t.services.outbox.wake()).claimed > 0; i++);
  };

  it('web form → local agent claims, replies, resolves in the console → customer answers 5 → closed, in the ledger', async () => {
    // The agent: an account from the CLI, signed in with the one-time link; the queue is open before the complaint.
    const link = await addUser(t.services, '小林', 'agent', 'lin@example.com');
    expect(link.startsWith(`${base}/console/login/link/`)).toBe(true);
    const agent = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' })).newPage();
    await agent.goto(link);
    await agent.getByRole('button', { name: '登录' }).click();
    await agent.waitForURL(`${base}/console/queues`);
    expect(await agent.locator('header').textContent()).toContain('小林（客服）');
    const unclaimed = agent.locator('section[aria-labelledby="q-unclaimed"]');
    expect(await unclaimed.textContent()).toContain('待认领（0）');

    // The customer posts the web form with an e-mail contact and lands on the private page.
    const customer = await (await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' })).newPage();
    await customer.goto(`${base}/feedback`);
    await customer.locator('#name').fill('王女士');
    await customer.locator('#contact').fill('wang@example.com');
    await customer.locator('#content').fill('充值 200 元后余额没有变化，订单号 88231');
    await customer.locator('input[name="consent"]').check();
    await customer.getByRole('button', { name: '提交反馈' }).click();
    await customer.waitForURL(/\/t\/[\w-]+\?new=1$/);
    const privateLink = customer.url().replace(/\?new=1$/, '');
    const code = (await customer.locator('.code').textContent())!.trim();
    expect(code).toMatch(/^FB-\d{8}-\d{4}$/);
    await shot(customer, '01-customer-submitted');

    // The new ticket appears in the agent's queue without a reload (live.js polls the page every 10 s).
    await unclaimed.getByRole('link', { name: code }).waitFor({ timeout: 20_000 });
    expect(await unclaimed.textContent()).toContain('待认领（1）');
    await shot(agent, '02-queue-live');

    // Claim, then reply.
    await unclaimed.getByRole('link', { name: code }).click();
    await agent.waitForURL(`${base}/console/tickets/${code}`);
    await agent.getByRole('button', { name: '认领' }).click();
    await agent.waitForURL(`${base}/console/tickets/${code}?done=claim`);
    expect(await agent.getByRole('status').first().textContent()).toContain('已认领');
    await agent.getByLabel('回复客户（将发送给客户）').fill('您好，已查到充值记录，余额将在 10 分钟内到账。');
    await agent.getByRole('button', { name: '回复客户' }).click();
    await agent.waitForURL(`${base}/console/tickets/${code}?done=respond`);
    await shot(agent, '03-ticket-replied');
    await settle();

    // The customer's mailbox: the acknowledgement and the reply, each with the private link; they follow it.
    const ack = await smtp.waitFor((m) => m.parsed.subject === `您的反馈已受理 [${code}]`);
    expect(ack.to).toEqual(['wang@example.com']);
    expect(ack.parsed.text).toContain(privateLink);
    const reply = await smtp.waitFor((m) => m.parsed.subject === `您的反馈有新回复 [${code}]` && !!m.parsed.text?.includes('余额将在 10 分钟内到账'));
    const replyLink = /https?:\/\/\S+\/t\/[\w-]+/.exec(reply.parsed.text ?? '')![0];
    expect(replyLink).toBe(privateLink);
    await customer.goto(replyLink);
    expect(await customer.locator('.msgs').textContent()).toContain('余额将在 10 分钟内到账');

    // Resolve with a note for the customer; the survey opens.
    await agent.getByLabel('处理结果（选填，将发送给客户，随后发送满意度回访）').fill('充值已到账，给您带来不便深表歉意。');
    await agent.getByRole('button', { name: '标记解决并发送回访' }).click();
    await agent.waitForURL(`${base}/console/tickets/${code}?done=resolve`);
    await settle();

    // The resolution note and the survey link arrive by e-mail; the customer answers from the survey mail's link.
    await smtp.waitFor((m) => m.parsed.subject === `您的反馈有新回复 [${code}]` && !!m.parsed.text?.includes('充值已到账'));
    const survey = await smtp.waitFor((m) => m.parsed.subject === `请为本次服务评分 [${code}]`);
    const surveyLink = /https?:\/\/\S+\/t\/[\w-]+/.exec(survey.parsed.text ?? '')![0];
    expect(surveyLink).toBe(privateLink);
    await customer.goto(surveyLink);
    expect(await customer.locator('.msgs').textContent()).toContain('充值已到账');
    await customer.getByText('5 分').click();
    await customer.getByRole('button', { name: '提交评价' }).click();
    await customer.waitForURL(/notice=/);
    expect(await customer.textContent('body')).toContain('本工单已归档');
    await shot(customer, '04-customer-closed');

    const [row] = await t.db.select().from(tickets).where(eq(tickets.code, code));
    expect(row.status).toBe('closed');
    expect(row.closeReason).toBe('satisfied');
    expect(row.csatScore).toBe(5);

    // The agent's page shows the close (the survey answer) without acting again.
    await agent.goto(`${base}/console/tickets/${code}`);
    expect(await agent.textContent('body')).toContain('已归档');
    expect(await agent.locator('form.act').count()).toBe(0);

    // The ledger row: handler 小林, satisfied, 5.
    const dir = mkdtempSync(join(tmpdir(), 'loopdesk-ledger-'));
    const out = join(dir, 'ledger.csv');
    const r = await cli(t.services, 'ledger', '--from', '2026-03-01', '--to', '2026-03-31', '--out', out, '--csv');
    expect(r.code).toBe(0);
    const line = readFileSync(out, 'utf8')
      .split('\n')
      .find((l) => l.includes(code))!;
    expect(line).toBeDefined();
    expect(line).toContain('小林');
    expect(line).toContain('5');
    expect(line).toMatch(/满意/);
  }, 120_000);
});
