/**
 * Burst benchmark (issue 7): an outage brings 500 similar messages from 500 customers within 60 s. They go through
 * the real Feishu webhook (signed, encrypted), the desk and the outbox to a fake Feishu that enforces Feishu's
 * 5 messages/s per chat (230020 over it). Measured: every customer acknowledged (and how fast), messages posted to
 * the agents' group, incident card PATCHes, and the peak rates seen by the fake per chat, per card and per app.
 * Baseline in the same run: the same burst with incident grouping switched off (one card per ticket).
 *
 *   npx tsx bench/burst.ts      (BENCH_MESSAGES=500 BENCH_SECONDS=60; BENCH_BASELINE=0 skips the baseline)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { feishuChannel } from '../src/channels/feishu/index.ts';
import { parseConfig, parseEnv } from '../src/config.ts';
import { incidents, tickets } from '../src/db/schema/index.ts';
import { openDatabase } from '../src/db/node.ts';
import { createApp } from '../src/http/app.ts';
import { outboxHealth } from '../src/jobs/outbox.ts';
import { silentLogger } from '../src/log.ts';
import { createServices } from '../src/services.ts';
import { messageEvent, webhookRequest } from '../test/fakes/feishu/events.ts';
import { startFakeFeishu } from '../test/fakes/feishu/server.ts';
import { percentile, table } from './lib.ts';

const N = Number(process.env.BENCH_MESSAGES ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const APP_ID = 'cli_0123456789abcdef';
const SECRET = 'bench-secret';
const TOKEN = 'bench-verification-token';
const KEY = 'bench-encrypt-key';
const AGENTS = 'oc_bench_agents';
/** Feishu: 5 messages/s into one chat (and to one user), 5 PATCHes/s of one card, 50 sends/s per app. */
const LIMITS = { perChat: 5, perCard: 5, perApp: 50 };

/** How people report one outage, in their own words (plus order numbers, names, punctuation). */
const PHRASES = [
  '支付失败，一直提示系统繁忙',
  '付款的时候提示系统繁忙，支付失败了',
  '你们支付是不是挂了？支付失败，系统繁忙',
  '支付失败！系统繁忙请稍后再试',
  '为什么一直支付失败，提示系统繁忙',
  '下单支付失败，显示系统繁忙',
  '支付一直失败 系统繁忙 怎么回事',
  '急！支付失败，系统繁忙，订单付不了',
  '系统繁忙，支付失败，钱也没扣',
  '刚才支付失败了，提示系统繁忙，麻烦看看',
];

function rng(seed: number) {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x6d2b79f5) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

async function run(bursts: boolean) {
  const fake = await startFakeFeishu({ appId: APP_ID, appSecret: SECRET, chatQps: LIMITS.perChat });
  const dir = mkdtempSync(join(tmpdir(), 'loopdesk-bench-burst-'));
  const database = await openDatabase({ dataDir: dir });
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
  const config = parseConfig({ triage: { bursts: { enabled: bursts } } });
  const services = createServices({ env, config, database, log: silentLogger, channels: [feishuChannel({ perTargetQps: LIMITS.perChat })] });
  await services.start();
  const app = createApp(services);
  const server = await new Promise<{ url: string; close(): Promise<void> }>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve({ url: `http://127.0.0.1:${info.port}/feishu/webhook`, close: () => new Promise<void>((r) => s.close(() => r())) }),
    );
  });
  // The Node scheduler's outbox tick (every 5 s): it delivers rows that came due without a commit (the incident
  // card's trailing updates, retries).
  const tick = setInterval(() => void services.outbox.wake(), 5_000);

  const rnd = rng(bursts ? 7 : 7);
  const sentAt = new Map<string, number>();
  const answers: number[] = [];
  const pending: Promise<void>[] = [];
  const start = Date.now();
  for (let i = 0; i < N; i++) {
    const due = start + (i * SECONDS * 1000) / N;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const text = `${PHRASES[Math.floor(rnd() * PHRASES.length)]}${rnd() < 0.5 ? `，订单号 ${Math.floor(1e7 + rnd() * 9e7)}` : ''}`;
    const ev = messageEvent({ appId: APP_ID, verificationToken: TOKEN }, { openId: `ou_burst_${i}`, chatId: `oc_p2p_burst_${i}`, text });
    const msg = ev.event.message as { message_id: string; chat_id: string };
    fake.knowMessage(msg.message_id, msg.chat_id);
    const req = webhookRequest(ev, { encryptKey: KEY });
    const t0 = Date.now();
    sentAt.set(msg.message_id, t0);
    pending.push(
      fetch(server.url, { method: 'POST', headers: req.headers, body: req.body }).then(async (res) => {
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
        answers.push(Date.now() - t0);
      }),
    );
  }
  await Promise.all(pending);
  const sendSeconds = (Date.now() - start) / 1000;
  // Drain: the outbox empties (acks paced per chat, cards per group, trailing incident updates at the next tick).
  const drainStart = Date.now();
  for (;;) {
    await services.outbox.wake();
    const h = await outboxHealth(database, new Date());
    if (h.backlog === 0 || Date.now() - drainStart > 300_000) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  clearInterval(tick);
  const drained = (Date.now() - start) / 1000;

  // What the fake saw.
  const ok = fake.calls.filter((c) => c.status === 200 && (c.response as { code?: number })?.code === 0);
  const chatOf = new Map(fake.messages.map((m) => [m.messageId, m.chatId]));
  const sends = ok.filter((c) => c.method === 'POST' && /\/im\/v1\/messages(\/[^/]+\/reply)?$/.test(c.path));
  const patches = ok.filter((c) => c.method === 'PATCH');
  const peak = (items: Array<{ key: string; at: number }>) => {
    const by = new Map<string, number[]>();
    for (const i of items) by.set(i.key, [...(by.get(i.key) ?? []), i.at]);
    let max = 0;
    for (const ats of by.values()) {
      ats.sort((a, b) => a - b);
      for (let lo = 0, hi = 0; hi < ats.length; hi++) {
        while (ats[hi] - ats[lo] >= 1000) lo++;
        max = Math.max(max, hi - lo + 1);
      }
    }
    return max;
  };
  const sendKeys = sends.map((c) => ({ key: chatOf.get(String((c.response as { data?: { message_id?: string } }).data?.message_id)) ?? '?', at: c.at }));
  const refused = fake.calls.filter((c) => (c.response as { code?: number })?.code === 230020).length;

  // Acknowledgements: a reply to each customer's message.
  const ackLatency: number[] = [];
  const acked = new Set<string>();
  for (const c of sends) {
    const m = /\/messages\/([^/]+)\/reply$/.exec(c.path);
    if (!m || !sentAt.has(m[1])) continue;
    acked.add(m[1]);
    ackLatency.push(c.at - sentAt.get(m[1])!);
  }
  ackLatency.sort((a, b) => a - b);
  answers.sort((a, b) => a - b);
  const toAgents = fake.messagesIn(AGENTS).length;
  const [{ n: members }] = (await database.db
    .select({ n: tickets.id })
    .from(tickets)
    .then((r) => [{ n: r.length }])) as Array<{ n: number }>;
  const incs = await database.db.select().from(incidents);

  await server.close();
  await services.stop();
  await database.close();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    mode: bursts ? 'incident grouping (default)' : 'baseline: one card per ticket',
    tickets: members,
    incidents: incs.length,
    'in incident': incs.reduce((a, i) => a + i.ticketCount, 0),
    acked: `${acked.size}/${N}`,
    'webhook p99 ms': percentile(answers, 99),
    'ack p50 s': percentile(ackLatency, 50) / 1000,
    'ack p99 s': percentile(ackLatency, 99) / 1000,
    'msgs to agents': toAgents,
    'card PATCHes': patches.length,
    'peak/chat/s': peak(sendKeys),
    'peak/card/s': peak(patches.map((c) => ({ key: c.path, at: c.at }))),
    'peak app sends/s': peak(sendKeys.map((k) => ({ key: 'app', at: k.at }))),
    '230020s': refused,
    'sent in s': sendSeconds,
    'drained at s': drained,
  };
}

async function main() {
  const rows = [await run(true)];
  if (process.env.BENCH_BASELINE !== '0') rows.push(await run(false));
  table(
    `Burst: ${N} similar messages from ${N} customers in ${SECONDS} s → Feishu webhook → desk → fake Feishu (limits: ${LIMITS.perChat}/s per chat, ${LIMITS.perCard}/s per card, ${LIMITS.perApp}/s per app)`,
    rows,
  );
  const r = rows[0];
  const pass =
    r.acked === `${N}/${N}` &&
    r['msgs to agents'] < 20 &&
    r['peak/chat/s'] <= LIMITS.perChat &&
    r['peak/card/s'] <= LIMITS.perCard &&
    r['peak app sends/s'] <= LIMITS.perApp;
  console.log(`\ntarget: every customer acknowledged, < 20 messages to the agents' group, within the limits → ${pass ? 'PASS' : 'FAIL'}`);
  if (!pass) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
