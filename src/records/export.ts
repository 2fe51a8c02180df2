/** A copy of everything held about one customer (个人信息保护法 第四十五条): JSON, and the same as a readable document. */
import { asc, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { messages, tickets } from '../db/schema/index.ts';
import { findCustomer } from './customer.ts';

export interface CustomerExport {
  customer: { id: number; channel: string; account: string; name: string | null; phone: string | null; email: string | null; erasedAt: string | null };
  tickets: Array<{
    code: string;
    channel: string;
    status: string;
    subject: string;
    createdAt: string;
    closedAt: string | null;
    csatScore: number | null;
    csatComment: string | null;
    messages: Array<{ at: string; from: string; body: string; attachments: Array<{ kind: string; name?: string; ref: string }> }>;
  }>;
  exportedAt: string;
}

const FROM: Record<string, string> = { in: '客户', out: '客服', internal: '内部备注' };

export async function exportCustomer(db: DbOrTx, key: string, now: Date): Promise<{ data: CustomerExport; markdown: string }> {
  const c = await findCustomer(db, key);
  const own = await db.select().from(tickets).where(eq(tickets.customerId, c.id)).orderBy(asc(tickets.id));
  // Internal notes are the company's own working notes about the case; the copy holds what concerns the customer.
  const msgs = own.length
    ? await db
        .select()
        .from(messages)
        .where(
          inArray(
            messages.ticketId,
            own.map((t) => t.id),
          ),
        )
        .orderBy(asc(messages.id))
    : [];
  const data: CustomerExport = {
    customer: {
      id: c.id,
      channel: c.channel,
      account: c.externalId,
      name: c.name,
      phone: c.phone,
      email: c.email,
      erasedAt: c.erasedAt ? new Date(c.erasedAt).toISOString() : null,
    },
    tickets: own.map((t) => ({
      code: t.code,
      channel: t.channel,
      status: t.status,
      subject: t.subject,
      createdAt: t.createdAt.toISOString(),
      closedAt: t.closedAt?.toISOString() ?? null,
      csatScore: t.csatScore,
      csatComment: t.csatComment,
      messages: msgs
        .filter((m) => m.ticketId === t.id && m.direction !== 'internal')
        .map((m) => ({ at: m.createdAt.toISOString(), from: FROM[m.direction] ?? m.direction, body: m.body, attachments: m.attachments })),
    })),
    exportedAt: now.toISOString(),
  };
  return { data, markdown: exportMarkdown(data) };
}

function exportMarkdown(d: CustomerExport): string {
  const c = d.customer;
  const lines = [
    `# 个人信息副本：客户 #${c.id}`,
    '',
    `导出时间：${d.exportedAt}`,
    '',
    '## 我们保存的您的资料',
    '',
    `- 渠道：${c.channel}；渠道账号：${c.account}`,
    `- 姓名：${c.name ?? '—'}；电话：${c.phone ?? '—'}；邮箱：${c.email ?? '—'}`,
    ...(c.erasedAt ? [`- 已于 ${c.erasedAt} 依申请删除个人信息`] : []),
    '',
    `## 您的反馈（${d.tickets.length} 件）`,
  ];
  for (const t of d.tickets) {
    lines.push('', `### ${t.code}：${t.subject}`, '', `- 受理时间 ${t.createdAt}，状态 ${t.status}${t.closedAt ? `，归档 ${t.closedAt}` : ''}`);
    if (t.csatScore !== null) lines.push(`- 您的评价：${t.csatScore} 分${t.csatComment ? `（${t.csatComment}）` : ''}`);
    for (const m of t.messages)
      lines.push(`- ${m.at} ${m.from}：${m.body}${m.attachments.length ? `（附件 ${m.attachments.map((a) => a.name ?? a.kind).join('、')}）` : ''}`);
  }
  return lines.join('\n');
}
