import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * Local accounts: people who work tickets from the console without a Feishu/DingTalk login. Each one is also an
 * `agents` row (platform 'local', user_id = this id), so assignment, /mine and the ledger treat them like anyone.
 * The role lives here (not in the config) and is read again on every request: disabling someone locks them out.
 */
export const localAccounts = pgTable(
  'local_accounts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    name: text('name').notNull(),
    role: text('role').notNull(),
    email: text('email'),
    disabledAt: ts('disabled_at'),
    createdAt: ts('created_at').notNull().default(sql`now()`),
  },
  (t) => [uniqueIndex('local_accounts_name').on(t.name)],
);

/** One-time sign-in links. Only a SHA-256 of the token is stored; `used_at` is set once, by the redeeming request. */
export const loginLinks = pgTable(
  'login_links',
  {
    tokenHash: text('token_hash').primaryKey(),
    accountId: bigint('account_id', { mode: 'number' })
      .notNull()
      .references(() => localAccounts.id),
    expiresAt: ts('expires_at').notNull(),
    usedAt: ts('used_at'),
    createdAt: ts('created_at').notNull().default(sql`now()`),
  },
  (t) => [index('login_links_account').on(t.accountId)],
);
