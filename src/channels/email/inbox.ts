import { ImapFlow, type FetchMessageObject, type MessageStructureObject } from 'imapflow';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import type { Logger } from '../../log.ts';
import type { ChannelStore } from '../../desk/channel-store.ts';
import type { EmailSettings } from './config.ts';

export interface InboundMail {
  uid: number;
  uidValidity: string;
  parsed: ParsedMail;
  from: { address: string; name?: string };
  attachments: Array<{ kind: string; name?: string; ref: string }>;
}

interface UidState {
  uidValidity: string;
  lastUid: number;
}

const BATCH = 50;

/**
 * The support mailbox over IMAP. UIDs are remembered in the database (per mailbox and UIDVALIDITY), and the
 * position moves past a message only after it was handled: a crash re-reads at most the message in hand, which
 * the desk then recognises by its Message-ID.
 */
export function createInbox(settings: EmailSettings, kv: ChannelStore['kv'], log: Logger, now: () => Date) {
  const key = `email:imap:${settings.imap.user}@${settings.imap.host}:${settings.imap.mailbox}`;
  let client: ImapFlow | null = null;
  let connecting: Promise<ImapFlow> | null = null;
  let onNew: (() => void) | null = null;
  const status = { state: 'idle' as 'idle' | 'connected' | 'disconnected' | 'error', lastPollAt: null as Date | null, lastError: null as string | null };

  async function connect(): Promise<ImapFlow> {
    if (client?.usable) return client;
    if (connecting) return connecting;
    connecting = (async () => {
      const c = new ImapFlow({
        host: settings.imap.host,
        port: settings.imap.port,
        secure: settings.imap.secure,
        auth: { user: settings.imap.user, pass: settings.imap.pass },
        logger: false,
        // Loopback test servers have no certificate; real ones use TLS (imaps:// or STARTTLS).
        tls: { rejectUnauthorized: settings.imap.host !== '127.0.0.1' },
        connectionTimeout: 10_000,
        // IDLE soon after our last command (default 15 s), so new mail is seen within a second or two.
        autoIdleDelay: 1000,
        greetingTimeout: 5_000,
      });
      c.on('error', (e: Error) => {
        status.state = 'error';
        status.lastError = e.message;
        log.warn('imap error', { err: e.message });
      });
      c.on('close', () => {
        if (client === c) client = null;
        if (status.state === 'connected') status.state = 'disconnected';
      });
      // IDLE: the server tells us about new mail as it arrives.
      c.on('exists', () => onNew?.());
      await c.connect();
      await c.mailboxOpen(settings.imap.mailbox);
      client = c;
      status.state = 'connected';
      status.lastError = null;
      return c;
    })();
    try {
      return await connecting;
    } catch (e) {
      status.state = 'error';
      status.lastError = (e as Error).message;
      throw e;
    } finally {
      connecting = null;
    }
  }

  function attachmentsOf(node: MessageStructureObject | undefined, uid: number, uidValidity: string, out: InboundMail['attachments'] = []) {
    if (!node) return out;
    for (const child of node.childNodes ?? []) attachmentsOf(child, uid, uidValidity, out);
    const name = node.dispositionParameters?.filename ?? node.parameters?.name;
    if (
      !node.childNodes &&
      node.part &&
      (node.disposition === 'attachment' || (name && node.disposition !== undefined) || (name && !node.type.startsWith('text/')))
    ) {
      // RFC 5092 IMAP URL: the part stays in the mailbox; we keep where it is, not its bytes.
      const ref = `imap://${encodeURIComponent(settings.imap.user)}@${settings.imap.host}/${encodeURIComponent(settings.imap.mailbox)};UIDVALIDITY=${uidValidity}/;UID=${uid}/;SECTION=${node.part}`;
      out.push({ kind: node.type.startsWith('image/') ? 'image' : 'file', name, ref });
    }
    return out;
  }

  return {
    status,
    set onNewMail(fn: () => void) {
      onNew = fn;
    },
    connect,
    /** New messages since the remembered UID, handed to `handle` one by one in UID order. Returns how many. */
    async poll(handle: (m: InboundMail) => Promise<void>): Promise<number> {
      const c = await connect();
      let handled = 0;
      for (;;) {
        const lock = await c.getMailboxLock(settings.imap.mailbox);
        let batch: FetchMessageObject[];
        let uidValidity: string;
        try {
          const mb = c.mailbox;
          if (!mb) throw new Error('mailbox not selected');
          uidValidity = String(mb.uidValidity);
          const saved = await kv.get<UidState>(key);
          let lastUid = saved?.lastUid ?? 0;
          if (saved && saved.uidValidity !== uidValidity) {
            // The server renumbered the mailbox: read it again; Message-ID receipts keep old mail from becoming new tickets.
            log.warn('imap uidvalidity changed, rereading mailbox', { from: saved.uidValidity, to: uidValidity });
            lastUid = 0;
          }
          // The cached EXISTS/UIDNEXT may be stale (mail delivered over another connection), so always ask.
          // "n:*" returns the newest message even when its UID is below n, hence the filter.
          await c.noop();
          const all =
            c.mailbox && c.mailbox.exists > 0 ? await c.fetchAll(`${lastUid + 1}:*`, { uid: true, source: true, bodyStructure: true }, { uid: true }) : [];
          batch = all
            .filter((m) => m.uid > lastUid)
            .sort((a, b) => a.uid - b.uid)
            .slice(0, BATCH);
        } finally {
          lock.release();
        }
        status.lastPollAt = now();
        for (const m of batch) {
          const parsed = await simpleParser(m.source!);
          const from = (parsed.from as AddressObject | undefined)?.value?.[0];
          await handle({
            uid: m.uid,
            uidValidity,
            parsed,
            from: { address: (from?.address ?? '').toLowerCase(), name: from?.name || undefined },
            attachments: attachmentsOf(m.bodyStructure, m.uid, uidValidity),
          });
          await kv.set(key, { uidValidity, lastUid: m.uid } satisfies UidState, now());
          await c.messageFlagsAdd(String(m.uid), ['\\Seen'], { uid: true }).catch(() => {});
          handled++;
        }
        if (batch.length < BATCH) return handled;
      }
    },
    async close() {
      const c = client;
      client = null;
      status.state = 'idle';
      await c?.logout().catch(() => c.close());
    },
  };
}
export type Inbox = ReturnType<typeof createInbox>;
