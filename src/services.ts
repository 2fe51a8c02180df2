import type { Hono } from 'hono';
import type { Config, Env } from './config.ts';
import { createCalendar, holidayDataWarning, type BusinessCalendar } from './core/calendar.ts';
import { systemClock, type Clock } from './core/clock.ts';
import type { HolidayData } from './core/holidays.ts';
import type { Database } from './db/client.ts';
import { createDesk, type Desk } from './desk/index.ts';
import { createDeliveryContext } from './desk/delivery-context.ts';
import { createChannelStore, type ChannelStore } from './desk/channel-store.ts';
import type { DeskDeps } from './desk/deps.ts';
import { CONTACT_OUTBOX_CHANNEL } from './core/contact.ts';
import { createOutboxWorker, outboxHealth, type OutboxWorker } from './jobs/outbox.ts';
import type { ChannelSender, DeliveryContext } from './channels/types.ts';
import type { AppEnv } from './http/env.ts';
import { createLogger, type Logger } from './log.ts';
import { runCommand, type CommandInput, type CommandReply, type CommandTable } from './desk/commands.ts';
import { commandTable } from './command-table.ts';

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
  /**
   * Runs a command typed in an agents' group with the full services (some commands drive the outbox or probes).
   * `within` replaces the desk for this command (the sandbox's fast clock: its own desk, sandbox/clock.ts).
   */
  runCommand(input: CommandInput, within?: Pick<CoreServices, 'desk'>): Promise<CommandReply>;
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

  const store = createChannelStore(opts.database);
  const deliveryContext = createDeliveryContext({
    database: opts.database,
    config: opts.config,
    calendar,
    clock,
    log,
    publicBaseUrl: opts.env.PUBLIC_BASE_URL,
  });

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
    runCommand: (input, within) => runCommand(within ? { ...services!, ...within } : services!, input),
  };
  const channels = opts.channels.map((f) => f(core)).filter((c): c is Channel => c !== null);
  deskDeps.agentSurfaces.push(...channels.filter((c) => c.agentSurface).map((c) => c.name));

  worker = createOutboxWorker({
    database: opts.database,
    senders: withContactFallback(channels.flatMap((c) => (c.sender ? [c.sender] : []))),
    context: deliveryContext,
    clock,
    log,
    maxAttempts: opts.config.outbox.maxAttempts,
    leaseSeconds: opts.config.outbox.leaseSeconds,
    backoffBaseMs: opts.outbox?.backoffBaseMs,
    onDead: async (row, reason) => {
      await desk.deliveryFailed(row, reason);
      worker?.wake();
    },
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
