/** A browser's cookie jar and form helpers for the console through app.request (no network). */
import { expect } from 'vitest';
import { runCli } from '../../src/cli/commands.ts';
import type { Services } from '../../src/services.ts';

export class Jar {
  cookies = new Map<string, string>();
  store(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (!value || attrs.some((a) => /max-age=0\b/i.test(a.trim()))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

type App = { request(path: string, init?: RequestInit): Response | Promise<Response> };

export const csrfFrom = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
export const versionFrom = (html: string) => /name="version" value="(\d+)"/.exec(html)?.[1] ?? '';
export const formBody = (data: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(data).toString(),
});

export async function req(app: App, jar: Jar | null, path: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (jar) headers.set('cookie', jar.header());
  const res = await app.request(path, { ...init, headers });
  jar?.store(res);
  return res;
}

/** Runs `loopdesk …` against the services, as the CLI (or the control socket) does; returns exit code and lines. */
export async function cli(services: Services, ...argv: string[]) {
  const lines: string[] = [];
  const code = await runCli(argv, { services, out: (t) => lines.push(...t.split('\n')), cwd: process.cwd() });
  return { code, lines };
}

/** `user add` → the one-time URL on its own line. */
export async function addUser(services: Services, name: string, role: string, email?: string): Promise<string> {
  const r = await cli(services, 'user', 'add', '--name', name, '--role', role, ...(email ? ['--email', email] : []));
  expect(r.code).toBe(0);
  const url = r.lines.find((l) => /^https?:\/\/\S+$/.test(l));
  expect(url).toBeDefined();
  return url!;
}

/** Opens the link (GET shows a button), posts it like the browser does; returns the signed-in jar. */
export async function loginWithLink(app: App, url: string): Promise<Jar> {
  const jar = new Jar();
  const path = new URL(url).pathname;
  const page = await req(app, jar, path);
  expect(page.status).toBe(200);
  const res = await req(app, jar, path, formBody({ csrf: csrfFrom(await page.text()) }));
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe('/console/queues');
  return jar;
}
