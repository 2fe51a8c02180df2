/**
 * People by name, never by internal id: reviewer-facing files (ledger, case report, sign-off) say 「王五」, not
 * `ou_…`. Names come from the agents table (the display name the platform or the local account gave), then the
 * config's roles; without either, a readable placeholder that says where the person is from.
 */
import type { Config } from '../config.ts';
import type { DbOrTx } from '../db/client.ts';
import { agents } from '../db/schema/index.ts';
import { agentActor } from './deps.ts';
import { CHANNEL_LABELS } from './view.ts';

export interface PersonRef {
  platform: string;
  userId: string;
  name?: string | null;
}

/** Who could not be named: the platform, never the id. */
export function unnamedPerson(platform: string): string {
  if (platform === 'console') return '管理员（令牌登录）';
  if (platform === 'local') return '控制台账号（姓名未登记）';
  return `${CHANNEL_LABELS[platform] ?? '平台'}成员（姓名未登记）`;
}

/** actor string (`agent:<platform>:<userId>`) → display name, for every person the database or the config knows. */
export type PeopleDirectory = (actorOrRef: string | PersonRef | null | undefined) => string | null;

const actorKey = (p: PersonRef) => agentActor(p.platform, p.userId);
const clean = (s: string | null | undefined) => (s && s.trim() ? s.trim() : null);

export function peopleDirectory(config: Pick<Config, 'roles'>, rows: readonly PersonRef[]): PeopleDirectory {
  const names = new Map<string, string>();
  const roles = [...config.roles.agents, ...config.roles.leads, ...config.roles.admins];
  for (const p of roles) if (clean(p.name)) names.set(actorKey(p), clean(p.name)!);
  // The agents table wins: it holds the name the person last acted under.
  for (const p of rows) if (clean(p.name)) names.set(actorKey(p), clean(p.name)!);
  return (x) => {
    if (!x) return null;
    if (typeof x !== 'string') return clean(x.name) ?? names.get(actorKey(x)) ?? unnamedPerson(x.platform);
    const m = /^agent:([^:]+):([\s\S]+)$/.exec(x);
    if (!m) return null;
    return names.get(x) ?? unnamedPerson(m[1]);
  };
}

/** The directory of everyone in the agents table and the config (a few rows: people, not tickets). */
export async function loadPeople(db: DbOrTx, config: Config): Promise<PeopleDirectory> {
  const rows = await db.select({ platform: agents.platform, userId: agents.userId, name: agents.name }).from(agents);
  return peopleDirectory(config, rows);
}

/** The names of the leads a `notify: 'leads'` ping @-mentions (config roles.leads), for the event that records it. */
export function leadNames(config: Pick<Config, 'roles'>, people: PeopleDirectory): string[] {
  return config.roles.leads.map((p) => people(p) ?? unnamedPerson(p.platform));
}
