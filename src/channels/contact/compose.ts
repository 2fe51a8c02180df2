/**
 * What a customer outside a chat receives. E-mail carries the whole text plus the private link; SMS can only fill
 * a pre-approved template, so it carries the ticket code, a time and the link token (README 「短信模板」).
 */

export type Purpose = 'ack' | 'reply' | 'notice' | 'survey';

export interface MailContent {
  subject: string;
  text: string;
}

export function composeMail(p: { purpose: Purpose; code: string; text: string; link: string; company: string; repliesRead: boolean }): MailContent {
  // Even with the support mailbox read (EMAIL_IMAP_URL), a reply would open a separate e-mail ticket: the link keeps
  // everything on this one.
  const tail = p.repliesRead ? '如需补充，请打开上面的链接提交。' : '本邮箱不接收回复，如需补充请打开上面的链接。';
  switch (p.purpose) {
    case 'survey':
      return {
        subject: `请为本次服务评分 [${p.code}]`,
        text: [
          `您好，您的反馈（工单 ${p.code}）已处理完毕。`,
          '请打开下面的链接为本次服务打分（1–5 分，5 分最满意），您的评价决定工单是否归档：',
          p.link,
          '',
          `${p.company}`,
        ].join('\n'),
      };
    case 'ack':
      return { subject: `您的反馈已受理 [${p.code}]`, text: [p.text, '', `查看处理进度、补充说明：${p.link}`, tail, '', p.company].join('\n') };
    case 'reply':
      return { subject: `您的反馈有新回复 [${p.code}]`, text: [p.text, '', `查看完整记录、继续补充：${p.link}`, tail, '', p.company].join('\n') };
    default:
      return { subject: `您的反馈有新进展 [${p.code}]`, text: [p.text, '', `详情：${p.link}`, '', p.company].join('\n') };
  }
}

/** Template variables: `code` (ticket code), `token` (the private page is https://<your domain>/t/<token>), `time` (ack only). */
export function smsParams(p: { purpose: Purpose; code: string; token: string; time: string }): {
  template: 'ack' | 'reply' | 'survey';
  params: Record<string, string>;
} {
  if (p.purpose === 'ack') return { template: 'ack', params: { code: p.code, time: p.time, token: p.token } };
  if (p.purpose === 'survey') return { template: 'survey', params: { code: p.code, token: p.token } };
  return { template: 'reply', params: { code: p.code, token: p.token } };
}

/** "3月2日 12:00" in the company's zone: the first-response deadline the acknowledgement promises. */
export function promiseTime(at: Date | null, timeZone: string): string {
  if (!at) return '尽快';
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('zh-CN', { timeZone, month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false })
      .formatToParts(at)
      .map((x) => [x.type, x.value]),
  );
  return `${parts.month}月${parts.day}日 ${parts.hour}:${parts.minute}`;
}
