import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
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
    d = await startFeishuDesk({ mode: 'webhook', kind });
  });
  afterAll(() => d?.close());

  const crashInsideActions = async (on: boolean) => {
    if (on) {
      await d.db.execute(sql.raw(`create or replace function loopdesk_test_crash() returns trigger language plpgsql as $$ begin raise exception 'simulated crash'; end $$`));
      await d.db.execute(sql.raw(`create trigger loopdesk_test_crash_events before insert on ticket_events for each row execute function loopdesk_test_crash()`));
      // The dying process cannot forget its receipt either.
      await d.db.execute(sql.raw(`create trigger loopdesk_test_crash_receipts before delete on inbound_receipts for each row execute function loopdesk_test_crash()`));
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
});
