import type { Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/env.ts';
import { ApiError } from '../http/errors.ts';
import type { CoreServices } from '../services.ts';
import { adminSession, fromLoopback } from './access.ts';
import { sandboxPage } from './page.ts';
import { ensureSandboxPeople } from './people.ts';
import { AGENTS_CHAT_ID, DT_AGENTS_CID, dtP2pCid, p2pChatId, personaByKey, type Persona } from './personas.ts';
import type { SandboxState } from './state.ts';
import { messageView } from './view.ts';

const clientId = z.string().regex(/^[\w-]{8,64}$/, '缺少或无效的请求编号');
const platform = z.enum(['feishu', 'dingtalk']).default('feishu');
const sayBody = z.object({ platform, as: z.string(), text: z.string().trim().min(1, '消息不能为空').max(2000, '消息太长（最多 2000 字）'), id: clientId });
const cardsBody = z.object({ cards: z.enum(['template', 'markdown'], '钉钉卡片方式只能是 template 或 markdown') });
const clockBody = z.object({ jump: z.enum(['hour', 'workday'], '快进只能是 hour 或 workday') });
const clickBody = z.object({
  platform,
  as: z.string(),
  message: z.string().min(1),
  value: z.record(z.string(), z.unknown()),
  form: z.record(z.string(), z.string().max(2000)).optional(),
  id: clientId,
});

export interface SandboxRouteDeps {
  core: CoreServices;
  state: SandboxState;
}

/** GET /sandbox and its small JSON API; loopback or a console admin only (DESIGN.md "Public contract"). */
export function mountSandbox(app: Hono<AppEnv>, deps: SandboxRouteDeps): void {
  const { core, state } = deps;
  const { chats } = state;
  const company = core.config.company.name;
  let people: Promise<void> | null = null;
  const ready = () =>
    (people ??= Promise.all([ensureSandboxPeople(core.database, { feishu: !!state.feishu, dingtalk: !!state.dingtalk }), state.world.load()]).then(
      () => {},
      (e) => {
        people = null;
        throw e;
      },
    ));

  const guard: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (!fromLoopback(c) && !adminSession(c, core.env, core.config, Math.floor(core.clock.now().getTime() / 1000))) {
      throw new ApiError('forbidden', '沙盒只对本机访问或已登录控制台的管理员开放');
    }
    if (c.req.method === 'POST') {
      // JSON only, and from our own page: a cross-site form post cannot reach the desk through the sandbox.
      if (!(c.req.header('content-type') ?? '').startsWith('application/json')) throw new ApiError('unsupported_media_type', '请求格式应为 JSON');
      const origin = c.req.header('origin');
      if (origin && origin !== 'null' && new URL(origin).host !== new URL(c.req.url).host) throw new ApiError('forbidden', '跨站请求被拒绝');
      if (origin === 'null') throw new ApiError('forbidden', '跨站请求被拒绝');
    }
    c.header('cache-control', 'no-store');
    c.header('x-frame-options', 'DENY');
    await next();
  };
  app.use('/sandbox', guard);
  app.use('/sandbox/*', guard);

  app.get('/sandbox', (c) => {
    const which = c.req.query('platform') === 'dingtalk' ? 'dingtalk' : 'feishu';
    const available = { feishu: !!state.feishu, dingtalk: !!state.dingtalk };
    return c.html(sandboxPage({ company, platform: which, available, dingTalkCards: state.dingtalk?.cards() ?? 'template' }));
  });

  /** The sandbox clock as the page shows it: its time, and how far it is ahead of the real one. */
  const clockView = () => ({ now: state.world.clock.now().toISOString(), aheadMs: state.world.offsetMs() });

  app.get('/sandbox/api/state', async (c) => {
    await ready();
    const since = Number(c.req.query('rev') ?? -1);
    if (since === chats.rev) return c.json({ rev: chats.rev, messages: [], clock: clockView() });
    return c.json({
      rev: chats.rev,
      messages: chats
        .all()
        .filter((m) => m.rev > since)
        .map((m) => messageView(m, company)),
      clock: clockView(),
    });
  });

  // DingTalk with the template card, or without it (markdown messages and typed commands), as a deployment chooses.
  app.post('/sandbox/api/dingtalk-cards', async (c) => {
    const body = await parse(cardsBody, c);
    driver('dingtalk');
    state.dingtalk!.setCards(body.cards);
    return c.json({ ok: true, cards: body.cards });
  });

  // 快进: the sandbox's own clock jumps ahead and its tickets' due timers fire (clock.ts); real tickets are untouched.
  app.post('/sandbox/api/clock', async (c) => {
    const body = await parse(clockBody, c);
    await ready();
    const r = await state.world.jump(body.jump);
    return c.json({ ok: true, fired: r.fired, clock: clockView() });
  });

  const driver = (p: 'feishu' | 'dingtalk') => {
    const d = state[p];
    if (!d) throw new ApiError('conflict', `已配置真实的${p === 'feishu' ? '飞书' : '钉钉'}应用：沙盒不能同时扮演它`);
    return d;
  };
  const persona = (key: string): Persona => {
    const p = personaByKey(key);
    if (!p) throw new ApiError('bad_request', `没有这个沙盒角色：${key}`);
    return p;
  };
  const parse = async <T>(schema: z.ZodType<T>, c: { req: { json(): Promise<unknown> } }): Promise<T> => {
    const raw = await c.req.json().catch(() => {
      throw new ApiError('bad_request', '请求体不是有效的 JSON');
    });
    const r = schema.safeParse(raw);
    if (!r.success) throw new ApiError('bad_request', r.error.issues.map((i) => i.message).join('；'));
    return r.data;
  };

  app.post('/sandbox/api/say', async (c) => {
    const body = await parse(sayBody, c);
    const d = driver(body.platform);
    await ready();
    const messageId = await d.say(persona(body.as), body.text, body.id);
    return c.json({ ok: true, messageId });
  });

  app.post('/sandbox/api/click', async (c) => {
    const body = await parse(clickBody, c);
    const d = driver(body.platform);
    const p = persona(body.as);
    const msg = chats.get(body.message);
    // A persona clicks only what it can see: a customer its own chat, an agent the agents' group, on that platform.
    const feishu = body.platform === 'feishu';
    const visible = p.role === 'customer' ? (feishu ? p2pChatId(p) : dtP2pCid(p)) : feishu ? AGENTS_CHAT_ID : DT_AGENTS_CID;
    if (!msg || msg.chatId !== visible || msg.msgType !== (feishu ? 'interactive' : 'dt-card')) throw new ApiError('not_found', '这条消息不在该角色的会话里');
    await ready();
    const toast = await d.click(p, body.message, body.value, body.form, body.id);
    return c.json({ ok: true, toast });
  });
}
