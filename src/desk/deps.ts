import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import type { BusinessCalendar } from '../core/calendar.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../log.ts';

export interface DeskDeps {
  database: Database;
  config: Config;
  calendar: BusinessCalendar;
  clock: Clock;
  log: Logger;
  /** Channels that have an agents' group (cards and notices go to each). */
  agentSurfaces: string[];
  /** In-process wake-up of the outbox worker, called after a commit that enqueued rows. */
  wake(): void;
}

/** 'agent:feishu:ou_x' — the actor string stored in the event log. */
export const agentActor = (platform: string, userId: string) => `agent:${platform}:${userId}`;
export const customerActor = (customerId: number) => `customer:${customerId}`;
export const SYSTEM = 'system';
