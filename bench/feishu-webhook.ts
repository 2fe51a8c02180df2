/**
 * Feishu webhook benchmark (issue 3):
 * 1. signed, encrypted im.message.receive_v1 events → new tickets: events/s and p99 time to the HTTP answer,
 *    beside the same requests to a handler that only verifies and decrypts (the ceiling);
 * 2. p99 at a sustained rate (open loop at half the measured maximum; target well under 100 ms);
 * 3. card-click (claim) answer p99 while message events keep coming.
 * Real HTTP on 127.0.0.1, PGlite on disk and PostgreSQL (BENCH_DB=pglite|postgres for one), the outbox posting cards
 * to a fake Feishu as it would in production. Click goal (issue 18): p99 < 100 ms on PostgreSQL, < 300 ms on PGlite.
 *
 *   npx tsx bench/feishu-webhook.ts        (BENCH_N=2000 events per phase by default)
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { feishuChannel } from '../src/channels/feishu/index.ts';
import { verifyWebhook } from '../src/channels/feishu/verify.ts';
import { parseConfig, parseEnv } from '../src/config.ts';
import { createApp } from '../src/http/app.ts';
import { silentLogger } from '../src/log.ts';
import { createServices } from '../src/services.ts';
import { cardActionEvent, messageEvent, webhookRequest } from '../test/fakes/feishu/events.ts';
import { startFakeFeishu } from '../test/fakes/feishu/server.ts';
import { benchKinds, load, loadNote, openBenchDb, openLoop, summarize, table, type BenchDbKind } from './lib.ts';

const N = Number(process.env.BENCH_N ?? 2000);
const CONCURRENCY = 16;
const APP_ID = 'cli_0123456789abcdef';
const SECRET = 'bench-secret';
const TOKEN = 'bench-verification-token';
const KEY = 'bench-encrypt-key';
const AGENTS = 'oc_bench_agents';
const defaults = { appId: APP_ID, verificationToken: TOKEN };

async function listen(fetch: (req: Request) => Response | Promise<Response>): Promise<{ url: string; close(): Promise<void> }> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve({ url: `http://127.0.0.1:${info.port}/feishu/webhook`, close: () => new Promise<void>((r) => server.close(() => r())) }),
    );
    // A phase can leave the other server idle past Node's 5 s keep-alive: the client would then reuse a closed socket.
    (server as import('node:http').Server).keepAliveTimeout = 120_000;
  });
}

async function send(url: string, body: unknown): Promise<unknown> {
  const req = webhookRequest(body, { encryptKey: KEY });
  const res = await fetch(url, { method: 'POST', headers: req.headers, body: req.body });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  return res.json();
}

let seq = 0;
const nextMessage = () => {
  const i = seq++;
  return messageEvent(defaults, { openId: `ou_bench_${i}`, chatId: `oc_p2p_bench_${i}`, text: `第 ${i} 条反馈：支付页面报错，订单号 ${100000 + i}` });
};

async function benchKind(kind: BenchDbKind) {
  const fake = await startFakeFeishu({ appId: APP_ID, appSecret: SECRET, chatQps: 100_000 });
  const { database, drop } = await openBenchDb(kind, 'loopdesk_bench_feishu');
  const env = parseEnv({
    LOG_LEVEL: 'silent',
    FEISHU_APP_ID: APP_ID,
    FEISHU_APP_SECRET: SECRET,
    FEISHU_VERIFICATION_TOKEN: TOKEN,
    FEISHU_ENCRYPT_KEY: KEY,
    FEISHU_DOMAIN: fake.url,
    FEISHU_EVENT_MODE: 'webhook',
    FEISHU_AGENT_CHAT_ID: AGENTS,
  });
  // Pacing lifted so the fake gets the cards quickly (card refs are needed for the click phase). Burst grouping off:
  // these near-identical events would otherwise share one incident card (bench/burst.ts measures that).
  const services = createServices({
    env,
    config: parseConfig({ triage: { bursts: { enabled: false } } }),
    database,
    log: silentLogger,
    channels: [feishuChannel({ perTargetQps: 100_000 })],
  });
  await services.start();
  const real = await listen(createApp(services).fetch);

  const ceilingApp = new Hono();
  ceilingApp.post('/feishu/webhook', async (c) => {
    const v = verifyWebhook({
      raw: await c.req.text(),
      headers: Object.fromEntries(c.req.raw.headers),
      encryptKey: KEY,
      verificationToken: TOKEN,
      nowMs: Date.now(),
    });
    return c.json(v.kind === 'challenge' ? { challenge: v.challenge } : {});
  });
  const ceiling = await listen(ceilingApp.fetch);

  // Warm-up: JIT, connection pool, PGlite caches.
  await load(200, CONCURRENCY, async () => void (await send(real.url, nextMessage())));
  await load(200, CONCURRENCY, async () => void (await send(ceiling.url, nextMessage())));

  const ceil = await load(N, CONCURRENCY, async () => void (await send(ceiling.url, nextMessage())));
  const intake = await load(N, CONCURRENCY, async () => void (await send(real.url, nextMessage())));
  const sustainedRate = Math.max(10, Math.floor(intake.rate / 2));
  const sustained = await openLoop(sustainedRate, 5, () => send(real.url, nextMessage()));

  // Cards posted so far (the outbox keeps up with the fake); claim them while messages keep arriving.
  await services.outbox.wake();
  const cards = fake.messagesIn(AGENTS).filter((m) => m.msgType === 'interactive');
  const codes = cards.map((m) => JSON.stringify(m.content).match(/FB-\d{8}-\d{4}/)?.[0]).filter(Boolean) as string[];
  const clicks = Math.min(500, cards.length);
  let toastsOk = 0;
  const [mixedMsgs, mixedClicks] = await Promise.all([
    load(N, CONCURRENCY, async () => void (await send(real.url, nextMessage()))),
    load(clicks, 4, async (i) => {
      const r = (await send(
        real.url,
        cardActionEvent(defaults, { openId: 'ou_bench_agent', value: { action: 'claim', ticket: codes[i] }, messageId: cards[i].messageId, chatId: AGENTS }),
      )) as { toast?: { type: string } };
      if (r.toast?.type === 'success') toastsOk++;
    }),
  ]);

  const c = summarize(ceil.latencies);
  const it = summarize(intake.latencies);
  const su = summarize(sustained);
  const mm = summarize(mixedMsgs.latencies);
  const mc = summarize(mixedClicks.latencies);
  const clickGoal = kind === 'pglite' ? 300 : 100;
  table(`Feishu webhook, ${kind}, ${CONCURRENCY} in flight, ${N} events per phase (real HTTP on 127.0.0.1)`, [
    { scenario: 'ceiling: verify + decrypt only', 'req/s': ceil.rate, 'p50 ms': c.p50, 'p99 ms': c.p99, 'vs ceiling': 1 },
    { scenario: 'message event → new ticket', 'req/s': intake.rate, 'p50 ms': it.p50, 'p99 ms': it.p99, 'vs ceiling': intake.rate / ceil.rate },
    { scenario: `sustained ${sustainedRate}/s (open loop, 5 s)`, 'req/s': sustainedRate, 'p50 ms': su.p50, 'p99 ms': su.p99, 'vs ceiling': NaN },
    { scenario: 'message events during clicks', 'req/s': mixedMsgs.rate, 'p50 ms': mm.p50, 'p99 ms': mm.p99, 'vs ceiling': mixedMsgs.rate / ceil.rate },
    {
      scenario: `card click (claim) under load, ${toastsOk}/${clicks} ok; goal p99 < ${clickGoal} ms: ${mc.p99 < clickGoal ? 'met' : 'not met'}`,
      'req/s': mixedClicks.rate,
      'p50 ms': mc.p50,
      'p99 ms': mc.p99,
      'vs ceiling': NaN,
    },
  ]);
  console.log(loadNote());
  console.log(
    `\nintake/ceiling throughput ratio ${(intake.rate / ceil.rate).toFixed(3)}; p99 ratio ${(it.p99 / c.p99).toFixed(1)}×; sustained p99 ${su.p99.toFixed(1)} ms (target < 100 ms); click p99 under load ${mc.p99.toFixed(1)} ms (Feishu's limit 3000 ms)`,
  );

  await real.close();
  await ceiling.close();
  await services.stop();
  await database.close();
  await fake.close();
  await drop();
}

async function main() {
  for (const kind of benchKinds()) await benchKind(kind);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
