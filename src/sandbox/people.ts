import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { agents, customers } from '../db/schema/index.ts';
import { PERSONAS } from './personas.ts';

/**
 * The sandbox's customers, marked as such before their first message: intake copies the mark onto every ticket
 * they open, in the same transaction, so no sandbox ticket is ever counted. Agents get their display names.
 */
export async function ensureSandboxPeople(database: Database, channel: string): Promise<void> {
  const cs = PERSONAS.filter((p) => p.role === 'customer');
  await database.db
    .insert(customers)
    .values(cs.map((p) => ({ channel, externalId: p.openId, name: p.name, isSandbox: true })))
    .onConflictDoUpdate({ target: [customers.channel, customers.externalId], set: { isSandbox: sql`true` } });
  await database.db
    .insert(agents)
    .values(PERSONAS.filter((p) => p.role === 'agent').map((p) => ({ platform: channel, userId: p.openId, name: p.name })))
    .onConflictDoNothing();
}
