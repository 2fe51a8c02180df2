/**
 * The agents' group commands of the reporting area: /stats, /open, /mine, /sla, /ledger, /case, /report,
 * /auditpack. Channel-neutral: they answer CommandReply values that each channel renders (the stats answer is a
 * `card` reply: Feishu JSON 2.0 in `card`, markdown in `text` for the others).
 */
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { SlaView } from '../../cards/view.ts';
import { statsView } from '../../cards/stats.ts';
import { DEMO_LABEL, isDemoDatabase } from '../demo/marker.ts';
import { renderStatsCard } from '../../cards/feishu/stats.ts';
import { categoryOf } from '../config.ts';
import { formatMinutes } from '../core/sla.ts';
import { STATUS_LABELS, type Status } from '../core/ticket.ts';
import { agents, tickets } from '../db/schema/index.ts';
import type { CommandContext, CommandReply, CommandSpec } from '../desk/commands.ts';
import { loadPeople } from '../desk/people.ts';
import { DeskError } from '../desk/errors.ts';
import { slaView } from '../desk/view.ts';
import type { Services } from '../services.ts';
import { writeAuditPack } from './auditpack.ts';
import { buildCase } from './case.ts';
import { localTimeFormatter } from './format.ts';
import { writeLedgerXlsx, xlsxLedgerAvailable, XLSX_UNAVAILABLE } from './ledger.ts';
import { mechanismMarkdown } from './mechanism.ts';
import { runReadiness } from './readiness.ts';
import { readinessLines, readinessSummary } from '../core/readiness.ts';
import { BadRangeError, reviewWindow, parseFromTo, parsePeriod, type DateRange } from './range.ts';
import { computeStats, statsDeps, type StatsResult } from './stats.ts';
import { cutText } from '../core/text.ts';
import { TICKET_CODE_TYPED } from '../core/ticket-code.ts';

const CODE = TICKET_CODE_TYPED;
const LIST_LIMIT = 20;
const WORKING: Status[] = ['new', 'claimed', 'responded', 'reopened'];

export { statsDeps };

/** 制表人 of a file a chat command exports: the person who typed it, by name (desk/people.ts). */
async function exporter(services: Services, actor: CommandContext['input']['actor']): Promise<string | null> {
  return (await loadPeople(services.database.db, services.config))(actor);
}

export function categoryNames(services: Pick<Services, 'config'>): Record<string, string> {
  return Object.fromEntries(services.config.categories.map((c) => [c.id, c.name]));
}

/**
 * The stats answer: `card` is the Feishu card JSON 2.0 (with the chart elements), which the Feishu sender posts as
 * an interactive message as it is; `text` is the markdown every other surface (DingTalk) shows instead.
 */
export function statsReply(services: Pick<Services, 'config' | 'calendar'>, stats: StatsResult, title?: string, demo = false): CommandReply {
  const generatedAt = localTimeFormatter(services.calendar.timeZone)(stats.generatedAt);
  const view = statsView(stats, { title, mark: demo ? `【${DEMO_LABEL}】` : undefined, categoryNames: categoryNames(services), generatedAt });
  return { kind: 'card', card: renderStatsCard(view), text: view.markdown };
}

function rangeArgs(services: Services, args: string[], fallback: () => DateRange): DateRange {
  try {
    return parseFromTo(args[0], args[1], services.clock.now(), services.calendar, fallback);
  } catch (e) {
    if (e instanceof BadRangeError) throw new DeskError('invalid', e.message);
    throw e;
  }
}

/** Exports wait in the temp dir until the channel uploads them (outbox retries included); a day later they go. */
function exportPath(name: string): string {
  const dir = join(tmpdir(), 'loopdesk-exports');
  mkdirSync(dir, { recursive: true });
  const cutoff = Date.now() - 86_400_000;
  for (const f of readdirSync(dir)) {
    try {
      if (statSync(join(dir, f)).mtimeMs < cutoff) rmSync(join(dir, f), { force: true });
    } catch {
      // another process pruned it first
    }
  }
  return join(dir, `${randomBytes(6).toString('hex')}-${name}`);
}

interface BacklogLine {
  code: string;
  line: string;
  worst: SlaView['state'];
  dueAt: string | null;
}

async function backlog(services: Services, where: { assigneeId?: number }): Promise<BacklogLine[]> {
  const db = services.database.db;
  const now = services.clock.now();
  const rows = await db
    .select({ t: tickets, a: agents })
    .from(tickets)
    .leftJoin(agents, eq(agents.id, tickets.assigneeId))
    .where(
      and(inArray(tickets.status, WORKING), eq(tickets.isProbe, false), where.assigneeId !== undefined ? eq(tickets.assigneeId, where.assigneeId) : undefined),
    )
    .orderBy(asc(tickets.createdAt), asc(tickets.id))
    .limit(500);
  const rank: Record<SlaView['state'], number> = { breached: 5, due_soon: 4, paused: 3, on_track: 2, met: 1, none: 0 };
  return rows.map(({ t, a }) => {
    const views = (['first', 'next', 'resolution'] as const).map((target) => ({ target, view: slaView(t, services.calendar, now, target) }));
    const open = views.filter((v) => v.view.state !== 'met' && v.view.state !== 'none');
    const worst = open.sort((x, y) => rank[y.view.state] - rank[x.view.state])[0];
    const label = { first: '首次响应', next: '后续响应', resolution: '解决' } as const;
    const sla = worst ? `${label[worst.target]}${worst.view.label}` : '无进行中的时限';
    const age = formatMinutes((now.getTime() - t.createdAt.getTime()) / 60_000, 'calendar');
    const icon = worst?.view.state === 'breached' ? '🔴' : worst?.view.state === 'due_soon' ? '🟠' : '🟢';
    return {
      code: t.code,
      worst: worst?.view.state ?? 'none',
      dueAt: worst?.view.dueAt ?? null,
      line: `${icon} **${t.code}** ${categoryOf(services.config, t.category).name}${t.isMajor ? '·重大' : ''}｜${STATUS_LABELS[t.status] ?? t.status}｜${a ? (a.name ?? a.userId) : '未认领'}｜已等 ${age}｜${sla}\n　${cutText(t.subject, 60)}`,
    };
  });
}

function listReply(title: string, lines: BacklogLine[], empty: string): CommandReply {
  if (lines.length === 0) return { kind: 'markdown', title, markdown: empty };
  const shown = lines.slice(0, LIST_LIMIT).map((l) => l.line);
  const more = lines.length > LIST_LIMIT ? `\n\n……另有 ${lines.length - LIST_LIMIT} 张，按收到时间从早到晚排列。` : '';
  return { kind: 'markdown', title: `${title}（${lines.length}）`, markdown: shown.join('\n') + more };
}

async function agentIdOf(services: Services, platform: string, userId: string): Promise<number | null> {
  const [a] = await services.database.db
    .select({ id: agents.id })
    .from(agents)
    .where(and(eq(agents.platform, platform), eq(agents.userId, userId)));
  return a?.id ?? null;
}

export const reportCommandSpecs: Record<string, CommandSpec<Services>> = {
  stats: {
    usage: '/stats [today|yesterday|week|month|近6个月|YYYY-MM|YYYY-MM-DD]',
    summary: '数据统计卡片（工单量、首次响应及时率、解决率、满意度，附图表）',
    async run({ services, args }) {
      const range = parsePeriod(args[0], services.clock.now(), services.calendar);
      if (!range || args.length > 1) throw new DeskError('invalid', `无法识别的时间范围：${args.join(' ')}`);
      return statsReply(services, await computeStats(statsDeps(services), range), undefined, await isDemoDatabase(services.database));
    },
  },
  open: {
    usage: '/open',
    summary: '未解决的工单（含时限状态，最早的在前）',
    async run({ services }) {
      return listReply('未解决工单', await backlog(services, {}), '没有未解决的工单。');
    },
  },
  mine: {
    usage: '/mine',
    summary: '我负责的未解决工单',
    async run({ services, input }) {
      const id = await agentIdOf(services, input.actor.platform, input.actor.userId);
      const lines = id === null ? [] : await backlog(services, { assigneeId: id });
      return listReply('我的未解决工单', lines, '你名下没有未解决的工单。');
    },
  },
  sla: {
    usage: '/sla',
    summary: '即将超时和已超时的工单',
    async run({ services }) {
      const lines = (await backlog(services, {})).filter((l) => l.worst === 'breached' || l.worst === 'due_soon');
      lines.sort((a, b) => (a.worst === b.worst ? (a.dueAt ?? '').localeCompare(b.dueAt ?? '') : a.worst === 'breached' ? -1 : 1));
      return listReply('时限告警', lines, '✅ 当前没有即将超时或已超时的工单。');
    },
  },
  ledger: {
    usage: '/ledger [起始 YYYY-MM-DD|YYYY-MM] [结束]',
    summary: '导出投诉处理台账 Excel（默认最近 6 个月至今天，本月标注未结束，客户信息脱敏）',
    async run({ services, args, input }) {
      if (!xlsxLedgerAvailable()) return { kind: 'text', text: XLSX_UNAVAILABLE };
      const now = services.clock.now();
      const range = rangeArgs(services, args, () => reviewWindow(now, services.calendar));
      const name = `投诉处理台账_${range.fromDay}_${range.toDay}.xlsx`;
      const path = exportPath(name);
      const summary = await writeLedgerXlsx(statsDeps(services), range, path, { source: '客服群命令导出', by: await exporter(services, input.actor) });
      const rate = summary.total.resolution.rate;
      return {
        kind: 'file',
        path,
        name,
        text: `台账 ${range.fromDay} 至 ${range.toDay}：${summary.rows} 件工单，解决率 ${rate === null ? '—' : `${(rate * 100).toFixed(1)}%`}（参考值 92% 为行业数字，非规定）。客户信息已脱敏。`,
      };
    },
  },
  case: {
    usage: '/case 工单号',
    summary: '单个工单的完整处理记录（处理经过、时间线、时限、回访、哈希链校验）',
    async run({ services, args, input }) {
      const code = args[0]?.toUpperCase();
      if (!code || !CODE.test(code)) throw new DeskError('invalid', '请提供工单号，例如 FB-20260302-0001');
      const doc = await buildCase(statsDeps(services), code, { by: await exporter(services, input.actor) });
      if (!doc) throw new DeskError('not_found', `找不到工单 ${code}`);
      return { kind: 'markdown', title: doc.title, markdown: doc.markdown };
    },
  },
  report: {
    usage: '/report [起始] [结束]',
    summary: '生成《客户反馈处理机制说明》（默认最近 6 个月至今天，本月标注未结束的数据）',
    async run({ services, args, input }) {
      const now = services.clock.now();
      const range = rangeArgs(services, args, () => reviewWindow(now, services.calendar));
      const markdown = await mechanismMarkdown(
        { ...statsDeps(services), channels: services.channels.map((c) => c.name), evidenceKeyed: Boolean(services.env.EVIDENCE_KEY) },
        range,
        {
          by: await exporter(services, input.actor),
        },
      );
      return { kind: 'markdown', title: `${services.config.company.name} 客户反馈处理机制说明`, markdown };
    },
  },
  readiness: {
    usage: '/readiness',
    summary: '预审自检：逐项检查审核要点（通过 / 注意 / 未通过）并给出修复办法',
    async run({ services }) {
      const items = await runReadiness(services);
      return {
        kind: 'markdown',
        title: readinessSummary(items),
        markdown: readinessLines(items)
          .map((l) => `- ${l}`)
          .join('\n'),
      };
    },
  },
  auditpack: {
    usage: '/auditpack [起始] [结束]',
    summary: '审核材料包 zip（台账、机制说明、重大投诉记录、服务承诺、校验清单）',
    minRole: 'admin',
    async run({ services, args, input }) {
      if (!xlsxLedgerAvailable()) return { kind: 'text', text: XLSX_UNAVAILABLE };
      const now = services.clock.now();
      const range = rangeArgs(services, args, () => reviewWindow(now, services.calendar));
      const name = `审核材料_${range.fromDay}_${range.toDay}.zip`;
      const path = exportPath(name);
      const pack = await writeAuditPack(
        { ...statsDeps(services), channels: services.channels.map((c) => c.name), evidenceKeyed: Boolean(services.env.EVIDENCE_KEY) },
        range,
        path,
        {
          source: '客服群命令生成',
          by: await exporter(services, input.actor),
          evidenceKey: services.env.EVIDENCE_KEY,
          screenshots: async (dir) => (await import('../screenshots/audit.ts')).auditScreenshots(services, dir),
          readiness: await runReadiness(services),
        },
      );
      return {
        kind: 'file',
        path,
        name,
        text: `审核材料包 ${range.fromDay} 至 ${range.toDay}：${pack.files.length} 个文件，${pack.ledger.rows} 件工单，重大投诉 ${pack.majorComplaints.length} 件，哈希链 ${pack.chains.intact}/${pack.chains.tickets} 完整。`,
      };
    },
  },
};

/** Called once from desk/commands.ts after its own commands, so `/case` here replaces the plain one. */
export function registerReportCommands(register: (name: string, spec: CommandSpec<Services>) => void): void {
  for (const [name, spec] of Object.entries(reportCommandSpecs)) register(name, spec);
}
