/** Finding the one customer a data-rights request is about: by customer id, or by a contact (phone, e-mail, id). */
import { sql } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../db/client.ts';
import { DeskError } from '../desk/errors.ts';

export interface CustomerRow {
  id: number;
  channel: string;
  externalId: string;
  name: string | null;
  phone: string | null;
  email: string | null;
  erasedAt: Date | null;
}

const COLUMNS = sql`id::float8 as id, channel, external_id as "externalId", name, phone, email, erased_at as "erasedAt"`;

/** One customer or a DeskError saying why not (unknown, ambiguous, empty); `lock` locks the row for an erasure. */
export async function findCustomer(db: DbOrTx, key: string, lock = false): Promise<CustomerRow> {
  const k = key.trim();
  if (!k) throw new DeskError('invalid', '请提供客户编号或联系方式（电话、邮箱或渠道账号）');
  const forUpdate = lock ? sql` for update` : sql``;
  const byId =
    /^#?\d{1,15}$/.test(k) && !/^1\d{10}$/.test(k)
      ? await queryRows<CustomerRow>(db, sql`select ${COLUMNS} from customers where id = ${Number(k.replace('#', ''))}${forUpdate}`)
      : [];
  if (byId.length) return byId[0];
  const matches = await queryRows<CustomerRow>(
    db,
    sql`select ${COLUMNS} from customers where (phone = ${k} or lower(email) = lower(${k}) or external_id = ${k}) order by id${forUpdate}`,
  );
  if (matches.length === 0) throw new DeskError('not_found', `找不到客户：${k}（可用客户编号、电话、邮箱或渠道账号查找）`);
  if (matches.length > 1) {
    const list = matches.map((m) => `#${m.id}（${m.channel}）`).join('、');
    throw new DeskError('invalid', `联系方式 ${k} 对应 ${matches.length} 位客户：${list}。请改用客户编号，例如 loopdesk customer export ${matches[0].id}`);
  }
  return matches[0];
}
