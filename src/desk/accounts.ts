/**
 * Local accounts: people without a Feishu/DingTalk login work from the console. Each account is an `agents` row
 * (platform 'local', user_id = the account id), so assignment, /mine, the ledger's 受理人 / 跟进人 and the event
 * log's actor strings treat them like anyone else. Sign-in is a one-time link (no passwords to leak or reset).
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database, Tx } from '../db/client.ts';
import { agents, localAccounts, loginLinks } from '../db/schema/index.ts';
import type { Role } from './act.ts';
import type { DeskDeps } from './deps.ts';
import { DeskError } from './errors.ts';

export const LOCAL_PLATFORM = 'local';
/** Long enough to reach a new colleague by chat or mail, short enough that an old message is worthless. */
export const LOGIN_LINK_TTL_HOURS = 72;
export const loginPath = (token: string) => `/console/login/link/${token}`;

export type LocalAccount = typeof localAccounts.$inferSelect;

const hashToken = (token: string) => createHash('sha256').update(`loopdesk-login-link:${token}`).digest('hex');

const newAccount = z.object({
  name: z
    .string()
    .trim()
    .min(1, '请用 --name 给出姓名')
    .max(40, '姓名最多 40 个字符')
    .refine((s) => !/[\s/\\<>"']/.test(s), '姓名不能含空格或 / \\ < > 引号'),
  role: z.enum(['agent', 'lead', 'admin'], { message: '角色须为 agent、lead 或 admin' }),
  email: z.string().trim().email('邮箱格式不正确').max(200).optional(),
});

/** Creates the account (and its agents row) and a first login link; refuses a name already taken. */
export async function addLocalAccount(
  deps: DeskDeps,
  input: { name: string; role: string; email?: string },
): Promise<{ account: LocalAccount; token: string }> {
  const parsed = newAccount.safeParse(input);
  if (!parsed.success) throw new DeskError('invalid', parsed.error.issues.map((i) => i.message).join('；'));
  const { name, role, email } = parsed.data;
  const now = deps.clock.now();
  return deps.database.db.transaction(async (tx) => {
    const [account] = await tx
      .insert(localAccounts)
      .values({ name, role, email: email ?? null, createdAt: now })
      .onConflictDoNothing({ target: localAccounts.name })
      .returning();
    if (!account) throw new DeskError('invalid', `已有名为「${name}」的账号（停用的账号也占用名字）`);
    await tx
      .insert(agents)
      .values({ platform: LOCAL_PLATFORM, userId: String(account.id), name, role, createdAt: now })
      .onConflictDoUpdate({ target: [agents.platform, agents.userId], set: { name, role } });
    const token = await insertLink(tx, account.id, now);
    return { account, token };
  });
}

async function insertLink(tx: Tx, accountId: number, now: Date): Promise<string> {
  const token = randomBytes(24).toString('base64url');
  await tx
    .insert(loginLinks)
    .values({ tokenHash: hashToken(token), accountId, expiresAt: new Date(now.getTime() + LOGIN_LINK_TTL_HOURS * 3600_000), createdAt: now });
  return token;
}

export async function findLocalAccount(db: Database['db'], name: string): Promise<LocalAccount | undefined> {
  const [a] = await db.select().from(localAccounts).where(eq(localAccounts.name, name.trim()));
  return a;
}

/** A fresh one-time link for an active account (a lost or expired link); older unused links stay valid until used or expired. */
export async function issueLoginLink(deps: DeskDeps, name: string): Promise<{ account: LocalAccount; token: string }> {
  const now = deps.clock.now();
  return deps.database.db.transaction(async (tx) => {
    const [account] = await tx.select().from(localAccounts).where(eq(localAccounts.name, name.trim())).for('update');
    if (!account) throw new DeskError('not_found', `没有名为「${name}」的账号`);
    if (account.disabledAt) throw new DeskError('forbidden', `账号「${name}」已停用`);
    return { account, token: await insertLink(tx, account.id, now) };
  });
}

export async function listLocalAccounts(database: Database): Promise<LocalAccount[]> {
  return database.db.select().from(localAccounts).orderBy(asc(localAccounts.id));
}

/**
 * Disables the account: its sessions end at their next request (the role is read per request), its unused links die,
 * and it leaves the rotation (duty off). Its tickets keep their assignee: a lead reassigns them by claiming.
 */
export async function disableLocalAccount(deps: DeskDeps, name: string): Promise<LocalAccount> {
  const now = deps.clock.now();
  return deps.database.db.transaction(async (tx) => {
    const [account] = await tx.select().from(localAccounts).where(eq(localAccounts.name, name.trim())).for('update');
    if (!account) throw new DeskError('not_found', `没有名为「${name}」的账号`);
    if (account.disabledAt) return account;
    const [done] = await tx.update(localAccounts).set({ disabledAt: now }).where(eq(localAccounts.id, account.id)).returning();
    await tx
      .update(loginLinks)
      .set({ usedAt: now })
      .where(and(eq(loginLinks.accountId, account.id), isNull(loginLinks.usedAt)));
    await tx
      .update(agents)
      .set({ duty: 'off', onDuty: false })
      .where(and(eq(agents.platform, LOCAL_PLATFORM), eq(agents.userId, String(account.id))));
    return done;
  });
}

/**
 * Spends a one-time link: the UPDATE … WHERE used_at IS NULL is the single winner when two requests race, so a link
 * opens exactly one session. Refusals say why (used, expired, disabled) without telling a stranger whose link it was.
 */
export async function redeemLoginLink(deps: DeskDeps, token: string): Promise<LocalAccount> {
  if (!/^[\w-]{20,64}$/.test(token)) throw new DeskError('invalid', '登录链接无效');
  const now = deps.clock.now();
  return deps.database.db.transaction(async (tx) => {
    const [link] = await tx
      .select()
      .from(loginLinks)
      .where(eq(loginLinks.tokenHash, hashToken(token)))
      .for('update');
    if (!link) throw new DeskError('invalid', '登录链接无效');
    if (link.usedAt) throw new DeskError('invalid', '此登录链接已使用过，每个链接只能登录一次。请联系管理员重新生成（loopdesk user link 姓名）');
    if (link.expiresAt <= now) throw new DeskError('invalid', '此登录链接已过期，请联系管理员重新生成（loopdesk user link 姓名）');
    const [account] = await tx.select().from(localAccounts).where(eq(localAccounts.id, link.accountId));
    if (!account || account.disabledAt) throw new DeskError('forbidden', '此账号已停用');
    const spent = await tx
      .update(loginLinks)
      .set({ usedAt: now })
      .where(and(eq(loginLinks.tokenHash, link.tokenHash), isNull(loginLinks.usedAt)))
      .returning({ h: loginLinks.tokenHash });
    if (spent.length === 0) throw new DeskError('invalid', '此登录链接已使用过');
    return account;
  });
}

/** The role of an active local account (per request); null when unknown or disabled. */
export async function localAccountRole(database: Database, accountId: string): Promise<{ role: Role; name: string } | null> {
  if (!/^\d{1,18}$/.test(accountId)) return null;
  const [a] = await database.db
    .select({ role: localAccounts.role, name: localAccounts.name, disabledAt: localAccounts.disabledAt })
    .from(localAccounts)
    .where(eq(localAccounts.id, Number(accountId)));
  return a && !a.disabledAt ? { role: a.role as Role, name: a.name } : null;
}

/** Active local agents, as the assignment rotation's pool sees them. */
export async function activeLocalAgents(db: Database['db'] | Tx): Promise<Array<{ platform: string; userId: string; name: string }>> {
  const rows = await db
    .select({ id: localAccounts.id, name: localAccounts.name })
    .from(localAccounts)
    .where(and(isNull(localAccounts.disabledAt), eq(localAccounts.role, 'agent')))
    .orderBy(asc(localAccounts.id));
  return rows.map((r) => ({ platform: LOCAL_PLATFORM, userId: String(r.id), name: r.name }));
}

export const localAccountCount = (database: Database) =>
  database.db
    .select({ n: sql<number>`count(*)::int` })
    .from(localAccounts)
    .then((r) => Number(r[0]?.n ?? 0));
