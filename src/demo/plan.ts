/**
 * The demo history as a plan: every customer message, agent action and survey answer of a date range, with its time.
 * Pure (no I/O, seeded randomness), so one seed gives one history; `run.ts` plays it through the desk's use cases.
 *
 * The rhythm follows the business calendar: ~N tickets a working day (调休 make-up days included), a few on weekends
 * and holidays; agents act in business time, customers write and rate at any daytime hour.
 */
import type { Config } from '../config.ts';
import type { BusinessCalendar } from '../core/calendar.ts';
import { customerText, MAJOR, OUTAGE_REPLY, OUTAGE_RESOLVED, outageText, personName, texts, type Pick } from './texts.ts';

/** A person the config can name in `roles` (and an actor of the desk). */
export type DemoAgent = Config['roles']['agents'][number];

export type AgentActName = 'claim' | 'respond' | 'resolve' | 'escalate' | 'note' | 'reclassify';

export interface DemoCustomer {
  channel: string;
  externalId: string;
  name: string;
  phone?: string;
  email?: string;
}

export type DemoStep = { at: Date; key: string } & (
  | { type: 'message'; customer: DemoCustomer; text: string }
  | { type: 'act'; action: AgentActName; agent: DemoAgent; text?: string; category?: string; waitForCustomer?: boolean }
  | { type: 'survey'; score: number; comment?: string }
  /** A failed phone follow-up attempt of a silent customer (电话回访), by the agent the task names. */
  | { type: 'visit'; attempt: number; means: string; result: string; agent: DemoAgent }
  | { type: 'merge'; into: string; agent: DemoAgent }
  | { type: 'incident'; action: 'incident_reply' | 'incident_resolve'; agent: DemoAgent; text: string }
);

export interface PlanOptions {
  /** The last moment of the history ("now"); nothing is planned after it. */
  endAt: Date;
  /** Days of history before endAt's day (≈183 for six months). */
  days: number;
  perWorkingDay: number;
  seed: number;
}

export const DEMO_AGENTS: DemoAgent[] = [
  { platform: 'feishu', userId: 'ou_demo_lina', name: '李娜' },
  { platform: 'feishu', userId: 'ou_demo_liuyang', name: '刘洋' },
  { platform: 'feishu', userId: 'ou_demo_chenjing', name: '陈静' },
  { platform: 'feishu', userId: 'ou_demo_zhaomin', name: '赵敏' },
  { platform: 'dingtalk', userId: 'demo_zhangwei', name: '张伟' },
];
export const DEMO_LEAD: DemoAgent = { platform: 'feishu', userId: 'ou_demo_wangjianguo', name: '王建国' };

/** Every channel the desk knows, weighted by how customers of a typical company write. */
const CHANNELS: Array<[string, number]> = [
  ['feishu', 26],
  ['dingtalk', 18],
  ['web', 20],
  ['wecom', 14],
  ['email', 10],
  ['api', 7],
  ['helpdesk', 5],
];
const CATEGORIES: Array<[string, number]> = [
  ['consultation', 38],
  ['bug', 26],
  ['complaint', 12],
  ['suggestion', 14],
  ['other', 10],
];
/** Arrivals per local hour on a working day (customers write before and after office hours too). */
const HOURS = [0, 0, 0, 0, 0, 0, 0, 1, 3, 8, 10, 10, 6, 6, 9, 10, 9, 8, 6, 4, 3, 2, 1, 1];
const FIRST_TARGET: Record<string, number> = { bug: 120, complaint: 120 };

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Minutes east of UTC of a zone at an instant. */
const formatters = new Map<string, Intl.DateTimeFormat>();
function zoneOffsetMinutes(timeZone: string, at: Date): number {
  let f = formatters.get(timeZone);
  if (!f)
    formatters.set(
      timeZone,
      (f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
      })),
    );
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute));
  return Math.round((asUtc - Math.floor(at.getTime() / 60_000) * 60_000) / 60_000);
}

const addDays = (iso: string, n: number) => new Date(Date.parse(`${iso}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

export function planDemo(calendar: BusinessCalendar, opts: PlanOptions): DemoStep[] {
  const rnd = mulberry32(opts.seed);
  const pick: Pick = (list) => list[Math.floor(rnd() * list.length)];
  const between = (a: number, b: number) => a + rnd() * (b - a);
  const weighted = (list: Array<[string, number]>) => {
    let x = rnd() * list.reduce((s, [, w]) => s + w, 0);
    for (const [v, w] of list) if ((x -= w) < 0) return v;
    return list[list.length - 1][0];
  };
  const tz = calendar.timeZone;
  /** Local wall time of a day → instant. */
  const local = (day: string, minutes: number) => {
    const guess = Date.parse(`${day}T00:00:00Z`) + minutes * 60_000;
    return new Date(guess - zoneOffsetMinutes(tz, new Date(guess)) * 60_000);
  };
  const localMinutes = (at: Date) => {
    const m = (at.getTime() / 60_000 + zoneOffsetMinutes(tz, at)) % 1440;
    return m < 0 ? m + 1440 : m;
  };
  const biz = (from: Date, minutes: number) => calendar.addBusinessMinutes(from, Math.max(1, Math.round(minutes)));
  /** Customers answer at daytime hours: a time in the night moves to the next morning. */
  const awake = (at: Date) => {
    const m = localMinutes(at);
    if (m >= 8 * 60 && m < 22 * 60) return at;
    const day = calendar.localDate(m >= 22 * 60 ? new Date(at.getTime() + 6 * 3_600_000) : at);
    return local(day, between(8 * 60 + 10, 10 * 60));
  };

  const steps: DemoStep[] = [];
  let customers = 0;
  const newCustomer = (channel: string): DemoCustomer => {
    const n = ++customers;
    const name = personName(pick);
    const phone = `1${pick(['38', '39', '58', '86', '35', '77'])}${String(Math.floor(rnd() * 1e8)).padStart(8, '0')}`;
    return {
      channel,
      externalId: `demo-${channel}-${n}`,
      name,
      ...(channel === 'email' ? { email: `customer${n}@example.com` } : channel === 'web' || channel === 'api' ? { phone } : {}),
    };
  };
  let tickets = 0;
  const push = (s: DemoStep) => void steps.push(s);

  /** One ordinary ticket, from the customer's message to the archived survey (or as far as endAt lets it go). */
  function ticket(
    arrival: Date,
    opts2: { category?: string; channel?: string; customer?: DemoCustomer; text?: string } = {},
  ): { key: string; resolveAt: Date; outcome: string; text: string } {
    const key = `t${++tickets}`;
    const category = opts2.category ?? weighted(CATEGORIES);
    const customer = opts2.customer ?? newCustomer(opts2.channel ?? weighted(CHANNELS));
    const agent = pick(DEMO_AGENTS);
    const text = opts2.text ?? customerText(category, pick);
    push({ at: arrival, key, type: 'message', customer, text });
    const target = FIRST_TARGET[category] ?? 1440;
    const late = rnd() < 0.035;
    const respondAt = biz(arrival, late ? target + between(15, 240) : between(4, category in FIRST_TARGET ? 80 : 240));
    const claimAt = new Date(Math.max(arrival.getTime() + 60_000, respondAt.getTime() - between(1, 15) * 60_000));
    // Half the agents claim first; the others just answer, which claims the ticket for them (one desk call less).
    if (category === 'other' || rnd() < 0.5) push({ at: claimAt, key, type: 'act', action: 'claim', agent });
    // 其他: the texts that match no rule are classified by an agent (which also trains the classifier).
    const real = category === 'other' ? pick(['consultation', 'bug', 'other']) : category;
    if (real !== category) push({ at: new Date(claimAt.getTime() + 30_000), key, type: 'act', action: 'reclassify', category: real, agent });
    push({ at: respondAt, key, type: 'act', action: 'respond', text: texts.firstReply(real, pick), agent });
    let last = respondAt;
    if (rnd() < 0.05) {
      last = biz(last, between(5, 30));
      push({ at: last, key, type: 'act', action: 'escalate', text: texts.escalation(pick), agent });
    }
    if (rnd() < 0.08) {
      last = biz(last, between(2, 20));
      push({ at: last, key, type: 'act', action: 'note', text: texts.note(pick), agent });
    }
    if (rnd() < 0.2) {
      const more = awake(new Date(last.getTime() + between(10, 180) * 60_000));
      push({ at: more, key, type: 'message', customer, text: texts.followUp(pick) });
      last = biz(more, between(5, 60));
      push({ at: last, key, type: 'act', action: 'respond', text: texts.secondReply(pick), agent });
    }
    const lateResolution = (real === 'bug' || real === 'complaint') && rnd() < 0.03;
    const work: Record<string, [number, number]> = { bug: [30, 600], complaint: [60, 1200], consultation: [5, 120], suggestion: [1, 30], other: [10, 200] };
    const [lo, hi] = work[real] ?? [10, 200];
    const resolveAt = biz(last, lateResolution ? (real === 'bug' ? 1440 : 2880) + between(60, 600) : between(lo, hi));
    push({ at: resolveAt, key, type: 'act', action: 'resolve', agent });
    const r = rnd();
    const answerAt = awake(new Date(resolveAt.getTime() + between(5, 900) * 60_000));
    if (r < 0.8) {
      push({ at: answerAt, key, type: 'survey', score: rnd() < 0.7 ? 5 : 4, comment: texts.goodComment(pick) || undefined });
      return { key, resolveAt, outcome: 'satisfied', text };
    }
    if (r < 0.9) {
      // Unsatisfied: the ticket reopens, the lead hears of it, the agent tries again.
      push({ at: answerAt, key, type: 'survey', score: pick([1, 2, 2, 3, 3]), comment: texts.badComment(pick) });
      const again = biz(answerAt, between(10, 90));
      push({ at: again, key, type: 'act', action: 'respond', text: texts.reopenReply(pick), agent });
      const resolved2 = biz(again, between(30, 240));
      push({ at: resolved2, key, type: 'act', action: 'resolve', agent });
      if (rnd() < 0.85)
        push({
          at: awake(new Date(resolved2.getTime() + between(10, 600) * 60_000)),
          key,
          type: 'survey',
          score: rnd() < 0.6 ? 4 : 5,
          comment: texts.goodComment(pick) || undefined,
        });
      return { key, resolveAt, outcome: 'reopened', text };
    }
    // No answer: the reminder goes out after a day; after the waiting period the sweep makes it the agent's 电话回访
    // task, and three failed calls on later working days close it as 「未评价（已回访 3 次未果）」.
    let call = new Date(resolveAt.getTime() + 3 * 86_400_000);
    for (let attempt = 1; attempt <= 3; attempt++) {
      call = biz(call, between(60, 400));
      push({
        at: call,
        key,
        type: 'visit',
        attempt,
        means: attempt === 2 ? '短信' : '电话',
        result: attempt === 2 ? '未回复' : pick(['未接通', '无人应答', '拒接']),
        agent,
      });
    }
    return { key, resolveAt, outcome: 'silent', text };
  }

  /** A second customer reporting the same thing: merged into the first ticket, told so, surveyed with it. */
  function duplicateOf(main: { key: string; resolveAt: Date }, arrival: Date, text: string) {
    const mergeAt = biz(arrival, between(3, 20));
    if (mergeAt >= main.resolveAt) return;
    const key = `t${++tickets}`;
    push({ at: arrival, key, type: 'message', customer: newCustomer(weighted(CHANNELS)), text: `我这边也一样：${text}` });
    push({ at: mergeAt, key, type: 'merge', into: main.key, agent: pick(DEMO_AGENTS) });
    push({ at: awake(new Date(main.resolveAt.getTime() + between(10, 300) * 60_000)), key, type: 'survey', score: rnd() < 0.8 ? 5 : 4 });
  }

  function incidentBurst(day: string) {
    const start = local(day, 10 * 60 + 5);
    const members: string[] = [];
    for (let i = 0; i < 24; i++) {
      const key = `t${++tickets}`;
      members.push(key);
      push({ at: new Date(start.getTime() + i * 35_000), key, type: 'message', customer: newCustomer(weighted(CHANNELS)), text: outageText(pick) });
    }
    const agent = DEMO_AGENTS[0];
    const replyAt = new Date(start.getTime() + 20 * 60_000);
    const resolveAt = new Date(start.getTime() + 95 * 60_000);
    push({ at: replyAt, key: members[0], type: 'incident', action: 'incident_reply', agent, text: OUTAGE_REPLY });
    push({ at: resolveAt, key: members[0], type: 'incident', action: 'incident_resolve', agent, text: OUTAGE_RESOLVED });
    members.forEach((key, i) => {
      if (i % 8 === 7) return; // silent: closed as 未评价
      const at = awake(new Date(resolveAt.getTime() + between(5, 400) * 60_000));
      if (i % 8 === 3) {
        push({ at, key, type: 'survey', score: 2, comment: '耽误了我一上午的工作' });
        const again = biz(at, between(10, 60));
        push({ at: again, key, type: 'act', action: 'respond', text: '非常抱歉耽误了您的工作，我们已补偿您一个月会员，并完善了故障预警。', agent });
        push({ at: biz(again, 5), key, type: 'act', action: 'resolve', agent });
        push({ at: awake(new Date(biz(again, 5).getTime() + between(30, 300) * 60_000)), key, type: 'survey', score: 4 });
      } else {
        push({ at, key, type: 'survey', score: rnd() < 0.7 ? 5 : 4 });
      }
    });
  }

  /** The major complaint: regulator and press threatened, the lead takes it, a refund, one reopening, satisfied. */
  function majorComplaint(day: string) {
    const key = 'major';
    const customer: DemoCustomer = { channel: 'feishu', externalId: 'demo-feishu-major', name: MAJOR.customer.name, phone: MAJOR.customer.phone };
    const lead = DEMO_LEAD;
    const t0 = local(day, 14 * 60 + 5);
    const m = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
    push({ at: t0, key, type: 'message', customer, text: MAJOR.opening });
    push({ at: m(6), key, type: 'act', action: 'claim', agent: lead });
    push({ at: m(12), key, type: 'act', action: 'respond', text: MAJOR.apology, agent: lead, waitForCustomer: true });
    push({ at: m(31), key, type: 'message', customer, text: MAJOR.details });
    push({ at: m(75), key, type: 'act', action: 'note', text: MAJOR.note, agent: lead });
    push({ at: m(80), key, type: 'act', action: 'escalate', text: MAJOR.escalation, agent: lead });
    const answer = local(addDays(day, 1), 10 * 60 + 20);
    const answerAt = calendar.isBusinessTime(answer) ? answer : biz(answer, 60);
    push({ at: answerAt, key, type: 'act', action: 'respond', text: MAJOR.answer, agent: lead });
    push({ at: new Date(answerAt.getTime() + 5 * 60_000), key, type: 'act', action: 'resolve', agent: lead });
    const unhappy = awake(new Date(answerAt.getTime() + 26 * 3_600_000));
    push({ at: unhappy, key, type: 'survey', score: 2, comment: MAJOR.unhappy });
    const chase = biz(unhappy, 25);
    push({ at: chase, key, type: 'act', action: 'respond', text: MAJOR.chase, agent: lead });
    const received = awake(new Date(chase.getTime() + 5 * 3_600_000));
    push({ at: received, key, type: 'message', customer, text: MAJOR.received });
    const closing = biz(received, 15);
    push({ at: closing, key, type: 'act', action: 'respond', text: MAJOR.closing, agent: lead });
    push({ at: new Date(closing.getTime() + 60_000), key, type: 'act', action: 'resolve', agent: lead });
    push({ at: awake(new Date(closing.getTime() + 40 * 60_000)), key, type: 'survey', score: 5, comment: MAJOR.satisfied });
  }

  const lastDay = calendar.localDate(opts.endAt);
  const firstDay = addDays(lastDay, -opts.days);
  const workingDays: string[] = [];
  for (let day = firstDay; day <= lastDay; day = addDays(day, 1)) {
    const info = calendar.dayInfo(day);
    if (info.working) workingDays.push(day);
    // Days off keep a trickle (a tenth of a working day, less on holidays): someone always writes.
    const count = Math.max(
      info.working ? 1 : 0,
      Math.round(opts.perWorkingDay * (info.working ? between(0.8, 1.2) : info.kind === 'holiday' ? between(0.04, 0.12) : between(0.08, 0.2))),
    );
    for (let i = 0; i < count; i++) {
      let hour = 0;
      let x = rnd() * HOURS.reduce((s, w) => s + w, 0);
      while ((x -= HOURS[hour]) >= 0) hour++;
      const arrival = local(day, hour * 60 + between(0, 60));
      const main = ticket(arrival);
      // About one ticket in forty has a second customer with the same problem, merged into it.
      if (main.outcome === 'satisfied' && rnd() < 0.025) duplicateOf(main, new Date(arrival.getTime() + between(10, 50) * 60_000), main.text);
    }
  }
  // The stories: the major complaint about three months back, the outage burst about two months back.
  if (workingDays.length > 10) {
    majorComplaint(workingDays[Math.floor(workingDays.length * 0.45)]);
    incidentBurst(workingDays[Math.floor(workingDays.length * 0.65)]);
  }

  const order = new Map(steps.map((s, i) => [s, i]));
  return steps.filter((s) => s.at <= opts.endAt).sort((a, b) => a.at.getTime() - b.at.getTime() || order.get(a)! - order.get(b)!);
}
