/**
 * An outage burst (issue 18, point 5): 5,000 messages from 5,000 customers in 60 s through the Feishu webhook, two
 * real service processes (`src/main.ts`) on one PostgreSQL, a fake Feishu that enforces the real limits (5 QPS per
 * chat, 50 QPS per app with 429 / 99991400). Reports each figure beside its goal: every HTTP answer within Feishu's
 * 3 s, every customer acknowledged exactly once, cards in the agents' group without a refused send, nothing lost or
 * doubled, ticket codes gapless.
 *
 *   BENCH=outage npm run bench     (BENCH_OUTAGE_N=5000 messages over BENCH_OUTAGE_SECONDS=60 by default)
 */
import type { ChildProcess } from 'node:child_process';
import postgres from 'postgres';
import { messageEvent, newId, webhookRequest } from '../test/fakes/feishu/events.ts';
import { startFakeFeishu } from '../test/fakes/feishu/server.ts';
import { feishuInstanceEnv, freePort, startInstance } from '../test/helpers/instances.ts';
import { summarize, table } from './lib.ts';

const N = Number(process.env.BENCH_OUTAGE_N ?? 5000);
const SECONDS = Number(process.env.BENCH_OUTAGE_SECONDS ?? 60);
const WAIT_S = Number(process.env.BENCH_OUTAGE_WAIT ?? 600);
const PG = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB = 'loopdesk_bench_outage';
const APP_ID = 'cli_outage0123456789';
const SECRET = 'outage-secret';
const TOKEN = 'outage-verification-token';
const KEY = 'outage-encrypt-key';
const AGENTS = 'oc_outage_agents';

/** What customers write in the minutes after an outage: the same trouble in their own words. */
const PHRASES = [
  'APP 打不开了，一直转圈',
  '登录不上去，提示网络错误',
  '付款页面白屏，钱扣了没有到账吗',
  'APP 闪退，刚更新完就打不开',
  '页面一直加载失败，是不是服务器挂了',
  '提交订单报错 502',
];

async function freshDatabase(): Promise<string> {
  const admin = postgres(PG, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${DB} with (force)`);
  await admin.unsafe(`create database ${DB}`);
  await admin.end();
  const url = new URL(PG);
  url.pathname = `/${DB}`;
  return url.toString();
}

async function main() {
  const fake = await startFakeFeishu({ appId: APP_ID, appSecret: SECRET, chatQps: 5, appQps: 50 });
  const databaseUrl = await freshDatabase();
  const ports = [await freePort(), await freePort()];
  const app = { appId: APP_ID, appSecret: SECRET, verificationToken: TOKEN, encryptKey: KEY, agentsChat: AGENTS };
  const env = (port: number) => feishuInstanceEnv({ databaseUrl, port, fakeUrl: fake.url, app });
  const instances: ChildProcess[] = [];
  process.once('exit', () => instances.forEach((c) => c.kill('SIGKILL'))); // never leave a service running behind us
  instances.push(await startInstance(env(ports[0]))); // the first one migrates
  instances.push(await startInstance(env(ports[1])));
  const urls = ports.map((p) => `http://127.0.0.1:${p}/feishu/webhook`);

  const defaults = { appId: APP_ID, verificationToken: TOKEN };
  const sentAt = new Map<string, number>(); // customer's message id → when it was posted
  const latencies: number[] = [];
  let failed = 0;
  const t0 = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < N; i++) {
    const due = t0 + (i * SECONDS * 1000) / N;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const messageId = newId('om');
    const chatId = `oc_p2p_outage_${i}`;
    fake.knowMessage(messageId, chatId); // replies to the customer's message land in their chat
    const req = webhookRequest(messageEvent(defaults, { openId: `ou_outage_${i}`, chatId, messageId, text: `${PHRASES[i % PHRASES.length]}（${i}）` }), {
      encryptKey: KEY,
    });
    const start = performance.now();
    sentAt.set(messageId, Date.now());
    pending.push(
      fetch(urls[i % 2], { method: 'POST', headers: req.headers, body: req.body })
        .then(async (res) => {
          await res.arrayBuffer();
          if (res.status !== 200) failed++;
          latencies.push(performance.now() - start);
        })
        .catch(() => void failed++),
    );
  }
  await Promise.all(pending);
  const sendSeconds = (performance.now() - t0) / 1000;

  // Wait until every customer has had an answer (or the wait runs out), then count what reached the fake Feishu.
  const ackOf = () => {
    const first = new Map<string, number>();
    const count = new Map<string, number>();
    for (const c of fake.apiCalls({ method: 'POST', path: /^\/open-apis\/im\/v1\/messages\/om_[^/]+\/reply$/ })) {
      const parent = /messages\/([^/]+)\/reply/.exec(c.path)![1];
      if (c.status !== 200 || !sentAt.has(parent)) continue;
      count.set(parent, (count.get(parent) ?? 0) + 1);
      if (!first.has(parent)) first.set(parent, c.at);
    }
    return { first, count };
  };
  const deadline = Date.now() + WAIT_S * 1000;
  while (ackOf().first.size < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000));
  const drainedSeconds = (performance.now() - t0) / 1000;
  const { first, count } = ackOf();
  const ackDelays = [...first].map(([id, at]) => (at - sentAt.get(id)!) / 1000);

  const calls = fake.apiCalls({ path: /^\/open-apis\/im\/v1\/messages/ });
  const agentCards = calls.filter((c) => c.method === 'POST' && c.status === 200 && (c.body as { receive_id?: string })?.receive_id === AGENTS);
  const refused = calls.filter((c) => c.status !== 200);
  const refusedAgents = refused.filter((c) => (c.body as { receive_id?: string })?.receive_id === AGENTS).length;

  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const [db] = await sql`select count(*)::int as tickets, count(distinct customer_id)::int as customers, count(distinct code)::int as codes from tickets`;
  const [days] =
    await sql`select count(*)::int as n, sum(m)::int as gapless_total from (select max(split_part(code, '-', 3)::int) as m from tickets group by split_part(code, '-', 2)) x`;
  const [inc] = await sql`select count(*)::int as incidents from incidents`.catch(() => [{ incidents: NaN }]);
  await sql.end();

  for (const child of instances) child.kill('SIGTERM');
  await Promise.all(instances.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
  await fake.close();
  const admin = postgres(PG, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${DB} with (force)`);
  await admin.end();

  const l = summarize(latencies);
  const a = summarize(ackDelays);
  const doubled = [...count.values()].filter((n) => n > 1).length;
  table(
    `Outage burst: ${N} messages from ${N} customers in ${SECONDS} s (sent in ${sendSeconds.toFixed(1)} s), Feishu webhook, 2 processes, PostgreSQL; load average ${(await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`,
    [
      { figure: 'webhook answered 200', goal: `${N}`, result: `${latencies.length - failed}`, ok: failed === 0 ? '✓' : '✗' },
      {
        figure: 'HTTP answer p50 / p99 / max',
        goal: '< 3000 ms (Feishu re-pushes after 3 s)',
        result: `${l.p50.toFixed(0)} / ${l.p99.toFixed(0)} / ${Math.max(...latencies).toFixed(0)} ms`,
        ok: Math.max(...latencies) < 3000 ? '✓' : '✗',
      },
      {
        figure: 'tickets stored (one per customer)',
        goal: `${N}`,
        result: `${db.tickets} (${db.customers} customers, ${db.codes} distinct codes)`,
        ok: db.tickets === N && db.customers === N && db.codes === N ? '✓' : '✗',
      },
      {
        figure: 'ticket codes gapless',
        goal: `per-day maxima sum to ${N}`,
        result: `${days.gapless_total} over ${days.n} day(s)`,
        ok: days.gapless_total === N ? '✓' : '✗',
      },
      {
        figure: 'customers acknowledged',
        goal: `${N}, once each`,
        result: `${first.size}, ${doubled} twice or more`,
        ok: first.size === N && doubled === 0 ? '✓' : '✗',
      },
      {
        figure: 'acknowledgement delay p50 / p99 / last',
        goal: '—',
        result: `${a.p50.toFixed(1)} / ${a.p99.toFixed(1)} / ${Math.max(...ackDelays).toFixed(1)} s (all answered ${drainedSeconds.toFixed(0)} s after the first message)`,
        ok: '',
      },
      {
        figure: "cards in the agents' group",
        goal: 'a few (bursts grouped), none refused',
        result: `${agentCards.length} sent, ${refusedAgents} refused, ${inc.incidents} incident(s)`,
        ok: refusedAgents === 0 ? '✓' : '✗',
      },
      {
        figure: 'sends refused by the limits (retried by the outbox)',
        goal: '—',
        result: `${refused.length} (230020 per chat: ${refused.filter((c) => c.status === 400).length}, 99991400 per app: ${refused.filter((c) => c.status === 429).length})`,
        ok: '',
      },
    ],
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
