import { ConfigError, parseConfig, parseEnv, type Config, type Env } from '../config.ts';

/** What Cloudflare hands the Worker: `[vars]` and secrets (strings, or objects for JSON vars) and the Hyperdrive binding. */
export interface WorkerBindings {
  /** `[[hyperdrive]] binding = "HYPERDRIVE"`: PostgreSQL through Cloudflare's pool (preferred over DATABASE_URL). */
  HYPERDRIVE?: { connectionString: string };
  /** The config (categories, SLA, calendar, roles …) as JSON: a string var or secret, or an object (a JSON var). */
  LOOPDESK_CONFIG_JSON?: string | Record<string, unknown>;
  [name: string]: unknown;
}

export interface WorkerSettings {
  env: Env;
  config: Config;
  /** Hyperdrive's connection string, else the DATABASE_URL secret. */
  databaseUrl: string;
  via: 'hyperdrive' | 'DATABASE_URL';
}

/**
 * On Workers the long connections cannot run (a Worker lives for a request or a cron tick): Feishu and DingTalk
 * default to their HTTP callback modes here, where Node defaults to the long connections.
 */
const WORKERS_DEFAULTS = { FEISHU_EVENT_MODE: 'webhook', DINGTALK_EVENT_MODE: 'http' };

/**
 * The Worker's environment, validated with the same schema as on Node, plus what only Workers refuse: the Node-only
 * modes and channels, and a missing PostgreSQL. Every problem is listed in one ConfigError.
 */
export function workerSettings(bindings: WorkerBindings): WorkerSettings {
  const strings: Record<string, string> = { ...WORKERS_DEFAULTS };
  for (const [name, v] of Object.entries(bindings)) if (typeof v === 'string' && v !== '') strings[name] = v;
  const hyperdrive = bindings.HYPERDRIVE?.connectionString;
  if (hyperdrive) strings.DATABASE_URL = hyperdrive;
  const env = parseEnv(strings);

  const problems: string[] = [];
  if (!env.DATABASE_URL) {
    problems.push('no database: bind Hyperdrive as HYPERDRIVE in wrangler.toml or set the DATABASE_URL secret (the embedded PGlite is Node-only)');
  }
  if (env.FEISHU_EVENT_MODE === 'ws') {
    problems.push(
      'FEISHU_EVENT_MODE=ws (long connection) is Node-only: on Workers use FEISHU_EVENT_MODE=webhook and set https://<worker>/feishu/webhook as the event and callback URL',
    );
  }
  if (env.DINGTALK_EVENT_MODE === 'stream') {
    problems.push('DINGTALK_EVENT_MODE=stream (Stream mode) is Node-only: on Workers use DINGTALK_EVENT_MODE=http with /dingtalk/robot and /dingtalk/card');
  }
  const email = (['EMAIL_IMAP_URL', 'EMAIL_SMTP_URL', 'EMAIL_ADDRESS'] as const).filter((k) => env[k]);
  if (email.length) problems.push(`the e-mail channel (IMAP/SMTP) is Node-only: unset ${email.join(', ')} or run Loopdesk on Node`);
  if (env.LOOPDESK_CONFIG) problems.push('LOOPDESK_CONFIG names a file, and a Worker has no files: put the JSON itself in LOOPDESK_CONFIG_JSON');
  if (problems.length) throw new ConfigError(`cannot run on Cloudflare Workers:\n${problems.map((p) => `  ${p}`).join('\n')}`);

  return { env, config: workerConfig(bindings.LOOPDESK_CONFIG_JSON), databaseUrl: env.DATABASE_URL!, via: hyperdrive ? 'hyperdrive' : 'DATABASE_URL' };
}

/** LOOPDESK_CONFIG_JSON: JSON text or an already parsed object (wrangler's JSON vars); unset = built-in defaults. */
export function workerConfig(value: WorkerBindings['LOOPDESK_CONFIG_JSON']): Config {
  if (value === undefined || value === '') return parseConfig({}, 'built-in defaults');
  if (typeof value !== 'string') return parseConfig(value, 'LOOPDESK_CONFIG_JSON');
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch (e) {
    throw new ConfigError(`LOOPDESK_CONFIG_JSON is not valid JSON: ${(e as Error).message}`);
  }
  return parseConfig(json, 'LOOPDESK_CONFIG_JSON');
}
