/**
 * A realistic week built through the desk (intake, act, survey, with the clock moved between steps), the same
 * week as test/unit/metrics.test.ts, so the known answers carry over:
 *
 *   G  complaint  Mon 09:00  filed as bug by the customer, flagged major at intake (工信部) → moved to 投诉 under the
 *                            major promise (1 h / 24 h, calendar clock); replied 09:30, resolved 10:00 — awaiting the survey
 *   A  bug        Mon 10:00  replied 11:00, resolved 15:00, 5 points — closed satisfied
 *   C  consult.   Mon 10:00  replied Fri 10:00 (late), resolved 11:00, 2 points → reopened, resolved 15:00, 4 points
 *   D  bug probe  Mon 10:30  never answered: counted nowhere, not in the ledger
 *   B  complaint  Mon 11:00  replied 14:30 waiting on the customer (paused until Tue 10:00), resolved Tue 11:00,
 *                            never rated → closed unrated Fri 11:00
 *   E  bug        Fri 16:00  never answered (breached by the report time)
 *   F  suggestion Mon 03-09 09:30, open
 * Report time: Mon 2026-03-09 10:00 Asia/Shanghai.
 */
import { eq } from 'drizzle-orm';
import { tickets } from '../../src/db/schema/index.ts';
import type { TestDesk } from '../helpers/services.ts';

export const AGENT = { platform: 'feishu', userId: 'ou_wang', name: '王五' };
export const REPORT_AT = '2026-03-09T10:00:00+08:00';
export const sh = (local: string) => `${local.replace(' ', 'T')}:00+08:00`;

export interface Week {
  A: string;
  B: string;
  C: string;
  D: string;
  E: string;
  F: string;
  G: string;
}

let seq = 0;
async function intake(
  t: TestDesk,
  at: string,
  who: { id: string; name?: string; phone?: string; email?: string },
  text: string,
  extra: { category?: string; isProbe?: boolean } = {},
) {
  t.clock.set(sh(at));
  const r = await t.desk.intake({
    channel: 'web',
    dedupeKey: `fixture-${++seq}-${who.id}`,
    customer: { externalId: who.id, name: who.name, phone: who.phone, email: who.email },
    replyTo: { visitor: who.id },
    text,
    ...extra,
  });
  return r.code;
}

async function act(
  t: TestDesk,
  at: string,
  code: string,
  action: 'respond' | 'resolve' | 'major',
  extra: { text?: string; waitForCustomer?: boolean; major?: boolean } = {},
) {
  t.clock.set(sh(at));
  await t.desk.act({ ticket: code, actor: AGENT, viaAgentGroup: true, action, ...extra });
}

async function answer(t: TestDesk, at: string, code: string, customer: string, score: number, comment?: string) {
  t.clock.set(sh(at));
  await t.desk.answerSurvey({ ticket: code, channel: 'web', customerExternalId: customer, score, comment });
}

export async function buildWeek(t: TestDesk): Promise<Week> {
  const G = await intake(t, '2026-03-02 09:00', { id: 'v-g', name: '赵六', phone: '13900009999' }, '支付后一直没到账，再不处理我就去工信部投诉', {
    category: 'bug',
  });
  await act(t, '2026-03-02 09:30', G, 'respond', { text: '非常抱歉，我们正在核查您的订单。' });
  // Flagged major by intake itself (「工信部」, triage), so the agent has nothing left to set.
  const A = await intake(t, '2026-03-02 10:00', { id: 'v-a', name: '张三', phone: '13812345678' }, 'APP 登录后闪退，报错 500', { category: 'bug' });
  const C = await intake(t, '2026-03-02 10:00', { id: 'v-c', name: '钱七', email: 'qian@example.com' }, '如何导出发票？', { category: 'consultation' });
  await act(t, '2026-03-02 10:00', G, 'resolve');
  const D = await intake(t, '2026-03-02 10:30', { id: 'probe-web' }, '【拨测】渠道可用性检查', { category: 'bug', isProbe: true });
  await act(t, '2026-03-02 11:00', A, 'respond', { text: '已定位问题，今天下午发布修复。' });
  const B = await intake(t, '2026-03-02 11:00', { id: 'v-b', name: '李四', email: 'lisi@example.com' }, '我要投诉，退款迟迟不到账', { category: 'complaint' });
  await act(t, '2026-03-02 14:30', B, 'respond', { text: '请提供订单号，我们核实后处理。', waitForCustomer: true });
  await act(t, '2026-03-02 15:00', A, 'resolve');
  await answer(t, '2026-03-02 16:00', A, 'v-a', 5, '很快，谢谢');
  t.clock.set(sh('2026-03-03 10:00'));
  await t.desk.intake({
    channel: 'web',
    dedupeKey: `fixture-${++seq}-v-b`,
    customer: { externalId: 'v-b' },
    replyTo: { visitor: 'v-b' },
    text: '订单号 20260301-88',
  });
  await act(t, '2026-03-03 11:00', B, 'resolve');
  await act(t, '2026-03-06 10:00', C, 'respond', { text: '在「账户-发票」页面点击导出即可。' });
  t.clock.set(sh('2026-03-06 11:00'));
  const [{ id: bId }] = await t.db.select({ id: tickets.id }).from(tickets).where(eq(tickets.code, B));
  await t.desk.closeUnrated(bId);
  await act(t, '2026-03-06 11:00', C, 'resolve');
  await answer(t, '2026-03-06 11:30', C, 'v-c', 2, '没找到导出按钮');
  await act(t, '2026-03-06 15:00', C, 'resolve');
  await answer(t, '2026-03-06 16:00', C, 'v-c', 4);
  const E = await intake(t, '2026-03-06 16:00', { id: 'v-e', name: '孙八', phone: '13700001111' }, '页面打不开，一直转圈', { category: 'bug' });
  const F = await intake(t, '2026-03-09 09:30', { id: 'v-f', name: '周九' }, '建议增加深色模式', { category: 'suggestion' });
  t.clock.set(REPORT_AT);
  return { A, B, C, D, E, F, G };
}
