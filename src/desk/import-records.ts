/**
 * Earlier records from a company's old spreadsheet, written as tickets marked 导入 in one transaction: all rows or
 * none. Each gets its own code (DR-, so the FB daily numbers stay gapless), keeps its original times and code, and
 * gets a hash chain through the one chain writer that says what it is: the first event is `imported` (at the time of
 * the import, naming the file's SHA-256 and row); the events after it replay the old sheet's times so the ledger
 * figures verify, each marked `imported`. No acknowledgement, card, timer or survey: these tickets are history.
 * The same file twice changes nothing (a receipt keyed by its SHA-256).
 */
import { sql } from 'drizzle-orm';
import { categoryOf } from '../config.ts';
import { IMPORTED_CODE_PREFIX } from '../core/imported.ts';
import { policyFor } from '../core/sla.ts';
import { cutText } from '../core/text.ts';
import type { CloseReason, TicketEvent } from '../core/ticket.ts';
import { queryRows } from '../db/client.ts';
import { customers, inboundReceipts, messages, ticketCodeCounters, tickets, type ImportedFrom } from '../db/schema/index.ts';
import { appendChained, type ChainInput } from '../records/chain.ts';
import type { ImportRecord } from '../imports/validate.ts';
import { SYSTEM, type DeskDeps } from './deps.ts';
import { newAccessToken } from './store.ts';

/** The customers of imported rows live under this channel (one per row: the old sheet links no identities). */
export const IMPORT_CUSTOMER_CHANNEL = 'import';
const RECEIPT_SOURCE = 'ledger-import';

export interface ImportInput {
  file: string;
  sha256: string;
  records: ImportRecord[];
  /** Who ran the import (named on the `imported` event). */
  by: string;
}

export type ImportOutcome =
  | { duplicate: false; tickets: number; firstCode: string; lastCode: string; from: Date; to: Date }
  | { duplicate: true; tickets: number; importedAt: Date | null };

/** Tickets per batch of inserts: a few thousand bound parameters per statement. */
const CHUNK = 200;

/** Rows whose original code an earlier import (another file: another encoding, a corrected copy) already brought in. */
export class ImportConflict extends Error {
  constructor(readonly problems: Array<{ line: number; message: string }>) {
    super(`${problems.length} 行已导入过`);
  }
}

export async function importRecords(deps: DeskDeps, input: ImportInput): Promise<ImportOutcome> {
  const { config, calendar } = deps;
  const now = deps.clock.now();
  const records = [...input.records].sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || a.line - b.line);
  const done = await deps.database.db.transaction(async (tx) => {
    const fresh = await tx
      .insert(inboundReceipts)
      .values({ source: RECEIPT_SOURCE, externalId: input.sha256 })
      .onConflictDoNothing()
      .returning({ id: inboundReceipts.externalId });
    if (fresh.length === 0) return null;
    if (records.some((r) => r.originalCode !== null)) {
      // Every original code imported so far (bounded by the imported rows; one list, not one parameter per row).
      const seen = await queryRows<{ code: string; original: string; file: string }>(
        tx,
        sql`select code, imported->>'originalCode' as original, imported->>'file' as file from ${tickets}
            where imported is not null and imported->>'originalCode' is not null`,
      );
      const byOriginal = new Map(seen.map((s) => [s.original, s]));
      const clash = records.filter((r) => r.originalCode && byOriginal.has(r.originalCode));
      if (clash.length) {
        throw new ImportConflict(
          clash.map((r) => {
            const s = byOriginal.get(r.originalCode!)!;
            return { line: r.line, message: `编号「${r.originalCode}」已从「${s.file}」导入过（${s.code}）` };
          }),
        );
      }
    }

    // Codes: one block per day of receipt, reserved on the shared counter table under the DR key.
    const dayOf = (r: ImportRecord) => calendar.localDate(r.receivedAt).replaceAll('-', '');
    const perDay = new Map<string, number>();
    for (const r of records) perDay.set(dayOf(r), (perDay.get(dayOf(r)) ?? 0) + 1);
    const next = new Map<string, number>();
    for (const [day, n] of perDay) {
      const key = `${IMPORTED_CODE_PREFIX}-${day}`;
      const [row] = await tx
        .insert(ticketCodeCounters)
        .values({ day: key, last: n })
        .onConflictDoUpdate({ target: ticketCodeCounters.day, set: { last: sql`${ticketCodeCounters.last} + ${n}` } })
        .returning({ last: ticketCodeCounters.last });
      next.set(day, row.last - n + 1);
    }
    const codes = records.map((r) => {
      const day = dayOf(r);
      const n = next.get(day)!;
      next.set(day, n + 1);
      return `${IMPORTED_CODE_PREFIX}-${day}-${String(n).padStart(4, '0')}`;
    });

    for (let i = 0; i < records.length; i += CHUNK) {
      const chains = new Map<number, ChainInput[]>();
      const part = records.slice(i, i + CHUNK);
      const people = await tx
        .insert(customers)
        .values(
          part.map((r) => ({
            channel: IMPORT_CUSTOMER_CHANNEL,
            externalId: `${input.sha256.slice(0, 16)}:${r.line}`,
            name: r.customerName,
            phone: r.contact?.phone,
            email: r.contact?.email,
          })),
        )
        .returning({ id: customers.id });
      const rows = await tx
        .insert(tickets)
        .values(
          part.map((r, j) => {
            const category = categoryOf(config, r.category);
            const satisfied = r.score !== null && r.score >= config.survey.satisfiedMin;
            const closedAt = r.followUpAt ?? r.resolvedAt;
            const from: ImportedFrom = {
              sha256: input.sha256,
              file: input.file,
              row: r.line,
              originalCode: r.originalCode,
              importedAt: now.toISOString(),
              handler: r.handler,
              result: r.result,
              followUp: r.followUp,
            };
            return {
              code: codes[i + j],
              channel: r.channel,
              customerId: people[j].id,
              replyTo: {},
              subject: cutText(
                r.content
                  .split('\n')
                  .find((l) => l.trim())
                  ?.trim() ?? r.content,
                80,
              ),
              category: category.id,
              priority: category.priority,
              status: 'closed' as const,
              accessToken: newAccessToken(),
              imported: from,
              createdAt: r.receivedAt,
              firstResponseAt: r.firstResponseAt,
              lastResponseAt: r.firstResponseAt,
              lastCustomerMessageAt: r.receivedAt,
              resolvedAt: r.resolvedAt,
              surveyAnsweredAt: r.score !== null ? closedAt : null,
              csatScore: r.score,
              csatVia: r.score !== null ? 'import' : null,
              closedAt,
              // Not satisfied by the customer's own word in Loopdesk: archived as the old ledger says, reason 'imported'.
              closeReason: (satisfied ? 'satisfied' : 'imported') as CloseReason,
              // The old sheet records no promise: no target, so the ledger claims neither 及时 nor 超时.
              slaPolicy: {
                ...policyFor(category, config, calendar),
                firstResponseMinutes: null,
                resolutionMinutes: null,
                nextResponseMinutes: null,
                imported: true,
              },
              updatedAt: now,
            };
          }),
        )
        .returning({ id: tickets.id });
      const bodies = await tx
        .insert(messages)
        .values(
          part.map((r, j) => ({
            ticketId: rows[j].id,
            direction: 'in' as const,
            authorKind: 'customer',
            authorId: String(people[j].id),
            body: r.content,
            createdAt: r.receivedAt,
          })),
        )
        .returning({ id: messages.id });
      part.forEach((r, j) => {
        chains.set(rows[j].id, eventsOf(r, { code: codes[i + j], messageId: bodies[j].id, input, now, satisfiedMin: config.survey.satisfiedMin }));
      });
      await appendChained(tx, chains);
    }
    return { codes };
  });
  if (!done) {
    const [row] = await queryRows<{ n: number; at: Date | string | null }>(
      deps.database.db,
      sql`select count(*)::int as n, min(updated_at) as at from ${tickets} where imported->>'sha256' = ${input.sha256}`,
    );
    return { duplicate: true, tickets: Number(row?.n ?? 0), importedAt: row?.at ? new Date(row.at) : null };
  }
  const [first, last] = [records[0], records.at(-1)!];
  return { duplicate: false, tickets: records.length, firstCode: done.codes[0], lastCode: done.codes.at(-1)!, from: first.receivedAt, to: last.receivedAt };
}

/**
 * The chain of one imported record. `imported` comes first and carries the import's own time: the log says when it
 * learnt of the record. The replayed events carry the old sheet's times, so `loopdesk verify` finds the ledger
 * fields (first response, resolution, score, closing) equal to what the events say.
 */
function eventsOf(r: ImportRecord, ctx: { code: string; messageId: number; input: ImportInput; now: Date; satisfiedMin: number }): ChainInput[] {
  const mark = { imported: true };
  const closedAt = r.followUpAt ?? r.resolvedAt;
  const events: Array<TicketEvent & { at: Date }> = [
    {
      type: 'imported',
      at: ctx.now,
      data: {
        code: ctx.code,
        file: ctx.input.file,
        sha256: ctx.input.sha256,
        row: r.line,
        originalCode: r.originalCode,
        receivedAt: r.receivedAt.toISOString(),
        channel: r.channel,
        category: r.category,
        messageId: ctx.messageId,
        by: ctx.input.by,
      },
    },
    ...(r.firstResponseAt ? [{ type: 'responded', at: r.firstResponseAt, data: { ...mark, handler: r.handler } }] : []),
    { type: 'resolved', at: r.resolvedAt, data: { ...mark, ...(r.result ? { summary: r.result } : {}) } },
    ...(r.score !== null ? [{ type: 'survey_answered', at: closedAt, data: { ...mark, score: r.score, via: 'import', followUp: r.followUp } }] : []),
    { type: 'closed', at: closedAt, data: { ...mark, reason: r.score !== null && r.score >= ctx.satisfiedMin ? 'satisfied' : 'imported' } },
  ];
  return events.map((e) => ({ ...e, actor: SYSTEM }));
}
