import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { ConfigError, configFromEnv, parseEnv } from './config.ts';
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
import { loadHolidayData } from './calendar/imported.ts';

/** A refusal at startup that the person starting the service can act on: one line, no stack. */
class StartupError extends Error {}

/**
 * Node entry: embedded PGlite unless DATABASE_URL is set; stops cleanly on SIGTERM/SIGINT, also while it is still
 * starting (the first start initialises the embedded database for several seconds). `npm start` execs this
 * process, so a process manager's SIGTERM reaches it.
 */
async function main() {
  const started = performance.now();
  const nodeWarning = nodeSupportWarning(process.version, new Date());
  if (nodeWarning) process.stderr.write(`${nodeWarning}\n`);
  // Until the service is up, a signal is remembered and acted on as soon as what is opening can be closed.
  let interrupted: NodeJS.Signals | null = null;
  let stop: ((signal: NodeJS.Signals) => Promise<void>) | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop) return void stop(signal);
    if (!interrupted) process.stderr.write(`loopdesk: 收到 ${signal}，启动中止，正在关闭已打开的数据库…\n`);
    interrupted = signal;
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const env = parseEnv();
  const config = configFromEnv(env);
  const log = createLogger(env.LOG_LEVEL);
  const firstStart = !env.DATABASE_URL && !existsSync(join(resolve(env.DATA_DIR), 'pglite'));
  if (firstStart) log.info('first start: initialising the embedded database (a few seconds)', { dataDir: resolve(env.DATA_DIR) });
  const database = await openDatabase({
    databaseUrl: env.DATABASE_URL,
    dataDir: env.DATA_DIR,
    onNotice: (m) => log.debug('postgres notice', { m }),
    onProgress: (m) => process.stderr.write(`loopdesk: ${m}\n`),
  });
  const abortIfInterrupted = async () => {
    if (!interrupted) return;
    await database.close();
    process.stderr.write(`loopdesk: 已停止（启动期间收到 ${interrupted}）。\n`);
    process.exit(130);
  };
  await abortIfInterrupted();
  const services = createServices({ env, config, database, holidays: await loadHolidayData(database.db), log, channels: await loadChannels(env, config) });
  const app = createApp(services);
  await services.start();
  const scheduler = startScheduler(nodeJobs(services), log);
  const control = database.kind === 'pglite' ? await startControlSocket(services, env.DATA_DIR) : null;
  const shutdown = async () => {
    control?.close();
    await scheduler.stop();
    await services.stop();
    await database.close();
  };
  if (interrupted) {
    await shutdown();
    process.stderr.write(`loopdesk: 已停止（启动期间收到 ${interrupted}）。\n`);
    process.exit(130);
  }
  const server = await listen(app.fetch, env.PORT, env.HOST).catch(async (e) => {
    await shutdown(); // the PGlite lock and control socket go with it
    throw e;
  });
  log.info('ready', {
    port: addressPort(server),
    pid: process.pid,
    database: database.kind,
    channels: services.channels.map((c) => c.name),
    startupMs: Math.round(performance.now() - started),
  });
  if (sandboxEnabled(env)) process.stdout.write(sandboxBanner(addressPort(server) ?? env.PORT));

  let stopping = false;
  stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await new Promise<void>((r) => server.close(() => r()));
    await shutdown();
    log.info('stopped');
    process.exit(0);
  };
}

type Server = ReturnType<typeof serve>;

/** Resolves once listening; a port in use (or not ours to take) is a clear refusal instead of a stack. */
function listen(fetch: Parameters<typeof serve>[0]['fetch'], port: number, hostname: string): Promise<Server> {
  return new Promise((resolveListen, reject) => {
    const server = serve({ fetch, port, hostname }, () => resolveListen(server));
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE')
        reject(new StartupError(`端口 ${port} 已被占用（port ${port} is in use）：先停止占用它的程序，或用 PORT=3001 npm start 换一个端口。`));
      else if (e.code === 'EACCES') reject(new StartupError(`没有权限监听端口 ${port}（port ${port} needs privileges）：用 1024 以上的端口，如 PORT=3000。`));
      else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND')
        reject(new StartupError(`HOST=${hostname} 不是本机地址（not an address of this machine）：不设置 HOST 即监听所有地址。`));
      else reject(e);
    });
  });
}

function addressPort(server: Server): number | undefined {
  const a = server.address();
  return a && typeof a === 'object' ? a.port : undefined;
}

main().catch((e) => {
  if (e instanceof ConfigError || e instanceof DataDirLockedError || e instanceof StartupError) {
    process.stderr.write(`loopdesk: ${e.message}\n`);
  } else {
    process.stderr.write(`loopdesk: failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  }
  process.exit(1);
});
