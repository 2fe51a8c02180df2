/**
 * DingTalk stream intake: robot messages per second through the real dingtalk-stream client into tickets, and the
 * time from a frame leaving the (fake) gateway to its ack (p50/p99), beside a bare client that only acks (the
 * ceiling: SDK + WebSocket + fake, no database). Same fake, same machine, same run. The fake runs in a worker
 * thread, so its clock and sockets are not held up by the service's event loop (PGlite runs on it).
 *
 *   npx tsx bench/dingtalk-stream.ts [messages=600]        (PostgreSQL too when TEST_DATABASE_URL is set)
 */
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { count } from 'drizzle-orm';
import { parseConfig, parseEnv } from '../src/config.ts';
import type { Database } from '../src/db/client.ts';
import { openDatabase } from '../src/db/node.ts';
import { tickets } from '../src/db/schema/index.ts';
import { createServices, type Channel } from '../src/services.ts';
import { dingTalkChannel } from '../src/channels/dingtalk/index.ts';
import { createStreamSupervisor } from '../src/channels/dingtalk/stream.ts';
import { silentLogger } from '../src/log.ts';
import { createPostgresDatabase } from '../test/helpers/db.ts';
import { startFakeDingTalk, type FakeDingTalk, type Frame } from '../test/fakes/dingtalk/server.ts';

const N = Number(process.argv[2] ?? 600);
const TEXTS = ['登录后 APP 闪退，报错 500', '怎么导出上个月的发票？', '退款一直没到账，我要投诉', '建议增加深色模式', '付款后订单一直显示待支付'];

type Request = { cmd: 'start' } | { cmd: 'run'; tag: string } | { cmd: 'close' };
type Reply =
  | { cmd: 'started'; base: string; gatewayUrl: string; clientId: string; clientSecret: string }
  | { cmd: 'done'; latencies: number[]; seconds: number }
  | { cmd: 'closed' };

/** Worker side: the fake DingTalk, pushing N messages from N customers and timing each frame → ack. */
async function fakeWorker() {
  let fake: FakeDingTalk | null = null;
  parentPort!.on('message', async (req: Request) => {
    if (req.cmd === 'start') {
      fake = await startFakeDingTalk({ redeliverAfterMs: 120_000 });
      await fake.waitFor(() => true);
      parentPort!.postMessage({
        cmd: 'started',
        base: fake.base,
        gatewayUrl: fake.gatewayUrl,
        clientId: fake.clientId,
        clientSecret: fake.clientSecret,
      } satisfies Reply);
    } else if (req.cmd === 'run') {
      const f = fake!;
      await f.waitFor(() => f.openSockets === 1, 10_000, 'connection');
      const now = Date.now();
      const t0 = performance.now();
      const frames: Frame[] = Array.from(
        { length: N },
        (_, i) =>
          f.robotMessage({
            now,
            msgId: `${req.tag}-${i}`,
            senderStaffId: `${req.tag}-cust-${i}`,
            conversationId: `cid-${req.tag}-${i}`,
            text: { content: TEXTS[i % TEXTS.length] },
          }).frame,
      );
      await f.waitFor(() => frames.every((x) => x.ackedAt !== null), 120_000, 'acks');
      const seconds = (performance.now() - t0) / 1000;
      parentPort!.postMessage({ cmd: 'done', latencies: frames.map((x) => x.ackedAt! - x.sentAt[0]), seconds } satisfies Reply);
    } else {
      await fake?.close();
      parentPort!.postMessage({ cmd: 'closed' } satisfies Reply);
    }
  });
}

function startWorker() {
  // Node 20 workers do not inherit tsx's loader: register it in the worker, then load this file there.
  const boot = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(import.meta.url)});`;
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { argv: process.argv.slice(2) });
  const next = (req: Request) =>
    new Promise<Reply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.postMessage(req);
    });
  return { next, worker };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface Row {
  name: string;
  perSecond: number;
  p50: number;
  p99: number;
}

async function ceiling(): Promise<Row> {
  const w = startWorker();
  const info = (await w.next({ cmd: 'start' })) as Extract<Reply, { cmd: 'started' }>;
  const sup = createStreamSupervisor({
    gatewayUrl: info.gatewayUrl,
    clientId: info.clientId,
    clientSecret: info.clientSecret,
    log: silentLogger,
    onCallback: (_topic, frame, client) => client.socketCallBackResponse(frame.headers.messageId, {}),
  });
  sup.start();
  const r = (await w.next({ cmd: 'run', tag: 'bare' })) as Extract<Reply, { cmd: 'done' }>;
  await sup.stop();
  await w.next({ cmd: 'close' });
  await w.worker.terminate();
  return { name: 'bare client, ack only (ceiling)', perSecond: N / r.seconds, p50: percentile(r.latencies, 50), p99: percentile(r.latencies, 99) };
}

async function loopdesk(kind: 'pglite' | 'postgres'): Promise<Row & { ackedPerSecond: number }> {
  const w = startWorker();
  const info = (await w.next({ cmd: 'start' })) as Extract<Reply, { cmd: 'started' }>;
  let drop = async () => {};
  let database: Database;
  if (kind === 'postgres') {
    const pg = await createPostgresDatabase();
    drop = pg.drop;
    database = await openDatabase({ databaseUrl: pg.url });
  } else database = await openDatabase({ memory: true });
  const env = parseEnv({
    DINGTALK_CLIENT_ID: info.clientId,
    DINGTALK_CLIENT_SECRET: info.clientSecret,
    DINGTALK_AGENT_CONVERSATION_ID: 'cidAgents',
    DINGTALK_API_BASE: info.base,
    DINGTALK_GATEWAY_URL: info.gatewayUrl,
    LOG_LEVEL: 'silent',
  });
  const services = createServices({ env, config: parseConfig({}), database, log: silentLogger, channels: [dingTalkChannel()] });
  const channel = services.channels[0] as Channel & { settle(): Promise<void> };
  // The outbox worker runs too (acks to customers, cards to the agents' group), as in production.
  await services.start();
  const t0 = performance.now();
  const r = (await w.next({ cmd: 'run', tag: kind })) as Extract<Reply, { cmd: 'done' }>;
  await channel.settle();
  const seconds = (performance.now() - t0) / 1000;
  const [{ n }] = await database.db.select({ n: count() }).from(tickets);
  if (n !== N) throw new Error(`expected ${N} tickets, found ${n}`);
  await services.stop();
  await database.close();
  await drop();
  await w.next({ cmd: 'close' });
  await w.worker.terminate();
  return {
    name: `Loopdesk → tickets (${kind === 'pglite' ? 'PGlite' : 'PostgreSQL'})`,
    perSecond: N / seconds,
    ackedPerSecond: N / r.seconds,
    p50: percentile(r.latencies, 50),
    p99: percentile(r.latencies, 99),
  };
}

if (!isMainThread) {
  await fakeWorker();
} else {
  const bare = await ceiling();
  const rows: Array<Row & { ackedPerSecond?: number }> = [bare, await loopdesk('pglite')];
  if (process.env.TEST_DATABASE_URL) rows.push(await loopdesk('postgres'));
  const num = (n: number, w = 8) => n.toFixed(0).padStart(w);
  console.log(
    `\nDingTalk stream intake: ${N} robot messages from ${N} customers, real dingtalk-stream ${'2.1.5'} client, fake gateway in a worker thread (Node ${process.version})\n`,
  );
  console.log('| handler                           | tickets/s | acks/s | ack p50 ms | ack p99 ms | vs ceiling |');
  console.log('|-----------------------------------|----------:|-------:|-----------:|-----------:|-----------:|');
  for (const r of rows) {
    console.log(
      `| ${r.name.padEnd(33)} | ${r === bare ? '       —' : num(r.perSecond)}  | ${num(r.ackedPerSecond ?? r.perSecond, 6)} | ${num(r.p50, 10)} | ${num(r.p99, 10)} | ${r === bare ? '     1.00x' : `${((r.ackedPerSecond ?? r.perSecond) / bare.perSecond).toFixed(2).padStart(9)}x`} |`,
    );
  }
  console.log('\nacks/s and "vs ceiling" compare how fast frames are acknowledged; tickets/s is messages committed as tickets (ack → intake transaction).');
  process.exit(0);
}
