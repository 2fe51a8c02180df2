import type { Env } from '../../config.ts';

export interface EmailSettings {
  address: string;
  domain: string;
  fromName: string;
  imap: { host: string; port: number; secure: boolean; user: string; pass: string; mailbox: string };
  smtpUrl: string;
  pollSeconds: number;
}

/**
 * `imaps://user:pass@host:993/INBOX` (TLS) or `imap://…:143` (STARTTLS when offered); the path names the
 * mailbox (default INBOX). The SMTP URL is given to nodemailer as is (smtp:// or smtps://).
 */
export function emailSettings(env: Env, companyName: string): EmailSettings | null {
  if (!env.EMAIL_IMAP_URL || !env.EMAIL_SMTP_URL || !env.EMAIL_ADDRESS) return null;
  const u = new URL(env.EMAIL_IMAP_URL);
  if (u.protocol !== 'imap:' && u.protocol !== 'imaps:') throw new Error('EMAIL_IMAP_URL must start with imap:// or imaps://');
  const secure = u.protocol === 'imaps:';
  const address = env.EMAIL_ADDRESS.toLowerCase();
  return {
    address,
    domain: address.split('@')[1],
    fromName: env.EMAIL_FROM_NAME ?? companyName,
    imap: {
      host: u.hostname,
      port: Number(u.port) || (secure ? 993 : 143),
      secure,
      user: decodeURIComponent(u.username) || address,
      pass: decodeURIComponent(u.password),
      mailbox: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'INBOX',
    },
    smtpUrl: env.EMAIL_SMTP_URL,
    pollSeconds: env.EMAIL_POLL_SECONDS,
  };
}
