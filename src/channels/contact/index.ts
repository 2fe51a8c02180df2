import nodemailer, { type Transporter } from 'nodemailer';
import { CALL_THE_CUSTOMER, CONTACT_OUTBOX_CHANNEL, contactRoute } from '../../core/contact.ts';
import type { Channel, ChannelFactory, CoreServices } from '../../services.ts';
import { messageIdFor } from '../email/threading.ts';
import { RetryLater, Undeliverable, type ChannelSender, type OutboxRow } from '../types.ts';
import { composeMail, promiseTime, smsParams, type Purpose } from './compose.ts';
import { contactEmailSettings, type SmsSettings, smsSettings } from './settings.ts';
import type { SmsClient } from './sms.ts';

/**
 * Customers outside a chat (web form, phone, visit, letter tickets) hear back here: the acknowledgement, every
 * reply and notice, and the survey link go by e-mail when they left an address (SMTP only, no IMAP inbox), else
 * by SMS to a mainland mobile. Always loaded: with no route for a customer the row is undeliverable, so it becomes
 * a dead letter, the agents' group is told and the ticket says 「请电话联系客户」.
 */
export const createContactChannel: ChannelFactory = (core: CoreServices): Channel => {
  const { env, config, store, log } = core;
  const email = contactEmailSettings(env, config.company.name);
  const smsConfig = smsSettings(env);
  let transport: Transporter | null = null;
  const mailer = () =>
    (transport ??= nodemailer.createTransport(email!.smtpUrl, { tls: { rejectUnauthorized: !email!.smtpUrl.includes('127.0.0.1') } } as never));
  const sms: SmsClient | null = smsConfig ? lazySms(smsConfig) : null;
  const stats = { email: 0, sms: 0, lastError: null as string | null };
  const baseUrl = env.PUBLIC_BASE_URL.replace(/\/$/, '');

  /** A local account's SLA reminder (desk/pings.ts): they have no chat to be @-mentioned in. */
  async function mailAgent(row: OutboxRow): Promise<void> {
    if (!email) throw new Undeliverable('未配置邮件发送（EMAIL_SMTP_URL / EMAIL_ADDRESS），无法给本地账号发提醒邮件');
    const p = row.payload as { to?: string; subject?: string; text?: string; path?: string };
    if (!p.to || !p.subject) throw new Undeliverable('提醒邮件缺少收件人或主题');
    try {
      await mailer().sendMail({
        from: { name: email.fromName, address: email.address },
        to: p.to,
        subject: p.subject,
        text: `${p.text ?? ''}${p.path ? `\n\n处理工单：${baseUrl}${p.path}` : ''}`,
        messageId: `<${row.idemKey.replace(/[^\w.-]/g, '.')}@${email.domain}>`,
        headers: { 'Auto-Submitted': 'auto-generated', 'X-Loopdesk-Delivery': row.idemKey },
      });
      stats.email++;
    } catch (e) {
      stats.lastError = (e as Error).message;
      throw smtpError(e);
    }
  }

  const sender: ChannelSender = {
    name: CONTACT_OUTBOX_CHANNEL,
    async deliver(row) {
      if (row.kind === 'agents.mail') return mailAgent(row);
      if (row.kind !== 'customer.text' && row.kind !== 'customer.survey') throw new Undeliverable(`contact channel cannot deliver ${row.kind}`);
      const found = await store.ticket({ id: row.ticketId! });
      if (!found) throw new Undeliverable(`ticket ${row.ticketId} not found`);
      const { ticket: t, customer: c } = found;
      // A probe's contact is made up: the probe checks intake and the queue, not a stranger's inbox.
      if (t.isProbe) return;
      const route = contactRoute(c, { email: !!email, sms: !!sms });
      if (!route)
        throw new Undeliverable(
          `${CALL_THE_CUSTOMER}：客户未留下${email || sms ? '可送达的' : ''}邮箱或手机号${email && sms ? '' : `（未配置${email ? '短信' : sms ? '邮件' : '邮件或短信'}发送）`}`,
        );
      // The survey reminder (jobs/sweep.ts) is a notice in chat; here it is the survey link again.
      const survey = row.kind === 'customer.survey' || row.idemKey.startsWith('survey-reminder:');
      const purpose: Purpose = survey ? 'survey' : ((row.payload.purpose as Purpose | undefined) ?? 'notice');
      const link = `${baseUrl}/t/${t.accessToken}`;
      try {
        if (route.kind === 'email') {
          const mail = composeMail({
            purpose,
            code: t.code,
            text: String(row.payload.text ?? ''),
            link,
            company: config.company.name,
            repliesRead: email!.repliesRead,
          });
          await mailer().sendMail({
            from: { name: email!.fromName, address: email!.address },
            to: c.name ? { name: c.name, address: route.address } : route.address,
            subject: mail.subject,
            text: mail.text,
            // Same outbox row → same Message-ID: a resend after a lost SMTP answer is a copy the receiver drops.
            messageId: messageIdFor(t.code, row.idemKey, email!.domain),
            headers: {
              'X-Loopdesk-Ticket': t.code,
              'X-Loopdesk-Delivery': row.idemKey,
              ...(purpose === 'reply' ? {} : { 'Auto-Submitted': 'auto-generated' }),
            },
          });
          stats.email++;
        } else {
          const { template, params } = smsParams({
            purpose,
            code: t.code,
            token: t.accessToken,
            time: promiseTime(t.firstResponseDueAt, config.calendar.timeZone),
          });
          await sms!.send({ mobile: route.mobile, template: smsConfig!.templates[template], params, outId: row.idemKey });
          stats.sms++;
        }
      } catch (e) {
        stats.lastError = (e as Error).message;
        if (e instanceof RetryLater || e instanceof Undeliverable) throw e;
        throw smtpError(e);
      }
      log.debug('customer notified', { ticket: t.code, route: route.kind, purpose });
    },
  };

  return {
    name: CONTACT_OUTBOX_CHANNEL,
    agentSurface: false,
    sender,
    health: () => ({
      state: email || sms ? 'ready' : 'no_route',
      email: email ? email.address : null,
      sms: smsConfig ? `${smsConfig.provider}:${smsConfig.signName}` : null,
      sent: { email: stats.email, sms: stats.sms },
      lastError: stats.lastError,
    }),
    async stop() {
      transport?.close();
    },
  };
};

/** SMTP 5xx is permanent (address unknown, message refused); anything else may pass later. */
function smtpError(e: unknown): Error {
  const err = e as { responseCode?: number; message?: string; code?: string };
  if (typeof err.responseCode === 'number' && err.responseCode >= 500) return new Undeliverable(`SMTP ${err.responseCode}: ${err.message}`);
  return new RetryLater(`SMTP ${err.responseCode ?? err.code ?? ''}: ${err.message ?? String(e)}`.trim());
}

/**
 * The SMS provider's SDK is imported at the first text message, not at start: the contact channel is always on, and
 * the two SDKs cost about a quarter of a second and 30 MB of a start that never sends a text (issue 18).
 */
function lazySms(config: SmsSettings): SmsClient {
  let client: Promise<SmsClient> | undefined;
  const load = () =>
    config.provider === 'aliyun'
      ? import('./sms.ts').then((m) => m.createAliyunSms(config))
      : import('./sms-tencent.ts').then((m) => m.createTencentSms(config));
  // A failed load is tried again at the next message (the outbox retries it), not remembered.
  const loaded = () =>
    (client ??= load().catch((e: unknown) => {
      client = undefined;
      throw e;
    }));
  return { send: async (msg) => (await loaded()).send(msg) };
}
