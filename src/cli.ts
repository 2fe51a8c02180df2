import { ConfigError, configFromEnv, parseEnv } from './config.ts';
import { loadChannels } from './channels/load.ts';
import { DataDirLockedError, openDatabase } from './db/node.ts';
import { runCli } from './cli/commands.ts';
import { runRemote } from './cli/control.ts';
import { createLogger } from './log.ts';
import { createServices } from './services.ts';
import { loadHolidayData } from './calendar/imported.ts';

/**
 * `loopdesk <command>`: opens the database itself; when the embedded database is held by the running service,
 * runs the command inside that service through its control socket instead.
 */
async function main(argv: string[]): Promise<number> {
  const env = parseEnv();
  const config = configFromEnv(env);
  const out = (t: string) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`);
  // `demo` opens a database of its own (--data-dir / --database-url), never DATA_DIR or DATABASE_URL.
  if (argv[0] === 'demo') return (await import('./demo/cli.ts')).runDemoCli(argv.slice(1), { config, out });
  let database;
  try {
    database = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR });
  } catch (e) {
    if (!(e instanceof DataDirLockedError)) throw e;
    const r = await runRemote(env.DATA_DIR, argv, process.cwd()).catch(() => {
      throw e; // no control socket: report the lock, which names the process
    });
    out(r.output);
    return r.code;
  }
  try {
    const services = createServices({
      env,
      config,
      database,
      holidays: await loadHolidayData(database.db),
      log: createLogger(env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL),
      channels: await loadChannels(env, config),
    });
    return await runCli(argv, { services, out, cwd: process.cwd() });
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(
      `loopdesk: ${e instanceof ConfigError || e instanceof DataDirLockedError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    process.exit(1);
  },
);
