import { sql } from 'drizzle-orm';
import { bigserial, boolean, index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/** A person who writes to the company, per channel identity (a Feishu open_id, a web visitor's contact…). */
export const customers = pgTable(
  'customers',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    channel: text('channel').notNull(),
    externalId: text('external_id').notNull(),
    name: text('name'),
    phone: text('phone'),
    email: text('email'),
    /** A made-up customer of the sandbox (/sandbox): only the sandbox creates these, so its tickets cannot be forged. */
    isSandbox: boolean('is_sandbox').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`now()`),
    /** Set when the customer's personal data was erased (records/erase.ts). */
    erasedAt: timestamp('erased_at', { withTimezone: true }),
  },
  // Phone and e-mail lookups: the console's search ("find any complaint by phone number across channels").
  (t) => [
    uniqueIndex('customers_channel_external').on(t.channel, t.externalId),
    index('customers_phone').on(t.phone),
    index('customers_email').on(sql`lower(${t.email})`),
  ],
);

/** People who work tickets. Roles come from the config; rows are created the first time someone acts. */
export const agents = pgTable(
  'agents',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    platform: text('platform').notNull(),
    userId: text('user_id').notNull(),
    name: text('name'),
    role: text('role').notNull().default('agent'),
    onDuty: boolean('on_duty').notNull().default(true),
    /** auto = on duty in business hours; on / off = set with /duty (on_duty follows: off → false). */
    duty: text('duty').notNull().default('auto'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`now()`),
  },
  (t) => [uniqueIndex('agents_platform_user').on(t.platform, t.userId), index('agents_role').on(t.role)],
);
