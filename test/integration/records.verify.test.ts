import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { canonicalJson, eventHash, GENESIS_HASH, sealRoot } from '../../src/core/hash.ts';
import { evidenceSeals, messages, ticketEvents, tickets } from '../../src/db/schema/index.ts';
import { evidenceDeps } from '../../src/records/anchor.ts';
import { appendChained } from '../../src/records/chain.ts';
import { verifyCommand } from '../../src/records/cli.ts';
import { messageDigest } from '../../src/records/commitments.ts';
import { sealDay } from '../../src/records/seal.ts';
import { verifyRecords } from '../../src/records/verify.ts';
import { postDailyDigest } from '../../src/reports/digest.ts';
import { dbKinds } from '../helpers/db.ts';
import { recordingChannel } from '../helpers/recording-channel.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';
import { AGENT as FIXTURE_AGENT, buildWeek, REPORT_AT } from './reports.fixture.ts';

const AGENT = { platform: 'feishu', userId: 'ou_wang', name: '王五' };
const KEY = 'evidence-key-0123456789abcdef';

/** Two tickets through the loop on Monday, sealed on Tuesday morning: A closed satisfied, B answered and open. */
async function story(t: TestDesk) {
  t.clock.set('2026-03-02T10:00:00+08:00');
  const a = await t.desk.intake({
    channel: 'web',
    dedupeKey: 'a-1',
    customer: { externalId: 'v-a', name: '张三', phone: '13812345678' },
    replyTo: {},
    text: 'APP 登录后闪退，报错 500',
    category: 'bug',
  });
  const b = await t.desk.intake({
    channel: 'web',
    dedupeKey: 'b-1',
    customer: { externalId: 'v-b', name: '李四', email: 'lisi@example.com' },
    replyTo: {},
    text: '我要投诉，退款迟迟不到账',
    category: 'complaint',
  });
  t.clock.set('2026-03-02T11:00:00+08:00');
  await t.desk.act({ ticket: a.code, actor: AGENT, viaAgentGroup: true, action: 'respond', text: '已定位问题，今天下午发布修复。' });
  await t.desk.act({ ticket: b.code, actor: AGENT, viaAgentGroup: true, action: 'respond', text: '请提供订单号，我们核实后处理。' });
  t.clock.set('2026-03-02T15:00:00+08:00');
  await t.desk.act({ ticket: a.code, actor: AGENT, viaAgentGroup: true, action: 'resolve' });
  await t.desk.answerSurvey({ ticket: a.code, channel: 'web', customerExternalId: 'v-a', score: 5, comment: '很快，谢谢' });
  // Deliveries write events too (delivery_failed for the web visitors here): let them land before sealing.
  await t.services.outbox.wake();
  t.clock.set('2026-03-03T09:00:00+08:00');
  await sealDay(evidenceDeps(t.services));
  return { A: a.code, B: b.code };
}

const idOf = async (t: TestDesk, code: string) => (await t.db.select({ id: tickets.id }).from(tickets).where(eq(tickets.code, code)))[0].id;
const verify = (t: TestDesk) => verifyRecords(evidenceDeps(t.services));
const about = (r: Awaited<ReturnType<typeof verify>>, code: string) => r.findings.filter((f) => f.code === code).map((f) => f.what);

describe.each(dbKinds)('verify on %s', (kind) => {
  let t: TestDesk;
  let s: { A: string; B: string };
  beforeEach(async () => {
    t = await createTestDesk({
      kind,
      env: { EVIDENCE_KEY: KEY },
      channels: [recordingChannel('feishu').factory],
      config: { roles: { agents: [AGENT], leads: [], admins: [] } },
    });
    s = await story(t);
  });
  afterEach(() => t.close());

  it('finds nothing in an untouched log, and says so with exit code 0', async () => {
    const r = await verify(t);
    expect(r.findings).toEqual([]);
    expect(r).toMatchObject({ tickets: 2, seals: 1, legacyEvents: 0, unsealedEvents: 0 });
    const lines: string[] = [];
    expect(await verifyCommand([], { services: t.services, out: (x) => void lines.push(x), cwd: '.' })).toBe(0);
    expect(lines.join('\n')).toContain('结论：未发现问题。');
  });

  it("detects a customer's message body edited", async () => {
    const id = await idOf(t, s.B);
    await t.db.update(messages).set({ body: '我对服务很满意' }).where(sql`${messages.ticketId} = ${id} and ${messages.direction} = 'in'`);
    const r = await verify(t);
    expect(about(r, s.B).join()).toMatch(/客户消息）的内容与第 \d+ 条事件中的摘要不符/);
    expect(about(r, s.A)).toEqual([]);
  });

  it("detects an agent's reply edited, and the CLI exits 3 naming the ticket", async () => {
    const id = await idOf(t, s.A);
    await t.db.update(messages).set({ body: '已在 5 分钟内修复。' }).where(sql`${messages.ticketId} = ${id} and ${messages.direction} = 'out'`);
    const lines: string[] = [];
    expect(await verifyCommand([], { services: t.services, out: (x) => void lines.push(x), cwd: '.' })).toBe(3);
    expect(lines.join('\n')).toMatch(new RegExp(`- ${s.A}：消息 #\\d+（客服回复）的内容`));
  });

  it('detects a ticket deleted with its events and messages', async () => {
    const id = await idOf(t, s.B);
    await t.db.transaction(async (tx) => {
      for (const table of ['outbox', 'timers', 'inbound_receipts', 'ticket_events', 'messages'])
        await tx.execute(sql`delete from ${sql.identifier(table)} where ticket_id = ${id}`);
      await tx.delete(tickets).where(eq(tickets.id, id));
    });
    const r = await verify(t);
    expect(about(r, s.B).join()).toContain('已不存在：工单或其末尾的事件被删除');
    expect(r.findings.some((f) => f.code === null && f.what.includes('封存时有'))).toBe(true);
  });

  it('detects the last event of a ticket deleted', async () => {
    const id = await idOf(t, s.A);
    const [last] = await t.db.select({ seq: ticketEvents.seq }).from(ticketEvents).where(eq(ticketEvents.ticketId, id)).orderBy(sql`seq desc`).limit(1);
    await t.db.delete(ticketEvents).where(sql`${ticketEvents.ticketId} = ${id} and ${ticketEvents.seq} = ${last.seq}`);
    const r = await verify(t);
    expect(about(r, s.A).join()).toContain(`封存 2026-03-02 记录的第 ${last.seq} 条事件已不存在`);
  });

  it("detects a whole day's events deleted", async () => {
    t.clock.set('2026-03-03T10:00:00+08:00');
    await t.desk.act({ ticket: s.B, actor: AGENT, viaAgentGroup: true, action: 'respond', text: '退款已提交，请留意到账。' });
    await t.services.outbox.wake();
    t.clock.set('2026-03-04T09:00:00+08:00');
    await sealDay(evidenceDeps(t.services));
    const r0 = await verify(t);
    expect(r0.findings).toEqual([]);
    // Remove everything appended on Tuesday, and Tuesday's seal.
    const [tuesday] = await t.db.select().from(evidenceSeals).where(eq(evidenceSeals.day, '2026-03-03'));
    const [monday] = await t.db.select().from(evidenceSeals).where(eq(evidenceSeals.day, '2026-03-02'));
    await t.db.execute(sql`delete from ticket_events where id > ${monday.lastEventId} and id <= ${tuesday.lastEventId}`);
    const r = await verify(t);
    expect(about(r, s.B).join()).toContain('封存 2026-03-03 记录的第');
  });

  it('detects a tickets column changed: status, first response time, score', async () => {
    await t.db
      .update(tickets)
      .set({ status: 'closed', closedAt: new Date('2026-03-02T08:00:00Z'), closeReason: 'satisfied' })
      .where(eq(tickets.code, s.B));
    await t.db
      .update(tickets)
      .set({ firstResponseAt: new Date('2026-03-02T02:05:00Z'), csatScore: 4 })
      .where(eq(tickets.code, s.A));
    const r = await verify(t);
    expect(about(r, s.B)).toContain('台账字段「状态」为 closed，事件日志为 responded');
    const a = about(r, s.A).join('\n');
    expect(a).toContain('台账字段「首次响应时间」为 2026-03-02T02:05:00.000Z，事件日志为 2026-03-02T03:00:00.000Z');
    expect(a).toContain('台账字段「满意度评分」为 4，事件日志为 5');
  });

  it('detects the chain re-hashed without the key (message, events and seal all recomputed)', async () => {
    const id = await idOf(t, s.A);
    const [ticket] = await t.db.select().from(tickets).where(eq(tickets.id, id));
    const [out] = await t.db.select().from(messages).where(sql`${messages.ticketId} = ${id} and ${messages.direction} = 'out'`);
    const forged = '已在 5 分钟内修复。';
    await t.db.update(messages).set({ body: forged }).where(eq(messages.id, out.id));
    // Recompute the message digest, every later hash of the ticket, and the seal's root: all without the key.
    const events = await t.db.select().from(ticketEvents).where(eq(ticketEvents.ticketId, id)).orderBy(ticketEvents.seq);
    let prev = GENESIS_HASH;
    for (const e of events) {
      const data = e.data.messageId === out.id ? { ...e.data, content: messageDigest(ticket.evidenceSalt!, out.id, { ...out, body: forged }) } : e.data;
      const hash = eventHash({ ...e, data, prevHash: prev }, ticket.evidenceSalt);
      await t.db.update(ticketEvents).set({ data, prevHash: prev, hash }).where(eq(ticketEvents.id, e.id));
      prev = hash;
    }
    const [seal] = await t.db.select().from(evidenceSeals);
    const manifest = { ...seal.manifest, [id]: [s.A, events.length, prev, seal.manifest[id][3]] as [string, number, string, string | null] };
    await t.db
      .update(evidenceSeals)
      .set({ manifest, root: sealRoot(seal.prevRoot, { day: seal.day, lastEventId: Number(seal.lastEventId), eventCount: seal.eventCount, manifest }) })
      .where(eq(evidenceSeals.id, seal.id));
    const r = await verify(t);
    expect(about(r, s.A).join()).toContain('链头密钥标记不符');
    expect(r.findings.map((f) => f.what).join()).toContain('根的密钥标记不符');
    expect(canonicalJson(r.findings)).not.toContain(s.B);
  });

  it('checks the roots posted with the digest: a removed seal is caught by its anchor', async () => {
    t.clock.set('2026-03-03T09:00:00+08:00');
    const d = await postDailyDigest(t.services);
    expect(d.roots).toHaveLength(1);
    expect((await verify(t)).anchors).toBe(1);
    await t.db.delete(evidenceSeals);
    const r = await verify(t);
    expect(r.findings.map((f) => f.what)).toContain('存证根 2026-03-02 已发布，但数据库中没有这一天的封存：封存（或整日记录）被删除');
  });

  it('seals once per day: a second run returns the same seal', async () => {
    const again = await sealDay(evidenceDeps(t.services));
    expect(again.created).toBe(false);
    expect(await t.db.select().from(evidenceSeals)).toHaveLength(1);
  });
});

describe.each(dbKinds)('verify of a realistic week on %s', (kind) => {
  it('finds nothing in the reports fixture (reopened, unrated, probe, major), before and after sealing', async () => {
    const t = await createTestDesk({
      kind,
      now: REPORT_AT,
      channels: [recordingChannel('feishu').factory],
      config: { roles: { agents: [FIXTURE_AGENT], leads: [], admins: [] } },
    });
    try {
      await buildWeek(t);
      await t.services.outbox.wake();
      expect((await verify(t)).findings).toEqual([]);
      await sealDay(evidenceDeps(t.services));
      const r = await verify(t);
      expect(r.findings).toEqual([]);
      expect(r.tickets).toBe(7);
    } finally {
      await t.close();
    }
  });
});

describe.each(dbKinds)('existing installations on %s', (kind) => {
  it('events written before chain version 2 keep verifying; new events chain on after them', async () => {
    const t = await createTestDesk({ kind, channels: [recordingChannel('feishu').factory], config: { roles: { agents: [AGENT], leads: [], admins: [] } } });
    try {
      t.clock.set('2026-03-02T10:00:00+08:00');
      const { code } = await t.desk.intake({
        channel: 'web',
        dedupeKey: 'old-1',
        customer: { externalId: 'v-old', name: '老客户' },
        replyTo: {},
        text: '升级前的反馈',
      });
      await t.services.outbox.wake();
      // Rewrite the log as the version-1 writer left it: data without commitments, hashed as stored, v = 1.
      const id = await idOf(t, code);
      let prev = GENESIS_HASH;
      for (const e of await t.db.select().from(ticketEvents).where(eq(ticketEvents.ticketId, id)).orderBy(ticketEvents.seq)) {
        const { content: _c, contact: _k, subject: _s, ...data } = e.data;
        const hash = eventHash({ ...e, data, prevHash: prev, v: 1 });
        await t.db.update(ticketEvents).set({ data, prevHash: prev, hash, v: 1 }).where(eq(ticketEvents.id, e.id));
        prev = hash;
      }
      const before = await verify(t);
      expect(before.findings).toEqual([]);
      expect(before.legacyEvents).toBeGreaterThan(0);
      expect(before.text).toContain('为第 1 版链，消息正文未入链');
      // The next event is version 2 and links to the old head; sealing and verifying cover both.
      t.clock.set('2026-03-02T11:00:00+08:00');
      await t.desk.act({ ticket: code, actor: AGENT, viaAgentGroup: true, action: 'respond', text: '升级后的回复' });
      await t.services.outbox.wake();
      t.clock.set('2026-03-03T09:00:00+08:00');
      await sealDay(evidenceDeps(t.services));
      const after = await verify(t);
      expect(after.findings).toEqual([]);
      const versions = (await t.db.select({ v: ticketEvents.v }).from(ticketEvents).where(eq(ticketEvents.ticketId, id))).map((r) => r.v);
      expect(new Set(versions)).toEqual(new Set([1, 2]));
      // An edit of the new reply is caught; the old message body is not committed (and the report says so).
      await t.db.update(messages).set({ body: '改过的回复' }).where(sql`${messages.ticketId} = ${id} and ${messages.direction} = 'out'`);
      expect(about(await verify(t), code).join()).toContain('客服回复）的内容');
    } finally {
      await t.close();
    }
  });
});

describe.runIf(dbKinds.includes('postgres'))('sealing beside appends on postgres', () => {
  it('waits for an append in flight, so no event commits below a sealed id', async () => {
    const t = await createTestDesk({
      kind: 'postgres',
      channels: [recordingChannel('feishu').factory],
      config: { roles: { agents: [AGENT], leads: [], admins: [] } },
    });
    try {
      t.clock.set('2026-03-02T10:00:00+08:00');
      const { code } = await t.desk.intake({ channel: 'web', dedupeKey: 'inflight-1', customer: { externalId: 'v-in' }, replyTo: {}, text: '并发封存' });
      await t.services.outbox.wake();
      const id = await idOf(t, code);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let appended!: () => void;
      const inFlight = new Promise<void>((r) => (appended = r));
      const append = t.db.transaction(async (tx) => {
        await appendChained(tx, new Map([[id, [{ type: 'noted', data: { agentId: null }, actor: 'system', at: new Date() }]]]));
        appended();
        await gate;
      });
      await inFlight;
      t.clock.set('2026-03-03T09:00:00+08:00');
      let sealed = false;
      const seal = sealDay(evidenceDeps(t.services)).then((s) => ((sealed = true), s));
      await new Promise((r) => setTimeout(r, 300));
      expect(sealed).toBe(false);
      release();
      await append;
      const { seal: s } = await seal;
      const [last] = await t.db.select({ id: ticketEvents.id }).from(ticketEvents).orderBy(sql`id desc`).limit(1);
      expect(s.lastEventId).toBe(last.id);
      expect((await verify(t)).findings).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

describe.each(dbKinds)('verify after merges on %s', (kind) => {
  it('finds nothing after a merge, the survivor resolved and rated, and an unmerge', async () => {
    const ADMIN = { platform: 'feishu', userId: 'ou_admin', name: '管理员' };
    const t = await createTestDesk({
      kind,
      channels: [recordingChannel('feishu').factory],
      config: { roles: { agents: [AGENT], leads: [], admins: [ADMIN] } },
    });
    try {
      t.clock.set('2026-03-02T10:00:00+08:00');
      const a = await t.desk.intake({ channel: 'web', dedupeKey: 'm-a', customer: { externalId: 'v-ma' }, replyTo: {}, text: '支付失败', category: 'bug' });
      const b = await t.desk.intake({ channel: 'web', dedupeKey: 'm-b', customer: { externalId: 'v-mb' }, replyTo: {}, text: '支付一直失败', category: 'bug' });
      const c = await t.desk.intake({ channel: 'web', dedupeKey: 'm-c', customer: { externalId: 'v-mc' }, replyTo: {}, text: '付款失败了', category: 'bug' });
      await t.desk.merge({ ticket: b.code, into: a.code, actor: AGENT, viaAgentGroup: true });
      await t.desk.merge({ ticket: c.code, into: a.code, actor: AGENT, viaAgentGroup: true });
      await t.desk.unmerge({ ticket: c.code, actor: ADMIN, viaAgentGroup: true });
      t.clock.set('2026-03-02T11:00:00+08:00');
      await t.desk.act({ ticket: a.code, actor: AGENT, viaAgentGroup: true, action: 'respond', text: '已修复。' });
      await t.desk.act({ ticket: a.code, actor: AGENT, viaAgentGroup: true, action: 'resolve' });
      await t.desk.answerSurvey({ ticket: b.code, channel: 'web', customerExternalId: 'v-mb', score: 2, comment: '还是不行' }).catch(() => undefined);
      await t.desk.answerSurvey({ ticket: a.code, channel: 'web', customerExternalId: 'v-ma', score: 5 });
      await t.services.outbox.wake();
      t.clock.set('2026-03-03T09:00:00+08:00');
      await sealDay(evidenceDeps(t.services));
      const r = await verify(t);
      expect(r.findings).toEqual([]);
      expect(r.tickets).toBe(3);
    } finally {
      await t.close();
    }
  });
});
