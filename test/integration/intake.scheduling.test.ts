import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { queryRows, sql } from '../../src/db/client.ts';
import { agents, tickets } from '../../src/db/schema/index.ts';
import { INTAKE_SLOTS } from '../../src/desk/intake.ts';
import { dbKinds } from '../helpers/db.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';

// Near-identical messages: in the second test incident grouping is off, or they would all join one incident (unassigned).
// A burst of intakes must not stand between the database and a card send or a click (issue 18): intakes beyond
// INTAKE_SLOTS wait in the process, so other work finds the connection (PGlite) or a free pool connection.
describe.each(dbKinds)('intake scheduling on %s', (kind) => {
  let t: TestDesk;
  beforeAll(async () => {
    t = await createTestDesk({ kind });
  });
  afterAll(() => t.close());

  it('a query issued during a burst of 24 intakes waits for at most the intakes holding a slot, not the queued ones', async () => {
    let done = 0;
    const burst = Array.from({ length: 24 }, (_, i) =>
      t.desk.intake({ channel: 'web', dedupeKey: `sch${i}`, customer: { externalId: `ou_sch${i}` }, replyTo: {}, text: `页面打不开 ${i}` }).then((r) => {
        done++;
        return r;
      }),
    );
    // Once the burst is on its way (the first intake is through, the others queued behind it), what the outbox
    // worker does first: read the due rows.
    await Promise.race(burst);
    const doneWhenAsked = done;
    await queryRows(t.db, sql`select id from outbox where status = 'pending' limit 50`);
    const doneWhenAnswered = done - doneWhenAsked;
    const results = await Promise.all(burst);
    expect(doneWhenAnswered).toBeLessThanOrEqual(INTAKE_SLOTS[kind]);
    // Every intake still went through, each with its own ticket.
    expect(new Set(results.map((r) => r.code)).size).toBe(24);
  });

  it('concurrent intakes with round robin: gapless codes and fair turns (the cursor is taken beside the number)', async () => {
    const rotation = ['ou_r1', 'ou_r2', 'ou_r3'].map((userId) => ({ platform: 'feishu' as const, userId }));
    const d = await createTestDesk({
      kind,
      now: '2026-03-03T02:00:00Z',
      config: { assignment: { mode: 'round_robin', maxOpenPerAgent: 100, agents: rotation }, triage: { bursts: { enabled: false } } },
    });
    try {
      const results = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          d.desk.intake({ channel: 'web', dedupeKey: `rr${i}`, customer: { externalId: `ou_rr${i}` }, replyTo: {}, text: `会员如何续费 ${i}` }),
        ),
      );
      expect(results.map((r) => r.code).sort()).toEqual(Array.from({ length: 24 }, (_, i) => `FB-20260303-${String(i + 1).padStart(4, '0')}`));
      const rows = await d.db
        .select({ userId: agents.userId, n: sql<number>`count(*)::int` })
        .from(tickets)
        .innerJoin(agents, eq(agents.id, tickets.assigneeId))
        .groupBy(agents.userId);
      expect(Object.fromEntries(rows.map((r) => [r.userId, Number(r.n)]))).toEqual({ ou_r1: 8, ou_r2: 8, ou_r3: 8 });
    } finally {
      await d.close();
    }
  });
});
