import { DeskError } from '../../desk/errors.ts';
import { ApiError } from '../../http/errors.ts';
import { PROBE_HEADER } from '../../probes/marker.ts';
import type { ProbeableChannel } from '../../probes/types.ts';
import type { Channel, ChannelFactory, CoreServices } from '../../services.ts';
import { detectAutomated, stripQuoted } from './automated.ts';
import { emailSettings } from './config.ts';
import { createInbox, type InboundMail, type Inbox } from './inbox.ts';
import { createEmailSender, createTransport, type EmailReplyTo } from './outbound.ts';
import { surveyPage } from './survey-page.ts';
import { codeFromIds, codeFromSubject, isReplySubject } from './threading.ts';
import { cutText } from '../../core/text.ts';

export interface EmailChannel extends ProbeableChannel {
  /** Reads new mail now (the timer and IDLE call it too). */
  poll(): Promise<number>;
  inbox: Inbox;
}

const SCORE_LINE = /^\s*([1-5])\s*(分|星|stars?)?\s*(?:[,，.。:：;；\-—\s]+([\s\S]*))?$/i;

/**
 * The support mailbox: IMAP in (IDLE plus a polling timer), SMTP out. A thread is matched by our Message-ID in
 * In-Reply-To/References or by the ticket code in the subject; a reply with a score to a resolved ticket answers
 * its survey.
 */
export const createEmailChannel: ChannelFactory = (core: CoreServices): EmailChannel | null => {
  const { env, config, desk, clock, log } = core;
  const settings = emailSettings(env, config.company.name);
  if (!settings) return null;
  const transport = createTransport(settings);
  const inbox = createInbox(settings, core.store.kv, log.child({ channel: 'email' }), () => clock.now());
  const stats = { handled: 0, ignored: 0, lastInboundAt: null as Date | null, lastIgnored: null as string | null };
  let timer: NodeJS.Timeout | null = null;
  let polling: Promise<number> | null = null;
  let pollAgain = false;

  async function threadTicket(mail: InboundMail) {
    const p = mail.parsed;
    const ids = [p.inReplyTo ?? '', ...(Array.isArray(p.references) ? p.references : p.references ? [p.references] : [])].filter(Boolean);
    const code = codeFromIds(ids, settings!.domain) ?? codeFromSubject(p.subject ?? '');
    if (!code) return null;
    const row = await core.store.ticket({ code });
    if (row?.ticket.channel !== 'email') return null;
    return { id: row.ticket.id, code: row.ticket.code, status: row.ticket.status, owner: row.customer.externalId };
  }

  async function handle(mail: InboundMail) {
    const p = mail.parsed;
    const subject = (p.subject ?? '').trim();
    const ignore = (why: string) => {
      stats.ignored++;
      stats.lastIgnored = why;
      log.info('email ignored', { uid: mail.uid, why });
    };
    if (!mail.from.address) return ignore('no sender');
    if (mail.from.address === settings!.address) return ignore('our own address');
    const automated = detectAutomated(p.headers, mail.from.address, subject);
    if (automated) return ignore(`${automated.kind}: ${automated.reason}`);

    const body = stripQuoted(p.text ?? '');
    const thread = await threadTicket(mail);
    // A score on the first line of a reply to the survey answers it (only the ticket's own customer may).
    const score = SCORE_LINE.exec(body.split('\n').find((l) => l.trim()) ?? '');
    if (thread && thread.status === 'resolved' && score && thread.owner === mail.from.address) {
      try {
        await desk.answerSurvey({
          ticket: thread.code,
          channel: 'email',
          customerExternalId: mail.from.address,
          score: Number(score[1]),
          comment: score[3]?.trim() || undefined,
        });
        stats.handled++;
        return;
      } catch (e) {
        if (!(e instanceof DeskError)) throw e;
        log.info('email survey answer refused', { code: thread.code, reason: e.message });
      }
    }

    const isProbe = await core.store.isProbeMarker(headerText(p.headers.get(PROBE_HEADER)));
    const fresh = !thread && !isReplySubject(subject);
    const text = fresh && subject ? `${subject}\n\n${body}`.trim() : body || subject;
    const messageId = p.messageId?.trim();
    const refs = Array.isArray(p.references) ? p.references : p.references ? [p.references] : [];
    try {
      await desk.intake({
        channel: 'email',
        dedupeKey: messageId ? `msgid:${messageId}` : `imap:${mail.uidValidity}:${mail.uid}`,
        customer: { externalId: mail.from.address, name: mail.from.name, email: mail.from.address },
        replyTo: { address: mail.from.address, name: mail.from.name, subject, messageId, references: refs.slice(-9) } satisfies EmailReplyTo,
        text,
        attachments: mail.attachments,
        isProbe,
      });
      stats.handled++;
      if (!isProbe) stats.lastInboundAt = clock.now();
    } catch (e) {
      // A message the desk refuses (empty, say) would otherwise block the mailbox position forever.
      if (!(e instanceof DeskError)) throw e;
      ignore(`refused: ${e.message}`);
    }
  }

  /** One poll at a time; a wake-up during a poll runs one more after it. */
  function poll(): Promise<number> {
    if (polling) {
      pollAgain = true;
      return polling;
    }
    polling = (async () => {
      let total = 0;
      try {
        do {
          pollAgain = false;
          total += await inbox.poll(handle);
        } while (pollAgain);
      } finally {
        polling = null;
      }
      return total;
    })();
    return polling;
  }
  inbox.onNewMail = () => void poll().catch((e) => log.warn('email poll failed', { err: String(e) }));

  const channel: EmailChannel = {
    name: 'email',
    agentSurface: false,
    sender: createEmailSender(settings, transport, env.PUBLIC_BASE_URL),
    inbox,
    poll,
    health: () => ({
      state: inbox.status.state,
      mailbox: `${settings.imap.user}@${settings.imap.host}/${settings.imap.mailbox}`,
      lastPollAt: inbox.status.lastPollAt?.toISOString() ?? null,
      lastError: inbox.status.lastError,
      handled: stats.handled,
      ignored: stats.ignored,
      lastInboundAt: stats.lastInboundAt?.toISOString() ?? null,
    }),
    async start() {
      const tick = () => void poll().catch((e) => log.warn('email poll failed', { err: String(e) }));
      tick();
      timer = setInterval(tick, settings.pollSeconds * 1000);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await polling?.catch(() => {});
      await inbox.close();
      transport.close();
    },
    routes(app) {
      // A link in the survey mail opens a confirmation page; only the POST records the score, because mail
      // scanners follow every link in a message.
      const ticketOf = async (token: string) => {
        const row = await core.store.ticket({ accessToken: token });
        if (row?.ticket.channel !== 'email') throw new ApiError('not_found', '链接无效或已失效');
        return { t: row.ticket, owner: row.customer.externalId };
      };
      app.get('/email/survey/:token', async (c) => {
        const { t } = await ticketOf(c.req.param('token'));
        const score = Number(c.req.query('score'));
        return c.html(
          surveyPage({ company: config.company.name, code: t.code, score: score >= 1 && score <= 5 ? score : null, open: t.status === 'resolved' }),
        );
      });
      app.post('/email/survey/:token', async (c) => {
        const { t, owner } = await ticketOf(c.req.param('token'));
        const form = await c.req.parseBody();
        const score = Number(form.score);
        if (!(score >= 1 && score <= 5)) throw new ApiError('bad_request', '评分须为 1–5');
        const comment = typeof form.comment === 'string' && form.comment.trim() ? cutText(form.comment.trim(), 1000) : undefined;
        try {
          const r = await desk.answerSurvey({ ticket: t.code, channel: 'email', customerExternalId: owner, score, comment });
          return c.html(surveyPage({ company: config.company.name, code: t.code, score, open: false, done: r.message }));
        } catch (e) {
          if (e instanceof DeskError && e.code === 'not_resolved') throw new ApiError('conflict', e.message);
          throw e;
        }
      });
    },
    probe: {
      async send({ runId, marker, text }) {
        const [local, domain] = settings.address.split('@');
        const from = config.probes.emailFrom ?? `${local}+probe-${runId}@${domain}`;
        await transport.sendMail({
          from: { name: 'Loopdesk 拨测', address: from },
          to: settings.address,
          subject: `拨测 ${runId}`,
          text,
          headers: { 'X-Loopdesk-Probe': marker },
        });
      },
      nudge: async () => void (await poll()),
    },
  };
  return channel satisfies Channel;
};

function headerText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && 'value' in v) return String((v as { value: unknown }).value);
  return undefined;
}
