/**
 * Real service processes (`src/main.ts`) taking Feishu webhook events, for the kill -9 chaos test and the outage
 * benchmark: free ports on 127.0.0.1, the environment of one instance, and a start that waits for its "ready" line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');

export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

export interface FeishuApp {
  appId: string;
  appSecret: string;
  verificationToken: string;
  encryptKey: string;
  agentsChat: string;
}

/** One instance on PostgreSQL in Feishu webhook mode against the fake at `fakeUrl`; `config`: LOOPDESK_CONFIG_JSON. */
export function feishuInstanceEnv(o: { databaseUrl: string; port: number; fakeUrl: string; app: FeishuApp; config?: unknown }): Record<string, string> {
  return {
    DATABASE_URL: o.databaseUrl,
    PORT: String(o.port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info', // the "ready" line is at info
    FEISHU_APP_ID: o.app.appId,
    FEISHU_APP_SECRET: o.app.appSecret,
    FEISHU_VERIFICATION_TOKEN: o.app.verificationToken,
    FEISHU_ENCRYPT_KEY: o.app.encryptKey,
    FEISHU_DOMAIN: o.fakeUrl,
    FEISHU_EVENT_MODE: 'webhook',
    FEISHU_AGENT_CHAT_ID: o.app.agentsChat,
    ...(o.config ? { LOOPDESK_CONFIG_JSON: JSON.stringify(o.config) } : {}),
  };
}

/** Starts the service as `npm start` runs it (`node scripts/start.mjs`: signals reach the service itself) and resolves once it is ready. */
export function startInstance(env: Record<string, string>): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/start.mjs'], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      if (out.includes('"msg":"ready"')) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`instance exited with ${code} before it was ready`)));
  });
}
