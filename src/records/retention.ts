/**
 * Retention (config `privacy.retentionMonths`, at least 6, default 36): the personal data of tickets closed longer
 * ago than that is erased, one ticket per transaction; a customer whose every ticket is erased loses the customer
 * record too. A dry run lists what would go and changes nothing.
 */
import { eq, sql } from 'drizzle-orm';
import { ERASED_TEXT } from '../core/hash.ts';
import { queryRows, type Database } from '../db/client.ts';
import { customers, tickets } from '../db/schema/index.ts';
import type { Job } from '../jobs/scheduler.ts';
import type { Services } from '../services.ts';
import { eraseTicketData, scrubOutbox } from './erase.ts';

export interface RetentionItem {
  code: string;
  customerId: number;
  closedAt: string;
}
export interface RetentionResult {
  cutoff: string;
  dryRun: boolean;
  tickets: RetentionItem[];
  customersErased: number[];
}

export function retentionCutoff(now: Date, months: number): Date {
  const d = new Date(now);
  d.setUTCMonth(d.getUTCMonth() - months);
  return d;
}

export async function runRetention(database: Database, now: Date, months: number, opts: { dryRun?: boolean } = {}): Promise<RetentionResult> {
  const cutoff = retentionCutoff(now, months);
  const due = await queryRows<{ id: number | string; code: string; customer_id: number | string; closed_at: Date | string }>(
    database.db,
    sql`select id, code, customer_id, closed_at from tickets where status = 'closed' and closed_at < ${cutoff.toISOString()}::timestamptz and evidence_salt is not null order by closed_at, id`,
  );
  const items = due.map((r) => ({ code: r.code, customerId: Number(r.customer_id), closedAt: new Date(r.closed_at).toISOString() }));
  const result: RetentionResult = { cutoff: cutoff.toISOString(), dryRun: Boolean(opts.dryRun), tickets: items, customersErased: [] };
  if (opts.dryRun) return result;
  const reason = `保存期满（归档满 ${months} 个月）`;
  for (const r of due) {
    await database.db.transaction(async (tx) => {
      const [t] = await tx
        .select()
        .from(tickets)
        .where(eq(tickets.id, Number(r.id)))
        .for('update');
      // Re-checked under the lock: a run beside another (or a reopened ticket) erases nothing twice.
      if (t?.status !== 'closed' || !t.closedAt || t.closedAt >= cutoff || t.evidenceSalt === null) return;
      const scrub = new Set<string>([t.subject, t.csatComment].filter((v): v is string => !!v && v.length >= 2));
      await eraseTicketData(tx, t, { actor: 'system', reason, customerId: t.customerId }, now, scrub, { legacyFieldsKept: 0 });
      await scrubOutbox(tx, [t.id], [t.code], scrub);
      const [left] = await queryRows<{ n: number }>(
        tx,
        sql`select count(*)::int as n from tickets where customer_id = ${t.customerId} and evidence_salt is not null`,
      );
      if (left.n === 0) {
        const [c] = await tx.select().from(customers).where(eq(customers.id, t.customerId)).for('update');
        if (c && !c.erasedAt) {
          await tx
            .update(customers)
            .set({ name: ERASED_TEXT, phone: null, email: null, externalId: `erased:${c.id}`, erasedAt: now })
            .where(eq(customers.id, c.id));
          result.customersErased.push(c.id);
        }
      }
    });
  }
  return result;
}

export function retentionJobs(services: Services): Job[] {
  const { privacy } = services.config;
  if (!privacy.retentionEnabled) return [];
  return [
    {
      name: 'retention',
      schedule: '0 30 3 * * *',
      timeZone: services.calendar.timeZone,
      run: async () => {
        const r = await runRetention(services.database, services.clock.now(), privacy.retentionMonths);
        if (r.tickets.length)
          services.log.info('retention erased personal data', { tickets: r.tickets.length, customers: r.customersErased.length, cutoff: r.cutoff });
        return r;
      },
    },
  ];
}
