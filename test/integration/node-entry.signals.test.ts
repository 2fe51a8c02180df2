import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Issue 17, defects 4 and 11: `npm start` as a process manager runs it (SIGTERM to npm reaches the service), and
 * the wrong moves of a newcomer (Ctrl-C during the first start, a port in use, a stale lock) end in one clear line.
 */
const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'loopdesk-signals-'));
const dataDir = join(dir, 'data');
const lockPath = join(dataDir, 'loopdesk.lock');
const env = { ...process.env, DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info', DATABASE_URL: '', LOOPDESK_CONFIG: '', LOOPDESK_CONFIG_JSON: '' };

function run(cmd: string, args: string[], extra: Record<string, string> = {}) {
  const child = spawn(cmd, args, { cwd: root, env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const ready = new Promise<{ port: number; pid: number }>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const line = stdout.split('\n').find((l) => l.includes('"msg":"ready"'));
      if (line) resolve(JSON.parse(line));
    });
    child.once('exit', () => reject(new Error(`exited before ready: ${stderr}`)));
  });
  ready.catch(() => {});
  const exited = new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stderr, stdout })),
  );
  return { child, ready, exited, out: () => stdout };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
async function gone(pid: number, ms = 15_000) {
  const until = Date.now() + ms;
  while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
}

let orphan: number | null = null;
afterAll(() => {
  if (orphan && alive(orphan)) process.kill(orphan, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('signals and a newcomer’s wrong moves', () => {
  it('Ctrl-C during the first start says so, closes the embedded database and leaves no lock', async () => {
    const s = run(process.execPath, ['--import', 'tsx', 'src/main.ts']);
    // Wait until it is busy initialising the data directory, then interrupt.
    const until = Date.now() + 30_000;
    while (!s.out().includes('first start') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(s.out()).toContain('first start');
    s.child.kill('SIGINT');
    const r = await s.exited;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('启动中止');
    expect(r.stderr).not.toContain('    at ');
    expect(existsSync(lockPath)).toBe(false);
  }, 90_000);

  it('SIGTERM to `npm start` stops the service itself; a stale lock naming a reused pid does not block the start', async () => {
    // A crash left a lock behind, and its pid now belongs to another live process (this test runner).
    writeFileSync(lockPath, JSON.stringify({ pid: process.pid, started: '1' }));
    const npm = run('npm', ['start', '--silent']);
    const { pid } = await npm.ready;
    orphan = pid;
    expect(pid).not.toBe(npm.child.pid);
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(pid);
    npm.child.kill('SIGTERM');
    await npm.exited;
    expect(await gone(pid)).toBe(true);
    expect(existsSync(lockPath)).toBe(false);
  }, 90_000);

  it('a port in use is one clear line, and the lock is released', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const s = run(process.execPath, ['--import', 'tsx', 'src/main.ts'], { PORT: String(port), HOST: '127.0.0.1' });
      const r = await s.exited;
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`端口 ${port} 已被占用`);
      expect(r.stderr).not.toContain('    at ');
      expect(existsSync(lockPath)).toBe(false);
    } finally {
      blocker.close();
    }
  }, 90_000);
});
