import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { customers } from '../../src/db/schema/index.ts';
import { createLogger, type Level } from '../../src/log.ts';
import { dbKinds, openTestDatabase, type TestDatabase } from '../helpers/db.ts';

/** Issue 17, defect 5: a failed query's parameters (customer words, tokens, contacts) never reach the log. */
describe.each(dbKinds)('log redaction on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(() => database.close());

  const TOKEN = 'Zk3pQ9vX2mLr8sT1uW4yB6nC';
  const SECRET_WORDS = '我的身份证号是三一零一零一';
  const capture = () => {
    const lines: string[] = [];
    return { lines, log: createLogger('debug', {}, (l) => lines.push(l)) };
  };

  it('a failed query with customer data in its parameters is logged without them, at every level', async () => {
    const err = await database.db
      .insert(customers)
      .values({ channel: 'web', externalId: `web:${TOKEN}`, name: SECRET_WORDS, phone: '13812345678', email: 'zhang.san@example.com' })
      .then(() => database.db.execute(sql`select ${SECRET_WORDS}::int, ${TOKEN}::int`))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    // Without redaction, this text holds the values (that is what the logs used to carry).
    const raw = `${(err as Error).stack}\n${String((err as { cause?: unknown }).cause ?? '')}`;
    expect(raw).toContain(SECRET_WORDS);
    const { lines, log } = capture();
    for (const level of ['debug', 'info', 'warn', 'error'] as Level[]) {
      log[level]('unhandled error', { err: (err as Error).stack, cause: String((err as { cause?: unknown }).cause), error: err });
    }
    expect(lines).toHaveLength(4);
    for (const l of lines) {
      expect(l).not.toContain(SECRET_WORDS);
      expect(l).not.toContain(TOKEN);
      expect(JSON.parse(l).level).toBeTruthy();
    }
  });

  it('fields and messages lose bodies, contacts, tokens, query strings and URL passwords', () => {
    const { lines, log } = capture();
    log.info(`GET /t/${TOKEN}?new=1 from 13812345678 zhang.san@example.com`, {
      path: `/t/${TOKEN}`,
      url: `https://loopdesk.example.com/api/x?token=${TOKEN}&a=1`,
      databaseUrl: 'postgres://loop:hunter2pass@db.internal:5432/loop',
      text: SECRET_WORDS,
      nested: { reply: SECRET_WORDS, list: [{ contact: '+86 138 1234 5678' }] },
      authorization: `Bearer ${TOKEN}`,
      ticketId: 42,
      code: 'FB-20260302-0001',
    });
    const line = lines[0];
    for (const gone of [TOKEN, SECRET_WORDS, '13812345678', 'zhang.san@example.com', 'hunter2pass', '138 1234 5678', 'new=1']) expect(line).not.toContain(gone);
    const parsed = JSON.parse(line);
    expect(parsed).toMatchObject({ ticketId: 42, code: 'FB-20260302-0001', path: '/t/[token]' });
    expect(parsed.databaseUrl).toBe('postgres://loop:[redacted]@db.internal:5432/loop');
  });
});
