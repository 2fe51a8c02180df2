/**
 * The agents' workspace in the console: one-time login links for local accounts, the queues, and the ticket page
 * with the card's actions. Actions run through the one action table (desk/action-table.ts) and the same desk use
 * cases as a card click, so the chat card is updated through the outbox and a click on the card shows here.
 *
 * Every POST: session and role (need), CSRF token and Origin (checkCsrf), the action's minimum role, and the ticket
 * version the form was drawn from (a stale tab or a double submit is refused with the reason, nothing written).
 */
import { randomBytes } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { Child } from 'hono/jsx';
import type { AgentRef } from '../channels/types.ts';
import type { Database } from '../db/client.ts';
import { agents, kv, messages as messagesTable, tickets } from '../db/schema/index.ts';
import { LOCAL_PLATFORM, localAccountCount, redeemLoginLink } from '../desk/accounts.ts';
import { ticketVersion, type Role } from '../desk/act.ts';
import { actionFields, mayUse, runTicketAction, TICKET_ACTIONS, TICKET_ACTION_NAMES, TICKET_CODE, type TicketActionName } from '../desk/action-table.ts';
import { DeskError, type DeskErrorCode } from '../desk/errors.ts';
import { actionsFor, loadTicketView, slaView, undeliveredToCustomer } from '../desk/view.ts';
import { buildCase } from '../reports/case.ts';
import { ticketPromise } from '../desk/promise.ts';
import type { Services } from '../services.ts';
import type { ConsoleEnv } from './index.tsx';
import { Page, type Viewer } from './layout.tsx';
import { TicketActions } from './pages/ticket-actions.tsx';
import { FollowUpPanel } from './pages/follow-up-form.tsx';
import { StoryPanel } from './pages/story-form.tsx';
import { storyOf } from '../core/story.ts';
import { timeFormat } from './pages/common.tsx';
import { QueuesPage } from './pages/queues.tsx';
import { TicketPage, type TicketMessage } from './pages/ticket.tsx';
import { loadQueues, viewerAgentIds } from './queues-query.ts';
import { checkCsrf, csrfToken, SESSION_TTL_SECONDS, writeSession, type ConsoleRole } from './session.ts';

type Ctx = Context<ConsoleEnv>;
type PageStatus = 200 | 400 | 403 | 404 | 409;
export interface WorkspaceDeps {
  services: Services;
  need(min: ConsoleRole): MiddlewareHandler<ConsoleEnv>;
  html(c: Ctx, title: string, body: Child, opts?: { active?: string; status?: PageStatus }): Response | Promise<Response>;
  key(): Buffer;
}

/** No SESSION_SECRET and no ADMIN_TOKEN (a fresh machine with local accounts only): a random key kept in `kv`. */
export async function storedSessionKey(database: Database): Promise<Buffer> {
  const k = 'console:session-key';
  await database.db
    .insert(kv)
    .values({ key: k, value: { key: randomBytes(32).toString('base64') } })
    .onConflictDoNothing({ target: kv.key });
  const [row] = await database.db.select({ value: kv.value }).from(kv).where(eq(kv.key, k));
  return Buffer.from((row.value as { key: string }).key, 'base64');
}

/** Who the viewer acts as on a ticket: the same agents row as their card clicks (platform + user id). */
export function actorOf(v: Viewer): AgentRef {
  if (v.method === 'token') return { platform: 'console', userId: 'admin', name: '管理员（令牌登录）' };
  return { platform: v.method === 'local' ? LOCAL_PLATFORM : v.method, userId: v.userId ?? '', name: v.name };
}

const DONE: Record<TicketActionName, string> = {
  claim: '已认领',
  respond: '已回复客户',
  resolve: '已标记解决，满意度回访已发送给客户',
  reclassify: '已重新分类',
  escalate: '已升级，已通知负责人',
  major: '已更新重大投诉标记',
  merge: '已合并，已通知客户',
  unmerge: '已撤销合并',
  note: '已添加内部备注',
};

const STATUS_OF: Partial<Record<DeskErrorCode, PageStatus>> = {
  forbidden: 403,
  not_your_ticket: 403,
  not_found: 404,
  invalid: 400,
  empty_text: 400,
  bad_score: 400,
};

/** Refreshes `[data-live]` regions and flags a changed ticket; the pages work without it. Same origin, no CDN. */
const LIVE_JS = `'use strict';
// Queues: fetch this page again every N seconds and swap the region (skipped while the tab is hidden).
document.querySelectorAll('[data-live]').forEach(function (el) {
  var every = Math.max(3, Number(el.getAttribute('data-live')) || 10) * 1000;
  setInterval(function () {
    if (document.hidden) return;
    fetch(location.href, { credentials: 'same-origin', headers: { 'x-loopdesk-live': '1' } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, 'text/html').getElementById(el.id);
        if (fresh && fresh.innerHTML !== el.innerHTML) el.innerHTML = fresh.innerHTML;
      })
      .catch(function () {});
  }, every);
});
// A ticket page: when the ticket moves on (a card click, a colleague, the customer), say so; forms keep their text.
document.querySelectorAll('[data-version-src]').forEach(function (el) {
  var mine = el.getAttribute('data-version');
  setInterval(function () {
    if (document.hidden) return;
    fetch(el.getAttribute('data-version-src'), { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) { if (j && String(j.version) !== mine) el.hidden = false; })
      .catch(function () {});
  }, 5000);
});
`;

export function registerWorkspace(app: Hono<ConsoleEnv>, w: WorkspaceDeps): void {
  const { services, need, html } = w;
  const { env, config, calendar } = services;
  const nowSeconds = () => Math.floor(services.clock.now().getTime() / 1000);

  app.get('/assets/live.js', (c) => {
    c.header('cache-control', 'public, max-age=300');
    return c.body(LIVE_JS, 200, { 'content-type': 'text/javascript; charset=utf-8' });
  });

  // ── one-time login links (loopdesk user add / link) ─────────────────────────────────────────────────────────
  // GET only shows a button: mail scanners and link previews open links, and must not spend them.
  const linkPage = (c: Ctx, token: string, error?: string, status: PageStatus = 200) =>
    c.html(
      <Page title="登录" company={config.company.name}>
        <div class="login">
          <div class="card">
            <h1>登录客户反馈控制台</h1>
            {error ? (
              <p class="err" role="alert">
                {error}
              </p>
            ) : (
              <p class="sub">这是发给你的一次性登录链接。点击下面的按钮登录；链接随即失效。</p>
            )}
            {error ? (
              <p>
                <a href="/console/login">返回登录页</a>
              </p>
            ) : (
              <form method="post" action={`/console/login/link/${token}`}>
                <input type="hidden" name="csrf" value={csrfToken(c, env, w.key())} />
                <button type="submit">登录</button>
              </form>
            )}
          </div>
        </div>
      </Page>,
      status,
    );

  app.get('/login/link/:token', (c) => linkPage(c, c.req.param('token')));

  app.post('/login/link/:token', async (c) => {
    const token = c.req.param('token');
    const form = await c.req.parseBody();
    if (!checkCsrf(c, env, w.key(), form.csrf)) return linkPage(c, token, '页面已过期或来源不明（CSRF 校验失败），链接未使用。请重新打开登录链接。', 403);
    try {
      const account = await redeemLoginLink(services.desk.deps, token);
      const iat = nowSeconds();
      writeSession(c, env, w.key(), { v: 1, method: 'local', userId: String(account.id), name: account.name, iat, exp: iat + SESSION_TTL_SECONDS });
      c.get('log').info('console login', { method: 'local', account: account.id });
      return c.redirect('/console/queues', 303);
    } catch (e) {
      if (!(e instanceof DeskError)) throw e;
      c.get('log').warn('console login link refused', { reason: e.message });
      return linkPage(c, token, e.message, e.code === 'forbidden' ? 403 : 400);
    }
  });

  // ── queues ───────────────────────────────────────────────────────────────────────────────────────────────────
  app.get('/queues', need('agent'), async (c) => {
    const v = c.get('viewer');
    const actor = actorOf(v);
    const ids = await viewerAgentIds(services.database, actor.platform, [actor.userId]);
    const now = services.clock.now();
    const q = await loadQueues(services.database, calendar, now, ids);
    const localOnly = (await localAccountCount(services.database)) > 0;
    return html(c, '工作台', <QueuesPage q={q} config={config} timeZone={calendar.timeZone} generatedAt={now} localOnly={localOnly} />, {
      active: '/console/queues',
    });
  });

  // ── one ticket ───────────────────────────────────────────────────────────────────────────────────────────────
  async function ticketPage(c: Ctx, code: string, flash?: { ok?: string; error?: string }, status: PageStatus = 200) {
    const now = services.clock.now();
    const doc = /^[\w-]{1,40}$/.test(code) ? await buildCase({ database: services.database, config, calendar, now }, code, { by: c.get('viewer').name }) : null;
    if (!doc)
      return html(
        c,
        '找不到工单',
        <div class="card">
          <h1>找不到工单 {code}</h1>
          <p>
            <a href="/console/tickets">返回工单列表</a>
          </p>
        </div>,
        { status: 404, active: '/console/tickets' },
      );
    const db = services.database.db;
    const [t] = await db.select().from(tickets).where(eq(tickets.code, code));
    const rows = await db.select().from(messagesTable).where(eq(messagesTable.ticketId, t.id)).orderBy(asc(messagesTable.id));
    const people = new Map((await db.select().from(agents)).map((a) => [`agent:${a.platform}:${a.userId}`, { id: a.id, name: a.name ?? a.userId }]));
    const author = (m: (typeof rows)[number]) =>
      m.authorKind === 'customer' ? '客户' : m.authorKind === 'bot' ? '系统自动回复' : (people.get(m.authorId ?? '')?.name ?? '客服');
    const msgs: TicketMessage[] = rows.map((m) => ({
      id: m.id,
      direction: m.direction,
      author: author(m),
      body: m.body,
      attachments: m.attachments.length,
      at: m.createdAt,
    }));
    const sla = { first: slaView(t, calendar, now, 'first'), resolution: slaView(t, calendar, now, 'resolution'), next: slaView(t, calendar, now, 'next') };
    const viewer = c.get('viewer');
    const actor = actorOf(viewer);
    const me = people.get(`agent:${actor.platform}:${actor.userId}`);
    const view = await loadTicketView(db, config, calendar, t.id, now);
    const version = await ticketVersion(db, t.id);
    const fromState: string[] = [
      ...actionsFor(t.status, { duplicates: true }),
      ...(t.status !== 'closed' ? ['note'] : []),
      ...(t.closeReason === 'merged' ? ['unmerge'] : []),
    ];
    const allowed = TICKET_ACTION_NAMES.filter((a) => fromState.includes(a) && mayUse(viewer.role as Role, a));
    const actions = (
      <TicketActions
        code={t.code}
        csrf={c.get('csrf')}
        version={version}
        allowed={allowed}
        isMajor={t.isMajor}
        assignee={view.assignee?.name ?? null}
        isMine={!!me && t.assigneeId === me.id}
        categories={config.categories.map((x) => ({ id: x.id, name: x.name }))}
        category={t.category}
        canned={view.canned ?? []}
        duplicates={view.duplicates ?? []}
        mergedInto={view.mergedInto ?? null}
      />
    );
    const story = (
      <StoryPanel
        code={t.code}
        csrf={c.get('csrf')}
        version={version}
        story={doc.story ?? storyOf([], () => '')}
        isMajor={t.isMajor}
        timeFormat={timeFormat(calendar.timeZone).full}
      />
    );
    const person = [...people.values()].find((p) => p.id === t.followUpAgentId)?.name ?? null;
    const following = t.status === 'resolved' && t.followUpSince;
    const task = following ? { since: t.followUpSince!, person, attempts: t.followUpAttempts, max: config.survey.followUpAttempts } : undefined;
    const followUp = (
      <FollowUpPanel
        code={t.code}
        csrf={c.get('csrf')}
        open={t.status === 'resolved'}
        callCustomer={await undeliveredToCustomer(db, t.id)}
        notice={c.req.query('notice')}
        task={task}
        version={version}
        timeZone={calendar.timeZone}
      />
    );
    return html(
      c,
      `工单 ${code}`,
      <TicketPage
        doc={doc}
        messages={msgs}
        sla={sla}
        timeZone={calendar.timeZone}
        isProbe={t.isProbe}
        actions={actions}
        flash={flash}
        version={version}
        code={t.code}
        followUp={followUp}
        promise={ticketPromise(config, calendar, t)}
        story={story}
      />,
      { active: '/console/tickets', status },
    );
  }

  app.get('/tickets/:code', need('agent'), (c) => {
    const done = c.req.query('done');
    if (done === 'story') return ticketPage(c, c.req.param('code'), { ok: '已保存到处理记录（重大投诉报告的“处理经过与结果”）' });
    return ticketPage(c, c.req.param('code'), done && done in DONE ? { ok: DONE[done as TicketActionName] } : undefined);
  });

  // 处理经过与结果: one section of the case's story (desk/story.ts), same checks as the action forms.
  app.post('/tickets/:code/story', need('agent'), async (c) => {
    const code = c.req.param('code');
    const refuse = (error: string, status: PageStatus) => ticketPage(c, code, { error: `未保存：${error}` }, status);
    const form = await c.req.parseBody();
    if (!checkCsrf(c, env, w.key(), form.csrf)) return refuse('页面已过期或来源不明（CSRF 校验失败）。请刷新页面后重试。', 403);
    if (!TICKET_CODE.test(code)) return refuse(`找不到工单 ${code}`, 404);
    const version = Number(form.version);
    if (!Number.isInteger(version) || version < 0) return refuse('表单缺少工单版本，请刷新页面后重试。', 400);
    const viewer = c.get('viewer');
    const str = (k: string) => (typeof form[k] === 'string' ? (form[k] as string) : '');
    try {
      const input = { ticket: code, actor: actorOf(viewer), viaAgentGroup: false, role: viewer.role as Role, expectVersion: version };
      await services.desk.writeStory({ ...input, section: str('section'), text: str('text') });
    } catch (e) {
      if (!(e instanceof DeskError)) throw e;
      c.get('log').info('console story refused', { ticket: code, code: e.code });
      return refuse(e.message, STATUS_OF[e.code] ?? 409);
    }
    c.get('log').info('console story', { ticket: code, by: viewer.name });
    return c.redirect(`/console/tickets/${code}?done=story#h-story`, 303);
  });

  app.get('/tickets/:code/version', need('agent'), async (c) => {
    const [t] = await services.database.db
      .select({ id: tickets.id })
      .from(tickets)
      .where(eq(tickets.code, c.req.param('code')));
    if (!t) return c.json({ error: { code: 'not_found', message: '找不到工单', requestId: c.get('requestId') } }, 404);
    return c.json({ version: await ticketVersion(services.database.db, t.id) });
  });

  app.post('/tickets/:code/act', need('agent'), async (c) => {
    const code = c.req.param('code');
    const refuse = (error: string, status: PageStatus) => ticketPage(c, code, { error: `操作未执行：${error}` }, status);
    const form = await c.req.parseBody();
    if (!checkCsrf(c, env, w.key(), form.csrf)) return refuse('页面已过期或来源不明（CSRF 校验失败）。请刷新页面后重试。', 403);
    if (!TICKET_CODE.test(code)) return refuse(`找不到工单 ${code}`, 404);
    const action = String(form.action ?? '') as TicketActionName;
    if (!TICKET_ACTION_NAMES.includes(action)) return refuse(`未知操作「${String(form.action ?? '')}」`, 400);
    const viewer = c.get('viewer');
    if (!mayUse(viewer.role as Role, action))
      return refuse(`「${TICKET_ACTIONS[action].label}」仅限${TICKET_ACTIONS[action].min === 'admin' ? '管理员' : '负责人'}操作`, 403);
    const version = Number(form.version);
    if (!Number.isInteger(version) || version < 0) return refuse('表单缺少工单版本，请刷新页面后重试。', 400);
    const str = (k: string) => (typeof form[k] === 'string' ? (form[k] as string) : undefined);
    const fields = actionFields.safeParse({
      reply: str('reply'),
      canned: str('canned') || undefined,
      waitForCustomer: str('waitForCustomer') === 'yes',
      category: str('category'),
      into: str('into'),
      major: str('major') === undefined ? undefined : str('major') === '1',
    });
    if (!fields.success) return refuse('表单内容有误，请检查后重试。', 400);
    try {
      await runTicketAction(services.desk, {
        action,
        ticket: code,
        actor: actorOf(viewer),
        viaAgentGroup: false,
        role: viewer.role as Role,
        expectVersion: version,
        fields: fields.data,
      });
    } catch (e) {
      if (!(e instanceof DeskError)) throw e;
      c.get('log').info('console action refused', { action, ticket: code, code: e.code });
      return refuse(e.message, STATUS_OF[e.code] ?? 409);
    }
    c.get('log').info('console action', { action, ticket: code, by: viewer.name });
    return c.redirect(`/console/tickets/${code}?done=${action}`, 303);
  });
}
