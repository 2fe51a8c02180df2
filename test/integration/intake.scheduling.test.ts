import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, sql } from '../../src/db/client.ts';
import { INTAKE_SLOTS } from '../../src/desk/intake.ts';
import { dbKinds } from '../helpers/db.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';

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
});
