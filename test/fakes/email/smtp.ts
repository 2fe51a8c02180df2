import { ImapFlow } from 'imapflow';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { Dovecot } from './dovecot.ts';

export interface SentMail {
  from: string;
  to: string[];
  raw: string;
  parsed: ParsedMail;
}

/**
 * A real SMTP server (nodemailer's smtp-server) on 127.0.0.1 playing the company's mail relay: it records every
 * message, and delivers mail for the local mailboxes (plus addressing included) into dovecot by IMAP APPEND,
 * so a probe sent to the support address really arrives in the support mailbox.
 */
export async function startSmtp(opts: { user: string; pass: string; local?: { dovecot: Dovecot; mailboxes: Record<string, string> } }) {
  const sent: SentMail[] = [];
  let failWith: { code: number; message: string } | null = null;
  const waiters: Array<{ pred: (m: SentMail) => boolean; resolve: (m: SentMail) => void }> = [];

  // Like a real MTA, mail for a local mailbox that cannot be reached now is queued and retried.
  const queued: Array<{ rcpt: string; raw: string }> = [];
  const retry = setInterval(() => void flush(), 200);
  retry.unref();
  let flushing = false;
  async function flush() {
    if (flushing) return;
    flushing = true;
    try {
      while (queued.length) {
        await deliverLocal(queued[0].rcpt, queued[0].raw);
        queued.shift();
      }
    } catch {
      // still down; next tick
    } finally {
      flushing = false;
    }
  }

  async function deliverLocal(rcpt: string, raw: string) {
    if (!opts.local) return;
    const bare = rcpt.toLowerCase().replace(/\+[^@]*@/, '@');
    const pass = opts.local.mailboxes[bare];
    if (!pass) return;
    const c = new ImapFlow({ host: '127.0.0.1', port: opts.local.dovecot.port, secure: false, auth: { user: bare, pass }, logger: false });
    await c.connect();
    try {
      await c.append('INBOX', raw);
    } finally {
      await c.logout().catch(() => {});
    }
  }

  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: false,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === opts.user && auth.password === opts.pass) return cb(null, { user: auth.username });
      cb(new Error('Invalid username or password'));
    },
    onMailFrom(_address, _session, cb) {
      if (failWith) {
        const e = new Error(failWith.message) as Error & { responseCode: number };
        e.responseCode = failWith.code;
        return cb(e);
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (d: Buffer) => chunks.push(d));
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        try {
          const parsed = await simpleParser(raw);
          const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
          const mail: SentMail = { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to, raw, parsed };
          for (const rcpt of to) queued.push({ rcpt, raw });
          await flush();
          sent.push(mail);
          for (const w of [...waiters])
            if (w.pred(mail)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve(mail);
            }
          cb();
        } catch (e) {
          cb(e as Error);
        }
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    sent,
    url: `smtp://${encodeURIComponent(opts.user)}:${encodeURIComponent(opts.pass)}@127.0.0.1:${port}`,
    /** Refuse every message with this SMTP reply (e.g. 550 for "no such user", 451 for "try later"); null to stop. */
    fail(code: number | null, message = 'refused by test') {
      failWith = code === null ? null : { code, message };
    },
    waitFor(pred: (m: SentMail) => boolean, ms = 5000): Promise<SentMail> {
      const hit = sent.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve };
        waiters.push(w);
        setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) {
            waiters.splice(i, 1);
            reject(new Error('no such mail in time'));
          }
        }, ms).unref();
      });
    },
    close: () => {
      clearInterval(retry);
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
export type FakeSmtp = Awaited<ReturnType<typeof startSmtp>>;

/** Puts a message straight into a mailbox, as the company's MX would have delivered it. */
export async function deliver(dovecot: Dovecot, user: string, raw: string): Promise<void> {
  const c = new ImapFlow({ host: '127.0.0.1', port: dovecot.port, secure: false, auth: { user, pass: dovecot.users[user] }, logger: false });
  await c.connect();
  try {
    await c.append('INBOX', raw);
  } finally {
    await c.logout().catch(() => {});
  }
}

/** A customer's mail, built the way a mail client would (CRLF, Message-ID, optional threading headers). */
export function customerMail(m: {
  from: string;
  to: string;
  subject: string;
  text: string;
  messageId: string;
  inReplyTo?: string;
  references?: string[];
  headers?: Record<string, string>;
  attachment?: { name: string; type: string; content: string };
}): string {
  const head = [
    `From: ${m.from}`,
    `To: ${m.to}`,
    `Subject: =?UTF-8?B?${Buffer.from(m.subject).toString('base64')}?=`,
    `Message-ID: ${m.messageId}`,
    `Date: ${new Date('2026-03-02T02:00:00Z').toUTCString()}`,
    'MIME-Version: 1.0',
    ...(m.inReplyTo ? [`In-Reply-To: ${m.inReplyTo}`] : []),
    ...(m.references ? [`References: ${m.references.join(' ')}`] : []),
    ...Object.entries(m.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
  ];
  const text = Buffer.from(m.text).toString('base64');
  if (!m.attachment) return [...head, 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64', '', text, ''].join('\r\n');
  const b = 'b0undary';
  return [
    ...head,
    `Content-Type: multipart/mixed; boundary="${b}"`,
    '',
    `--${b}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    text,
    `--${b}`,
    `Content-Type: ${m.attachment.type}; name="${m.attachment.name}"`,
    `Content-Disposition: attachment; filename="${m.attachment.name}"`,
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from(m.attachment.content).toString('base64'),
    `--${b}--`,
    '',
  ].join('\r\n');
}
