/**
 * 个人信息 (issue 15): an admin answers a customer's PIPL request from the console, as with `loopdesk customer
 * export | erase`: the copy of everything held about them, and the erasure with its reason. Same records use cases
 * (src/records), same refusals, same CSRF and Origin check as every console POST.
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { Child } from 'hono/jsx';
import type { Env } from '../config.ts';
import { DeskError } from '../desk/errors.ts';
import { eraseCustomer } from '../records/erase.ts';
import { exportCustomer } from '../records/export.ts';
import type { Services } from '../services.ts';
import type { ConsoleEnv } from './index.tsx';
import { checkCsrf, type ConsoleRole } from './session.ts';

type Ctx = Context<ConsoleEnv>;

export interface CustomerRouteDeps {
  services: Services;
  env: Env;
  key: () => Buffer | null;
  need(min: ConsoleRole): MiddlewareHandler<ConsoleEnv>;
  html: (c: Ctx, title: string, body: Child, opts?: { active?: string; status?: 200 | 400 | 403 | 404 }) => Response | Promise<Response>;
}

const ACTIVE = '/console/customers';

function Lookup(props: { value?: string; error?: string; notice?: string }) {
  return (
    <div class="card">
      <h1>客户个人信息（查询副本 / 依申请删除）</h1>
      <p class="muted">按《个人信息保护法》，客户可以要求查阅、复制或删除其个人信息。可用客户编号、电话、邮箱或渠道账号查找。</p>
      {props.notice ? <p role="status">{props.notice}</p> : null}
      {props.error ? (
        <p class="error" role="alert">
          {props.error}
        </p>
      ) : null}
      <form method="get" action={ACTIVE}>
        <label>
          客户编号或联系方式 <input name="key" value={props.value ?? ''} required maxLength={200} />
        </label>{' '}
        <button type="submit">查找</button>
      </form>
    </div>
  );
}

export function registerCustomerRoutes(app: Hono<ConsoleEnv>, deps: CustomerRouteDeps): void {
  const { services, env, need, html } = deps;
  const now = () => services.clock.now();
  const status = (e: DeskError) => (e.code === 'not_found' ? 404 : 400);

  app.get('/customers', need('admin'), async (c) => {
    const key = c.req.query('key')?.trim();
    if (!key) return html(c, '客户个人信息', <Lookup />, { active: ACTIVE });
    try {
      const { data, markdown } = await exportCustomer(services.database.db, key, now());
      const id = String(data.customer.id);
      return html(
        c,
        '客户个人信息',
        <>
          <Lookup value={key} />
          <div class="card">
            <h2>副本</h2>
            <p>
              <a href={`${ACTIVE}/export.json?key=${encodeURIComponent(id)}`} download={`customer-${id}.json`}>
                下载 JSON
              </a>
            </p>
            <pre style="white-space:pre-wrap">{markdown}</pre>
          </div>
          <div class="card">
            <h2>依申请删除</h2>
            <p class="muted">删除姓名、联系方式和消息原文；工单、时间和评分留在台账，显示「已依申请删除」，事件日志仍可校验。此操作不可撤销。</p>
            <form method="post" action={`${ACTIVE}/erase`}>
              <input type="hidden" name="csrf" value={c.get('csrf')} />
              <input type="hidden" name="key" value={id} />
              <label>
                原因（必填，例如「客户 3 月 10 日来电申请删除」）
                <textarea name="reason" required maxLength={500} rows={2} />
              </label>
              <label>
                <input type="checkbox" name="confirm" value="yes" required /> 我已核实申请人身份，确认删除客户 #{id} 的个人信息
              </label>
              <button type="submit">删除个人信息</button>
            </form>
          </div>
        </>,
        { active: ACTIVE },
      );
    } catch (e) {
      if (!(e instanceof DeskError)) throw e;
      return html(c, '客户个人信息', <Lookup value={key} error={e.message} />, { active: ACTIVE, status: status(e) });
    }
  });

  app.get('/customers/export.json', need('admin'), async (c) => {
    try {
      const { data } = await exportCustomer(services.database.db, c.req.query('key') ?? '', now());
      return c.json(data, 200, { 'cache-control': 'no-store' });
    } catch (e) {
      if (!(e instanceof DeskError)) throw e;
      return c.json({ error: { code: e.code, message: e.message } }, status(e));
    }
  });

  app.post('/customers/erase', need('admin'), async (c) => {
    const form = await c.req.parseBody();
    const field = (k: string) => (typeof form[k] === 'string' ? (form[k] as string).trim() : '');
    if (!checkCsrf(c, env, deps.key()!, form.csrf))
      return html(c, '页面已过期', <Lookup error="安全校验未通过（页面已过期或来自其他网站），未做任何修改。请刷新后重试。" />, {
        active: ACTIVE,
        status: 403,
      });
    if (field('confirm') !== 'yes')
      return html(c, '客户个人信息', <Lookup value={field('key')} error="请勾选确认后再删除，未做任何修改。" />, { active: ACTIVE, status: 400 });
    try {
      const r = await eraseCustomer(services.database.db, now(), { key: field('key'), reason: field('reason'), actor: `admin:${c.get('viewer').name}` });
      const notice = r.alreadyErased
        ? `客户 #${r.customerId} 的个人信息此前已删除，未做任何修改。`
        : `已删除客户 #${r.customerId} 的个人信息：工单 ${r.tickets.join('、') || '无'}，消息 ${r.messages} 条。`;
      return html(c, '客户个人信息', <Lookup notice={notice} />, { active: ACTIVE });
    } catch (e) {
      if (!(e instanceof DeskError)) throw e;
      return html(c, '客户个人信息', <Lookup value={field('key')} error={`${e.message}（未做任何修改）`} />, { active: ACTIVE, status: status(e) });
    }
  });
}
