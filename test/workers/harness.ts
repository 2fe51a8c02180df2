import { unstable_startWorker } from 'wrangler';

// Local runs only: no Request.cf download from Cloudflare, no telemetry (tests reach nothing but 127.0.0.1).
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
process.env.WRANGLER_SEND_METRICS = 'false';

type Bindings = NonNullable<Parameters<typeof unstable_startWorker>[0]['bindings']>;

export interface WorkerOptions {
  /** Plain-text vars and secrets, as `wrangler secret put` would set them. */
  vars?: Record<string, string>;
  /** PostgreSQL behind a local Hyperdrive binding (HYPERDRIVE), as in production. */
  hyperdrive?: string;
  /** No runtime logs at all (a test that expects the Worker to complain). */
  quiet?: boolean;
}

/**
 * The Worker as `wrangler dev` runs it: wrangler.toml, bundled by wrangler's esbuild, in workerd on 127.0.0.1.
 * `tick()` fires the cron trigger (`--test-scheduled`'s /__scheduled route).
 */
export async function startWorker(o: WorkerOptions = {}) {
  const bindings: Bindings = {};
  for (const [name, value] of Object.entries(o.vars ?? {})) bindings[name] = { type: 'plain_text', value };
  if (o.hyperdrive) {
    // Local Hyperdrive insists on a password in the URL; a trust-auth test server ignores whatever it is.
    const url = new URL(o.hyperdrive);
    if (!url.password) url.password = 'unused';
    bindings.HYPERDRIVE = { type: 'hyperdrive', id: 'loopdesk-test', localConnectionString: url.toString() } as Bindings[string];
  }
  const worker = await unstable_startWorker({
    config: 'wrangler.toml',
    // startWorker does not derive this from compatibility_flags as `wrangler dev` does.
    build: { nodejsCompatMode: 'v2' },
    bindings,
    sendMetrics: false,
    dev: {
      server: { hostname: '127.0.0.1', port: 0 },
      inspector: false,
      watch: false,
      persist: false,
      testScheduled: true,
      logLevel: process.env.TEST_LOG ? 'log' : o.quiet ? 'none' : 'error',
    },
  });
  await worker.ready;
  const base = await worker.url;
  return {
    url: base.toString(),
    fetch: (path: string, init?: RequestInit) => fetch(new URL(path, base), init),
    /** One cron tick; resolves when `scheduled()` has returned. */
    async tick() {
      const res = await fetch(new URL('/__scheduled?cron=*+*+*+*+*', base));
      if (res.status !== 200) throw new Error(`scheduled() failed: ${res.status} ${await res.text()}`);
    },
    dispose: () => worker.dispose(),
  };
}
export type TestWorker = Awaited<ReturnType<typeof startWorker>>;
