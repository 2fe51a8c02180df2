import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type Database } from '../../src/db/client.ts';
import { createSharedPacer } from '../../src/channels/feishu/rate-limit.ts';
import { createChannelStore } from '../../src/desk/channel-store.ts';
import { dbKinds, openTestDatabase, type TestDatabase } from '../helpers/db.ts';

/**
 * Issue 17, defect 7: Feishu's 5 messages/s is per chat, whatever the number of our instances. Two pacers (two
 * instances: on PostgreSQL, two connection pools) taking slots for one chat at once never share or crowd a slot.
 */
describe.each(dbKinds)('Feishu pacing across instances on %s', (kind) => {
  let database: TestDatabase;
  let second: Database;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
    second = kind === 'postgres' ? openPostgres(database.url!) : database;
  });
  afterAll(async () => {
    if (second !== database) await second.close();
    await database.close();
  });

  it('slots of one chat are spaced by the gap across both instances; another chat is not held up', async () => {
    const perSecond = 50;
    const gap = Math.ceil(1100 / perSecond);
    const a = createSharedPacer(createChannelStore(database).pacing, perSecond);
    const b = createSharedPacer(createChannelStore(second).pacing, perSecond);
    const busy = Promise.all([...Array.from({ length: 10 }, () => a.take('chat_id:oc_busy')), ...Array.from({ length: 10 }, () => b.take('chat_id:oc_busy'))]);
    // A quiet chat asked meanwhile is not queued behind the busy one.
    const quiet = await b.take('chat_id:oc_quiet');
    const slots = await busy;
    const sorted = [...slots].sort((x, y) => x - y);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i] - sorted[i - 1]).toBeGreaterThanOrEqual(gap);
    expect(quiet).toBeLessThan(sorted[sorted.length - 1]);
  });

  it('a 230020 from Feishu holds the chat off for every instance', async () => {
    const a = createSharedPacer(createChannelStore(database).pacing, 50);
    const b = createSharedPacer(createChannelStore(second).pacing, 50);
    const first = await a.take('chat_id:oc_held');
    await a.holdOff('chat_id:oc_held', 300);
    const next = await b.take('chat_id:oc_held');
    expect(next - first).toBeGreaterThanOrEqual(300);
  });
});
