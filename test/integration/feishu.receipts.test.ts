import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, eq, sql } from 'drizzle-orm';
import { incidents, tickets } from '../../src/db/schema/index.ts';
import { dbKinds } from '../helpers/db.ts';
import { AGENT_CHAT, buttons, startFeishuDesk, type FeishuDesk } from '../fakes/feishu/harness.ts';

/**
 * Issue 17, defect 10: a click's receipt commits with the change it records. A crash inside the action (here: the
 * event log refuses the write, and the process can no longer clean up after itself) must not leave a receipt that
 * makes Feishu's re-push answer 「该操作已处理」 although nothing changed.
 */
describe.each(dbKinds)('Feishu click receipts on %s', (kind) => {
  let d: FeishuDesk;
  beforeAll(async () => {
    d = await startFeishuDesk({
      mode: 'webhook',
      kind,
      config: { roles: { agents: [{ platform: 'feishu', userId: 'ou_receipt_agent' }], leads: [], admins: [] } },
    });
  });
  afterAll(() => d?.close());

  const crashInsideActions = async (on: boolean) => {
    if (on) {
      await d.db.execute(
        sql.raw(`create or replace function loopdesk_test_crash() returns trigger language plpgsql as $$ begin raise exception 'simulated crash'; end $$`),
      );
      await d.db.execute(
        sql.raw(`create trigger loopdesk_test_crash_events before insert on ticket_events for each row execute function loopdesk_test_crash()`),
      );
      // The dying process cannot forget its receipt either.
      await d.db.execute(
        sql.raw(`create trigger loopdesk_test_crash_receipts before delete on inbound_receipts for each row execute function loopdesk_test_crash()`),
      );
    } else {
      await d.db.execute(sql.raw(`drop trigger loopdesk_test_crash_events on ticket_events`));
      await d.db.execute(sql.raw(`drop trigger loopdesk_test_crash_receipts on inbound_receipts`));
    }
  };

  it('a click that crashed is done by the re-push, not answered 「该操作已处理」', async () => {
    const r = await d.send(d.message({ openId: 'ou_receipt_customer', chatId: 'oc_p2p_receipt', text: '支付后订单状态没有更新' }));
    expect(r.status).toBe(200);
    await d.settle();
    const card = d.fake.messagesIn(AGENT_CHAT).at(-1)!;
    const code = buttons(card.content).claim.ticket as string;
    const click = d.cardAction({ openId: 'ou_receipt_agent', value: { action: 'claim', ticket: code }, messageId: card.messageId, chatId: AGENT_CHAT });

    await crashInsideActions(true);
    const crashed = await d.send(click);
    expect(JSON.stringify(crashed.body)).toContain('系统繁忙');
    await crashInsideActions(false);
    expect((await d.ticketByCode(code)).status).toBe('new');

    const repushed = await d.send(click);
    expect(JSON.stringify(repushed.body)).not.toContain('该操作已处理');
    expect((await d.ticketByCode(code)).status).toBe('claimed');
    // And a second re-push of the now-done click changes nothing.
    const again = await d.send(click);
    expect(JSON.stringify(again.body)).toContain('该操作已处理');
    expect((await d.ticketByCode(code)).status).toBe('claimed');
  });

  it('an incident click that crashed half-way is finished by the re-push: every customer answered once, nobody twice', async () => {
    const people = ['ou_inc1', 'ou_inc2', 'ou_inc3', 'ou_inc4', 'ou_inc5', 'ou_inc6'];
    const texts = [
      '退款一直不到账，系统繁忙',
      '退款不到账了，系统繁忙',
      '系统繁忙，退款一直不到账',
      '退款 不到账 系统繁忙',
      '系统繁忙 退款没到账',
      '为什么退款不到账？系统繁忙',
    ];
    for (const [i, p] of people.entries()) {
      expect((await d.send(d.message({ openId: p, chatId: `oc_p2p_${p}`, text: texts[i] }))).status).toBe(200);
      await d.settle();
    }
    const card = d.fake.messagesIn(AGENT_CHAT).findLast((m) => JSON.stringify(m.content).includes('事件 INC-'))!;
    const value = buttons(card.content).incident_reply;
    const [inc] = await d.db
      .select()
      .from(incidents)
      .where(eq(incidents.code, String(value.incident)));
    const members = () => d.db.select({ id: tickets.id, status: tickets.status }).from(tickets).where(eq(tickets.incidentId, inc.id)).orderBy(asc(tickets.id));
    const before = await members();
    expect(before.length).toBeGreaterThanOrEqual(4);
    const reply = '退款通道正在恢复，预计一小时内到账';
    const click = d.cardAction({ openId: 'ou_receipt_agent', value, formValue: { reply }, messageId: card.messageId, chatId: AGENT_CHAT });
    const answered = () =>
      people.map((p) => d.fake.messages.filter((m) => (m.chatId === `oc_p2p_${p}` || m.receiveId === p) && JSON.stringify(m.content).includes(reply)).length);

    // The third member's change crashes; the first two are done and committed.
    const third = before[2].id;
    await d.db.execute(
      sql.raw(`create or replace function loopdesk_test_crash() returns trigger language plpgsql as $$ begin raise exception 'simulated crash'; end $$`),
    );
    await d.db.execute(
      sql.raw(
        `create trigger loopdesk_test_crash_third before insert on ticket_events for each row when (new.ticket_id = ${third}) execute function loopdesk_test_crash()`,
      ),
    );
    await d.db.execute(
      sql.raw(`create trigger loopdesk_test_crash_receipts before delete on inbound_receipts for each row execute function loopdesk_test_crash()`),
    );
    const crashed = await d.send(click);
    expect(JSON.stringify(crashed.body)).toContain('系统繁忙');
    await d.db.execute(sql.raw(`drop trigger loopdesk_test_crash_third on ticket_events`));
    await d.db.execute(sql.raw(`drop trigger loopdesk_test_crash_receipts on inbound_receipts`));
    await d.settle();
    expect((await members()).map((m) => m.status).slice(0, 3)).toEqual(['responded', 'responded', 'new']);

    const repushed = await d.send(click);
    expect(JSON.stringify(repushed.body)).not.toContain('该操作已处理');
    await d.settle();
    expect((await members()).every((m) => m.status === 'responded')).toBe(true);
    const counts = answered().filter((n) => n > 0);
    expect(counts).toEqual(Array(before.length).fill(1));

    const again = await d.send(click);
    expect(JSON.stringify(again.body)).toContain('该操作已处理');
    await d.settle();
    expect(answered().filter((n) => n > 0)).toEqual(Array(before.length).fill(1));
  });
});
