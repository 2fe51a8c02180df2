import { and, eq, inArray, isNotNull } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { incidents, tickets } from '../db/schema/index.ts';
import type { Enqueue } from './store.ts';

/**
 * Where the outbox rows of a burst's member tickets go (the incident card, one folded notice). A leaf: `enqueue`
 * calls it, and it calls nothing of the desk back.
 */

/** Incident card updates are coalesced: at most one per incident and surface in this period. */
export const INCIDENT_CARD_DEBOUNCE_MS = 5_000;
/** SLA pings of member tickets: one per incident, surface and audience in this period. */
const PING_BUCKET_MS = 10 * 60_000;
/**
 * The incident card's outbox rows for every surface: one now (the first change of a period shows at once) and one
 * at the end of the period (it shows whatever else arrived meanwhile). Later changes in the same period are
 * already covered by the trailing row, so a burst of 500 tickets costs one PATCH per period, not 500.
 */
export function incidentCardRows(surfaces: string[], incidentId: number, now: Date): Enqueue[] {
  const bucket = Math.floor(now.getTime() / INCIDENT_CARD_DEBOUNCE_MS);
  const end = new Date((bucket + 1) * INCIDENT_CARD_DEBOUNCE_MS);
  return surfaces.flatMap((s) => [
    { channel: s, kind: 'agents.incident' as const, ticketId: null, payload: { incidentId }, idemKey: `incident:${incidentId}:${s}:${bucket}:now` },
    { channel: s, kind: 'agents.incident' as const, ticketId: null, payload: { incidentId }, idemKey: `incident:${incidentId}:${s}:${bucket}:end`, runAt: end },
  ]);
}

/** SLA pings and major pages (timer keys sla:… / major:…); an agent's own escalation is never folded. */
const isFoldedPing = (i: Enqueue) => i.kind === 'agents.text' && (i.idemKey.startsWith('ping:sla:') || i.idemKey.startsWith('ping:major:'));

/**
 * Rewrites outbox rows about member tickets (called by `enqueue`): a card of a ticket that has none on that surface
 * becomes an incident card update, and SLA pings / major pages (`ping:` keys) become one notice per incident.
 */
export async function routeIncidentItems(tx: Tx, now: Date, items: Enqueue[]): Promise<Enqueue[]> {
  const ids = [...new Set(items.filter((i) => i.ticketId !== null && (i.kind === 'agents.card' || isFoldedPing(i))).map((i) => i.ticketId!))];
  if (ids.length === 0) return items;
  const rows = await tx
    .select({ id: tickets.id, incidentId: tickets.incidentId, cardRefs: tickets.cardRefs, code: incidents.code })
    .from(tickets)
    .innerJoin(incidents, eq(incidents.id, tickets.incidentId))
    .where(and(inArray(tickets.id, ids), isNotNull(tickets.incidentId)));
  if (rows.length === 0) return items;
  const member = new Map(rows.map((r) => [r.id, r]));
  const out: Enqueue[] = [];
  const seen = new Set<string>();
  const push = (e: Enqueue) => {
    if (!seen.has(e.idemKey)) out.push(e);
    seen.add(e.idemKey);
  };
  for (const i of items) {
    const m = i.ticketId !== null ? member.get(i.ticketId) : undefined;
    if (!m) {
      push(i);
    } else if (i.kind === 'agents.card') {
      if (m.cardRefs?.[i.channel]) push(i);
      else incidentCardRows([i.channel], m.incidentId!, now).forEach(push);
    } else if (isFoldedPing(i)) {
      const bucket = Math.floor(now.getTime() / PING_BUCKET_MS);
      const text = String(i.payload?.text ?? '');
      push({
        ...i,
        ticketId: null,
        payload: { ...i.payload, text: `【事件 ${m.code}】${text}\n（同一事件其他工单的同类提醒已合并，请看事件卡片）` },
        idemKey: `incident-ping:${m.incidentId}:${i.channel}:${String(i.payload?.notify ?? '')}:${bucket}`,
      });
    } else {
      push(i);
    }
  }
  return out;
}
