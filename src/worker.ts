/**
 * Cloudflare Workers entry (wrangler.toml `main`): the same services and Hono app as `main.ts`, on PostgreSQL
 * through Hyperdrive or DATABASE_URL. `fetch` serves the HTTP routes (Feishu webhook mode, DingTalk HTTP mode,
 * web form, inbound API, admin API, console); `scheduled` is the cron tick that runs the jobs node-cron runs on
 * Node. Migrations run from the CLI before a deploy (`DATABASE_URL=… npx loopdesk migrate`), never here.
 */
import type { ExecutionContext } from 'hono';
import { ConfigError } from './config.ts';
import type { WorkerBindings } from './workers/env.ts';
import { runtimeFor, runTick, type WorkerRuntime } from './workers/runtime.ts';

/** Cloudflare's ExecutionContext, as Hono types it (no workers-types in the Node build). */
type WorkerContext = ExecutionContext;
/** The part of Cloudflare's ScheduledController we use. */
interface CronEvent {
  scheduledTime: number;
  cron: string;
}

/** Methods that may have written rows (a ticket, a reply, a survey answer …) whose outbox rows should go out now. */
const READ_ONLY = new Set(['GET', 'HEAD', 'OPTIONS']);

function misconfigured(e: ConfigError): Response {
  console.error(`loopdesk: ${e.message}`);
  return Response.json({ error: { code: 'internal', message: e.message, requestId: crypto.randomUUID() } }, { status: 500 });
}

function runtime(bindings: WorkerBindings): WorkerRuntime | ConfigError {
  try {
    return runtimeFor(bindings);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
}

export default {
  async fetch(request: Request, bindings: WorkerBindings, ctx: WorkerContext): Promise<Response> {
    const rt = runtime(bindings);
    if (rt instanceof ConfigError) return misconfigured(rt);
    const connection = rt.scope.open();
    return connection.run(async () => {
      let response: Response | undefined;
      try {
        response = await rt.app.fetch(request, bindings, ctx);
      } finally {
        // Answer first, deliver after: the desk already woke the outbox on commit; joining that drain here (wake()
        // coalesces) keeps it alive past the answer. The cron tick is the backstop for anything left.
        const drained = READ_ONLY.has(request.method)
          ? Promise.resolve()
          : rt.services.outbox.wake().catch((e) => rt.log.error('outbox drain failed', { err: String(e) }));
        // A body may still read the database while it streams (the ledger export): close after it is sent.
        let sent: Promise<unknown> = Promise.resolve();
        if (response?.body) {
          const { readable, writable } = new TransformStream();
          sent = response.body.pipeTo(writable).catch(() => {});
          response = new Response(readable, response);
        }
        ctx.waitUntil(Promise.all([drained, sent]).finally(() => connection.close()));
      }
      return response;
    });
  },

  // The tick's work is awaited here (a cron handler may run for minutes), so it needs no waitUntil.
  async scheduled(event: CronEvent, bindings: WorkerBindings): Promise<void> {
    const rt = runtime(bindings);
    if (rt instanceof ConfigError) {
      console.error(`loopdesk: ${rt.message}`);
      throw rt;
    }
    const connection = rt.scope.open();
    try {
      const result = await connection.run(() => runTick(rt, new Date(event.scheduledTime)));
      if (result.failed.length) rt.log.warn('cron tick', { cron: event.cron, ...result });
    } finally {
      await connection.close();
    }
  },
};
