import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createWebChannel } from '../../src/channels/web/index.tsx';
import { ticketEvents, tickets } from '../../src/db/schema/index.ts';
import { createSandboxChannel, createSandboxDingTalkChannel } from '../../src/sandbox/index.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';
import { dbKinds } from '../helpers/db.ts';

const LOCAL = { incoming: { socket: { remoteAddress: '127.0.0.1' } } };
const id = () => randomUUID().replace(/-/g, '');
const HOUR = 3_600_000;

/** 快进: the sandbox's own clock runs ahead; its tickets' reminders, breaches and survey steps come; real tickets stay on real time. */
describe.each(dbKinds)('sandbox fast clock on %s', (kind) => {
  let t: TestDesk;
  beforeAll(async () => {
    // Monday 2026-03-02 10:00 in Shanghai.
    t = await createTestDesk({ kind, channels: [createWebChannel, createSandboxChannel, createSandboxDingTalkChannel] });
  });
  afterAll(() => t?.close());

  const json = { 'content-type': 'application/json' };
  const post = (path: string, body: unknown) => t.app.request(path, { method: 'POST', headers: json, body: JSON.stringify(body) }, LOCAL);
  async function settle() {
    for (let i = 0; i < 100; i++) if ((await t.services.outbox.wake()).claimed === 0) return;
    throw new Error('outbox did not settle');
  }
  async function state() {
    const r = await t.app.request('/sandbox/api/state', {}, LOCAL);
    return (await r.json()) as { messages: Array<{ id: string; chatId: string; html: string }>; clock: { now: string; aheadMs: number } };
  }
  const jump = async (by: string) => {
    const r = await post('/sandbox/api/clock', { jump: by });
    await settle();
    return { status: r.status, body: (await r.json()) as { fired: number; clock: { now: string; aheadMs: number } } };
  };
  const eventsOf = (ticketId: number) => t.db.select().from(ticketEvents).where(eq(ticketEvents.ticketId, ticketId)).orderBy(ticketEvents.seq);

  it('jumps the sandbox tickets ahead: breach, escalation, survey reminder and the 电话回访 task come; a real ticket is untouched', async () => {
    expect((await state()).clock.aheadMs).toBe(0);
    await post('/sandbox/api/say', { as: 'wang', text: 'App 登录一直报错 500，所有功能都用不了', id: id() });
    const feedback = { name: '赵', contact: 'zhao@example.com', content: '网页上的真实反馈：App 登录报错 500' };
    const web = await t.app.request('/api/feedback', { method: 'POST', headers: { ...json, 'x-forwarded-for': '10.0.0.7' }, body: JSON.stringify(feedback) });
    expect(web.status).toBeLessThan(300);
    await settle();
    const [sandboxTicket] = await t.db.select().from(tickets).where(eq(tickets.isSandbox, true));
    const [realTicket] = await t.db.select().from(tickets).where(eq(tickets.isSandbox, false));
    expect(sandboxTicket.firstResponseDueAt).not.toBeNull();

    // One working day ahead: the sandbox ticket's first-response promise is broken and the group is told.
    const day = await jump('workday');
    expect(day.status).toBe(200);
    expect(day.body.clock.aheadMs).toBe(24 * HOUR);
    expect(day.body.fired).toBeGreaterThan(0);
    expect((await state()).clock.now).toBe('2026-03-03T02:00:00.000Z');
    const sbEvents = await eventsOf(sandboxTicket.id);
    expect(sbEvents.map((e) => e.type)).toContain('sla_breached');
    const group = (await state()).messages.filter((m) => m.chatId === 'oc_sandbox_agents');
    expect(group.some((m) => m.html.includes(sandboxTicket.code) && m.html.includes('已超时') && !m.html.includes('认领'))).toBe(true);
    // Its card is drawn at the sandbox's time (overdue); the real ticket's card still shows time left.
    const cardOf = (code: string) => group.find((m) => m.html.includes(code) && m.html.includes('认领'))!;
    expect(cardOf(sandboxTicket.code).html).toContain('已超时');
    expect(cardOf(realTicket.code).html).toContain('剩余');
    // The real ticket: no breach, nothing written after the real now.
    const realEvents = await eventsOf(realTicket.id);
    expect(realEvents.map((e) => e.type)).not.toContain('sla_breached');
    expect(realEvents.every((e) => e.at.getTime() <= t.clock.now().getTime())).toBe(true);

    // The agent works the sandbox ticket on the sandbox clock; the survey reaches the customer.
    const card = (await state()).messages.find((m) => m.chatId === 'oc_sandbox_agents' && m.html.includes(sandboxTicket.code) && m.html.includes('认领'))!;
    await post('/sandbox/api/click', { as: 'zhang', message: card.id, value: { action: 'claim', ticket: sandboxTicket.code }, id: id() });
    const reply = { reply: '您好，登录问题已修复，请再试一次。' };
    await post('/sandbox/api/click', { as: 'zhang', message: card.id, value: { action: 'respond', ticket: sandboxTicket.code }, form: reply, id: id() });
    const done = await post('/sandbox/api/click', { as: 'zhang', message: card.id, value: { action: 'resolve', ticket: sandboxTicket.code }, id: id() });
    expect(((await done.json()) as { toast: { type: string; content: string } }).toast).toMatchObject({ type: 'success' });
    await settle();
    const [resolved] = await t.db.select().from(tickets).where(eq(tickets.id, sandboxTicket.id));
    expect(resolved.status).toBe('resolved');
    expect(resolved.claimedAt!.toISOString()).toBe('2026-03-03T02:00:00.000Z');
    const customerChat = () => state().then((s) => s.messages.filter((m) => m.chatId === 'oc_sandbox_p2p_wang'));
    const before = (await customerChat()).length;

    // The next working day: the survey reminder comes to the customer (24 h after the survey).
    await jump('workday');
    expect((await eventsOf(sandboxTicket.id)).map((e) => e.type)).toContain('survey_reminded');
    expect((await customerChat()).length).toBeGreaterThan(before);

    // Three days after the survey, silence is not satisfaction: it becomes a named person's 电话回访 task.
    await jump('workday');
    await jump('workday');
    const [following] = await t.db.select().from(tickets).where(eq(tickets.id, sandboxTicket.id));
    expect(following.status).toBe('resolved');
    expect(following.followUpSince).not.toBeNull();
    expect((await eventsOf(sandboxTicket.id)).map((e) => e.type)).toContain('follow_up_started');

    // A real ticket clicked in the sandbox's group is acted on at real time, whatever the sandbox clock says.
    const realCard = (await state()).messages.find((m) => m.chatId === 'oc_sandbox_agents' && m.html.includes(realTicket.code) && m.html.includes('认领'))!;
    const claim = await post('/sandbox/api/click', { as: 'chen', message: realCard.id, value: { action: 'claim', ticket: realTicket.code }, id: id() });
    expect(claim.status).toBe(200);
    const [claimed] = await t.db.select().from(tickets).where(eq(tickets.id, realTicket.id));
    expect(claimed.claimedAt!.getTime()).toBe(t.clock.now().getTime());
    expect((await eventsOf(realTicket.id)).every((e) => e.at.getTime() <= t.clock.now().getTime())).toBe(true);
    expect((await state()).clock.aheadMs).toBeGreaterThanOrEqual(4 * 24 * HOUR);
  });

  it('refuses an unknown jump with a clear message', async () => {
    const r = await post('/sandbox/api/clock', { jump: 'year' });
    expect(r.status).toBe(400);
    expect(JSON.stringify(await r.json())).toContain('快进');
  });
});
