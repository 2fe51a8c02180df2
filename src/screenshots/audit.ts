import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { and, desc, eq } from 'drizzle-orm';
import { renderTicketCard } from '../../cards/feishu/index.ts';
import { seal, sessionKey, SESSION_COOKIE, tokenFingerprint, SESSION_TTL_SECONDS } from '../console/session.ts';
import { tickets } from '../db/schema/index.ts';
import { createApp } from '../http/app.ts';
import type { Services } from '../services.ts';
import { cardPage } from './card-page.ts';
import { launchChromium } from './chromium.ts';

export interface Shot {
  name: string;
  path: string;
}
export type ShotsResult = { files: Shot[]; notes: string[] } | { missing: string };

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

/**
 * 「反馈系统截图」 for the audit pack, taken from this service as a reviewer would see it: the web form and a customer's
 * own ticket page on a phone, the public commitment page, the console overview, and the agents' card of the latest
 * real ticket. The service is served once more on 127.0.0.1 for the browser, and stopped afterwards.
 */
export async function auditScreenshots(services: Services, dir: string): Promise<ShotsResult> {
  const launched = await launchChromium();
  if ('missing' in launched) return launched;
  const { browser } = launched;
  const server = serve({ fetch: createApp(services).fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((r) => (server.listening ? r() : server.once('listening', () => r())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const files: Shot[] = [];
  const notes: string[] = [];
  try {
    const shoot = async (name: string, path: string, viewport: { width: number; height: number }, cookies: Array<{ name: string; value: string }> = []) => {
      const ctx = await browser.newContext({ viewport, locale: 'zh-CN', deviceScaleFactor: 1 });
      try {
        if (cookies.length) await ctx.addCookies(cookies.map((c) => ({ ...c, url: base })));
        const page = await ctx.newPage();
        const res = await page.goto(`${base}${path}`);
        if (!res || res.status() >= 400) {
          // The path is not printed: a customer's page carries its private link.
          notes.push(`${name.replace(/\.png$/, '')}：页面返回 ${res?.status() ?? '无响应'}，未截图`);
          return;
        }
        const file = join(dir, name);
        await page.screenshot({ path: file, fullPage: true });
        files.push({ name, path: file });
      } finally {
        await ctx.close();
      }
    };
    await shoot('01_网页反馈表单（手机）.png', '/feedback', PHONE);
    await shoot('02_服务承诺页.png', '/promise', DESKTOP);

    const db = services.database.db;
    const [latest] = await db
      .select({ id: tickets.id, token: tickets.accessToken, channel: tickets.channel })
      .from(tickets)
      .where(and(eq(tickets.isSandbox, false), eq(tickets.isProbe, false)))
      .orderBy(desc(tickets.id))
      .limit(1);
    const [web] = await db
      .select({ token: tickets.accessToken })
      .from(tickets)
      .where(and(eq(tickets.channel, 'web'), eq(tickets.isSandbox, false), eq(tickets.isProbe, false)))
      .orderBy(desc(tickets.id))
      .limit(1);
    if (web) await shoot('03_客户工单页（手机）.png', `/t/${web.token}`, PHONE);
    else notes.push('03_客户工单页：还没有网页渠道的工单，未截图');

    const key = sessionKey(services.env);
    if (key && services.env.ADMIN_TOKEN) {
      const iat = Math.floor(services.clock.now().getTime() / 1000);
      const session = seal(key, {
        v: 1,
        method: 'token',
        userId: 'admin',
        name: '审核材料截图',
        tk: tokenFingerprint(services.env.ADMIN_TOKEN),
        iat,
        exp: iat + SESSION_TTL_SECONDS,
      });
      await shoot('04_控制台概览.png', '/console/overview', DESKTOP, [{ name: SESSION_COOKIE, value: session }]);
    } else notes.push('04_控制台概览：控制台未开启（未设置管理令牌），未截图');

    if (latest) {
      const view = await services.deliveryContext.ticketView(latest.id);
      const ctx = await browser.newContext({ viewport: { width: 720, height: 600 }, locale: 'zh-CN' });
      try {
        const page = await ctx.newPage();
        await page.setContent(cardPage(renderTicketCard(view), '客服群中的工单卡片（飞书卡片 JSON 2.0，由沙盒渲染器绘制）'));
        const file = join(dir, '05_工单卡片.png');
        await page.locator('body').screenshot({ path: file });
        files.push({ name: '05_工单卡片.png', path: file });
      } finally {
        await ctx.close();
      }
    } else notes.push('05_工单卡片：区间内还没有工单，未截图');
    return { files, notes };
  } finally {
    await browser.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
}
