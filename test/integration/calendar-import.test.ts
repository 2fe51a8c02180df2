import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { runCli } from '../../src/cli/commands.ts';
import { loadHolidayData, loadImportedYears } from '../../src/calendar/imported.ts';
import { createCalendar, holidayDataWarning } from '../../src/core/calendar.ts';
import { createWebChannel } from '../../src/channels/web/index.tsx';
import { outbox } from '../../src/db/schema/index.ts';
import { postDailyDigest } from '../../src/reports/digest.ts';
import { recordingChannel } from '../helpers/recording-channel.ts';
import { eq } from 'drizzle-orm';
import { parseHolidayFile } from '../../src/core/holiday-import.ts';
import { SHIPPED_HOLIDAYS } from '../../src/core/holidays.ts';
import { createServices } from '../../src/services.ts';
import { dbKinds } from '../helpers/db.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';

/** A 2027 notice as a company would receive it in a calendar app (folded lines, CRLF, Apple's day markers). */
const ICS_2027 = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//test//CN holidays 2027//ZH',
  'BEGIN:VEVENT',
  'DTSTART;VALUE=DATE:20270101',
  'DTEND;VALUE=DATE:20270104',
  'SUMMARY:元旦(休)',
  'DESCRIPTION:休',
  'X-APPLE-SPECIAL-DAY:WORK-HOLIDAY',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'DTSTART;VALUE=DATE:20270205',
  'DTEND;VALUE=DATE:20270213',
  'SUMMARY:春节(休)',
  'DESCRIPTION:休 — 国务院办公厅关于2027年部分节假日安排的通知，测试用样例，日期非',
  '  官方',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'DTSTART;VALUE=DATE:20270214',
  'DTEND;VALUE=DATE:20270215',
  'SUMMARY:春节(班)',
  'X-APPLE-SPECIAL-DAY:ALTERNATE-WORKDAY',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'DTSTART;VALUE=DATE:20270320',
  'SUMMARY:春分',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

describe.each(dbKinds)('calendar import (%s)', (kind) => {
  let t: TestDesk;
  let dir: string;
  const agents = recordingChannel('agents-group');
  const run = async (...argv: string[]) => {
    const lines: string[] = [];
    const code = await runCli(argv, { services: t.services, out: (s) => void lines.push(s), cwd: dir });
    return { code, text: lines.join('\n') };
  };

  beforeAll(async () => {
    t = await createTestDesk({ kind, now: '2026-12-07T02:00:00Z', channels: [createWebChannel, agents.factory] });
    dir = mkdtempSync(join(tmpdir(), 'calendar-import-'));
    writeFileSync(join(dir, '2027.ics'), ICS_2027);
    writeFileSync(join(dir, 'broken.json'), JSON.stringify({ holidays: { '2027-02-30': '春节' } }));
    writeFileSync(join(dir, 'notes.txt'), 'not a calendar');
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  it('before the import 2027 is plain weekdays, said loudly', () => {
    const warnings: string[] = [];
    const cal = createCalendar(t.services.config.calendar, (m) => warnings.push(m));
    expect(cal.dayInfo('2027-01-01')).toEqual({ working: true, kind: 'workday' });
    expect(warnings.join('\n')).toMatch(/NO STATUTORY HOLIDAY DATA FOR 2027.*calendar import/);
  });

  it('from November a missing next year warns in /healthz and in the daily digest', async () => {
    const health = (await (await t.app.request('/healthz')).json()) as { status: string; calendar: { warning: string | null } };
    expect(health.calendar.warning).toContain('尚未载入 2027 年的法定节假日安排');
    expect(health.status).toBe('ok');
    await postDailyDigest(t.services);
    const rows = await t.db.select().from(outbox).where(eq(outbox.channel, 'agents-group'));
    expect(rows.map((r) => JSON.stringify(r.payload.reply ?? ''))).toContainEqual(expect.stringContaining('⚠️ 尚未载入 2027 年的法定节假日安排'));
    t.clock.set('2026-10-30T02:00:00Z'); // before November: nothing to say yet
    expect(((await (await t.app.request('/healthz')).json()) as { calendar: { warning: unknown } }).calendar.warning).toBeNull();
    t.clock.set('2026-12-07T02:00:00Z');
  });

  it('imports an ICS; the next start computes 2027 with it', async () => {
    const r = await run('calendar', 'import', '2027.ics');
    expect(r.code).toBe(0);
    expect(r.text).toContain('2027 年：放假 11 天，调休上班 1 天');
    expect(r.text).toContain('重启服务后');

    const restarted = createServices({
      env: t.services.env,
      config: t.services.config,
      database: t.database,
      clock: t.clock,
      log: t.services.log,
      channels: [],
      holidays: await loadHolidayData(t.db),
    });
    const cal = restarted.calendar;
    expect(cal.hasDataFor(2027)).toBe(true);
    expect(cal.holidaySource(2027)).toBe('导入文件 2027.ics');
    expect(cal.dayInfo('2027-01-01')).toEqual({ working: false, kind: 'holiday', name: '元旦' });
    expect(cal.dayInfo('2027-02-12')).toEqual({ working: false, kind: 'holiday', name: '春节' });
    expect(cal.dayInfo('2027-02-14')).toEqual({ working: true, kind: 'makeup', name: '春节' }); // a Sunday
    expect(cal.dayInfo('2027-03-22')).toEqual({ working: true, kind: 'workday' }); // the solar term is not a day off
    expect(cal.version).not.toBe(t.services.calendar.version);
    // The shipped years are untouched.
    expect(cal.dayInfo('2026-02-14')).toEqual({ working: true, kind: 'makeup', name: '春节' });
    expect(holidayDataWarning(cal, t.clock.now())).toBeNull();
  });

  it('importing the same file again changes nothing', async () => {
    const before = await loadImportedYears(t.db);
    expect((await run('calendar', 'import', '2027.ics')).code).toBe(0);
    expect(await loadImportedYears(t.db)).toEqual(before);
    const a = createCalendar(t.services.config.calendar, () => {}, await loadHolidayData(t.db));
    expect(a.version).toBe(createCalendar(t.services.config.calendar, () => {}, await loadHolidayData(t.db)).version);
  });

  it('a bad file is refused with the reason and leaves the stored years as they were', async () => {
    const before = await loadImportedYears(t.db);
    const bad = await run('calendar', 'import', 'broken.json');
    expect(bad.code).toBe(1);
    expect(bad.text).toContain('日期无效「2027-02-30」');
    const notCal = await run('calendar', 'import', 'notes.txt');
    expect(notCal.code).toBe(1);
    expect(notCal.text).toContain('既不是 ICS 日历也不是 JSON');
    expect((await run('calendar', 'import', 'missing.ics')).code).toBe(2);
    expect((await run('calendar', 'import')).code).toBe(64);
    expect(await loadImportedYears(t.db)).toEqual(before);
  });
});

describe('holiday files', () => {
  const pkg = createRequire(import.meta.url);
  it('the chinese-days ICS and JSON of 2026 read back as the shipped 2026', () => {
    const shipped = [...SHIPPED_HOLIDAYS.days].filter(([d]) => d.startsWith('2026-')).sort();
    for (const file of ['chinese-days/dist/years/2026.ics', 'chinese-days/dist/years/2026.json']) {
      const [year] = parseHolidayFile(readFileSync(pkg.resolve(file), 'utf8'), file);
      expect(year.year).toBe(2026);
      expect(year.days.map((d) => [d.date, { kind: d.kind, name: d.name }]).sort()).toEqual(shipped);
    }
  });
});
