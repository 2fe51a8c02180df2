import { eq, sql } from 'drizzle-orm';
import type { Config } from '../config.ts';
import type { BusinessCalendar } from '../core/calendar.ts';
import type { Clock } from '../core/clock.ts';
import type { Database } from '../db/client.ts';
import { incidents, tickets } from '../db/schema/index.ts';
import type { Logger } from '../log.ts';
import { loadIncidentView, saveIncidentCardRef } from './incidents.ts';
import type { DeliveryContext } from './types.ts';
import { loadTicketView } from './view.ts';

/** The reads and card refs a sender needs, from the desk: senders never see the database. */
export function createDeliveryContext(deps: {
  database: Database;
  config: Config;
  calendar: BusinessCalendar;
  clock: Clock;
  log: Logger;
  publicBaseUrl: string;
}): DeliveryContext {
  const { config, calendar, clock, log } = deps;
  const db = deps.database.db;
  return {
    config,
    log,
    now: () => clock.now(),
    ticketView: (id) => loadTicketView(db, config, calendar, id, clock.now(), deps.publicBaseUrl),
    async ticketRoute(id) {
      const [t] = await db
        .select({ channel: tickets.channel, replyTo: tickets.replyTo, code: tickets.code, cardRefs: tickets.cardRefs, accessToken: tickets.accessToken })
        .from(tickets)
        .where(eq(tickets.id, id));
      if (!t) throw new Error(`ticket ${id} not found`);
      return t;
    },
    async saveCardRef(id, surface, ref) {
      await db
        .update(tickets)
        .set({ cardRefs: sql`${tickets.cardRefs} || ${JSON.stringify({ [surface]: ref })}::jsonb` })
        .where(eq(tickets.id, id));
    },
    async incidentCard(id) {
      const view = await loadIncidentView(db, id);
      const [inc] = await db.select({ refs: incidents.cardRefs }).from(incidents).where(eq(incidents.id, id));
      return { view, cardRefs: inc?.refs ?? {} };
    },
    saveIncidentCardRef: (id, surface, ref) => saveIncidentCardRef(db, id, surface, ref),
  };
}
