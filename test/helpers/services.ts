import { parseConfig, parseEnv, type Config } from '../../src/config.ts';
import { fixedClock } from '../../src/core/clock.ts';
import { createApp } from '../../src/http/app.ts';
import { createWebChannel } from '../../src/channels/web/index.tsx';
import { createLogger, silentLogger, type Logger } from '../../src/log.ts';
import { createServices, type ChannelFactory } from '../../src/services.ts';
import { openTestDatabase, type DbKind } from './db.ts';
import { loadHolidayData } from '../../src/calendar/imported.ts';

export interface TestDeskOptions {
  kind?: DbKind;
  /** Config overrides (deep values replace whole top-level keys). */
  config?: Record<string, unknown>;
  env?: Record<string, string>;
  /** Default: Monday 2026-03-02 10:00 Asia/Shanghai (a working day, inside business hours). */
  now?: string;
  channels?: ChannelFactory[];
  backoffBaseMs?: number;
  /** Default: silent (TEST_LOG=1 prints debug lines). */
  log?: Logger;
}

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

/** The whole service on a test database with a fixed clock; nothing listens on a port. */
export async function createTestDesk(opts: TestDeskOptions = {}) {
  const database = await openTestDatabase(opts.kind ?? 'pglite');
  const clock = fixedClock(opts.now ?? '2026-03-02T02:00:00Z');
  const env = parseEnv({ ADMIN_TOKEN: TEST_ADMIN_TOKEN, PUBLIC_BASE_URL: 'http://loopdesk.test', ...opts.env });
  const config: Config = parseConfig(opts.config ?? {});
  const log = opts.log ?? (process.env.TEST_LOG ? createLogger('debug') : silentLogger);
  const services = createServices({
    env,
    config,
    database,
    clock,
    log,
    holidays: await loadHolidayData(database.db),
    channels: opts.channels ?? [createWebChannel],
    outbox: { backoffBaseMs: opts.backoffBaseMs ?? 10 },
  });
  const app = createApp(services);
  return {
    services,
    app,
    clock,
    database,
    db: database.db,
    desk: services.desk,
    async close() {
      await services.stop();
      await database.close();
    },
  };
}
export type TestDesk = Awaited<ReturnType<typeof createTestDesk>>;
