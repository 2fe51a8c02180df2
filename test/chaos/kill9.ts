/**
 * Issue 17, "done when" (b): `kill -9` under load, two instances on one PostgreSQL. Customers write through the
 * Feishu webhook to two real service processes (`src/main.ts`); a third of the way in, one is killed with SIGKILL
 * and started again later. Whatever was not answered 200 is re-pushed (as Feishu does) to the other instance.
 * Counts acknowledged messages against stored tickets, customer acknowledgements and agents' cards: 0 lost, 0 doubled.
 *
 *   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run test:chaos     (CHAOS_N=150 by default)
 *
 * Outside the default suite (it takes a minute or two: real processes, Feishu's real 5 messages/s per chat).
 * Exit code 0 when nothing was lost or doubled, 1 otherwise.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { messageEvent, newId, webhookRequest } from '../fakes/feishu/events.ts';
import { startFakeFeishu } from '../fakes/feishu/server.ts';
import { feishuInstanceEnv, freePort, startInstance } from '../helpers/instances.ts';

const N = Number(process.env.CHAOS_N ?? 150);
const WAIT_S = Number(process.env.CHAOS_WAIT ?? 180);
const PG = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB = `loopdesk_chaos_${randomBytes(4).toString('hex')}`;
const APP_ID = 'cli_chaos0123456789';
const SECRET = 'chaos-secret';
const TOKEN = 'chaos-verification-token';
const KEY = 'chaos-encrypt-key';
const AGENTS = 'oc_chaos_agents';

async function main() {
  const admin = postgres(PG, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${DB}`);
  await admin.end();
  const url = new URL(PG);
  url.pathname = `/${DB}`;
  const databaseUrl = url.toString();
  const fake = await startFakeFeishu({ appId: APP_ID, appSecret: SECRET, chatQps: 5 });
  const ports = [await freePort(), await freePort()];
  const app = { appId: APP_ID, appSecret: SECRET, verificationToken: TOKEN, encryptKey: KEY, agentsChat: AGENTS };
  // A killed instance's leased outbox rows come back after 5 s; one card per ticket (no incident grouping).
  const config = { outbox: { leaseSeconds: 5 }, triage: { bursts: { enabled: false } } };
  const env = (port: number) => feishuInstanceEnv({ databaseUrl, port, fakeUrl: fake.url, app, config });
  const instances: Array<ChildProcess | null> = [await startInstance(env(ports[0])), null];
  instances[1] = await startInstance(env(ports[1]));
  process.once('exit', () => instances.forEach((c) => c?.kill('SIGKILL')));

  const defaults = { appId: APP_ID, verificationToken: TOKEN };
  const events = Array.from({ length: N }, (_, i) => {
    const messageId = newId('om');
    const chatId = `oc_p2p_chaos_${i}`;
    fake.knowMessage(messageId, chatId);
    // Distinct words: each message is its own ticket (no duplicates to merge).
    const text = `第 ${i} 位客户：订单 ${randomBytes(6).toString('hex')} 无法${['支付', '退款', '登录', '下载发票'][i % 4]}`;
    return { messageId, req: webhookRequest(messageEvent(defaults, { openId: `ou_chaos_${i}`, chatId, messageId, text }), { encryptKey: KEY }) };
  });
  const acknowledged = new Set<string>();
  let killedAt = -1;
  let repushes = 0;

  /** Feishu's side: post to one instance; no 200 (refused connection, reset, 5xx) → re-push to the other. */
  async function deliver(i: number, first: number): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = ports[(first + attempt) % 2];
      try {
        const res = await fetch(`http://127.0.0.1:${port}/feishu/webhook`, {
          method: 'POST',
          headers: events[i].req.headers,
          body: events[i].req.body,
          signal: AbortSignal.timeout(5_000),
        });
        await res.arrayBuffer();
        if (res.status === 200) return void acknowledged.add(events[i].messageId);
      } catch {
        /* the instance is gone: re-push */
      }
      repushes++;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  const pending: Promise<void>[] = [];
  for (let i = 0; i < N; i++) {
    if (i === Math.floor(N / 3)) {
      killedAt = i;
      instances[0]!.kill('SIGKILL'); // mid-load: requests in flight to it get no answer
    }
    if (i === Math.floor((2 * N) / 3)) instances[0] = await startInstance(env(ports[0]));
    pending.push(deliver(i, i % 2));
    await new Promise((r) => setTimeout(r, 40));
  }
  await Promise.all(pending);

  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const stored = async () => {
    const rows = await sql<Array<{ platform_message_id: string; tickets: number; messages: number }>>`
      select m.platform_message_id, count(distinct m.ticket_id)::int as tickets, count(*)::int as messages
      from messages m where m.direction = 'in' group by m.platform_message_id`;
    return new Map(rows.map((r) => [r.platform_message_id, r]));
  };
  const codes = async () => (await sql<Array<{ code: string }>>`select code from tickets`).map((r) => r.code);
  // What people see, as Feishu stores it (a re-sent call with the same uuid is the same message): each ticket's own
  // card (its claim button names it; other cards may list it as a likely duplicate), and replies to each message.
  const cardsPerCode = (all: string[]) => {
    const count = new Map<string, number>(all.map((c) => [c, 0]));
    for (const m of fake.messagesIn(AGENTS)) {
      const own = /"action":"claim","ticket":"(FB-\d{8}-\d{4,})"/.exec(JSON.stringify(m.content))?.[1];
      if (own && count.has(own)) count.set(own, count.get(own)! + 1);
    }
    return count;
  };
  const acksPerMessage = () => {
    const count = new Map<string, number>();
    for (let i = 0; i < N; i++) {
      const replies = fake.messagesIn(`oc_p2p_chaos_${i}`).filter((m) => m.parentId === events[i].messageId).length;
      if (replies) count.set(events[i].messageId, replies);
    }
    return count;
  };
  // Let the outbox finish (5 cards/s to the agents' group; the killed instance's leases run out).
  const deadline = Date.now() + WAIT_S * 1000;
  for (;;) {
    const all = await codes();
    const cards = cardsPerCode(all);
    if (([...cards.values()].every((n) => n >= 1) && acksPerMessage().size >= acknowledged.size) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 1000));
  }

  const rows = await stored();
  const all = await codes();
  const cards = cardsPerCode(all);
  const acks = acksPerMessage();
  const [dead] = await sql`select count(*)::int as n from outbox where status = 'dead'`;
  await sql.end();
  for (const c of instances) c?.kill('SIGTERM');
  await Promise.all(instances.map((c) => new Promise((r) => (!c || c.exitCode !== null ? r(null) : c.once('exit', r)))));
  await fake.close();
  const drop = postgres(PG, { max: 1, onnotice: () => {} });
  await drop.unsafe(`drop database if exists ${DB} with (force)`);
  await drop.end();

  const lostTickets = [...acknowledged].filter((id) => !rows.has(id)).length;
  const doubledTickets = [...rows.values()].filter((r) => r.tickets > 1 || r.messages > 1).length;
  const lostCards = [...cards.values()].filter((n) => n === 0).length;
  const doubledCards = [...cards.values()].filter((n) => n > 1).length;
  const lostAcks = [...acknowledged].filter((id) => !acks.has(id)).length;
  const doubledAcks = [...acks.values()].filter((n) => n > 1).length;
  const figures = [
    [
      'messages sent / acknowledged (200)',
      `${N} / ${acknowledged.size}`,
      `re-pushes: ${repushes}; instance A killed (SIGKILL) at message ${killedAt}, restarted at ${Math.floor((2 * N) / 3)}`,
    ],
    ['tickets stored', `${all.length}`, `lost ${lostTickets}, doubled ${doubledTickets}`],
    ["agents' cards", `${[...cards.values()].reduce((a, b) => a + b, 0)}`, `lost ${lostCards}, doubled ${doubledCards}`],
    ['customer acknowledgements', `${acks.size}`, `lost ${lostAcks}, doubled ${doubledAcks}`],
    ['dead outbox rows', `${dead.n}`, ''],
  ];
  for (const [what, n, note] of figures) console.log(`${what.padEnd(38)} ${n.padEnd(10)} ${note}`);
  const ok =
    acknowledged.size === N &&
    lostTickets === 0 &&
    doubledTickets === 0 &&
    all.length === N &&
    lostCards === 0 &&
    doubledCards === 0 &&
    lostAcks === 0 &&
    doubledAcks === 0;
  console.log(ok ? 'chaos: 0 lost, 0 doubled ✓' : 'chaos: FAILED ✗');
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
