import { chmodSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { Hono } from 'hono';
import { getRequestListener } from '@hono/node-server';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { runCli } from './commands.ts';

/**
 * The control socket: PGlite serves one process, so while the service runs, `loopdesk …` runs its command inside
 * the service over a Unix socket in DATA_DIR. Whoever can open DATA_DIR can already read the database, so the
 * socket's file permissions (0600) are the access control.
 */
export const controlSocketPath = (dataDir: string) => join(resolve(dataDir), 'loopdesk.sock');

export function startControlSocket(services: Services, dataDir: string): Promise<Server> {
  const app = new Hono();
  const body = z.object({ argv: z.array(z.string()), cwd: z.string() });
  app.post('/cli', async (c) => {
    const { argv, cwd } = body.parse(await c.req.json());
    const lines: string[] = [];
    const code = await runCli(argv, { services, out: (t) => lines.push(t), cwd }).catch((e) => {
      lines.push(`loopdesk: ${e instanceof Error ? e.message : String(e)}`);
      return 1;
    });
    return c.json({ code, output: lines.join('\n') });
  });
  const path = controlSocketPath(dataDir);
  rmSync(path, { force: true }); // left by a crash; our data-dir lock proves no other live owner
  const server = createServer(getRequestListener(app.fetch));
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(path, () => {
      chmodSync(path, 0o600);
      ok(server);
    });
  });
}

export function runRemote(dataDir: string, argv: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((ok, fail) => {
    const req = request({ socketPath: controlSocketPath(dataDir), path: '/cli', method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (data += d));
      res.on('end', () => {
        try {
          ok(JSON.parse(data));
        } catch (e) {
          fail(e);
        }
      });
    });
    req.on('error', fail);
    req.end(JSON.stringify({ argv, cwd }));
  });
}
