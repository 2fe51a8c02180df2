import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { json } from '../helpers/http.ts';

/** The real entry points as a newcomer runs them: `npm start` (src/main.ts) and the `loopdesk` bin. */
const root = join(import.meta.dirname, '../..');
const tsx = join(root, 'node_modules/.bin/tsx');
const dir = mkdtempSync(join(tmpdir(), 'loopdesk-entry-'));
const dataDir = join(dir, 'data');
const env = { ...process.env, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info', DATABASE_URL: '', LOOPDESK_CONFIG: '' };

function start(extra: Record<string, string> = {}): {
  child: ChildProcess;
  ready: Promise<number>;
  exited: Promise<{ code: number | null; stderr: string }>;
  stdout(): string;
} {
  const child = spawn(tsx, ['src/main.ts'], { cwd: root, env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  let out = '';
  const ready = new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.includes('"msg":"ready"'));
      if (line) resolve(JSON.parse(line).port);
    });
    child.once('exit', () => reject(new Error(`exited before ready: ${stderr}`)));
  });
  ready.catch(() => {}); // a start that is meant to fail never becomes ready
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
  return { child, ready, exited, stdout: () => out };
}

const cli = (args: string[]) => spawnSync(process.execPath, [join(root, 'bin/loopdesk.mjs'), ...args], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('node entry and CLI', () => {
  let code = '';

  it('starts on an empty DATA_DIR, takes feedback, refuses a second process, and stops cleanly on SIGTERM', async () => {
    const a = start();
    const port = await a.ready;
    const res = await fetch(`http://127.0.0.1:${port}/api/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contact: 'a@example.com', content: '网页打不开' }),
    });
    expect(res.status).toBe(201);
    code = (await json(res)).ticket;
    // A fresh clone (no platform configured) points the newcomer at the sandbox, which answers on loopback.
    expect(a.stdout()).toContain(`http://localhost:${port}/sandbox`);
    expect((await fetch(`http://127.0.0.1:${port}/sandbox`)).status).toBe(200);

    const shown = cli(['ticket', 'show', code]); // runs inside the service through the control socket
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain(code);
    expect(shown.stdout).toContain('哈希链完整');

    const b = start();
    const second = await b.exited;
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('is in use by process');

    a.child.kill('SIGTERM');
    const first = await a.exited;
    expect(first.code).toBe(0);
    expect(existsSync(join(dataDir, 'loopdesk.lock'))).toBe(false);
  }, 90_000);

  it('detects an edited event row: loopdesk ticket show reports the broken chain', async () => {
    // The service is stopped, so the CLI opens the embedded database itself.
    const ok = cli(['ticket', 'show', code]);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const script = join(dir, 'tamper.mts');
    writeFileSync(
      script,
      `import { sql } from '${join(root, 'src/db/client.ts')}';
       import { openDatabase } from '${join(root, 'src/db/node.ts')}';
       const d = await openDatabase({ dataDir: ${JSON.stringify(dataDir)} });
       await d.db.execute(sql\`update ticket_events set data = jsonb_set(data, '{category}', '"suggestion"') where seq = 1\`);
       await d.close();`,
    );
    expect(spawnSync(tsx, [script], { cwd: root, encoding: 'utf8' }).status).toBe(0);
    const broken = cli(['ticket', 'show', code]);
    expect(broken.status).toBe(3);
    expect(broken.stdout).toContain('哈希链校验失败');
    expect(broken.stdout).toContain('第 1 条');
  }, 60_000);

  it('a bad config stops startup with one clear message naming the field', async () => {
    const cfg = join(dir, 'bad.json');
    writeFileSync(cfg, JSON.stringify({ categories: [{ id: 'bug', name: '故障', nameEn: 'Bug', firstResponseMinutes: -5, resolutionMinutes: 60 }] }));
    const r = start({ LOOPDESK_CONFIG: cfg, DATA_DIR: join(dir, 'other') });
    const out = await r.exited;
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('categories.0.firstResponseMinutes');
    expect(out.stderr).not.toContain('    at '); // a message, not a stack trace
  }, 30_000);
});
