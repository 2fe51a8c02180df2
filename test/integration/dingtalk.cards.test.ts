import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { surveyCardParams, ticketCardParams } from '../../cards/dingtalk/params.ts';
import { ticketMarkdownWithCommands } from '../../cards/dingtalk/markdown.ts';
import { cardParamsSchema, surveyAnswerOf } from '../../src/channels/dingtalk/payloads.ts';
import type { TicketView } from '../../cards/view.ts';

const template = JSON.parse(readFileSync(new URL('../../cards/dingtalk/loopdesk-card.template.json', import.meta.url), 'utf8'));
const declared = new Set<string>(template.variables.map((v: { name: string }) => v.name));

const view: TicketView = {
  id: 1,
  code: 'FB-20260302-0001',
  status: 'claimed',
  statusLabel: '处理中',
  category: { id: 'bug', name: '产品故障', nameEn: 'Bug' },
  categories: [
    { id: 'bug', name: '产品故障', nameEn: 'Bug' },
    { id: 'other', name: '其他', nameEn: 'Other' },
  ],
  priority: 'high',
  channel: 'dingtalk',
  channelLabel: '钉钉',
  customer: { name: '王*', contact: null },
  subject: 's',
  excerpt: '# 不是标题\n- 不是列表',
  assignee: { name: '李客服', platform: 'dingtalk', userId: 'a1' },
  isMajor: true,
  escalated: false,
  isProbe: false,
  createdAt: '2026-03-02T02:00:00.000Z',
  firstResponse: { state: 'met', label: '已达成', labelEn: 'Met', dueAt: null },
  resolution: { state: 'due_soon', label: '即将超时，剩余 20分', labelEn: '', dueAt: null },
  paused: false,
  reopenCount: 0,
  csatScore: null,
  csatComment: null,
  actions: ['respond', 'resolve', 'reclassify', 'escalate'],
  url: 'http://loopdesk.test/console/tickets/FB-20260302-0001',
};

describe('dingtalk card template and renderers', () => {
  it('declares every variable the renderers send, all as strings', () => {
    for (const params of [ticketCardParams(view), { ...surveyCardParams(view.code, null), kind: 'survey' }, surveyCardParams(view.code, 4)]) {
      for (const [k, v] of Object.entries(params)) {
        expect(declared, `template variable ${k}`).toContain(k);
        expect(typeof v).toBe('string');
        expect(v.length).toBeLessThanOrEqual(1000);
      }
    }
  });

  it('every button sends params that the callback handler accepts (the DESIGN.md contract)', () => {
    const buttons = template.components.flatMap((c: { buttons?: unknown[] }) => c.buttons ?? []) as Array<{
      params: Array<{ name: string; type: string; value?: string }>;
    }>;
    expect(buttons.length).toBe(11);
    for (const b of buttons) {
      const params = Object.fromEntries(
        b.params.map((p) => [p.name, p.type === 'fixed' ? p.value : p.name === 'ticket' ? view.code : p.name === 'category' ? 'other' : 'x']),
      );
      expect(cardParamsSchema.safeParse(params).success, JSON.stringify(params)).toBe(true);
    }
  });

  it('markdown keeps customer text quoted and lists only the commands that apply', () => {
    const md = ticketMarkdownWithCommands(view);
    expect(md).toContain('> \\# 不是标题');
    expect(md).toContain('🚨 重大投诉');
    expect(md).toContain('/reply FB-20260302-0001 内容');
    expect(md).not.toContain('/claim');
    expect(md).toContain('other=其他');
  });

  it('reads survey answers typed by customers', () => {
    expect(surveyAnswerOf('5')).toEqual({ score: 5 });
    expect(surveyAnswerOf(' 4分 挺好的')).toEqual({ score: 4, comment: '挺好的' });
    expect(surveyAnswerOf('3，一般般')).toEqual({ score: 3, comment: '一般般' });
    expect(surveyAnswerOf('6')).toBeNull();
    expect(surveyAnswerOf('500 错误')).toBeNull();
    expect(surveyAnswerOf('2026年的账单')).toBeNull();
  });
});
