import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createEmailChannel, type EmailChannel } from '../../src/channels/email/index.ts';
import { createWebChannel } from '../../src/channels/web/index.tsx';
import { customers, messages, outbox, tickets } from '../../src/db/schema/index.ts';
import { silentLogger } from '../../src/log.ts';
import { createServices } from '../../src/services.ts';
import { requireDovecot, startDovecot, type Dovecot } from '../fakes/email/dovecot.ts';
import { customerMail, deliver, startSmtp, type FakeSmtp } from '../fakes/email/smtp.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';
import { dbKinds } from '../helpers/db.ts';

const SUPPORT = 'support@example.test';
const agent = { platform: 'feishu', userId: 'ou_agent' };

describe.skipIf(!requireDovecot('email.test'))('e-mail', () => {
  describe.each(dbKinds)('e-mail channel on %s (dovecot IMAP + smtp-server on 127.0.0.1)', (kind) => {
    let t: TestDesk;
    let dovecot: Dovecot;
    let smtp: FakeSmtp;
    let email: EmailChannel;
    const ticketOf = async (from: string) => {
      const rows = await t.db
        .select({ t: tickets })
        .from(tickets)
        .innerJoin(customers, eq(customers.id, tickets.customerId))
        .where(eq(customers.externalId, from));
      return rows.map((r) => r.t);
    };
    const settle = async () => {
      await email.poll();
      await t.services.outbox.wake();
    };

    beforeAll(async () => {
      dovecot = await startDovecot({ [SUPPORT]: 'support-pass' });
      smtp = await startSmtp({ user: 'relay', pass: 'relay-pass', local: { dovecot, mailboxes: { [SUPPORT]: 'support-pass' } } });
      t = await createTestDesk({
        kind,
        channels: [createWebChannel, createEmailChannel],
        env: { EMAIL_IMAP_URL: dovecot.url(SUPPORT), EMAIL_SMTP_URL: smtp.url, EMAIL_ADDRESS: SUPPORT, EMAIL_FROM_NAME: '示例客服' },
      });
      email = t.services.channels.find((c) => c.name === 'email') as EmailChannel;
    });
    afterAll(async () => {
      await t.close();
      await smtp.close();
      await dovecot.stop();
    });

    it('turns a new mail into a ticket and acknowledges it in the same thread', async () => {
      await deliver(
        dovecot,
        SUPPORT,
        customerMail({
          from: '张三 <zhang@customer.test>',
          to: SUPPORT,
          subject: 'APP 闪退',
          text: '打开就闪退，报错 500。',
          messageId: '<c1@customer.test>',
          attachment: { name: 'crash.log', type: 'text/plain', content: 'stack trace' },
        }),
      );
      expect(await email.poll()).toBe(1);
      const [ticket] = await ticketOf('zhang@customer.test');
      expect(ticket.channel).toBe('email');
      expect(ticket.category).toBe('bug');
      expect(ticket.subject).toBe('APP 闪退');
      const [msg] = await t.db.select().from(messages).where(eq(messages.ticketId, ticket.id));
      expect(msg.body).toContain('打开就闪退');
      expect(msg.attachments).toEqual([
        {
          kind: 'file',
          name: 'crash.log',
          ref: expect.stringMatching(/^imap:\/\/support%40example\.test@127\.0\.0\.1\/INBOX;UIDVALIDITY=\d+\/;UID=1\/;SECTION=2$/),
        },
      ]);

      await t.services.outbox.wake();
      const ack = await smtp.waitFor((m) => m.to.includes('zhang@customer.test'));
      expect(ack.parsed.subject).toBe(`Re: APP 闪退 [${ticket.code}]`);
      expect(ack.parsed.inReplyTo).toBe('<c1@customer.test>');
      expect(ack.parsed.messageId).toMatch(new RegExp(`^<${ticket.code}\\.[0-9a-f]{20}@example\\.test>$`));
      expect(ack.parsed.headers.get('auto-submitted')).toBe('auto-replied');
      expect(ack.parsed.text).toContain(ticket.code);
    });

    it('joins a reply to the thread, without the quoted original, and never reads a message twice', async () => {
      const [ticket] = await ticketOf('zhang@customer.test');
      const ack = smtp.sent.find((m) => m.to.includes('zhang@customer.test'))!;
      await deliver(
        dovecot,
        SUPPORT,
        customerMail({
          from: 'zhang@customer.test',
          to: SUPPORT,
          subject: `Re: APP 闪退 [${ticket.code}]`,
          text: `补充：是安卓 14。\n\n在 2026年3月2日 10:00，示例客服 写道：\n> 您好，我们已收到`,
          messageId: '<c2@customer.test>',
          inReplyTo: ack.parsed.messageId,
          references: ['<c1@customer.test>', ack.parsed.messageId!],
        }),
      );
      expect(await email.poll()).toBe(1);
      expect(await email.poll()).toBe(0);
      expect(await ticketOf('zhang@customer.test')).toHaveLength(1);
      const ms = await t.db.select().from(messages).where(eq(messages.ticketId, ticket.id));
      expect(ms.map((m) => m.body)).toEqual(['APP 闪退\n\n打开就闪退，报错 500。', '补充：是安卓 14。']);
    });

    it('mails the reply and the survey; a score replied by mail closes the ticket', async () => {
      const [ticket] = await ticketOf('zhang@customer.test');
      await t.desk.act({ ticket: ticket.code, actor: agent, viaAgentGroup: true, action: 'respond', text: '已修复，请升级到 2.3.1。' });
      await t.desk.act({ ticket: ticket.code, actor: agent, viaAgentGroup: true, action: 'resolve' });
      await t.services.outbox.wake();
      const reply = await smtp.waitFor((m) => m.parsed.text?.includes('2.3.1') ?? false);
      expect(reply.parsed.headers.get('auto-submitted')).toBeUndefined();
      const survey = await smtp.waitFor((m) => m.parsed.text?.includes('打分') ?? false);
      expect(survey.parsed.subject).toContain(ticket.code);
      const link = /(http:\/\/loopdesk\.test\/email\/survey\/\S+\?score=4)/.exec(survey.parsed.text!)![1];

      // A mail scanner following the link changes nothing.
      const page = await t.app.request(link.replace('http://loopdesk.test', ''));
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('value="4" checked');
      expect((await ticketOf('zhang@customer.test'))[0].status).toBe('resolved');

      await deliver(
        dovecot,
        SUPPORT,
        customerMail({
          from: 'zhang@customer.test',
          to: SUPPORT,
          subject: `Re: Re: APP 闪退 [${ticket.code}]`,
          text: '5 很满意，谢谢',
          messageId: '<c3@customer.test>',
          inReplyTo: survey.parsed.messageId,
        }),
      );
      await settle();
      const [closed] = await ticketOf('zhang@customer.test');
      expect(closed).toMatchObject({ status: 'closed', closeReason: 'satisfied', csatScore: 5, csatComment: '很满意，谢谢' });
    });

    it('records a score from the survey page (POST), from the ticket owner only by link', async () => {
      await deliver(
        dovecot,
        SUPPORT,
        customerMail({ from: 'li@customer.test', to: SUPPORT, subject: '如何开发票', text: '请问如何开发票？', messageId: '<l1@customer.test>' }),
      );
      await settle();
      const [ticket] = await ticketOf('li@customer.test');
      await t.desk.act({ ticket: ticket.code, actor: agent, viaAgentGroup: true, action: 'respond', text: '在「我的-发票」里申请。' });
      await t.desk.act({ ticket: ticket.code, actor: agent, viaAgentGroup: true, action: 'resolve' });
      const res = await t.app.request(`/email/survey/${ticket.accessToken}`, { method: 'POST', body: new URLSearchParams({ score: '2', comment: '太慢' }) });
      expect(res.status).toBe(200);
      const [row] = await ticketOf('li@customer.test');
      expect(row).toMatchObject({ status: 'reopened', csatScore: 2, reopenCount: 1 });
      expect((await t.app.request('/email/survey/not-a-token')).status).toBe(404);
    });

    it('recognises auto-replies and bounces and makes no ticket of them', async () => {
      const before = (await t.db.select().from(tickets)).length;
      await deliver(
        dovecot,
        SUPPORT,
        customerMail({
          from: 'wang@customer.test',
          to: SUPPORT,
          subject: '自动回复：我正在休假',
          text: '我将于 3 月 9 日返回。',
          messageId: '<a1@customer.test>',
          headers: { 'Auto-Submitted': 'auto-replied' },
        }),
      );
      await deliver(
        dovecot,
        SUPPORT,
        customerMail({
          from: 'wang2@customer.test',
          to: SUPPORT,
          subject: 'Out of Office',
          text: 'I am away.',
          messageId: '<a2@customer.test>',
          headers: { 'X-Autoreply': 'yes' },
        }),
      );
      await deliver(
        dovecot,
        SUPPORT,
        customerMail({
          from: 'MAILER-DAEMON@mx.customer.test',
          to: SUPPORT,
          subject: 'Undelivered Mail Returned to Sender',
          text: 'This is the mail system.',
          messageId: '<b1@mx.customer.test>',
        }),
      );
      await deliver(dovecot, SUPPORT, customerMail({ from: SUPPORT, to: SUPPORT, subject: 'loop', text: 'ours', messageId: '<o1@example.test>' }));
      // IDLE may have fetched some of them already (the machine's load decides), so count what was ignored in all.
      await email.poll();
      expect(email.health!()).toMatchObject({ ignored: 4 });
      expect((await t.db.select().from(tickets)).length).toBe(before);
      expect(email.health!()).toMatchObject({ state: 'connected', ignored: 4 });
    });

    it('parks a mail the relay refuses (550) and retries one it defers (451)', async () => {
      smtp.fail(451, 'try again later');
      await deliver(
        dovecot,
        SUPPORT,
        customerMail({ from: 'zhao@customer.test', to: SUPPORT, subject: '退款', text: '我要退款', messageId: '<z1@customer.test>' }),
      );
      await settle();
      const [ticket] = await ticketOf('zhao@customer.test');
      const ackOf = async () => (await t.db.select().from(outbox).where(eq(outbox.ticketId, ticket.id))).find((r) => r.kind === 'customer.text')!;
      expect(await ackOf()).toMatchObject({ status: 'pending', attempts: 1 });
      expect((await ackOf()).lastError).toContain('451');
      smtp.fail(550, 'no such user');
      t.clock.advance(1);
      await t.services.outbox.drainOnce();
      smtp.fail(null);
      expect(await ackOf()).toMatchObject({ status: 'dead' });
      expect((await ackOf()).lastError).toContain('550');
    });

    it('picks up new mail by IMAP IDLE once started, without waiting for the polling timer', async () => {
      await email.start!();
      await email.poll(); // connected and caught up; from here the server pushes EXISTS
      await deliver(
        dovecot,
        SUPPORT,
        customerMail({ from: 'zhou@customer.test', to: SUPPORT, subject: '咨询', text: '发票怎么开？', messageId: '<idle1@customer.test>' }),
      );
      const deadline = Date.now() + 10_000;
      while ((await ticketOf('zhou@customer.test')).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await ticketOf('zhou@customer.test')).toHaveLength(1);
    });

    it('remembers the UID across a restart: only new mail is read', async () => {
      await t.services.stop();
      await deliver(
        dovecot,
        SUPPORT,
        customerMail({ from: 'sun@customer.test', to: SUPPORT, subject: '建议', text: '建议增加深色模式', messageId: '<s1@customer.test>' }),
      );
      const again = createServices({
        env: t.services.env,
        config: t.services.config,
        database: t.database,
        clock: t.clock,
        log: silentLogger,
        channels: [createEmailChannel],
      });
      const fresh = again.channels[0] as EmailChannel;
      try {
        expect(await fresh.poll()).toBe(1);
        expect(fresh.health!()).toMatchObject({ handled: 1, ignored: 0 });
        expect(await ticketOf('sun@customer.test')).toHaveLength(1);
      } finally {
        await again.stop();
      }
    });
  });
});
