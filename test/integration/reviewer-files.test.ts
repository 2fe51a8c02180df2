/**
 * Issue 20, items 5–7 on a realistic week (reports.fixture.ts), on both databases:
 * - definitions: each rate differs on the fixture, and each file prints the same 口径说明;
 * - one window: "近 6 个月" is the same dates in the console, the ledger, the audit pack and /stats;
 * - an unfinished month is marked in every file (ledger XLSX and CSV, audit pack, mechanism description, stats);
 * - probes: their own TC- prefix and counter, FB codes gapless around them, listed apart in the pack;
 * - no English or developer words in any reviewer-facing file (test/helpers/reviewer-words.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TICKET_CODE, TICKET_CODE_TYPED } from '../../src/core/ticket-code.ts';
import { overviewData } from '../../src/console/overview-data.ts';
import { runCommand } from '../../src/desk/commands.ts';
import { buildCase } from '../../src/reports/case.ts';
import { reportCommands } from '../../src/reports/cli.ts';
import { statsDeps } from '../../src/reports/commands.ts';
import { mechanismDocx } from '../../src/reports/mechanism-docx.ts';
import { mechanismMarkdown } from '../../src/reports/mechanism.ts';
import { parseFromTo, parsePeriod, reviewWindow } from '../../src/reports/range.ts';
import { computeStats } from '../../src/reports/stats.ts';
import { dbKinds } from '../helpers/db.ts';
import { recordingChannel } from '../helpers/recording-channel.ts';
import { docxText, scanFiles, scanText, visibleText, workbookText } from '../helpers/reviewer-words.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';
import { AGENT, buildWeek, REPORT_AT, type Week } from './reports.fixture.ts';

/** What customers typed in the fixture: quoted as evidence, exempt from the words scan. */
const CUSTOMER_TEXT = ['APP 登录后闪退，报错 500'];

describe.each(dbKinds)('reviewer-facing files on %s', (kind) => {
  let t: TestDesk;
  let week: Week;
  let dir: string;
  let pack: Record<string, Uint8Array>;
  const cli = (argv: string[]) => {
    const lines: string[] = [];
    return { run: (name: string) => reportCommands[name](argv, { services: t.services, out: (s: string) => void lines.push(s), cwd: dir }), lines };
  };

  beforeAll(async () => {
    t = await createTestDesk({
      kind,
      now: REPORT_AT,
      channels: [recordingChannel('feishu').factory],
      config: {
        company: { name: '临港某科技有限公司', nameEn: 'Lingang Tech' },
        // An agent whose name nobody entered: the files say 姓名未登记, never the platform id.
        roles: {
          agents: [AGENT, { platform: 'feishu', userId: 'ou_noname' }],
          leads: [{ platform: 'feishu', userId: 'ou_lead', name: '陈主管' }],
          admins: [{ platform: 'feishu', userId: 'ou_admin', name: '管理员' }],
        },
      },
    });
    week = await buildWeek(t);
    dir = mkdtempSync(join(tmpdir(), 'reviewer-files-'));
    // The month of the report (2026-03) is still running on 03-09: the pack of March is marked unfinished.
    expect(await cli(['--from', '2026-03', '--out', 'pack.zip']).run('audit-pack')).toBe(0);
    pack = unzipSync(new Uint8Array(readFileSync(join(dir, 'pack.zip'))));
  }, 180_000); // the pack takes its screenshots when Chromium is here: slow on a loaded machine
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  it('gives probes their own TC- codes and counter, so the FB numbers are gapless around them', () => {
    // G, A, C were received before the probe D on 03-02, B after it: FB 0001–0004 without a hole, D is TC 0001.
    expect([week.G, week.A, week.C, week.B]).toEqual(['FB-20260302-0001', 'FB-20260302-0002', 'FB-20260302-0003', 'FB-20260302-0004']);
    expect(week.D).toBe('TC-20260302-0001');
    for (const code of [week.D, week.A]) expect(TICKET_CODE.test(code) && TICKET_CODE_TYPED.test(code.toLowerCase())).toBe(true);
    expect(TICKET_CODE.test('XX-20260302-0001')).toBe(false);
  });

  it('a probe code is understood wherever codes are typed (/case)', async () => {
    const reply = await runCommand(t.services, { text: `/case ${week.D.toLowerCase()}`, actor: AGENT, viaAgentGroup: true, surface: 'feishu' });
    expect(reply).toMatchObject({ kind: 'markdown', title: `工单 ${week.D} 处理记录` });
  });

  it('computes rates that differ on the fixture, each by its one definition', async () => {
    const m = (
      await computeStats(
        statsDeps(t.services),
        parseFromTo('2026-03', undefined, t.clock.now(), t.services.calendar, () => reviewWindow(t.clock.now(), t.services.calendar)),
      )
    ).metrics;
    // received 6 (G A C B E F; the probe D is not counted); F (suggestion) has no resolution promise.
    expect(m.received).toBe(6);
    expect(m.resolution).toMatchObject({
      resolved: 4,
      confirmed: 2,
      withTarget: 5,
      excludedNoTarget: 1,
      awaitingSurvey: 1,
      unrated: 1,
      unratedAfterFollowUp: 0,
    });
    const rates = {
      解决率: m.resolution.rate, // A, C confirmed ÷ 5 with a promise
      满意归档率: m.resolution.satisfiedRate, // A, C ÷ 6 received
      满意占比: m.survey.satisfiedShare, // 2 satisfied ÷ 2 answered
      回访应答率: m.survey.responseRate, // 2 answered ÷ 4 surveyed (G A C B)
      首次响应及时率: m.firstResponse.metRate,
    };
    expect(rates).toEqual({ 解决率: 0.4, 满意归档率: 2 / 6, 满意占比: 1, 回访应答率: 0.5, 首次响应及时率: 3 / 5 });
    expect(new Set(Object.values(rates)).size).toBe(5);
  });

  it('prints the same definitions wherever the figures are: ledger 说明, mechanism description, audit pack 说明, console', async () => {
    const md = strFromU8(pack['客户反馈处理机制说明.md']);
    const notes = strFromU8(pack['说明.md']);
    const wb = await workbookText(pack['台账_2026-03-01_2026-03-31.xlsx']);
    const definition = '客户确认解决的工单数 ÷ 有解决时限的工单数';
    for (const text of [md, notes, wb]) {
      expect(text).toContain('口径说明');
      expect(text).toContain(definition);
      expect(text).toContain('媒体报道的临港试点审核通过企业平均投诉解决率，仅作行业参考，不是监管规定的达标线');
      expect(text).toContain('建议');
    }
    expect(md).toContain(
      '全部类别解决率 **40.0%**（客户确认解决 2 件 ÷ 有解决时限的工单 5 件；无解决时限的建议等 1 件不计入）；另有已解决·待回访 1 件、未评价 1 件',
    );
    expect(md).toContain('投诉解决率 **0.0%**，参考值 92%（注）');
    expect(md).toContain('满意归档率 **33.3%**（满意归档 ÷ 收到），满意占比 **100.0%**（满意 ÷ 已评价），回访应答率 **50.0%**');
    expect(md).toContain('计时方式与承诺一致：产品故障、投诉、咨询、建议、其他按工作时间计');
    const console = visibleText(
      String(
        await (await import('../../src/console/pages/overview.tsx')).OverviewPage({
          data: await overviewData(t.services, { fresh: true }),
          config: t.services.config,
          timeZone: 'Asia/Shanghai',
          canSeeDefinitions: true,
        }),
      ),
    );
    expect(console).toContain(definition);
    const { LedgerPage } = await import('../../src/console/pages/ledger.tsx');
    const { rangeMonths } = await import('../../src/console/overview-data.ts');
    const range = reviewWindow(t.clock.now(), t.services.calendar);
    const page = visibleText(String(LedgerPage({ range, ...(await rangeMonths(t.services, range)), csrf: 'x', canUnmask: false, config: t.services.config })));
    expect(page).toContain(definition);
    expect(page).toContain('2026-03（未结束）');
  });

  it('uses one window for "近 6 个月": the same dates in the console, the ledger default, /stats and the audit pack default', async () => {
    const now = t.clock.now();
    const window = reviewWindow(now, t.services.calendar);
    expect(window).toMatchObject({ fromDay: '2025-09-01', toDay: '2026-03-09', unfinishedMonth: '2026-03' });
    expect((await overviewData(t.services, { fresh: true })).range).toMatchObject({ fromDay: window.fromDay, toDay: window.toDay });
    expect(parsePeriod('近6个月', now, t.services.calendar)).toMatchObject({ fromDay: window.fromDay, toDay: window.toDay, label: window.label });
    const stats = await runCommand(t.services, { text: '/stats 近6个月', actor: AGENT, viaAgentGroup: true, surface: 'feishu' });
    expect(JSON.stringify(stats)).toContain(window.label);
    const ledger = cli(['--out', 'default.xlsx']);
    expect(await ledger.run('ledger')).toBe(0);
    const notes = await workbookText(new Uint8Array(readFileSync(join(dir, 'default.xlsx'))));
    expect(notes).toContain(`${window.fromDay} 至 ${window.toDay}`);
    const packCli = cli(['--out', 'default.zip']);
    expect(await packCli.run('audit-pack')).toBe(0);
    expect(Object.keys(unzipSync(new Uint8Array(readFileSync(join(dir, 'default.zip')))))).toContain(`台账_${window.fromDay}_${window.toDay}.xlsx`);
  }, 120_000);

  it('marks the unfinished month in every file: ledger XLSX and CSV, audit pack 说明 and manifest, mechanism description, stats card', async () => {
    const note = '2026-03 尚未结束，该月数字截至 2026-03-09';
    // March asked for on 03-09: the range runs to 03-31 but the month is not over.
    expect(await workbookText(pack['台账_2026-03-01_2026-03-31.xlsx'])).toContain(note);
    expect(strFromU8(pack['说明.md'])).toContain(note);
    expect(strFromU8(pack['客户反馈处理机制说明.md'])).toContain(note);
    expect(docxText(pack['客户反馈处理机制说明.docx'])).toContain('2026-03（未结束）');
    expect(JSON.parse(strFromU8(pack['manifest.json'])).incompleteMonths).toContainEqual({ month: '2026-03', reason: expect.stringContaining('尚未结束') });
    expect(await cli(['--from', '2026-03', '--csv', '--out', 'march.csv']).run('ledger')).toBe(0);
    expect(readFileSync(join(dir, 'march.csv'), 'utf8').split('\r\n')[0]).toContain(note);
    const stats = await runCommand(t.services, { text: '/stats 2026-03', actor: AGENT, viaAgentGroup: true, surface: 'feishu' });
    expect(JSON.stringify(stats)).toContain(note);
    // A finished month is not marked.
    expect(await cli(['--from', '2026-02', '--csv', '--out', 'feb.csv']).run('ledger')).toBe(0);
    expect(readFileSync(join(dir, 'feb.csv'), 'utf8')).not.toContain('尚未结束');
  });

  it('keeps probes apart in the pack: own chain-heads file, the manifest, and 说明 says what was left out and why', () => {
    const heads = strFromU8(pack['事件日志链头.csv']);
    const probeHeads = strFromU8(pack['事件日志链头_拨测工单.csv']);
    expect(heads).not.toContain('TC-');
    expect(heads).toContain(`${week.A},`);
    expect(probeHeads).toContain(`${week.D},`);
    const manifest = JSON.parse(strFromU8(pack['manifest.json']));
    expect(manifest.eventLog).toMatchObject({ tickets: 6, probeTickets: [week.D] });
    const notes = strFromU8(pack['说明.md']);
    expect(notes).toMatch(/拨测工单 1 件（编号以 TC 开头/);
    expect(notes).toContain('被合并的重复工单');
    const md = strFromU8(pack['客户反馈处理机制说明.md']);
    expect(md).not.toMatch(/probes|拨测（区间内/);
  });

  it('has no English or developer words in any reviewer-facing file (audit pack, ledger CSV, case report)', async () => {
    const findings = await scanFiles(Object.fromEntries(Object.entries(pack).filter(([n]) => n !== 'manifest.json')), CUSTOMER_TEXT);
    // The machine manifest keeps its keys; its labels are Chinese.
    const manifest = JSON.parse(strFromU8(pack['manifest.json']));
    findings.push(
      ...scanText(
        'manifest.json labels',
        [manifest.title, ...Object.values(manifest.labels as Record<string, string>), ...manifest.files.map((f: { label: string }) => f.label)].join('\n'),
      ),
    );
    expect(await cli(['--from', '2026-03', '--csv', '--out', 'words.csv']).run('ledger')).toBe(0);
    findings.push(...scanText('台账.csv', readFileSync(join(dir, 'words.csv'), 'utf8'), CUSTOMER_TEXT));
    for (const code of [week.G, week.B, week.D]) {
      const doc = (await buildCase(statsDeps(t.services), code))!;
      findings.push(...scanText(`${code}.md`, doc.markdown, CUSTOMER_TEXT), ...scanText(`${code}.html`, visibleText(doc.html), CUSTOMER_TEXT));
    }
    const docx = docxText(
      await mechanismDocx(
        { ...statsDeps(t.services), channels: ['web', 'feishu', 'probes'] },
        parseFromTo('2026-03', undefined, t.clock.now(), t.services.calendar, () => reviewWindow(t.clock.now(), t.services.calendar)),
      ),
    );
    findings.push(...scanText('机制说明.docx', docx));
    const md = await mechanismMarkdown({ ...statsDeps(t.services), channels: ['web', 'feishu', 'probes'] }, reviewWindow(t.clock.now(), t.services.calendar));
    findings.push(...scanText('机制说明.md', md));
    expect(findings.map((f) => `${f.file}: 「${f.match}」（${f.why}）… ${f.context}`)).toEqual([]);
  });

  it('names an unnamed handler 姓名未登记 in the ledger and the case report, never by platform id', async () => {
    const r = await t.desk.intake({
      channel: 'web',
      dedupeKey: 'noname-1',
      customer: { externalId: 'v-n', name: '吴十' },
      replyTo: { visitor: 'v-n' },
      text: '发票抬头写错了',
    });
    await t.desk.act({ ticket: r.code, actor: { platform: 'feishu', userId: 'ou_noname' }, viaAgentGroup: true, action: 'claim' });
    await t.desk.act({ ticket: r.code, actor: { platform: 'feishu', userId: 'ou_noname' }, viaAgentGroup: true, action: 'respond', text: '已为您重开发票。' });
    expect(await cli(['--from', '2026-03', '--csv', '--out', 'noname.csv']).run('ledger')).toBe(0);
    const csv = readFileSync(join(dir, 'noname.csv'), 'utf8');
    const doc = (await buildCase(statsDeps(t.services), r.code))!;
    for (const text of [csv, doc.markdown]) {
      expect(text).toContain('姓名未登记');
      expect(text).not.toContain('ou_noname');
    }
  });

  it('the scan itself catches what it must', () => {
    const found = scanText('样例', '优先级 high，处理人 ou_abc123，状态机，数据库 PGlite，JSON 文件，值 null，时区 Asia/Shanghai，SLA 2 小时').map(
      (f) => f.match,
    );
    expect(found).toEqual(expect.arrayContaining(['ou_abc123', 'null', 'JSON', 'PGlite', 'high', 'Asia/Shanghai', '状态机', 'SLA']));
    expect(scanText('样例', '工单 FB-20260302-0001 与 TC-20260302-0001 的 SHA-256 摘要，P90 为 30 分钟')).toEqual([]);
  });
});
