import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderIncidentCard, renderMarkdownCard, renderNoticeCard, renderSurveyCard, renderTicketCard } from '../../cards/feishu/index.ts';
import { renderStatsCard } from '../../cards/feishu/stats.ts';
import { satisfactionChartSpec, volumeChartSpec } from '../../cards/stats.ts';
import type { ActionName, IncidentView, SlaView, TicketView } from '../../cards/view.ts';
import type { Metrics } from '../../src/core/metrics.ts';
import { feishuCardToHtml, KNOWN_ELEMENTS, UnknownCardElement } from '../../src/sandbox/render-feishu.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';
import { surveyCardParams, ticketCardParams } from '../../cards/dingtalk/params.ts';
import { incidentMarkdown, surveyMarkdown, ticketMarkdownWithCommands } from '../../cards/dingtalk/markdown.ts';
import { dingTalkCardToHtml, dingTalkMarkdownToHtml, KNOWN_TEMPLATE_COMPONENTS, LOOPDESK_TEMPLATE, visible } from '../../src/sandbox/render-dingtalk.ts';

const sla = (state: SlaView['state'], label: string): SlaView => ({ state, label, labelEn: label, dueAt: state === 'none' ? null : '2026-03-02T04:00:00Z' });
const ALL_ACTIONS: ActionName[] = ['claim', 'respond', 'resolve', 'reclassify', 'escalate', 'csat', 'merge', 'major'];
const CATS = [
  { id: 'bug', name: '产品故障', nameEn: 'Bug' },
  { id: 'consult', name: '咨询', nameEn: 'Consultation' },
];

function view(over: Partial<TicketView> = {}): TicketView {
  return {
    id: 1,
    code: 'FB-20260302-0001',
    status: 'new',
    statusLabel: '待认领',
    category: CATS[0],
    categories: CATS,
    priority: 'high',
    channel: 'feishu',
    channelLabel: '飞书',
    customer: { name: '王女士 <script>', contact: '138****0000' },
    subject: 'App 登录报错 **500**',
    excerpt: '登录一直报错 500 <at id=all></at>',
    assignee: null,
    isMajor: false,
    escalated: false,
    isProbe: false,
    createdAt: '2026-03-02T02:00:00Z',
    firstResponse: sla('on_track', '剩余 1小时'),
    resolution: sla('due_soon', '剩余 20分'),
    paused: false,
    reopenCount: 0,
    csatScore: null,
    csatComment: null,
    actions: ALL_ACTIONS,
    url: 'http://loopdesk.test/console/tickets/FB-20260302-0001',
    classification: { source: 'rules', sourceLabel: '关键词规则', confidence: 0.9, reason: '命中“报错”' },
    duplicates: [{ code: 'FB-20260302-0002', subject: '登录 500', score: 0.82 }],
    incident: { code: 'INC-20260302-01', count: 3 },
    mergedInto: null,
    canned: [{ id: 'restart', title: '请重启后再试', text: '您好，请重启后再试。' }],
    ...over,
  };
}

/** Every shape the ticket card builder has: each status, with and without every optional part. */
const ticketViews: TicketView[] = [
  view(),
  view({ canned: [], duplicates: [], incident: null, classification: undefined, url: null }),
  view({
    status: 'claimed',
    statusLabel: '处理中',
    assignee: { name: '张客服', platform: 'feishu', userId: 'ou_sandbox_agent_zhang' },
    isMajor: true,
    escalated: true,
  }),
  view({
    status: 'responded',
    statusLabel: '已回复',
    paused: true,
    firstResponse: sla('met', '已达成'),
    assignee: { name: '李', platform: 'dingtalk', userId: 'x' },
  }),
  view({ status: 'reopened', statusLabel: '已重开', reopenCount: 2, resolution: sla('breached', '已超时 35分'), isProbe: true }),
  view({ status: 'resolved', statusLabel: '已解决', actions: ['csat'] }),
  view({ status: 'closed', statusLabel: '已归档', actions: [], csatScore: 5, csatComment: '很好', mergedInto: 'FB-20260302-0002' }),
  view({ actions: ['respond', 'reclassify'], categories: [CATS[0]] }),
];

const incident = (actions: IncidentView['actions']): IncidentView => ({
  id: 1,
  code: 'INC-20260302-01',
  title: '登录报错',
  status: actions.length ? 'open' : 'resolved',
  statusLabel: actions.length ? '处理中' : '已解决',
  count: 3,
  waiting: 1,
  responded: 1,
  resolved: 1,
  closed: 0,
  major: 1,
  channels: [{ channel: 'feishu', label: '飞书', count: 3 }],
  samples: ['登录报错 500', '打不开'],
  createdAt: '2026-03-02T02:00:00Z',
  lastTicketAt: '2026-03-02T02:10:00Z',
  actions,
});

function statsCard(): Record<string, unknown> {
  const daily = ['2026-03-02', '2026-03-03'].map((day, i) => ({
    day,
    received: 3,
    byCategory: { bug: 2, consult: 1 + i },
    firstResponseMet: 2,
    firstResponseBreached: 1,
    firstResponseMetRate: 0.66,
  }));
  const metrics = { survey: { answered: 4, distribution: [0, 1, 0, 1, 2] } } as unknown as Metrics;
  return renderStatsCard({
    title: '客服数据 · 本周',
    rangeLabel: '本周',
    generatedAt: '2026-03-02 10:00',
    notes: ['口径：按收到时间统计'],
    kpis: [
      { label: '收到工单', value: '6', tone: 'neutral' },
      { label: '首次响应及时率', value: '66.7%', hint: '及时 4 / 超时 2', tone: 'bad' },
      { label: '解决率', value: '92%', tone: 'good' },
      { label: '满意度', value: '75%', tone: 'warn' },
    ],
    categories: [{ name: '产品故障', received: 4, firstResponseMetRate: '50%', resolutionRate: '75%' }],
    volumeChart: volumeChartSpec({ daily } as never, { bug: '产品故障', consult: '咨询' }),
    satisfactionChart: satisfactionChartSpec(metrics),
    markdown: '',
  });
}

function tagsOf(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => tagsOf(n, out));
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    // Elements are what sits in body.elements / columns / form elements; text objects (plain_text) are properties.
    if (typeof o.tag === 'string' && o.tag !== 'plain_text' && o.tag !== 'column') out.add(o.tag);
    for (const [k, v] of Object.entries(o)) if (k !== 'chart_spec' && k !== 'text' && k !== 'placeholder' && k !== 'title' && k !== 'subtitle') tagsOf(v, out);
  }
  return out;
}

describe('the sandbox draws every card our Feishu builders emit', () => {
  let t: TestDesk;
  beforeAll(async () => {
    t = await createTestDesk();
  });
  afterAll(() => t?.close());

  it('renders each builder output and knows every element tag in it', async () => {
    const stats = await t.services.runCommand({ text: '/stats week', actor: { platform: 'feishu', userId: 'ou_a' }, viaAgentGroup: true, surface: 'feishu' });
    expect(stats.kind).toBe('card');
    const cards: Array<Record<string, unknown>> = [
      ...ticketViews.map(renderTicketCard),
      renderSurveyCard(view(), '示例公司'),
      renderSurveyCard(view(), '示例公司', { score: 2, comment: '太慢' }),
      renderSurveyCard(view(), '示例公司', { score: 5 }),
      renderIncidentCard(incident(['incident_reply', 'incident_resolve'])),
      renderIncidentCard(incident([])),
      renderNoticeCard('工单 FB-1 首次响应将在 30 分钟后超时', ['ou_x']),
      renderNoticeCard('全员注意', 'all'),
      renderMarkdownCard('Loopdesk 命令', '- /help\n- **/stats**'),
      statsCard(),
      (stats as { card: Record<string, unknown> }).card,
    ];
    const seen = new Set<string>();
    for (const card of cards) {
      const html = feishuCardToHtml(card);
      expect(html).toContain('class="card"');
      expect(html).not.toContain('<script>');
      for (const tag of tagsOf((card.body as { elements: unknown }).elements)) {
        expect(KNOWN_ELEMENTS, `element "${tag}"`).toContain(tag);
        seen.add(tag);
      }
    }
    // The walk reached every kind of element the renderer draws: the builders and the renderer agree both ways.
    expect([...seen].sort()).toEqual([...KNOWN_ELEMENTS].sort());
  });

  it('fails on an element it does not know, instead of leaving it out', () => {
    const card = renderMarkdownCard('x', 'y');
    (card.body as { elements: unknown[] }).elements.push({ tag: 'img', img_key: 'k' });
    expect(() => feishuCardToHtml(card)).toThrow(UnknownCardElement);
    expect(() => feishuCardToHtml({ ...statsCard(), body: { elements: [{ tag: 'chart', chart_spec: { type: 'pie' } }] } })).toThrow(/chart type pie/);
  });

  it('draws the stats charts as SVG with their bars, line and legend', () => {
    const html = feishuCardToHtml(statsCard());
    expect(html.match(/<svg/g)).toHaveLength(2);
    expect(html).toContain('<polyline');
    expect(html).toContain('首次响应及时率 %');
    expect(html).toContain('产品故障');
  });
});

describe('the sandbox draws every DingTalk card and message our builders emit', () => {
  it('knows every component of the imported template and draws it from the params of each ticket and survey state', () => {
    const kinds = new Set(LOOPDESK_TEMPLATE.components.map((c) => c.component));
    expect([...kinds].sort()).toEqual([...KNOWN_TEMPLATE_COMPONENTS].sort());
    for (const v of ticketViews) {
      const html = dingTalkCardToHtml(ticketCardParams(v));
      expect(html).toContain(v.code);
      expect(html).not.toContain('<script>');
      // Each action the view offers has its button (claim, respond, resolve, reclassify, escalate, merge).
      if (v.actions.includes('claim')) expect(html).toContain('>认领<');
      if (!v.actions.includes('respond')) expect(html).not.toContain('name="reply"');
    }
    const open = dingTalkCardToHtml({ ...surveyCardParams('FB-20260302-0001', null), kind: 'survey' });
    expect(open.match(/data-value=/g)).toHaveLength(5);
    expect(open).toContain('&quot;score&quot;:&quot;2&quot;');
    const answered = dingTalkCardToHtml({ ...surveyCardParams('FB-20260302-0001', 4), kind: 'survey' });
    expect(answered).not.toContain('data-value=');
    expect(answered).toContain('4 分');
  });

  it('draws the markdown messages (ticket with commands, surveys, incident) without leaving markup behind', () => {
    const texts = [
      ...ticketViews.map(ticketMarkdownWithCommands),
      surveyMarkdown('FB-20260302-0001', 'single'),
      surveyMarkdown('FB-20260302-0001', 'group'),
      incidentMarkdown(incident(['incident_reply', 'incident_resolve'])),
    ];
    for (const md of texts) {
      const html = dingTalkMarkdownToHtml(md);
      expect(html).not.toMatch(/^#|<br>#|dtmd:\/\//);
      expect(html).not.toContain('<script>');
    }
  });

  it('fails on a template expression or component it does not know', () => {
    expect(() => visible("kind in ('a')", {})).toThrow(UnknownCardElement);
    expect(() => dingTalkCardToHtml({}, { header: { cardName: 'x' }, components: [{ component: 'Carousel' }] })).toThrow(/Carousel/);
  });
});
