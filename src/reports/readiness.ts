/**
 * Gathers the facts of the 预审自检 (core/readiness.ts) from the live service: config, the probe log, the last six
 * months of metrics, open breaches, the event log, the holiday data, and the public pages as a reviewer's browser
 * would fetch them. A page that cannot be fetched from here is reported as such, never as a pass.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  evaluateReadiness,
  readinessLines,
  readinessSummary,
  wholeMonthsBetween,
  type ChannelFact,
  type PageFact,
  type ReadinessFacts,
  type ReadinessItem,
} from '../core/readiness.ts';
import { FIRST_RESPONSE_TARGET } from '../console/overview-data.ts';
import { CHANNEL_LABELS } from '../desk/view.ts';
import { COMPANY_PLACEHOLDER, customerChannels } from '../promise/content.ts';
import { probeDrivers, STEP_LABELS, type ProbeResult } from '../probes/run.ts';
import { kvGet } from '../probes/kv.ts';
import type { Services } from '../services.ts';
import { verifyChains } from './auditpack.ts';
import { reviewWindow, type DateRange } from './range.ts';
import { rawQuery } from './source.ts';
import { computeStats } from './stats.ts';
import { statsDeps } from './stats.ts';
import { NAME_MISSING } from './wording.ts';

/** Fetches a path of the service as a visitor would; tests pass `app.request`. */
export type PageFetcher = (path: string) => Promise<{ status: number; text: string }>;

const PAGE_TIMEOUT_MS = 5_000;

/** Default: over the network at PUBLIC_BASE_URL, which is what a reviewer (or the company's website) reaches. */
export function publicFetcher(baseUrl: string): PageFetcher {
  return async (path) => {
    const res = await fetch(new URL(path, baseUrl), { signal: AbortSignal.timeout(PAGE_TIMEOUT_MS), redirect: 'follow' });
    return { status: res.status, text: await res.text() };
  };
}

async function checkPage(fetchPage: PageFetcher, path: string, baseUrl: string, test: (html: string) => string | null): Promise<PageFact> {
  const url = new URL(path, baseUrl).toString();
  let res;
  try {
    res = await fetchPage(path);
  } catch (e) {
    // The platform's own error text ('fetch failed') reads as noise to a reviewer: say what it means.
    return { ok: false, detail: `无法访问 ${url}（${(e as Error).name === 'TimeoutError' ? '超时' : '网络不通'}）` };
  }
  if (res.status !== 200) return { ok: false, detail: `${url} 返回 HTTP ${res.status}` };
  const problem = test(res.text);
  return problem ? { ok: false, detail: `${url}：${problem}` } : { ok: true, detail: `${url} 可访问` };
}

/** A privacy notice the customer sees before submitting: a 隐私 / 个人信息 section or link on the form. */
const PRIVACY = /隐私|个人信息(保护|处理|收集)/;

async function channelFacts(services: Services): Promise<ChannelFact[]> {
  const drivers = probeDrivers(services);
  // Public channels are the customer-facing kinds we know (CHANNEL_LABELS); probes and other internal surfaces are not.
  const names = customerChannels(services.channels.map((c) => c.name)).filter((n) => n in CHANNEL_LABELS);
  const out: ChannelFact[] = [];
  for (const name of names) {
    const last = await kvGet<ProbeResult>(services.database.db, `probe:last:${name}`);
    out.push({
      name,
      label: CHANNEL_LABELS[name] ?? name,
      probed: drivers.has(name),
      lastProbeAt: last ? new Date(last.at) : null,
      lastProbeOk: last ? last.ok : null,
      failedStep: last?.failedStep ? STEP_LABELS[last.failedStep] : null,
    });
  }
  return out;
}

export async function readinessFacts(services: Services, opts: { fetchPage?: PageFetcher; range?: DateRange } = {}): Promise<ReadinessFacts> {
  const { config, calendar, env } = services;
  const now = services.clock.now();
  const range = opts.range ?? reviewWindow(now, calendar);
  const fetchPage = opts.fetchPage ?? publicFetcher(env.PUBLIC_BASE_URL);
  const base = env.PUBLIC_BASE_URL;
  const names = (list: Array<{ name?: string; userId: string }>) => list.map((p) => p.name ?? NAME_MISSING);
  const stats = await computeStats(statsDeps(services), range);
  const complaint = stats.byCategory.find((c) => c.key === 'complaint')?.metrics;
  const db = services.database;

  // Go-live is Loopdesk's own first ticket: records imported from an old ledger are not months of Loopdesk records.
  const [first] = await rawQuery<{ at: string | Date | null }>(db, `select min(created_at) as at from tickets where not is_probe and imported is null`, []);
  const firstTicketAt = first?.at ? new Date(first.at) : null;
  const breaches = await rawQuery<{ code: string }>(
    db,
    `select code from tickets where not is_probe and status in ('new', 'claimed', 'responded', 'reopened')
       and ((first_response_at is null and first_response_due_at < $1) or (resolved_at is null and resolution_due_at < $1 and sla_paused_since is null))
     order by created_at`,
    [now.toISOString()],
  );
  const majors = await rawQuery<{ code: string; status: string }>(
    db,
    `select code, status from tickets where not is_probe and is_major and created_at >= $1 and created_at < $2 order by created_at desc`,
    [range.from.toISOString(), range.to.toISOString()],
  );

  const dir = await mkdtemp(join(tmpdir(), 'loopdesk-readiness-'));
  let chains;
  try {
    chains = await verifyChains({ database: db }, range, join(dir, 'heads.csv'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const year = Number(calendar.localDate(now).slice(0, 4));
  return {
    now,
    companyName: config.company.name === COMPANY_PLACEHOLDER ? null : config.company.name,
    roles: await rolesOf(services, names),
    channels: await channelFacts(services),
    promisePage: await checkPage(fetchPage, '/promise', base, (html) => (html.includes('服务承诺') ? null : '页面上没有服务承诺内容')),
    privacyNotice: await checkPage(fetchPage, '/feedback', base, (html) => (PRIVACY.test(html) ? null : '表单页面上没有隐私说明（个人信息的收集与使用）')),
    firstTicketAt,
    monthsOfRecords: firstTicketAt ? wholeMonthsBetween(firstTicketAt, now) : 0,
    firstResponse: {
      metRate: stats.metrics.firstResponse.metRate,
      decided: stats.metrics.firstResponse.met + stats.metrics.firstResponse.breached,
      target: FIRST_RESPONSE_TARGET,
    },
    complaints: { rate: complaint?.resolution.rate ?? null, received: complaint?.received ?? 0, reference: stats.metrics.resolution.reference },
    survey: { sent: stats.metrics.survey.sent, unrated: stats.metrics.survey.unrated },
    openBreaches: breaches.map((b) => b.code),
    majorCases: { total: majors.length, closed: majors.filter((m) => m.status === 'closed').map((m) => m.code) },
    eventLog: { tickets: chains.tickets, broken: chains.broken.map((b) => b.code) },
    holidays: {
      year,
      currentLoaded: calendar.hasDataFor(year),
      nextYear: year + 1,
      nextLoaded: calendar.hasDataFor(year + 1),
      fromNovember: calendar.localDate(now).slice(5, 7) >= '11',
    },
  };
}

export async function runReadiness(services: Services, opts: { fetchPage?: PageFetcher; range?: DateRange } = {}): Promise<ReadinessItem[]> {
  return evaluateReadiness(await readinessFacts(services, opts));
}

/** The text the CLI prints and the group command answers. */
export function readinessText(items: readonly ReadinessItem[]): string {
  return [readinessSummary(items), '', ...readinessLines(items)].join('\n');
}

/**
 * Who holds each role: the people named in the config, and the active local console accounts (a team without a chat
 * platform names its people with `loopdesk user add`).
 */
async function rolesOf(services: Services, names: (list: Array<{ name?: string; userId: string }>) => string[]): Promise<ReadinessFacts['roles']> {
  const { config } = services;
  const local = await rawQuery(services.database, `select name, role from local_accounts where disabled_at is null order by id`, []);
  const localOf = (role: string) => local.filter((a) => a.role === role).map((a) => String(a.name));
  const unique = (list: string[]) => [...new Set(list)];
  return {
    agents: unique([...names(config.roles.agents), ...localOf('agent')]),
    leads: unique([...names(config.roles.leads), ...localOf('lead')]),
    admins: unique([...names(config.roles.admins), ...localOf('admin')]),
  };
}
