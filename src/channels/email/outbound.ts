import nodemailer, { type Transporter } from 'nodemailer';
import { RetryLater, Undeliverable, type ChannelSender, type DeliveryContext, type OutboxRow } from '../types.ts';
import type { EmailSettings } from './config.ts';
import { messageIdFor, replySubject } from './threading.ts';

export interface EmailReplyTo {
  address: string;
  name?: string;
  subject: string;
  /** The customer's first message, for In-Reply-To / References. */
  messageId?: string;
  references?: string[];
}

export function createTransport(settings: EmailSettings): Transporter {
  return nodemailer.createTransport(settings.smtpUrl, { tls: { rejectUnauthorized: !settings.smtpUrl.includes('127.0.0.1') } } as never);
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** SMTP 5xx is permanent (the address does not exist, the message is refused); anything else may pass later. */
function classify(e: unknown): Error {
  const err = e as { responseCode?: number; message?: string; code?: string };
  if (typeof err.responseCode === 'number' && err.responseCode >= 500) return new Undeliverable(`SMTP ${err.responseCode}: ${err.message}`);
  return new RetryLater(`SMTP ${err.responseCode ?? err.code ?? ''}: ${err.message ?? String(e)}`.trim());
}

export function createEmailSender(settings: EmailSettings, transport: Transporter, publicBaseUrl: string): ChannelSender {
  return {
    name: 'email',
    async deliver(row: OutboxRow, ctx: DeliveryContext) {
      if (row.kind !== 'customer.text' && row.kind !== 'customer.survey') throw new Undeliverable(`email channel cannot deliver ${row.kind}`);
      const route = await ctx.ticketRoute(row.ticketId!);
      const to = route.replyTo as unknown as EmailReplyTo;
      const purpose = String(row.payload.purpose ?? 'notice');
      let text: string;
      let html: string | undefined;
      if (row.kind === 'customer.survey') {
        const link = (n: number) => `${publicBaseUrl}/email/survey/${route.accessToken}?score=${n}`;
        const scores = [5, 4, 3, 2, 1];
        text = [
          `您好，您的反馈（工单 ${route.code}）已处理完毕。请为本次服务打分（5 分最满意）：`,
          '',
          ...scores.map((n) => `${n} 分：${link(n)}`),
          '',
          '也可以直接回复本邮件，第一行写一个数字 1–5，后面可附上您的意见。',
        ].join('\n');
        html = `<p>您好，您的反馈（工单 ${esc(route.code)}）已处理完毕。请为本次服务打分（5 分最满意）：</p><p>${scores
          .map((n) => `<a href="${esc(link(n))}">${'★'.repeat(n)}${'☆'.repeat(5 - n)} ${n} 分</a>`)
          .join('<br>')}</p><p>也可以直接回复本邮件，第一行写一个数字 1–5，后面可附上您的意见。</p>`;
      } else {
        text = String(row.payload.text ?? '');
      }
      const references = [...(to.references ?? []), ...(to.messageId ? [to.messageId] : [])].slice(-10);
      try {
        await transport.sendMail({
          from: { name: settings.fromName, address: settings.address },
          to: to.name ? { name: to.name, address: to.address } : to.address,
          subject: replySubject(to.subject, route.code),
          text,
          html,
          // Same outbox row → same Message-ID: a resend after a lost SMTP answer is a duplicate the receiver drops.
          messageId: messageIdFor(route.code, row.idemKey, settings.domain),
          inReplyTo: to.messageId,
          references: references.length ? references : undefined,
          headers: {
            'X-Loopdesk-Ticket': route.code,
            'X-Loopdesk-Delivery': row.idemKey,
            // RFC 3834: machine-sent mail, so vacation responders do not answer it (and we do not loop).
            ...(purpose === 'reply' ? {} : { 'Auto-Submitted': 'auto-replied' }),
          },
        });
      } catch (e) {
        throw classify(e);
      }
    },
  };
}
