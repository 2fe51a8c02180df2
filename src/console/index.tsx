/**
 * The web console (/console): server-rendered pages for the compliance officer and the team lead. Read-only by
 * design: the team works tickets in chat; the console shows the queue, the figures, the ledger and the written
 * description of the mechanism an auditor reads.
 *
 * Access: every page needs a session (see session.ts) and a role (config.roles, looked up on every request):
 *   agent → 概览, 工单, a ticket;  lead and admin → also 台账 (ledger) and 机制说明 (settings);  admin → unmasked ledger.
 * Unauthenticated: GET/HEAD → 302 to /console/login; anything else → 401. Too low a role → 403.
 */
import { ReadinessPage } from './pages/readiness.tsx';
import { runReadiness } from '../reports/readiness.ts';
import { localTimeFormatter } from '../reports/format.ts';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { Child } from 'hono/jsx';
import type { AppEnv } from '../http/env.ts';
import { writeLedgerCsv, writeLedgerXlsx } from '../reports/ledger.ts';
import { BadRangeError, reviewWindow, parseFromTo, type DateRange } from '../reports/range.ts';
import { signOffOf } from '../reports/sign-off.ts';
import type { Services } from '../services.ts';
import { channelHealth } from './channel-health.ts';
import { Page, type Viewer } from './layout.tsx';
import { consoleRoleOf, OAuthError, oauthProviders, roleAtLeast } from './oauth.ts';
import { overviewData, rangeMonths } from './overview-data.ts';
import { Forbidden } from './pages/common.tsx';
import { LedgerPage } from './pages/ledger.tsx';
import { LoginPage } from './pages/login.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { SettingsPage } from './pages/settings.tsx';
import { TicketsPage } from './pages/tickets.tsx';
import {
  checkCsrf,
  clearSession,
  csrfToken,
  readSession,
  safeNext,
  sessionKey,
  SESSION_TTL_SECONDS,
  takeOAuthState,
  tokenFingerprint,
  writeOAuthState,
  writeSession,
  type ConsoleRole,
} from './session.ts';
import { listAgents, listQuery, listTickets } from './tickets-query.ts';
import { registerReachRoutes } from './reach.tsx';
import { registerCustomerRoutes } from './customers.tsx';
import { isDemoDatabase } from '../demo/marker.ts';
import { localAccountRole } from '../desk/accounts.ts';
import { registerWorkspace, storedSessionKey } from './workspace.tsx';

export interface ConsoleEnv {
  Variables: AppEnv['Variables'] & { viewer: Viewer; csrf: string };
}
type Ctx = Context<ConsoleEnv>;

const CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function consoleApp(services: Services): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const { env, config, calendar } = services;
  // SESSION_SECRET or ADMIN_TOKEN; else a random key kept in the database (a fresh machine with local accounts only).
  let key = sessionKey(env);
  const providers = oauthProviders(env);
  const company = config.company.name;
  const nowSeconds = () => Math.floor(services.clock.now().getTime() / 1000);
  const adminDigest = env.ADMIN_TOKEN ? createHash('sha256').update(env.ADMIN_TOKEN).digest() : null;

  const html = (c: Ctx, title: string, body: Child, opts: { active?: string; status?: 200 | 400 | 403 | 404 | 409 } = {}) =>
    c.html(
      <Page title={title} company={company} viewer={c.get('viewer')} csrf={c.get('csrf')} active={opts.active} demo={demo}>
        {body}
      </Page>,
      opts.status ?? 200,
    );

  // Read on every request (one key lookup): a PostgreSQL database may be filled by `loopdesk demo` while we run.
  let demo = false;
  app.use(async (_c, next) => {
    demo = await isDemoDatabase(services.database);
    await next();
  });

  app.use(async (c, next) => {
    key ??= await storedSessionKey(services.database);
    await next();
    c.header('content-security-policy', CSP);
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'same-origin');
    c.header('x-frame-options', 'DENY');
    if (!c.res.headers.get('cache-control')) c.header('cache-control', 'no-store');
  });

  /** Who is asking, and may they? Sets `viewer` and `csrf`. */
  function need(min: ConsoleRole): MiddlewareHandler<ConsoleEnv> {
    return async (c, next) => {
      const unauth = (reason: string) => {
        if (c.req.method === 'GET' || c.req.method === 'HEAD') {
          const target = `${c.req.path}${new URL(c.req.url).search}`;
          return c.redirect(`/console/login?next=${encodeURIComponent(safeNext(target))}${reason ? `&error=${reason}` : ''}`, 302);
        }
        return c.json({ error: { code: 'unauthorized', message: '请先登录控制台', requestId: c.get('requestId') } }, 401);
      };
      if (!key) return unauth('closed');
      const s = readSession(c, key, nowSeconds());
      if (!s) return unauth('');
      let role: ConsoleRole | null;
      if (s.method === 'token') role = env.ADMIN_TOKEN && s.tk === tokenFingerprint(env.ADMIN_TOKEN) ? 'admin' : null;
      else if (s.method === 'local') role = (await localAccountRole(services.database, s.userId))?.role ?? null;
      else role = consoleRoleOf(config, s.method, [s.userId, ...(s.altIds ?? [])]);
      if (!role) {
        clearSession(c);
        return unauth('revoked');
      }
      c.set('viewer', { name: s.name, role, method: s.method, userId: s.userId });
      c.set('csrf', csrfToken(c, env, key));
      if (!roleAtLeast(role, min)) return html(c, '无权访问', <Forbidden need={min === 'admin' ? '管理员' : '负责人和管理员'} />, { status: 403 });
      await next();
    };
  }

  app.get('/', (c) => c.redirect('/console/overview', 302));

  // The agents' workspace: one-time login links, queues, the ticket page's actions (workspace.tsx).
  registerWorkspace(app, { services, need, html, key: () => key! });

  // ── sign-in ────────────────────────────────────────────────────────────────────────────────────────────────
  app.get('/login', (c) => {
    const next = safeNext(c.req.query('next'));
    if (key && readSession(c, key, nowSeconds())) return c.redirect(next, 302);
    const error = c.req.query('error');
    return c.html(
      <Page title="登录" company={company} demo={demo}>
        <LoginPage
          csrf={key ? csrfToken(c, env, key) : null}
          next={next}
          providers={key ? providers : []}
          error={key ? error : 'closed'}
          tokenEnabled={Boolean(env.ADMIN_TOKEN)}
        />
      </Page>,
    );
  });

  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const next = safeNext(typeof form.next === 'string' ? form.next : null);
    const back = (error: string) => c.redirect(`/console/login?next=${encodeURIComponent(next)}&error=${error}`, 303);
    if (!key || !adminDigest) return back('closed');
    if (!checkCsrf(c, env, key, form.csrf)) return back('csrf');
    const given = typeof form.token === 'string' ? form.token : '';
    if (!given || !timingSafeEqual(createHash('sha256').update(given).digest(), adminDigest)) {
      c.get('log').warn('console token login refused', { ip: c.req.header('x-forwarded-for') ?? null });
      return back('token');
    }
    const iat = nowSeconds();
    writeSession(c, env, key, {
      v: 1,
      method: 'token',
      userId: 'admin',
      name: '令牌登录',
      tk: tokenFingerprint(env.ADMIN_TOKEN!),
      iat,
      exp: iat + SESSION_TTL_SECONDS,
    });
    c.get('log').info('console login', { method: 'token' });
    return c.redirect(next, 303);
  });

  app.post('/logout', async (c) => {
    const form = await c.req.parseBody();
    if (!key || !readSession(c, key, nowSeconds())) return c.redirect('/console/login', 303);
    if (!checkCsrf(c, env, key, form.csrf)) return c.json({ error: { code: 'forbidden', message: 'CSRF 校验失败', requestId: c.get('requestId') } }, 403);
    clearSession(c);
    return c.redirect('/console/login', 303);
  });

  for (const p of providers) {
    const redirectUri = `${env.PUBLIC_BASE_URL.replace(/\/+$/, '')}/console/auth/${p.id}/callback`;
    app.get(`/auth/${p.id}/start`, (c) => {
      if (!key) return c.redirect('/console/login?error=closed', 302);
      const state = randomBytes(18).toString('base64url');
      writeOAuthState(c, env, key, { provider: p.id, state, next: safeNext(c.req.query('next')) }, nowSeconds());
      return c.redirect(p.authorizeUrl(state, redirectUri), 302);
    });
    app.get(`/auth/${p.id}/callback`, async (c) => {
      if (!key) return c.redirect('/console/login?error=closed', 302);
      const st = takeOAuthState(c, key, nowSeconds());
      const state = c.req.query('state');
      const code = c.req.query(p.codeParam) ?? c.req.query('code');
      if (!st || st.provider !== p.id || !state || state !== st.state) return c.redirect('/console/login?error=state', 302);
      if (!code) return c.redirect('/console/login?error=oauth', 302);
      try {
        const who = await p.exchange(code, redirectUri);
        const role = consoleRoleOf(config, who.platform, [who.userId, ...who.altIds]);
        if (!role) {
          c.get('log').warn('console login refused: not in config.roles', { platform: who.platform, userId: who.userId });
          return c.redirect('/console/login?error=not_member', 302);
        }
        const iat = nowSeconds();
        writeSession(c, env, key, { v: 1, method: p.id, userId: who.userId, altIds: who.altIds, name: who.name, iat, exp: iat + SESSION_TTL_SECONDS });
        c.get('log').info('console login', { method: p.id, userId: who.userId, role });
        return c.redirect(st.next, 302);
      } catch (e) {
        c.get('log').warn('console oauth failed', { provider: p.id, err: e instanceof OAuthError ? e.message : String(e) });
        return c.redirect('/console/login?error=oauth', 302);
      }
    });
  }

  // ── pages ─────────────────────────────────────────────────────────────────────────────────────────────────
  app.get('/overview', need('agent'), async (c) => {
    const data = await overviewData(services);
    return html(
      c,
      '概览',
      <OverviewPage data={data} config={config} timeZone={calendar.timeZone} canSeeDefinitions={roleAtLeast(c.get('viewer').role, 'lead')} />,
      { active: '/console/overview' },
    );
  });

  app.get('/tickets', need('agent'), async (c) => {
    const parsed = listQuery.safeParse(c.req.query());
    const q = parsed.success ? parsed.data : {};
    const error = parsed.success ? undefined : '筛选条件有误，已忽略。';
    const now = services.clock.now();
    const [result, agentList] = await Promise.all([listTickets(services.database, config, calendar, now, q), listAgents(services.database)]);
    const channelNames = [...new Set([...services.channels.map((x) => x.name).filter((n) => n !== 'probes'), 'feishu', 'dingtalk', 'web', 'email', 'api'])];
    return html(
      c,
      '工单',
      <TicketsPage q={q} result={result} config={config} channels={channelNames} agents={agentList} timeZone={calendar.timeZone} error={error} />,
      { active: '/console/tickets' },
    );
  });

  // 新建工单 and 电话回访 (issue 13): console/reach.tsx. `key` is read per request (it may come from the database).
  registerReachRoutes(app, {
    services,
    env,
    get key() {
      return key;
    },
    need,
    html,
  });

  // GET /tickets/:code (the ticket page with its actions and the 电话回访 form) lives in workspace.tsx.

  // 个人信息: a customer's copy and erasure on request (admins; issue 15), console/customers.tsx.
  registerCustomerRoutes(app, { services, env, key: () => key, need, html });

  const rangeOf = (from: string | undefined, to: string | undefined): { range: DateRange; error?: string } => {
    const now = services.clock.now();
    const fallback = () => reviewWindow(now, calendar);
    try {
      return { range: parseFromTo(from || undefined, to || undefined, now, calendar, fallback) };
    } catch (e) {
      if (e instanceof BadRangeError) return { range: fallback(), error: e.message };
      throw e;
    }
  };

  app.get('/ledger', need('lead'), async (c) => {
    const { range, error } = rangeOf(c.req.query('from'), c.req.query('to'));
    const { months, total } = await rangeMonths(services, range);
    const canUnmask = c.get('viewer').role === 'admin';
    const page = <LedgerPage range={range} months={months} total={total} csrf={c.get('csrf')} canUnmask={canUnmask} config={services.config} error={error} />;
    return html(c, '台账', page, { active: '/console/ledger', status: error ? 400 : 200 });
  });

  app.post('/ledger/download', need('lead'), async (c) => {
    const form = await c.req.parseBody();
    if (!checkCsrf(c, env, key!, form.csrf))
      return html(
        c,
        '页面已过期',
        <div class="card">
          <h1>页面已过期</h1>
          <p>
            请返回 <a href="/console/ledger">台账</a> 重新下载。
          </p>
        </div>,
        { status: 403 },
      );
    const { range, error } = rangeOf(String(form.from ?? ''), String(form.to ?? ''));
    if (error) return c.redirect(`/console/ledger?error=1`, 303);
    const format = form.format === 'csv' ? 'csv' : 'xlsx';
    const viewer = c.get('viewer');
    const unmasked = form.unmasked === '1' && viewer.role === 'admin';
    const pass = new PassThrough();
    const deps = { database: services.database, config, calendar, now: services.clock.now() };
    const write = format === 'xlsx' ? writeLedgerXlsx : writeLedgerCsv;
    const log = c.get('log');
    log.info('console ledger export', { format, from: range.fromDay, to: range.toDay, unmasked, by: viewer.name });
    write(deps, range, pass, { unmasked, source: `控制台下载（${viewer.name}）`, by: viewer.name })
      .then(() => pass.end())
      .catch((e: unknown) => {
        log.error('console ledger export failed', { err: String(e) });
        pass.destroy(e instanceof Error ? e : new Error(String(e)));
      });
    const name = `投诉处理台账_${range.fromDay}_${range.toDay}.${format}`;
    return new Response(Readable.toWeb(pass) as unknown as ReadableStream, {
      headers: {
        'content-type': format === 'xlsx' ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="ledger_${range.fromDay}_${range.toDay}.${format}"; filename*=UTF-8''${encodeURIComponent(name)}`,
        'cache-control': 'no-store',
      },
    });
  });

  app.get('/readiness', need('lead'), async (c) => {
    const items = await runReadiness(services);
    return html(c, '预审自检', <ReadinessPage items={items} generatedAt={localTimeFormatter(calendar.timeZone)(services.clock.now())} />, {
      active: '/console/readiness',
    });
  });

  app.get('/settings', need('lead'), async (c) => {
    const now = services.clock.now();
    const year = Number(calendar.localDate(now).slice(0, 4));
    const years = calendar.hasDataFor(year + 1) ? [year, year + 1] : [year];
    const channels = await channelHealth(services);
    const signOff = signOffOf({ config, calendar, now }, c.get('viewer').name);
    const page = <SettingsPage config={config} calendar={calendar} years={years} channels={channels} generatedAt={now} signOff={signOff} />;
    return html(c, '机制说明', page, { active: '/console/settings' });
  });

  return app;
}
