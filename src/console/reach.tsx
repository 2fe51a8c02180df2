/**
 * The console's side of issue 13 parts 2–4: 新建工单 (a phone call, visit or letter typed in on the customer's
 * behalf) and the 电话回访 form on the ticket page. Same session, role and CSRF checks as every console POST; the
 * same desk use cases as /new and /csat in the agents' group.
 */
import { randomUUID } from 'node:crypto';
import type { Hono, Context, MiddlewareHandler } from 'hono';
import type { Child } from 'hono/jsx';
import type { Env } from '../config.ts';
import { DeskError } from '../desk/errors.ts';
import { reachLine } from '../desk/reach-commands.ts';
import type { AgentRef } from '../channels/types.ts';
import type { Services } from '../services.ts';
import type { ConsoleEnv } from './index.tsx';
import { NewTicketPage, type NewTicketValues } from './pages/new-ticket.tsx';
import { checkCsrf, readSession, type ConsoleRole } from './session.ts';

type Ctx = Context<ConsoleEnv>;
type Html = (c: Ctx, title: string, body: Child, opts?: { active?: string; status?: 200 | 400 | 403 | 404 }) => Response | Promise<Response>;

export interface ReachRouteDeps {
  services: Services;
  env: Env;
  key: Buffer | null;
  need(min: ConsoleRole): MiddlewareHandler<ConsoleEnv>;
  html: Html;
}

/** The signed-in person as the desk names agents: their platform identity, or the console for an admin-token session. */
function actorOf(c: Ctx, key: Buffer, nowSeconds: number): AgentRef {
  const s = readSession(c, key, nowSeconds)!;
  return s.method === 'token' ? { platform: 'console', userId: 'admin', name: s.name } : { platform: s.method, userId: s.userId, name: s.name };
}

/** A `datetime-local` value read on the company's clock (the console shows Beijing time). */
export function wallTimeToDate(value: string, timeZone: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  const asUtc = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
      .formatToParts(new Date(asUtc))
      .map((p) => [p.type, Number(p.value)]),
  );
  const offset = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute) - asUtc;
  return new Date(asUtc - offset);
}

const STATUS: Partial<Record<string, 400 | 403 | 404>> = { forbidden: 403, not_your_ticket: 403, not_found: 404 };

export function registerReachRoutes(app: Hono<ConsoleEnv>, deps: ReachRouteDeps): void {
  const { services, env, need, html } = deps;
  const { config } = services;
  const nowSeconds = () => Math.floor(services.clock.now().getTime() / 1000);
  const expired = (c: Ctx, back: string) =>
    html(
      c,
      '页面已过期',
      <div class="card" role="alert">
        <h1>页面已过期</h1>
        <p>
          安全校验未通过（页面已过期或来自其他网站），未做任何修改。请 <a href={back}>返回</a> 刷新后重试。
        </p>
      </div>,
      { status: 403 },
    );
  const page = (c: Ctx, values?: NewTicketValues, error?: string, status: 200 | 400 | 403 = 200) =>
    html(
      c,
      '新建工单',
      <NewTicketPage
        csrf={c.get('csrf')}
        submissionId={randomUUID()}
        categories={config.categories.map((x) => ({ id: x.id, name: x.name }))}
        values={values}
        error={error}
        maxLength={config.web.maxContentLength}
      />,
      { active: '/console/new-ticket', status },
    );

  app.get('/new-ticket', need('agent'), (c) => page(c));

  app.post('/new-ticket', need('agent'), async (c) => {
    const form = await c.req.parseBody();
    if (!checkCsrf(c, env, deps.key!, form.csrf)) return expired(c, '/console/new-ticket');
    const field = (k: string) => (typeof form[k] === 'string' ? (form[k] as string) : '');
    const values: NewTicketValues = {
      channel: field('channel'),
      name: field('name'),
      contact: field('contact'),
      category: field('category') || undefined,
      text: field('text'),
    };
    try {
      const r = await services.desk.openRecordedTicket({
        channel: values.channel!,
        name: values.name!,
        contact: values.contact!,
        text: values.text!,
        category: values.category,
        submissionId: field('submissionId') || undefined,
        actor: actorOf(c, deps.key!, nowSeconds()),
        viaAgentGroup: false,
        role: c.get('viewer').role,
      });
      const notice = r.duplicate
        ? `这张工单已登记过（${r.code}），未重复创建。`
        : r.created
          ? `已登记工单 ${r.code}。${reachLine(env, values.contact!)}`
          : `客户已有未结工单 ${r.code}，内容已追加。`;
      return c.redirect(`/console/tickets/${r.code}?notice=${encodeURIComponent(notice)}`, 303);
    } catch (e) {
      if (!(e instanceof DeskError)) throw e;
      return page(c, values, e.message, e.code === 'forbidden' ? 403 : 400);
    }
  });

  // A failed follow-up attempt (电话回访未果): the form carries the ticket version, so a second submit records nothing.
  app.post('/tickets/:code/follow-up-attempt', need('agent'), async (c) => {
    const code = c.req.param('code');
    const back = `/console/tickets/${encodeURIComponent(code)}`;
    const form = await c.req.parseBody();
    if (!checkCsrf(c, env, deps.key!, form.csrf)) return expired(c, back);
    const field = (k: string) => (typeof form[k] === 'string' ? (form[k] as string).trim() : '');
    const at = field('at') ? wallTimeToDate(field('at'), config.calendar.timeZone) : undefined;
    try {
      if (at === null) throw new DeskError('invalid', '尝试时间格式不正确');
      const r = await services.desk.recordFollowUpAttempt({
        ticket: code,
        means: field('means'),
        result: field('result'),
        note: field('note') || undefined,
        at,
        expectVersion: /^\d+$/.test(field('version')) ? Number(field('version')) : undefined,
        actor: actorOf(c, deps.key!, nowSeconds()),
        viaAgentGroup: false,
        role: c.get('viewer').role,
      });
      return c.redirect(`${back}?notice=${encodeURIComponent(r.message)}`, 303);
    } catch (e) {
      if (!(e instanceof DeskError)) throw e;
      return refused(c, code, back, '未能登记回访', e);
    }
  });

  app.post('/tickets/:code/follow-up', need('agent'), async (c) => {
    const code = c.req.param('code');
    const back = `/console/tickets/${encodeURIComponent(code)}`;
    const form = await c.req.parseBody();
    if (!checkCsrf(c, env, deps.key!, form.csrf)) return expired(c, back);
    const calledAtText = typeof form.calledAt === 'string' ? form.calledAt.trim() : '';
    const calledAt = calledAtText ? wallTimeToDate(calledAtText, config.calendar.timeZone) : undefined;
    try {
      if (calledAt === null) throw new DeskError('invalid', '回访时间格式不正确');
      const r = await services.desk.recordFollowUp({
        ticket: code,
        score: /^[1-5]$/.test(String(form.score ?? '')) ? Number(form.score) : NaN,
        comment: typeof form.comment === 'string' ? form.comment : undefined,
        calledAt,
        actor: actorOf(c, deps.key!, nowSeconds()),
        viaAgentGroup: false,
        role: c.get('viewer').role,
      });
      return c.redirect(`${back}?notice=${encodeURIComponent(r.message)}`, 303);
    } catch (e) {
      if (!(e instanceof DeskError)) throw e;
      return refused(c, code, back, '未能录入回访', e);
    }
  });
  const refused = (c: Ctx, code: string, back: string, title: string, e: DeskError) =>
    html(
      c,
      title,
      <div class="card" role="alert">
        <h1>{title}</h1>
        <p>{e.message}</p>
        <p>未做任何修改。</p>
        <p>
          <a href={back}>返回工单 {code}</a>
        </p>
      </div>,
      { status: STATUS[e.code] ?? 400, active: '/console/tickets' },
    );
}
