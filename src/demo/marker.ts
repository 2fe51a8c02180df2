import type { Database } from '../db/client.ts';
import { kvGet, kvSet } from '../probes/kv.ts';

/**
 * A demo database says so in the `kv` table; every page, sheet and file made from it shows DEMO_LABEL. Reports read
 * it once per export or page (one primary-key lookup), so a real database can never be mistaken for a demo one and
 * back.
 */
export const DEMO_KV_KEY = 'demo';
export const DEMO_LABEL = '演示数据';
export const DEMO_NOTICE = '演示数据：由 loopdesk demo 生成的模拟历史，不是真实客户反馈，不能作为备案材料。';

export interface DemoMark {
  /** 'generating' until the last step committed: a crashed run is recognisable and never taken for a finished one. */
  status: 'generating' | 'complete';
  startedAt: string;
  finishedAt?: string;
  fromDay: string;
  toDay: string;
  seed: number;
  tickets?: number;
}

export async function demoMark(database: Pick<Database, 'db'>): Promise<DemoMark | undefined> {
  return kvGet<DemoMark>(database.db, DEMO_KV_KEY);
}

export async function isDemoDatabase(database: Pick<Database, 'db'>): Promise<boolean> {
  return (await demoMark(database)) !== undefined;
}

export async function writeDemoMark(database: Pick<Database, 'db'>, mark: DemoMark): Promise<void> {
  await kvSet(database.db, DEMO_KV_KEY, mark);
}
