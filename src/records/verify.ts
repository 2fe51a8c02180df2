/**
 * `loopdesk verify`: everything the ledger and the case report show, checked against the event log.
 * - each ticket's chain (links, hashes; version 2 with the ticket's salt);
 * - the values kept apart from the events: message bodies and attachments, subject, the customer's contact;
 * - the ledger figures in `tickets` (status, first response, resolution, closing, score, major) against a replay
 *   of the events (core/facts.ts);
 * - the seals: their links, roots and keyed marks, and that every chain head they name is still there;
 * - the anchors it can see (roots posted to the agents' groups, and any text file given with --anchors).
 * Streams tickets in pages: memory stays at one page plus one entry per customer.
 */
import { asc } from 'drizzle-orm';
import { ERASED_TEXT, GENESIS_HASH, keyedMark, sealRoot, verifyChain, type ChainedEvent } from '../core/hash.ts';
import { FACT_LABELS, replayFacts, type LedgerFacts } from '../core/facts.ts';
import { IMPORTED_CODE_PREFIX, IMPORTED_GUARANTEE } from '../core/imported.ts';
import { evidenceSeals } from '../db/schema/index.ts';
import { rangeOfDays } from '../reports/range.ts';
import { rawQuery, streamQuery, type RawRow } from '../reports/source.ts';
import { contactDigest, messageDigest, subjectDigest } from './commitments.ts';
import { ANCHOR_PATTERN, entryMark, type EvidenceDeps, type Seal } from './seal.ts';

export interface Finding {
  /** The ticket concerned (null for a seal or anchor as a whole). */
  code: string | null;
  what: string;
}

export interface VerifyReport {
  range: { from: string | null; to: string | null };
  tickets: number;
  events: number;
  /** Earlier records imported from a spreadsheet: their chains start at the import, not at the original receipt. */
  imported: number;
  /** Events written before chain version 2: their chain is checked, their messages are not committed. */
  legacyEvents: number;
  seals: number;
  lastSealDay: string | null;
  /** Events appended after the last seal: only their own chain protects them until the next seal. */
  unsealedEvents: number;
  anchors: number;
  findings: Finding[];
  text: string;
}

export interface VerifyOptions {
  /** Company-zone days, inclusive: tickets received and seals closed in the range. */
  from?: string;
  to?: string;
  /** Text seen outside the database (exported group messages, log lines) holding 「存证根 DAY ROOT」 lines. */
  anchorsText?: string;
  pageSize?: number;
}

const ms = (col: string, as: string) => `(extract(epoch from ${col}) * 1000)::float8 as ${as}`;
const TICKET_COLUMNS = [
  't.id::float8 as id',
  't.code',
  't.evidence_salt',
  't.subject',
  't.status',
  't.close_reason',
  't.csat_score',
  't.is_major',
  't.imported is not null as imported',
  't.customer_id::float8 as customer_id',
  ms('t.first_response_at', 'first_response_at'),
  ms('t.resolved_at', 'resolved_at'),
  ms('t.closed_at', 'closed_at'),
  'c.name as c_name',
  'c.phone as c_phone',
  'c.email as c_email',
  'c.erased_at is not null as c_erased',
].join(', ');

interface LatestContact {
  eventId: number;
  digest: string;
  salt: string | null;
  code: string;
  values: { name: string | null; phone: string | null; email: string | null };
  erased: boolean;
}

export async function verifyRecords(deps: EvidenceDeps, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const { database, calendar } = deps;
  const started = performance.now();
  const findings: Finding[] = [];
  const report = { tickets: 0, events: 0, legacyEvents: 0, imported: 0 };
  const contacts = new Map<number, LatestContact>();
  const where: string[] = ['true'];
  const params: unknown[] = [];
  if (opts.from) {
    params.push(rangeOfDays(opts.from, opts.from, calendar.timeZone).from.toISOString());
    where.push(`t.created_at >= $${params.length}::timestamptz`);
  }
  if (opts.to) {
    params.push(rangeOfDays(opts.to, opts.to, calendar.timeZone).to.toISOString());
    where.push(`t.created_at < $${params.length}::timestamptz`);
  }
  const q = { columns: TICKET_COLUMNS, from: 'tickets t join customers c on c.id = t.customer_id', where: where.join(' and '), params };
  for await (const page of streamQuery(database, q, [{ expr: 't.id', type: 'bigint' }], opts.pageSize ?? 1000)) {
    const ids = page.map((r) => Number(r.id));
    const events = groupBy(
      await rawQuery(
        database,
        `select id::float8 as id, ticket_id::float8 as ticket_id, seq, type, actor, data::text as data, ${ms('at', 'at')}, prev_hash, hash, v from ticket_events where ticket_id = any($1::bigint[]) order by ticket_id, seq`,
        [ids],
      ),
    );
    const messages = groupBy(
      await rawQuery(
        database,
        `select id::float8 as id, ticket_id::float8 as ticket_id, direction, body, attachments::text as attachments, erased_at is not null as erased from messages where ticket_id = any($1::bigint[])`,
        [ids],
      ),
    );
    for (const t of page) checkTicket(t, events.get(Number(t.id)) ?? [], messages.get(Number(t.id)) ?? [], findings, report, contacts);
  }
  for (const [, c] of contacts) {
    if (c.erased || !c.salt) continue;
    if (contactDigest(c.salt, c.values) !== c.digest)
      findings.push({ code: c.code, what: '客户联系方式（姓名/电话/邮箱）与事件日志中的摘要不符：客户资料被修改' });
  }
  const ticketsDone = performance.now();
  const seals = await checkSeals(deps, opts, findings);
  if (process.env.LOOPDESK_VERIFY_TIMING)
    process.stderr.write(`verify: tickets ${(ticketsDone - started).toFixed(0)} ms, seals ${(performance.now() - ticketsDone).toFixed(0)} ms\n`);
  const text = renderReport({ ...report, ...seals, range: { from: opts.from ?? null, to: opts.to ?? null }, findings });
  return { ...report, ...seals, range: { from: opts.from ?? null, to: opts.to ?? null }, findings, text };
}

function checkTicket(
  t: RawRow,
  rows: RawRow[],
  msgs: RawRow[],
  findings: Finding[],
  report: { tickets: number; events: number; legacyEvents: number; imported: number },
  contacts: Map<number, LatestContact>,
): void {
  const code = String(t.code);
  const salt = (t.evidence_salt as string | null) ?? null;
  const found = (what: string) => findings.push({ code, what });
  report.tickets++;
  if (t.imported) report.imported++;
  report.events += rows.length;
  const events: Array<ChainedEvent & { hash: string; id: number }> = rows.map((r) => ({
    id: Number(r.id),
    ticketId: Number(r.ticket_id),
    seq: Number(r.seq),
    type: String(r.type),
    actor: String(r.actor),
    data: JSON.parse(String(r.data)) as Record<string, unknown>,
    at: new Date(Number(r.at)),
    prevHash: String(r.prev_hash),
    hash: String(r.hash),
    v: Number(r.v),
  }));
  if (events.length === 0) found('工单没有任何事件记录：事件被整体删除');
  const chain = verifyChain(events, salt);
  if (!chain.intact) found(`哈希链在第 ${chain.brokenAt} 条事件处断开：${chainReason(chain.reason)}`);
  const erasedAtSeq = events.find((e) => e.type === 'erased')?.seq ?? null;
  if (!salt && erasedAtSeq === null) found('个人信息的盐值被删除，但事件日志中没有删除记录');
  for (const e of events) if ((e.v ?? 1) < 2) report.legacyEvents++;

  // Messages: each is committed by the event that recorded it; none may exist outside the log.
  const byId = new Map(msgs.map((m) => [Number(m.id), m]));
  const referenced = new Set<number>();
  for (const e of events) {
    const id = e.data.messageId;
    if (typeof id !== 'number') continue;
    referenced.add(id);
    const m = byId.get(id);
    if (!m) {
      found(`消息 #${id}（第 ${e.seq} 条事件记录）已被删除`);
      continue;
    }
    if (typeof e.data.content !== 'string') continue; // version 1: the body was not committed
    if (m.erased) {
      if (String(m.body) !== ERASED_TEXT) found(`已删除的消息 #${id} 在删除后被写入了内容`);
      if (erasedAtSeq === null || erasedAtSeq < e.seq) found(`消息 #${id} 被清除，但事件日志中没有其后的删除记录`);
      continue;
    }
    const values = { ticketId: Number(t.id), direction: String(m.direction), body: String(m.body), attachments: JSON.parse(String(m.attachments)) };
    if (!salt || messageDigest(salt, id, values) !== e.data.content)
      found(
        `消息 #${id}（${m.direction === 'out' ? '客服回复' : m.direction === 'in' ? '客户消息' : '内部备注'}）的内容与第 ${e.seq} 条事件中的摘要不符：消息被修改`,
      );
  }
  for (const [id] of byId) if (!referenced.has(id)) found(`消息 #${id} 不在事件日志中：事后插入的消息`);

  // Subject and contact, committed at intake.
  const created = events.find((e) => e.type === 'created' || e.type === 'imported');
  if (
    created &&
    typeof created.data.subject === 'string' &&
    salt &&
    String(t.subject) !== ERASED_TEXT &&
    subjectDigest(salt, String(t.subject)) !== created.data.subject
  )
    found('工单标题（反馈内容摘要）与事件日志中的摘要不符');
  for (const e of events) {
    if (typeof e.data.contact !== 'string') continue;
    const customerId = Number(t.customer_id);
    const prev = contacts.get(customerId);
    if (!prev || prev.eventId < e.id)
      contacts.set(customerId, {
        eventId: e.id,
        digest: e.data.contact,
        salt,
        code,
        values: { name: (t.c_name as string) ?? null, phone: (t.c_phone as string) ?? null, email: (t.c_email as string) ?? null },
        erased: Boolean(t.c_erased),
      });
  }

  // The ledger's figures must be what the events say.
  const facts = replayFacts(events);
  const row: LedgerFacts = {
    status: String(t.status),
    firstResponseAt: num(t.first_response_at),
    resolvedAt: num(t.resolved_at),
    closedAt: num(t.closed_at),
    closeReason: (t.close_reason as string | null) ?? null,
    csatScore: num(t.csat_score),
    isMajor: Boolean(t.is_major),
  };
  for (const k of Object.keys(FACT_LABELS) as Array<keyof LedgerFacts>) {
    if (events.length && !sameFact(row[k], facts[k])) found(`台账字段「${FACT_LABELS[k]}」为 ${show(row[k])}，事件日志为 ${show(facts[k])}`);
  }
}

async function checkSeals(
  deps: EvidenceDeps,
  opts: VerifyOptions,
  findings: Finding[],
): Promise<{ seals: number; lastSealDay: string | null; unsealedEvents: number; anchors: number }> {
  const { database } = deps;
  const seals = await database.db.select().from(evidenceSeals).orderBy(asc(evidenceSeals.id));
  let prevRoot = GENESIS_HASH;
  let prevLast = 0;
  let checked = 0;
  for (const s of seals) {
    const inRange = (!opts.from || s.day >= opts.from) && (!opts.to || s.day <= opts.to);
    const sealFinding = (what: string) => findings.push({ code: null, what: `封存 ${s.day}：${what}` });
    if (s.prevRoot !== prevRoot) sealFinding('与上一个封存的根不衔接：有封存被删除或改写');
    const root = sealRoot(s.prevRoot, { day: s.day, lastEventId: Number(s.lastEventId), eventCount: s.eventCount, manifest: s.manifest });
    if (root !== s.root) sealFinding('根与封存内容不符：封存被改写');
    if (deps.key && s.mark && keyedMark(deps.key, s.root) !== s.mark) sealFinding('根的密钥标记不符：事件日志在没有 EVIDENCE_KEY 的情况下被重新计算');
    if (inRange) {
      checked++;
      const [n] = await rawQuery<{ n: number }>(database, 'select count(*)::int as n from ticket_events where id > $1 and id <= $2', [
        prevLast,
        Number(s.lastEventId),
      ]);
      if (n.n !== s.eventCount) sealFinding(`封存时有 ${s.eventCount} 条事件，现有 ${n.n} 条`);
      await checkManifest(deps, s, findings);
    }
    prevRoot = s.root;
    prevLast = Number(s.lastEventId);
  }
  const [after] = await rawQuery<{ n: number }>(database, 'select count(*)::int as n from ticket_events where id > $1', [prevLast]);
  const anchors = await checkAnchors(deps, seals, opts.anchorsText ?? '', findings);
  return { seals: checked, lastSealDay: seals.at(-1)?.day ?? null, unsealedEvents: after.n, anchors };
}

/** Every chain head a seal names must still be there, unchanged (and carry its keyed mark). */
async function checkManifest(deps: EvidenceDeps, s: Seal, findings: Finding[]): Promise<void> {
  const entries = Object.entries(s.manifest);
  for (let i = 0; i < entries.length; i += 2000) {
    const chunk = entries.slice(i, i + 2000);
    const rows = await rawQuery<{ ticket_id: number; seq: number; hash: string }>(
      deps.database,
      'select e.ticket_id::float8 as ticket_id, e.seq, e.hash from ticket_events e join unnest($1::bigint[], $2::int[]) as m(tid, seq) on e.ticket_id = m.tid and e.seq = m.seq',
      [chunk.map(([id]) => Number(id)), chunk.map(([, e]) => e[1])],
    );
    const current = new Map(rows.map((r) => [Number(r.ticket_id), r.hash]));
    for (const [id, [code, seq, head, mark]] of chunk) {
      const hash = current.get(Number(id));
      if (hash === undefined) findings.push({ code, what: `封存 ${s.day} 记录的第 ${seq} 条事件已不存在：工单或其末尾的事件被删除` });
      else if (hash !== head) findings.push({ code, what: `第 ${seq} 条事件在封存 ${s.day} 之后被改写（链头不符）` });
      else if (deps.key && mark && entryMark(deps.key, Number(id), seq, head) !== mark)
        findings.push({ code, what: `封存 ${s.day} 中的链头密钥标记不符：在没有 EVIDENCE_KEY 的情况下被重新计算` });
    }
  }
}

/** Roots seen outside the seals table: the posted digest messages (outbox) and any text given. */
async function checkAnchors(deps: EvidenceDeps, seals: Seal[], extra: string, findings: Finding[]): Promise<number> {
  const posted = await rawQuery<{ text: string }>(
    deps.database,
    "select payload->'reply'->>'text' as text from outbox where idem_key like 'reply:%:evidence:%'",
  );
  const byDay = new Map(seals.map((s) => [s.day, s.root]));
  const seen = new Set<string>();
  for (const source of [...posted.map((p) => p.text ?? ''), extra]) {
    for (const m of source.matchAll(ANCHOR_PATTERN)) {
      const [, day, root] = m;
      if (seen.has(`${day} ${root}`)) continue;
      seen.add(`${day} ${root}`);
      const sealed = byDay.get(day);
      if (!sealed) findings.push({ code: null, what: `存证根 ${day} 已发布，但数据库中没有这一天的封存：封存（或整日记录）被删除` });
      else if (sealed !== root) findings.push({ code: null, what: `存证根 ${day} 与已发布的根不符：封存被重新计算` });
    }
  }
  return seen.size;
}

function renderReport(r: Omit<VerifyReport, 'text'>): string {
  const range = r.range.from || r.range.to ? `${r.range.from ?? '最早'} 至 ${r.range.to ?? '今天'}` : '全部';
  const lines = [
    `# 事件日志校验（${range}）`,
    '',
    `- 工单 ${r.tickets} 件，事件 ${r.events} 条${r.legacyEvents ? `（其中 ${r.legacyEvents} 条为第 1 版链，消息正文未入链）` : ''}`,
    `- 封存 ${r.seals} 个${r.lastSealDay ? `，最近一次封存 ${r.lastSealDay}` : '（尚无封存）'}；其后新增 ${r.unsealedEvents} 条事件尚未封存（仅受各自工单链保护，删除末尾事件在封存前无法发现）`,
    `- 已核对的外部存证根 ${r.anchors} 个`,
    ...(r.imported
      ? [`- 其中 ${r.imported} 件为导入的历史记录（工单号以 ${IMPORTED_CODE_PREFIX}- 开头）：其事件链从导入时开始，首条为导入事件。${IMPORTED_GUARANTEE}`]
      : []),
    '',
    r.findings.length === 0 ? '结论：未发现问题。' : `结论：发现 ${r.findings.length} 处问题：`,
    ...r.findings.map((f) => `- ${f.code ?? '（封存/存证）'}：${f.what}`),
  ];
  return lines.join('\n');
}

function chainReason(reason: string | null): string {
  if (!reason) return '';
  if (reason.startsWith('missing')) return '缺少事件（被删除）';
  if (reason.includes('does not link')) return '与上一条事件不衔接（被删除或插入）';
  return '事件内容在写入后被修改';
}

function groupBy(rows: RawRow[]): Map<number, RawRow[]> {
  const out = new Map<number, RawRow[]>();
  for (const r of rows) {
    const id = Number(r.ticket_id);
    let list = out.get(id);
    if (!list) out.set(id, (list = []));
    list.push(r);
  }
  return out;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const sameFact = (a: unknown, b: unknown) => (typeof a === 'number' && typeof b === 'number' ? Math.abs(a - b) < 1 : a === b);
const show = (v: unknown) => (v === null ? '空' : typeof v === 'number' && v > 1e11 ? new Date(v).toISOString() : String(v));
