import { z } from 'zod';
import { TICKET_CODE_TYPED } from '../../core/ticket-code.ts';

/** The robot message callback (`/v1.0/im/bot/messages/get`), stream `data` or HTTP body. Unknown fields pass. */
export const robotMessageSchema = z.looseObject({
  msgId: z.string().min(1),
  msgtype: z.string().default('text'),
  conversationId: z.string().min(1),
  /** "1" = 1:1 with the robot, "2" = group (a string on the wire; tolerate numbers). */
  conversationType: z.union([z.string(), z.number()]).transform(String),
  conversationTitle: z.string().optional(),
  senderId: z.string().optional(),
  senderStaffId: z.string().optional(),
  senderNick: z.string().optional(),
  senderCorpId: z.string().optional(),
  sessionWebhook: z.string().optional(),
  sessionWebhookExpiredTime: z.number().optional(),
  robotCode: z.string().optional(),
  isInAtList: z.boolean().optional(),
  createAt: z.number().optional(),
  text: z.object({ content: z.string() }).optional(),
  content: z.unknown().optional(),
});
export type RobotMessage = z.infer<typeof robotMessageSchema>;

export interface Attachment {
  kind: string;
  name?: string;
  ref: string;
}

const richItem = z.looseObject({
  text: z.string().optional(),
  type: z.string().optional(),
  downloadCode: z.string().optional(),
  pictureDownloadCode: z.string().optional(),
});
const mediaContent = z.looseObject({
  downloadCode: z.string().optional(),
  pictureDownloadCode: z.string().optional(),
  fileName: z.string().optional(),
  recognition: z.string().optional(),
});

/**
 * Text and attachments of any message type. Pictures and files are kept as references
 * (`dingtalk:<robotCode>:<downloadCode>`, fetched later with /v1.0/robot/messageFiles/download).
 */
export function contentOf(msg: RobotMessage, robotCode: string): { text: string; attachments: Attachment[] } {
  const ref = (code: string) => `dingtalk:${msg.robotCode ?? robotCode}:${code}`;
  switch (msg.msgtype) {
    case 'text':
      // The @robot mention is cut out of the text but leaves a leading space.
      return { text: (msg.text?.content ?? '').trim(), attachments: [] };
    case 'richText': {
      const items = z.object({ richText: z.array(richItem) }).safeParse(msg.content);
      if (!items.success) return { text: '', attachments: [] };
      const text: string[] = [];
      const attachments: Attachment[] = [];
      for (const item of items.data.richText) {
        const code = item.downloadCode ?? item.pictureDownloadCode;
        if (item.type === 'picture' && code) attachments.push({ kind: 'image', name: '图片', ref: ref(code) });
        else if (item.text) text.push(item.text);
      }
      return { text: text.join('').trim(), attachments };
    }
    case 'picture':
    case 'file':
    case 'video':
    case 'audio': {
      const c = mediaContent.safeParse(msg.content);
      const code = c.success ? (c.data.downloadCode ?? c.data.pictureDownloadCode) : undefined;
      const names: Record<string, string> = { picture: '图片', file: '文件', video: '视频', audio: '语音' };
      const kind = msg.msgtype === 'picture' ? 'image' : msg.msgtype;
      const attachments = code ? [{ kind, name: (c.success && c.data.fileName) || names[msg.msgtype], ref: ref(code) }] : [];
      // A voice message keeps DingTalk's transcript as its text.
      const text = msg.msgtype === 'audio' && c.success && c.data.recognition ? c.data.recognition.trim() : '';
      return { text: text || (attachments.length ? '' : `（${names[msg.msgtype]}消息，无法读取）`), attachments };
    }
    default:
      return { text: `（暂不支持的消息类型：${msg.msgtype}）`, attachments: [] };
  }
}

/** The card callback (`/v1.0/card/instances/callback`): params live in `content` (or `value`) as a JSON string. */
export const cardCallbackSchema = z.looseObject({
  outTrackId: z.string().optional(),
  userId: z.string().min(1),
  corpId: z.string().optional(),
  spaceType: z.string().optional(),
  spaceId: z.string().optional(),
  content: z.string().optional(),
  value: z.string().optional(),
});

/** DESIGN.md "Card actions": {action, ticket[, score]} plus the form fields reply / category / comment. */
export const cardParamsSchema = z.object({
  action: z.enum(['claim', 'respond', 'resolve', 'reclassify', 'escalate', 'csat', 'merge']),
  ticket: z
    .string()
    .regex(TICKET_CODE_TYPED)
    .transform((s) => s.toUpperCase()),
  score: z.coerce.number().int().min(1).max(5).optional(),
  reply: z.string().optional(),
  category: z.string().optional(),
  comment: z.string().optional(),
  /** respond: a canned reply's id (sent when `reply` is empty). */
  canned: z.string().optional(),
  /** merge: the ticket that carries the case. */
  into: z
    .string()
    .optional()
    .transform((s) => (s ? s.toUpperCase() : undefined)),
});
export type CardParams = z.infer<typeof cardParamsSchema>;

export function cardParamsOf(raw: z.infer<typeof cardCallbackSchema>): CardParams | null {
  const body = raw.content ?? raw.value;
  if (!body) return null;
  try {
    const parsed = JSON.parse(body) as { cardPrivateData?: { params?: unknown }; params?: unknown };
    const params = parsed.cardPrivateData?.params ?? parsed.params;
    const r = cardParamsSchema.safeParse(params);
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/** "5", "5分", "4 很及时" → a survey answer; anything else is an ordinary message. */
export function surveyAnswerOf(text: string): { score: number; comment?: string } | null {
  const m = /^([1-5])\s*分?(?:[\s,，.。:：、!！-]+([\s\S]*))?$/.exec(text.trim());
  if (!m) return null;
  const comment = m[2]?.trim();
  return { score: Number(m[1]), comment: comment || undefined };
}

/** What we keep on the ticket to answer the customer later. */
export interface DingTalkReplyTo {
  conversationId: string;
  conversationType: string;
  senderStaffId?: string;
  senderId?: string;
  senderNick?: string;
  sessionWebhook?: string;
  sessionWebhookExpiredTime?: number;
}
