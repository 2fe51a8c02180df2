/** The Workers entry's own logic, on Node: environment refusals, the cron matching and the channel list. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, parseEnv } from '../../src/config.ts';
import { loadChannels } from '../../src/channels/load.ts';
import { createEmailChannel } from '../../src/channels/email/index.ts';
import { createContactChannel } from '../../src/channels/contact/index.ts';
import { workersChannels } from '../../src/channels/workers.ts';
import { silentLogger } from '../../src/log.ts';
import { cronMatchesMinute } from '../../src/workers/cron.ts';
import { workerSettings } from '../../src/workers/env.ts';
import { runTick, type WorkerRuntime } from '../../src/workers/runtime.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';

const DB = 'postgres://loopdesk:secret@db.example.com:5432/loopdesk';

function refusal(bindings: Record<string, unknown>): string {
  try {
    workerSettings(bindings);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('workerSettings', () => {
  it('defaults the platforms to their HTTP modes and prefers Hyperdrive over DATABASE_URL', () => {
    const s = workerSettings({
      DATABASE_URL: DB,
      HYPERDRIVE: { connectionString: 'postgres://u:p@abc.hyperdrive.local:5432/db' },
      FEISHU_APP_ID: 'cli_x',
      FEISHU_APP_SECRET: 's',
    });
    expect(s.env.FEISHU_EVENT_MODE).toBe('webhook');
    expect(s.env.DINGTALK_EVENT_MODE).toBe('http');
    expect(s.databaseUrl).toBe('postgres://u:p@abc.hyperdrive.local:5432/db');
    expect(s.via).toBe('hyperdrive');
    expect(workerSettings({ DATABASE_URL: DB }).via).toBe('DATABASE_URL');
  });

  it('refuses the Node-only modes and channels, and a missing database, naming each', () => {
    const m = refusal({
      FEISHU_EVENT_MODE: 'ws',
      DINGTALK_EVENT_MODE: 'stream',
      EMAIL_IMAP_URL: 'imaps://u:p@mail.example.com',
      LOOPDESK_CONFIG: './loopdesk.json',
    });
    expect(m).toContain('cannot run on Cloudflare Workers');
    expect(m).toContain('no database: bind Hyperdrive as HYPERDRIVE');
    expect(m).toContain('FEISHU_EVENT_MODE=ws (long connection) is Node-only');
    expect(m).toContain('DINGTALK_EVENT_MODE=stream (Stream mode) is Node-only');
    expect(m).toContain('e-mail channel (IMAP/SMTP) is Node-only: unset EMAIL_IMAP_URL');
    expect(m).toContain('LOOPDESK_CONFIG_JSON');
  });

  it('validates the rest of the environment with the Node schema', () => {
    expect(refusal({ DATABASE_URL: DB, ADMIN_TOKEN: 'short' })).toContain('ADMIN_TOKEN must be at least 16 characters');
  });

  it('reads LOOPDESK_CONFIG_JSON as text or as a JSON var, and says where a bad one is', () => {
    const fromText = workerSettings({ DATABASE_URL: DB, LOOPDESK_CONFIG_JSON: '{"company":{"name":"甲","nameEn":"A"}}' });
    expect(fromText.config.company.name).toBe('甲');
    const fromObject = workerSettings({ DATABASE_URL: DB, LOOPDESK_CONFIG_JSON: { digest: { enabled: false } } });
    expect(fromObject.config.digest.enabled).toBe(false);
    expect(refusal({ DATABASE_URL: DB, LOOPDESK_CONFIG_JSON: '{nope' })).toContain('LOOPDESK_CONFIG_JSON is not valid JSON');
    expect(refusal({ DATABASE_URL: DB, LOOPDESK_CONFIG_JSON: '{"defaultCategory":"zzz"}' })).toContain('LOOPDESK_CONFIG_JSON is invalid');
  });
});

describe('cronMatchesMinute', () => {
  it('matches the minute in the job time zone and ignores seconds', () => {
    // 09:00 in Shanghai is 01:00Z; the digest schedule has a seconds field.
    expect(cronMatchesMinute('0 0 9 * * *', new Date('2026-03-02T01:00:00Z'), 'Asia/Shanghai')).toBe(true);
    expect(cronMatchesMinute('0 0 9 * * *', new Date('2026-03-02T01:00:41Z'), 'Asia/Shanghai')).toBe(true);
    expect(cronMatchesMinute('0 0 9 * * *', new Date('2026-03-02T01:01:00Z'), 'Asia/Shanghai')).toBe(false);
    expect(cronMatchesMinute('0 0 9 * * *', new Date('2026-03-02T09:00:00Z'), 'Asia/Shanghai')).toBe(false);
    expect(cronMatchesMinute('*/15 * * * * *', new Date('2026-03-02T07:13:00Z'))).toBe(true);
  });

  it('reads lists, ranges, steps, names, and 7 as Sunday', () => {
    const mon = new Date('2026-03-02T02:30:00Z'); // Monday 10:30 Shanghai
    const sun = new Date('2026-03-01T02:30:00Z');
    expect(cronMatchesMinute('30 10 * * mon-fri', mon, 'Asia/Shanghai')).toBe(true);
    expect(cronMatchesMinute('30 10 * * mon-fri', sun, 'Asia/Shanghai')).toBe(false);
    expect(cronMatchesMinute('30 10 * * 7', sun, 'Asia/Shanghai')).toBe(true);
    expect(cronMatchesMinute('0,15,30,45 9-11 1-7 mar *', mon, 'Asia/Shanghai')).toBe(true);
    expect(cronMatchesMinute('*/20 * * * *', mon, 'Asia/Shanghai')).toBe(false);
    expect(() => cronMatchesMinute('0 9 L * *', mon)).toThrow(/cannot read "L"/);
  });
});

describe('workersChannels', () => {
  it("is Node's channel list (every channel configured) without e-mail, in the same order", async () => {
    const env = parseEnv({ EMAIL_IMAP_URL: 'imap://x', WECOM_CORP_ID: 'x', FEISHU_APP_ID: 'x', FEISHU_HELPDESK_ID: 'x', DINGTALK_CLIENT_ID: 'x' });
    const config = parseConfig({ inbound: { sources: [{ name: 'app', secret: 'a-secret-of-16-chars' }] } });
    const node = await loadChannels(env, config);
    expect(node).toContain(createEmailChannel);
    expect(node).toContain(createContactChannel);
    expect(workersChannels()).toEqual(node.filter((f) => f !== createEmailChannel && f !== createContactChannel));
  });
});

describe('runTick', () => {
  let t: TestDesk;
  beforeAll(async () => {
    t = await createTestDesk({ config: { probes: { schedule: 'off' } } });
  });
  afterAll(() => t?.close());
  const rt = () => ({ services: t.services, log: silentLogger }) as unknown as WorkerRuntime;

  it('runs the node-cron jobs whose minute has come: the digest at 09:00 on a working day, the sweeps every tick', async () => {
    t.clock.set('2026-03-02T01:00:00Z');
    const at9 = await runTick(rt(), new Date('2026-03-02T01:00:00Z'));
    expect(at9.ran.sort()).toEqual(['daily-digest', 'outbox', 'sla-sweep']);
    expect(at9.failed).toEqual([]);
    const later = await runTick(rt(), new Date('2026-03-02T01:01:00Z'));
    expect(later.ran.sort()).toEqual(['outbox', 'sla-sweep']);
  });
});
