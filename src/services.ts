import { eq, sql } from 'drizzle-orm';
import type { Hono } from 'hono';
import type { Config, Env } from './config.ts';
import { createCalendar, holidayDataWarning, type BusinessCalendar } from './core/calendar.ts';
import { systemClock, type Clock } from './core/clock.ts';
import type { HolidayData } from './core/holidays.ts';
import type { Database } from './db/client.ts';
import { tickets } from './db/schema/index.ts';
import { createDesk, type Desk } from './desk/index.ts';
import { SYSTEM, type DeskDeps } from './desk/deps.ts';
import { appendEvents, enqueue, lockTicketById } from './desk/store.ts';
import { createDeliveryContext } from './desk/delivery-context.ts';
import { createChannelStore, type ChannelStore } from './desk/channel-store.ts';
import { createOutboxWorker, outboxHealth, type OutboxWorker } from './jobs/outbox.ts';
import type { ChannelSender, DeliveryContext, OutboxRow } from './channels/types.ts';
import type { AppEnv } from './http/env.ts';
import { createLogger, type Logger } from './log.ts';
import { runCommand, type CommandInput, type CommandReply, type CommandTable } from './desk/commands.ts';
import { commandTable } from './command-table.ts';
import { CALL_THE_CUSTOMER, CONTACT_OUTBOX_CHANNEL } from './core/contact.ts';
import { cutText } from './core/text.ts';

/** A channel plugs into the service: its outbound sender, its HTTP routes, its long connection. */
export interface Channel {
  readonly name: string;
  /** True when the channel hosts an agents' group (ticket cards and notices go there). */
  readonly agentSurface: boolean;
  readonly sender?: ChannelSender;
  routes?(app: Hono<AppEnv>): void;
  /** Tighter request-body limits (bytes) for paths starting with these prefixes; 1 MB elsewhere (http/body-limit.ts). */
  readonly bodyLimits?: Readonly<Record<string, number>>;
  start?(): Promise<void>;
  stop?(): Promise<void>;
  health?(): Record<string, unknown>;
}

/** Everything a channel needs from the core; channels are built from it. */
export interface CoreServices {
  env: Env;
  config: Config;
  calendar: BusinessCalendar;
  clock: Clock;
  log: Logger;
  /** For the composition root and the sandbox; channels read through `store` and change through `desk`. */
  database: Database;
  desk: Desk;
  /** What channels may read or keep in the database (desk/channel-store.ts). */
  store: ChannelStore;
  deliveryContext: DeliveryContext;
  /** Runs a command typed in an agents' group with the full services (some commands drive the outbox or probes). */
  runCommand(input: CommandInput): Promise<CommandReply>;
}

export type ChannelFactory = (core: CoreServices) => Channel | null;

export interface Services extends CoreServices {
  channels: Channel[];
  /** The commands typed in an agents' group (src/command-table.ts). */
  commands: CommandTable<Services>;
  outbox: OutboxWorker;
  health(): Promise<Record<string, unknown>>;
  /** Starts long connections and the outbox worker. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  env: Env;
  config: Config;
  database: Database;
  clock?: Clock;
  log?: Logger;
  channels: ChannelFactory[];
  /** Holiday data with the imported years (`loadHolidayData`); default: the shipped data only. */
  holidays?: HolidayData;
  /** Outbox tuning for tests and benchmarks. */
  outbox?: { backoffBaseMs?: number };
}

/**
 * Without the contact channel (Workers, tests that leave it out) nobody sends to web or phone customers: they read
 * replies on their private page, as before e-mail and SMS existed.
 */
function withContactFallback(senders: ChannelSender[]): ChannelSender[] {
  if (senders.some((s) => s.name === CONTACT_OUTBOX_CHANNEL)) return senders;
  return [...senders, { name: CONTACT_OUTBOX_CHANNEL, async deliver() {} }];
}

export function createServices(opts: ServiceOptions): Services {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger(opts.env.LOG_LEVEL);
  const calendar = createCalendar(opts.config.calendar, (m) => log.warn(m), opts.holidays);
  let worker: OutboxWorker | undefined;
  const deskDeps: DeskDeps = {
    database: opts.database,
    config: opts.config,
    calendar,
    clock,
    log,
    agentSurfaces: [],
    wake: () => void worker?.wake(),
  };
  const desk = createDesk(deskDeps);
  const db = opts.database.db;

  const store = createChannelStore(opts.database);
  const deliveryContext = createDeliveryContext({ database: opts.database, config: opts.config, calendar, clock, log, publicBaseUrl: opts.env.PUBLIC_BASE_URL });

  let services: Services | undefined;
  const core: CoreServices = {
    env: opts.env,
    config: opts.config,
    calendar,
    clock,
    log,
    database: opts.database,
    desk,
    store,
    deliveryContext,
    runCommand: (input) => runCommand(services!, input),
  };
  const channels = opts.channels.map((f) => f(core)).filter((c): c is Channel => c !== null);
  deskDeps.agentSurfaces.push(...channels.filter((c) => c.agentSurface).map((c) => c.name));

  /** A customer we cannot reach is a broken promise: say so in the agents' group and in the ticket's log. */
  async function onDead(row: OutboxRow, reason: string) {
    if (!row.kind.startsWith('customer.') || row.ticketId === null) return;
    const now = clock.now();
    await db.transaction(async (tx) => {
      const t = await lockTicketById(tx, row.ticketId!);
      if (!t) return;
      await appendEvents(tx, t.id, SYSTEM, now, [{ type: 'delivery_failed', data: { outboxId: row.id, kind: row.kind, reason: cutText(reason, 500) } }]);
      await enqueue(
        tx,
        now,
        deskDeps.agentSurfaces.map((s) => ({
          channel: s,
          kind: 'agents.text' as const,
          ticketId: t.id,
          payload: {
            text:
              row.kind === 'customer.survey'
                ? `⚠️ 工单 ${t.code} 的满意度回访无法送达客户（${cutText(reason, 200)}），请电话回访客户，并用 /csat ${t.code} 评分 客户原话 记录结果。`
                : `⚠️ 工单 ${t.code} 的消息无法送达客户（${cutText(reason, 200)}），请通过其他方式联系客户。`,
            notify: 'assignee',
          },
          // No route at all is said once per ticket (and once more for the survey), not for every message.
          idemKey: reason.startsWith(CALL_THE_CUSTOMER) ? `unreachable:${t.id}:${row.kind}:${s}` : `dead:${row.id}:${s}`,
        })),
      );
      // The card then says 「请电话联系客户」 (desk/view.ts).
      await enqueue(tx, now, deskDeps.agentSurfaces.map((s) => ({ channel: s, kind: 'agents.card' as const, ticketId: t.id, idemKey: `dead-card:${row.id}:${s}` })));
    });
    worker?.wake();
  }

  worker = createOutboxWorker({
    database: opts.database,
    senders: withContactFallback(channels.flatMap((c) => (c.sender ? [c.sender] : []))),
    context: deliveryContext,
    clock,
    log,
    maxAttempts: opts.config.outbox.maxAttempts,
    leaseSeconds: opts.config.outbox.leaseSeconds,
    backoffBaseMs: opts.outbox?.backoffBaseMs,
    onDead,
  });
  const outbox = worker;

  services = {
    ...core,
    channels,
    commands: commandTable(),
    outbox,
    async health() {
      const box = await outboxHealth(opts.database, clock.now());
      return {
        status: 'ok',
        database: opts.database.kind,
        outbox: box,
        // A missing holiday year is not an outage, but it is said here so monitoring sees it before January.
        calendar: { warning: holidayDataWarning(calendar, clock.now()) },
        channels: Object.fromEntries(channels.map((c) => [c.name, c.health?.() ?? { state: 'ready' }])),
      };
    },
    async start() {
      await outbox.start();
      for (const c of channels) await c.start?.();
    },
    async stop() {
      for (const c of channels) await c.stop?.().catch((e) => log.warn('channel stop failed', { channel: c.name, err: String(e) }));
      await outbox.stop();
    },
  };
  return services;
}
