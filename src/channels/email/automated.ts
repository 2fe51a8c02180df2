/**
 * Mail that no person wrote: auto-replies (RFC 3834 Auto-Submitted, vacation responders, Exchange/Outlook and
 * Chinese webmail "自动回复") and bounces (DSN multipart/report, MAILER-DAEMON, null return path). Turning these
 * into tickets would loop with our own acknowledgements.
 */
export type Automated = { kind: 'auto-reply' | 'bounce'; reason: string } | null;

type Headers = Map<string, unknown>;

const str = (v: unknown): string => {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && 'value' in (v as object)) return String((v as { value: unknown }).value);
  if (typeof v === 'object' && 'text' in (v as object)) return String((v as { text: unknown }).text);
  return String(v);
};

const BOUNCE_SENDER = /^(mailer-daemon|postmaster|mail-daemon)@/i;
const BOUNCE_SUBJECT =
  /(undeliver|delivery status notification|delivery (has )?failed|mail delivery (failed|system|subsystem)|returned mail|failure notice|退信|投递失败|无法投递|系统退信)/i;
const AUTO_SUBJECT = /^\s*(auto(matic)?[\s-]?(reply|response)|out of (the )?office|自动回复|自动答复|休假|外出)/i;

export function detectAutomated(headers: Headers, fromAddress: string, subject: string): Automated {
  const contentType = str(headers.get('content-type')).toLowerCase();
  if (contentType.startsWith('multipart/report')) return { kind: 'bounce', reason: 'multipart/report' };
  if (BOUNCE_SENDER.test(fromAddress)) return { kind: 'bounce', reason: `from ${fromAddress}` };
  const returnPath = str(headers.get('return-path')).trim();
  if (returnPath === '<>' || (headers.has('return-path') && returnPath === '')) return { kind: 'bounce', reason: 'null return path' };
  if (BOUNCE_SUBJECT.test(subject) && !headers.has('in-reply-to')) return { kind: 'bounce', reason: 'bounce subject' };

  const autoSubmitted = str(headers.get('auto-submitted')).trim().toLowerCase();
  if (autoSubmitted && autoSubmitted !== 'no') return { kind: 'auto-reply', reason: `Auto-Submitted: ${autoSubmitted}` };
  for (const h of ['x-autoreply', 'x-autorespond', 'x-autoresponder']) if (headers.has(h)) return { kind: 'auto-reply', reason: h };
  const precedence = str(headers.get('precedence')).trim().toLowerCase();
  if (['bulk', 'junk', 'list', 'auto_reply'].includes(precedence)) return { kind: 'auto-reply', reason: `Precedence: ${precedence}` };
  if (AUTO_SUBJECT.test(subject)) return { kind: 'auto-reply', reason: 'auto-reply subject' };
  return null;
}

/**
 * The new part of a reply: stops at the quoted original ("On … wrote:", "在 … 写道：", Outlook's
 * "-----Original Message-----" / "发件人:" block) and drops ">"-quoted lines.
 */
export function stripQuoted(text: string): string {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const twoLines = `${line} ${lines[i + 1] ?? ''}`;
    if (/^-{2,}\s*(original message|原始邮件|回复的原邮件)\s*-{2,}/i.test(line.trim())) break;
    if (/^(On\s.+wrote:|在\s?.+写道[:：])\s*$/.test(line.trim()) || /^(On\s.+wrote:)\s*$/.test(twoLines.trim())) break;
    if (/^(From|发件人)\s*[:：]/.test(line.trim()) && /^(Sent|Date|发送时间|时间)\s*[:：]/.test((lines[i + 1] ?? '').trim())) break;
    if (line.startsWith('>')) continue;
    out.push(line);
  }
  return out.join('\n').trim();
}
