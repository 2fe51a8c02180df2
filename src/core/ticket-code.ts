/**
 * Ticket codes: FB-YYYYMMDD-NNNN for customers' tickets, TC-YYYYMMDD-NNNN for probes (拨测, planted test complaints),
 * DR-YYYYMMDD-NNNN for earlier records imported from an old ledger (core/imported.ts).
 * Probes have their own prefix and their own daily counter, so the FB numbers a reviewer reads are gapless: a probe
 * left out of the ledger never looks like a deleted ticket. Every parser of codes uses the patterns below.
 */

export const TICKET_PREFIX = 'FB';
export const PROBE_PREFIX = 'TC';

/** A whole code, either prefix (case-sensitive: the form codes are stored in). */
export const TICKET_CODE = /^(?:FB|TC|DR)-\d{8}-\d{4,}$/;
/** A whole code as people type it (any case); normalise with toUpperCase(). */
export const TICKET_CODE_TYPED = /^(?:FB|TC|DR)-\d{8}-\d{4,}$/i;
/** The pattern's source, to embed in larger expressions (subjects, menu keys) and HTML `pattern` attributes. */
export const TICKET_CODE_SOURCE = '(?:FB|TC|DR)-\\d{8}-\\d{4,}';
/** HTML form `pattern` (browsers compile it with the `v` flag: no case-insensitive flag, so both cases are spelled). */
export const TICKET_CODE_HTML_PATTERN = '(?:[Ff][Bb]|[Tt][Cc]|[Dd][Rr])-\\d{8}-\\d{4,}';

export function ticketCodePrefix(isProbe: boolean): string {
  return isProbe ? PROBE_PREFIX : TICKET_PREFIX;
}

export function isProbeCode(code: string): boolean {
  return code.toUpperCase().startsWith(`${PROBE_PREFIX}-`);
}

/** The counter row's key: the plain day for FB (as before), 'TC' + day for probes. */
export function codeCounterKey(prefix: string, day: string): string {
  return prefix === TICKET_PREFIX ? day : `${prefix}${day}`;
}

export function formatTicketCode(prefix: string, day: string, seq: number): string {
  return `${prefix}-${day}-${String(seq).padStart(4, '0')}`;
}
