/**
 * Canned replies: the config's library plus the ones leads add with `/canned add` (kept in the `kv` table). The
 * respond form offers them (the ticket's category first) with the placeholders filled; a reply sent from one
 * records its id on the `responded` event, which is how usage is counted.
 */
import { and, gte, lt, sql } from 'drizzle-orm';
import type { Config } from '../config.ts';
import type { DbOrTx } from '../db/client.ts';
import { ticketEvents } from '../db/schema/index.ts';
import { kvDelete, kvGet, kvList, kvSet } from '../probes/kv.ts';
import { DeskError } from './errors.ts';
import { cutText } from '../core/text.ts';

export interface CannedReply {
  id: string;
  title: string;
  text: string;
  category?: string;
  /** config: from the config file (edit it there); db: added with /canned add. */
  source: 'config' | 'db';
  createdBy?: string;
}

const PREFIX = 'canned:';
export const PLACEHOLDERS = ['{客户}', '{工单号}', '{承诺}'] as const;

export async function listCanned(db: DbOrTx, config: Config): Promise<CannedReply[]> {
  const stored = (await kvList<Omit<CannedReply, 'source'>>(db, PREFIX)).map((r) => ({ ...r.value, source: 'db' as const }));
  const fromConfig = config.canned.map((c) => ({ ...c, source: 'config' as const }));
  const ids = new Set(fromConfig.map((c) => c.id));
  return [...fromConfig, ...stored.filter((s) => !ids.has(s.id)).sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }))];
}

export async function findCanned(db: DbOrTx, config: Config, id: string): Promise<CannedReply | undefined> {
  const c = config.canned.find((x) => x.id === id);
  if (c) return { ...c, source: 'config' };
  const stored = await kvGet<Omit<CannedReply, 'source'>>(db, PREFIX + id);
  return stored ? { ...stored, source: 'db' } : undefined;
}

export async function addCanned(
  db: DbOrTx,
  config: Config,
  input: { title: string; text: string; category?: string; createdBy: string },
  now: Date,
): Promise<CannedReply> {
  const title = cutText(input.title.trim(), 40);
  const text = input.text.trim();
  if (!title || !text) throw new DeskError('invalid', '请提供标题和正文');
  if (text.length > 1000) throw new DeskError('invalid', '正文最长 1000 字');
  if (input.category && !config.categories.some((c) => c.id === input.category)) throw new DeskError('invalid', `未知分类：${input.category}`);
  const taken = new Set((await listCanned(db, config)).map((c) => c.id));
  let n = taken.size + 1;
  while (taken.has(`c${n}`)) n++;
  const reply = { id: `c${n}`, title, text, ...(input.category ? { category: input.category } : {}), createdBy: input.createdBy };
  await kvSet(db, PREFIX + reply.id, reply, now);
  return { ...reply, source: 'db' };
}

export async function removeCanned(db: DbOrTx, config: Config, id: string): Promise<CannedReply> {
  const found = await findCanned(db, config, id);
  if (!found) throw new DeskError('not_found', `没有快捷回复 ${id}`);
  if (found.source === 'config') throw new DeskError('invalid', `${id} 来自配置文件，请在配置文件中删除`);
  await kvDelete(db, PREFIX + id);
  return found;
}

export function fillPlaceholders(text: string, values: { customer: string; code: string; promise: string }): string {
  return text.replaceAll('{客户}', values.customer).replaceAll('{工单号}', values.code).replaceAll('{承诺}', values.promise);
}

/** This category's replies first, then the general ones, then the rest. */
export function cannedFor(list: CannedReply[], category: string): CannedReply[] {
  const rank = (c: CannedReply) => (c.category === category ? 0 : c.category ? 2 : 1);
  return [...list].sort((a, b) => rank(a) - rank(b));
}

/** How often each canned reply was sent (responded events that name it), optionally within [from, to). */
export async function cannedUsage(
  db: DbOrTx,
  config: Config,
  range: { from?: Date; to?: Date } = {},
): Promise<Array<{ id: string; title: string; count: number }>> {
  const canned = sql<string>`${ticketEvents.data}->>'canned'`;
  const rows = await db
    .select({ id: canned, n: sql<number>`count(*)::int` })
    .from(ticketEvents)
    .where(
      and(
        sql`${ticketEvents.type} = 'responded'`,
        sql`${canned} is not null`,
        ...(range.from ? [gte(ticketEvents.at, range.from)] : []),
        ...(range.to ? [lt(ticketEvents.at, range.to)] : []),
      ),
    )
    .groupBy(canned);
  const titles = new Map((await listCanned(db, config)).map((c) => [c.id, c.title]));
  return rows.map((r) => ({ id: r.id, title: titles.get(r.id) ?? '（已删除）', count: Number(r.n) })).sort((a, b) => b.count - a.count);
}
