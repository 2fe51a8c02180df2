import { serve } from '@hono/node-server';
import { ConfigError, loadConfig, parseEnv } from './config.ts';
import { loadChannels } from './channels/load.ts';
import { DataDirLockedError, openDatabase } from './db/node.ts';
import { createApp } from './http/app.ts';
import { startScheduler } from './jobs/scheduler.ts';
import { startControlSocket } from './cli/control.ts';
import { nodeJobs } from './jobs/jobs.ts';
import { createLogger } from './log.ts';
import { createServices } from './services.ts';
import { nodeSupportWarning } from './node-support.ts';
import { sandboxBanner, sandboxEnabled } from './sandbox/settings.ts';

/** Node entry: embedded PGlite unless DATABASE_URL is set; stops cleanly on SIGTERM/SIGINT. */
async function main() {
  const started = performance.now();
  const nodeWarning = nodeSupportWarning(process.version, new Date());
  if (nodeWarning) process.stderr.write(`${nodeWarning}\n`);
  const env = parseEnv();
  const config = loadConfig(env.LOOPDESK_CONFIG);
  const log = createLogger(env.LOG_LEVEL);
  const database = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, onNotice: (m) => log.debug('postgres notice', { m }), onProgress: (m) => process.stderr.write(`loopdesk: ${m}\n`) });
  const services = createServices({ env, config, database, log, channels: await loadChannels(env, config) });
  const app = createApp(services);
  await services.start();
  const scheduler = startScheduler(nodeJobs(services), log);
  const control = database.kind === 'pglite' ? await startControlSocket(services, env.DATA_DIR) : null;
  const server = serve({ fetch: app.fetch, port: env.PORT, hostname: env.HOST }, (info) => {
    log.info('ready', { port: info.port, database: database.kind, channels: services.channels.map((c) => c.name), startupMs: Math.round(performance.now() - started) });
    if (sandboxEnabled(env)) process.stdout.write(sandboxBanner(info.port));
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await new Promise<void>((r) => server.close(() => r()));
    control?.close();
    await scheduler.stop();
    await services.stop();
    await database.close();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((e) => {
  if (e instanceof ConfigError || e instanceof DataDirLockedError) {
    process.stderr.write(`loopdesk: ${e.message}\n`);
  } else {
    process.stderr.write(`loopdesk: failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  }
  process.exit(1);
});
