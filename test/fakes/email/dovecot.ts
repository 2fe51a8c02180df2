import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private Debian dovecot (IMAP only) per test file: free port on 127.0.0.1, temp mail dir, a passwd-file with
 * the test users. Installed by scripts/ci-dovecot.sh; the system instance is never touched.
 */
export interface Dovecot {
  host: string;
  port: number;
  dir: string;
  users: Record<string, string>;
  /** imap://user:pass@127.0.0.1:port */
  url(user: string): string;
  stop(): Promise<void>;
  /** Starts it again on the same port and mail dir (the mailbox and its UIDs survive). */
  restart(): Promise<void>;
  /** Stops the server but keeps the mail dir ("the IMAP server is down"); `restart()` brings it back. */
  halt(): Promise<void>;
  log(): string;
}

/**
 * Whether the IMAP tests can run. A newcomer's machine without dovecot skips them with a message; CI (CI=true) must
 * run them, so there a missing dovecot is an error.
 */
export function requireDovecot(file: string): boolean {
  if (dovecotAvailable()) return true;
  if (process.env.CI) throw new Error('dovecot is missing: run scripts/ci-dovecot.sh before the tests (CI must run the e-mail tests)');
  console.warn(`[${file}] skipped: dovecot not found (install with: bash scripts/ci-dovecot.sh)`);
  return false;
}

export function dovecotAvailable(): boolean {
  return spawnSync('dovecot', ['--version'], { stdio: 'ignore' }).status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.once('data', (d) => done(d.toString().startsWith('* OK')));
    sock.once('error', () => done(false));
    sock.setTimeout(1000, () => done(false));
  });
}

export async function startDovecot(users: Record<string, string>): Promise<Dovecot> {
  const dir = mkdtempSync(join(tmpdir(), 'loopdesk-dovecot-'));
  chmodSync(dir, 0o755);
  const root = process.getuid?.() === 0;
  // Dovecot refuses mail access as uid 0, so as root the mailboxes belong to nobody.
  const uid = root ? 65534 : process.getuid!();
  const gid = root ? 65534 : process.getgid!();
  const me = root ? null : (process.env.USER ?? String(uid));
  for (const d of ['mail', 'home']) {
    mkdirSync(join(dir, d));
    chownSync(join(dir, d), uid, gid);
  }
  writeFileSync(
    join(dir, 'passwd'),
    Object.entries(users)
      .map(([u, p]) => `${u}:{PLAIN}${p}::::::\n`)
      .join(''),
  );
  let port = await freePort();
  const writeConf = () =>
    writeFileSync(
      join(dir, 'dovecot.conf'),
      `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:${dir}/mail/%n
first_valid_uid = ${Math.min(uid, 500)}
first_valid_gid = 0
default_login_user = ${me ?? 'dovenull'}
default_internal_user = ${me ?? 'dovecot'}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${uid} gid=${gid} home=${dir}/home/%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
protocol imap {
  mail_max_userip_connections = 100
}
`,
    );
  let child: ChildProcess | null = null;

  async function start() {
    for (let attempt = 0; ; attempt++) {
      writeConf();
      child = spawn('dovecot', ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
      const deadline = Date.now() + 10_000;
      let up = false;
      while (Date.now() < deadline) {
        if (await greets(port)) {
          up = true;
          break;
        }
        const gone = await Promise.race([exited, new Promise<'wait'>((r) => setTimeout(() => r('wait'), 100))]);
        if (gone !== 'wait') break;
      }
      if (up) return;
      child.kill('SIGKILL');
      if (attempt >= 2) throw new Error(`dovecot did not start on port ${port}: ${stderr}\n${safeRead(join(dir, 'dovecot.log'))}`);
      port = await freePort(); // someone took the port between our check and dovecot's bind
    }
  }

  async function stop() {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
    if (c.exitCode === null) c.kill('SIGKILL');
  }

  await start();
  return {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    dir,
    users,
    url: (user) => `imap://${encodeURIComponent(user)}:${encodeURIComponent(users[user])}@127.0.0.1:${port}`,
    async stop() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await stop();
      await start();
    },
    halt: stop,
    log: () => safeRead(join(dir, 'dovecot.log')),
  };
}

function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}
