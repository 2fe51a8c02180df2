import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type { Services } from '../services.ts';
import type { AppEnv } from './env.ts';
import { ApiError, errorResponse } from './errors.ts';
import { consoleApp } from '../console/index.tsx';
import { mountAdminRoutes } from './admin.ts';
import { mountRecordsRoutes } from './records.ts';
import { bodyLimits } from './body-limit.ts';
import { mountPromiseRoutes } from '../promise/routes.tsx';

/** One app factory for the Node and Workers entries; the services are injected, so tests pass their own. */
export function createApp(services: Services) {
  const app = new Hono<AppEnv>();

  app.use(async (c, next) => {
    const requestId = c.req.header('x-request-id')?.slice(0, 100) || randomUUID();
    c.set('requestId', requestId);
    c.set('services', services);
    c.set('log', services.log.child({ requestId }));
    const started = performance.now();
    await next();
    c.header('x-request-id', requestId);
    // Paths and status only: bodies may hold customer data and secrets. The sandbox page polls several times a second:
    // its successful polls are debug lines, so the terminal a newcomer watches keeps the sandbox's URL in view.
    const poll = c.req.path === '/sandbox/api/state' && c.res.status === 200;
    const line = { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) };
    c.get('log')[poll ? 'debug' : 'info']('request', line);
  });
  app.use(bodyLimits(services.channels.flatMap((ch) => Object.entries(ch.bodyLimits ?? {}))));
  app.onError((err, c) => errorResponse(c, err));
  app.notFound((c) => errorResponse(c, new ApiError('not_found', `没有这个地址：${c.req.method} ${c.req.path}`)));

  app.get('/healthz', async (c) => c.json(await services.health()));
  app.route('/console', consoleApp(services));
  mountAdminRoutes(app, services);
  mountRecordsRoutes(app, services);
  mountPromiseRoutes(app, services);

  for (const channel of services.channels) channel.routes?.(app);
  return app;
}
