import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCalendar, type CalendarConfig } from '../../src/core/calendar.ts';
import { SHIPPED_HOLIDAYS } from '../../src/core/holidays.ts';
import { HAND_TABLE_2025_2026 } from '../fixtures/cn-holidays-2025-2026.ts';

const base: CalendarConfig = {
  timeZone: 'Asia/Shanghai',
  workdays: [1, 2, 3, 4, 5],
  hours: [
    { start: '09:00', end: '12:00' },
    { start: '13:30', end: '18:30' },
  ],
  holidays: [],
  workingDays: [],
};
const quiet = () => {};
const cal = createCalendar(base, quiet);
/** A Shanghai wall time, e.g. sh('2026-02-13T18:00'). */
const sh = (local: string) => new Date(`${local}:00+08:00`);
const shIso = (d: Date) => new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(0, 16);

describe('shipped holiday data', () => {
  const weekday = (iso: string) => new Date(`${iso}T00:00:00Z`).getUTCDay(); // 0 = Sunday

  it.each([
    [2025, [1, 8, 3, 5, 3, 8], 5],
    [2026, [3, 9, 3, 5, 3, 3, 7], 6],
  ])('%i has the notice’s period lengths and make-up days', (year, lengths, makeups) => {
    const { periods } = HAND_TABLE_2025_2026[year];
    const days = (p: (typeof periods)[number]) => (Date.parse(p.off[1]) - Date.parse(p.off[0])) / 86_400_000 + 1;
    expect(periods.map(days)).toEqual(lengths);
    expect(periods.flatMap((p) => p.makeup)).toHaveLength(makeups);
    for (const d of periods.flatMap((p) => p.makeup)) expect([0, 6]).toContain(weekday(d)); // 调休上班 is always a weekend day
  });

  it.each([2025, 2026])('chinese-days data for %i agrees day for day with the table kept by hand', (year) => {
    const expected = new Map<string, string>();
    for (const p of HAND_TABLE_2025_2026[year].periods) {
      for (let t = Date.parse(p.off[0]); t <= Date.parse(p.off[1]); t += 86_400_000) expected.set(new Date(t).toISOString().slice(0, 10), 'holiday');
      for (const d of p.makeup) expected.set(d, 'makeup');
    }
    const shipped = new Map([...SHIPPED_HOLIDAYS.days].filter(([d]) => d.startsWith(`${year}-`)).map(([d, v]) => [d, v.kind]));
    expect([...shipped].sort()).toEqual([...expected].sort());
    expect(cal.holidaySource(year)).toBe('chinese-days 1.5.7');
  });

  it('matches the weekdays printed in the 2026 notice', () => {
    // "2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）… 2月14日（周六）、2月28日（周六）上班"
    expect([weekday('2026-02-15'), weekday('2026-02-23'), weekday('2026-02-14'), weekday('2026-02-28')]).toEqual([0, 1, 6, 6]);
    // "9月20日（周日）、10月10日（周六）上班"
    expect([weekday('2026-09-20'), weekday('2026-10-10')]).toEqual([0, 6]);
  });
});

describe('dayInfo', () => {
  it.each([
    ['2026-03-04', { working: true, kind: 'workday' }],
    ['2026-03-07', { working: false, kind: 'weekend' }],
    ['2026-01-01', { working: false, kind: 'holiday', name: '元旦' }],
    ['2026-01-04', { working: true, kind: 'makeup', name: '元旦' }],
    ['2026-02-14', { working: true, kind: 'makeup', name: '春节' }],
    ['2026-02-15', { working: false, kind: 'holiday', name: '春节' }],
    ['2026-02-23', { working: false, kind: 'holiday', name: '春节' }],
    ['2026-02-24', { working: true, kind: 'workday' }],
    ['2026-02-28', { working: true, kind: 'makeup', name: '春节' }],
    ['2026-05-09', { working: true, kind: 'makeup', name: '劳动节' }],
    ['2026-09-20', { working: true, kind: 'makeup', name: '国庆节' }],
    ['2026-09-25', { working: false, kind: 'holiday', name: '中秋节' }],
    ['2026-10-07', { working: false, kind: 'holiday', name: '国庆节' }],
    ['2026-10-10', { working: true, kind: 'makeup', name: '国庆节' }],
    ['2025-01-26', { working: true, kind: 'makeup', name: '春节' }],
    ['2025-04-27', { working: true, kind: 'makeup', name: '劳动节' }],
    // chinese-days names the 2025 combined holiday by its days (10-06 is 中秋节, the rest 国庆节)
    ['2025-10-08', { working: false, kind: 'holiday', name: '国庆节' }],
    ['2025-10-11', { working: true, kind: 'makeup', name: '国庆节' }],
  ])('%s', (iso, info) => {
    expect(cal.dayInfo(iso)).toEqual(info);
    expect(cal.isWorkingDay(iso)).toBe(info.working);
  });

  it('rejects a malformed date', () => {
    expect(() => cal.dayInfo('2026-02-30')).toThrow(RangeError);
  });
});

describe('localDate', () => {
  it.each([
    ['2026-02-13T15:59:59Z', '2026-02-13'],
    ['2026-02-13T16:00:00Z', '2026-02-14'],
    ['2025-12-31T16:30:00Z', '2026-01-01'],
  ])('%s is %s in Shanghai', (utc, local) => {
    expect(cal.localDate(new Date(utc))).toBe(local);
  });
});

describe('isBusinessTime', () => {
  it.each([
    ['2026-03-04T08:59', false],
    ['2026-03-04T09:00', true],
    ['2026-03-04T11:59', true],
    ['2026-03-04T12:00', false], // intervals are half-open
    ['2026-03-04T13:29', false],
    ['2026-03-04T13:30', true],
    ['2026-03-04T18:29', true],
    ['2026-03-04T18:30', false],
    ['2026-03-07T10:00', false], // Saturday
    ['2026-02-14T10:00', true], // 春节 make-up Saturday
    ['2026-02-16T10:00', false], // 春节
  ])('%s → %s', (local, expected) => {
    expect(cal.isBusinessTime(sh(local))).toBe(expected);
  });
});

describe('addBusinessMinutes', () => {
  it.each([
    ['within the morning', '2026-03-04T09:00', 60, '2026-03-04T10:00'],
    ['to the end of the morning, not the afternoon opening', '2026-03-04T09:00', 180, '2026-03-04T12:00'],
    ['across the lunch break', '2026-03-04T11:30', 60, '2026-03-04T14:00'],
    ['from inside the lunch break', '2026-03-04T12:15', 30, '2026-03-04T14:00'],
    ['from the evening', '2026-03-04T20:00', 30, '2026-03-05T09:30'],
    ['zero from outside hours lands on the next opening', '2026-03-07T10:00', 0, '2026-03-09T09:00'],
    ['across a weekend', '2026-03-06T18:00', 60, '2026-03-09T09:30'],
    ['a full business week', '2026-03-02T09:00', 5 * 480, '2026-03-06T18:30'],
    ['into the 春节 make-up Saturday', '2026-02-13T18:00', 60, '2026-02-14T09:30'],
    ['over the whole 2026 Spring Festival', '2026-02-14T18:00', 60, '2026-02-24T09:30'],
    ['into the second 春节 make-up Saturday', '2026-02-27T18:00', 60, '2026-02-28T09:30'],
    ['a 24 h consultation target across Spring Festival', '2026-02-13T10:00', 1440, '2026-02-25T10:00'],
    ['into the 国庆 make-up Sunday', '2026-09-18T18:00', 60, '2026-09-20T09:30'],
    ['over 中秋 (Fri–Sun)', '2026-09-24T18:00', 60, '2026-09-28T09:30'],
    ['over National Day 2026', '2026-09-30T17:30', 120, '2026-10-08T10:00'],
    ['into the 国庆 make-up Saturday', '2026-10-09T18:00', 60, '2026-10-10T09:30'],
    ['over National Day + Mid-Autumn 2025', '2025-09-30T18:00', 60, '2025-10-09T09:30'],
    ['over New Year 2026 into its make-up Sunday', '2025-12-31T18:00', 60, '2026-01-04T09:30'],
  ])('%s', (_name, from, minutes, expected) => {
    expect(shIso(cal.addBusinessMinutes(sh(from), minutes))).toBe(expected);
  });

  it('keeps seconds and fractions', () => {
    expect(cal.addBusinessMinutes(new Date('2026-03-04T01:00:30Z'), 1.5).toISOString()).toBe('2026-03-04T01:02:00.000Z');
  });

  it('rejects negative or non-finite minutes', () => {
    expect(() => cal.addBusinessMinutes(sh('2026-03-04T09:00'), -1)).toThrow(RangeError);
    expect(() => cal.addBusinessMinutes(sh('2026-03-04T09:00'), Number.NaN)).toThrow(RangeError);
  });

  it('fails clearly when the calendar has no business time at all', () => {
    const never = createCalendar({ ...base, workdays: [] }, quiet);
    // make-up days still work, so start after the last shipped one
    expect(() => never.addBusinessMinutes(sh('2026-12-01T09:00'), 1)).toThrow(/no business time/);
  });
});

describe('businessMinutesBetween', () => {
  it.each([
    ['across lunch', '2026-03-04T11:00', '2026-03-04T14:00', 90],
    ['across a weekend', '2026-03-06T17:00', '2026-03-09T10:00', 150],
    ['over the 2026 Spring Festival', '2026-02-13T09:00', '2026-02-24T18:30', 3 * 480], // Fri, make-up Sat, Tue
    ['reversed is zero', '2026-03-04T14:00', '2026-03-04T11:00', 0],
    ['equal is zero', '2026-03-04T14:00', '2026-03-04T14:00', 0],
    ['a night is zero', '2026-03-04T18:30', '2026-03-05T09:00', 0],
  ])('%s', (_name, a, b, minutes) => {
    expect(cal.businessMinutesBetween(sh(a), sh(b))).toBe(minutes);
  });
});

describe('nextBusinessTime', () => {
  it.each([
    ['2026-03-04T09:05', '2026-03-04T09:05'],
    ['2026-03-04T12:10', '2026-03-04T13:30'],
    ['2026-03-04T18:30', '2026-03-05T09:00'],
    ['2026-02-22T10:00', '2026-02-24T09:00'],
    ['2026-02-13T19:00', '2026-02-14T09:00'],
  ])('%s → %s', (at, expected) => {
    expect(shIso(cal.nextBusinessTime(sh(at)))).toBe(expected);
  });
});

describe('other time zones', () => {
  it('works in a zone without DST (Asia/Tokyo)', () => {
    const tokyo = createCalendar({ ...base, timeZone: 'Asia/Tokyo', hours: [{ start: '10:00', end: '19:00' }] }, quiet);
    expect(tokyo.localDate(new Date('2026-03-04T15:00:00Z'))).toBe('2026-03-05');
    // Fri 18:00 JST + 120 → Mon 11:00 JST
    expect(tokyo.addBusinessMinutes(new Date('2026-03-06T09:00:00Z'), 120).toISOString()).toBe('2026-03-09T02:00:00.000Z');
  });

  it('follows the clock across the spring-forward weekend (Europe/Berlin)', () => {
    const berlin = createCalendar({ ...base, timeZone: 'Europe/Berlin', hours: [{ start: '09:00', end: '17:00' }] }, quiet);
    // 2026-03-29 is the switch to CEST: Friday 16:00 CET + 120 min → Monday 10:00 CEST
    expect(berlin.addBusinessMinutes(new Date('2026-03-27T15:00:00Z'), 120).toISOString()).toBe('2026-03-30T08:00:00.000Z');
    expect(berlin.businessMinutesBetween(new Date('2026-03-27T08:00:00Z'), new Date('2026-03-30T07:00:00Z'))).toBe(480);
    expect(berlin.isBusinessTime(new Date('2026-03-30T07:00:00Z'))).toBe(true); // 09:00 CEST
    expect(berlin.isBusinessTime(new Date('2026-03-27T07:00:00Z'))).toBe(false); // 08:00 CET
  });

  it('has 23- and 25-hour days around the day (America/New_York, round the clock)', () => {
    const ny = createCalendar({ ...base, timeZone: 'America/New_York', workdays: [1, 2, 3, 4, 5, 6, 7], hours: [{ start: '00:00', end: '24:00' }] }, quiet);
    const minutesOf = (a: string, b: string) => ny.businessMinutesBetween(new Date(a), new Date(b));
    expect(minutesOf('2026-03-08T05:00:00Z', '2026-03-09T04:00:00Z')).toBe(23 * 60); // spring forward
    expect(minutesOf('2026-11-01T04:00:00Z', '2026-11-02T05:00:00Z')).toBe(25 * 60); // fall back
    expect(ny.localDate(new Date('2026-11-01T04:30:00Z'))).toBe('2026-11-01');
    expect(ny.localDate(new Date('2026-11-01T03:59:00Z'))).toBe('2026-10-31');
  });

  it('shortens hours that fall in the skipped hour', () => {
    const ny = createCalendar({ ...base, timeZone: 'America/New_York', workdays: [7], hours: [{ start: '01:00', end: '04:00' }] }, quiet);
    // Sunday 2026-03-08: 02:00–03:00 does not exist, so 01:00–04:00 holds two hours
    expect(ny.businessMinutesBetween(new Date('2026-03-08T05:00:00Z'), new Date('2026-03-09T05:00:00Z'))).toBe(120);
    expect(ny.addBusinessMinutes(new Date('2026-03-08T06:00:00Z'), 60).toISOString()).toBe('2026-03-08T07:00:00.000Z');
  });

  it('rejects an unknown zone', () => {
    expect(() => createCalendar({ ...base, timeZone: 'Mars/Olympus' }, quiet)).toThrow(RangeError);
  });
});

describe('a year without shipped data', () => {
  it('warns once and falls back to plain weekdays', () => {
    const warnings: string[] = [];
    const c = createCalendar(base, (m) => warnings.push(m));
    expect(c.hasDataFor(2026)).toBe(true);
    expect(warnings).toEqual([]);
    expect(c.dayInfo('2027-01-01')).toEqual({ working: true, kind: 'workday' }); // a Friday; no 元旦 without data
    expect(c.dayInfo('2027-01-02')).toEqual({ working: false, kind: 'weekend' });
    // Thu 2026-12-31 18:00 + 60 → Fri 2027-01-01 09:30
    expect(shIso(c.addBusinessMinutes(sh('2026-12-31T18:00'), 60))).toBe('2027-01-01T09:30');
    expect(c.hasDataFor(2027)).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/2027/);
  });
});

describe('config overrides', () => {
  const custom = createCalendar({ ...base, holidays: ['2026-03-04', '2026-02-13'], workingDays: ['2026-03-07', '2026-10-02'] }, quiet);

  it.each([
    ['2026-03-04', { working: false, kind: 'holiday', name: '公司休假' }],
    ['2026-02-13', { working: false, kind: 'holiday', name: '公司休假' }],
    ['2026-03-07', { working: true, kind: 'makeup', name: '调休上班' }],
    ['2026-10-02', { working: true, kind: 'makeup', name: '国庆节' }],
  ])('%s', (iso, info) => {
    expect(custom.dayInfo(iso)).toEqual(info);
  });

  it('changes the arithmetic', () => {
    expect(shIso(custom.addBusinessMinutes(sh('2026-03-03T18:00'), 60))).toBe('2026-03-05T09:30');
    expect(shIso(custom.addBusinessMinutes(sh('2026-03-06T18:00'), 60))).toBe('2026-03-07T09:30');
  });

  it('shows in specialDays', () => {
    const days = custom.specialDays(2026);
    expect(days).toContainEqual({ date: '2026-03-04', kind: 'holiday', name: '公司休假' });
    expect(days).toContainEqual({ date: '2026-03-07', kind: 'makeup', name: '调休上班' });
  });

  it.each([
    ['a date listed both ways', { holidays: ['2026-03-04'], workingDays: ['2026-03-04'] }, /both/],
    ['an impossible date', { holidays: ['2026-02-30'] }, /not a date/],
    ['hours that end before they start', { hours: [{ start: '18:00', end: '09:00' }] }, /end after/],
  ])('rejects %s', (_name, patch, message) => {
    expect(() => createCalendar({ ...base, ...patch }, quiet)).toThrow(message);
  });

  it('merges overlapping hours instead of counting minutes twice', () => {
    const c = createCalendar(
      {
        ...base,
        hours: [
          { start: '13:00', end: '18:00' },
          { start: '09:00', end: '14:00' },
        ],
      },
      quiet,
    );
    expect(c.businessMinutesBetween(sh('2026-03-04T00:00'), sh('2026-03-05T00:00'))).toBe(9 * 60);
  });
});

describe('specialDays', () => {
  it('lists the 2026 holidays and make-up days', () => {
    const days = cal.specialDays(2026);
    expect(days.filter((d) => d.kind === 'holiday')).toHaveLength(33);
    expect(days.filter((d) => d.kind === 'makeup').map((d) => d.date)).toEqual([
      '2026-01-04',
      '2026-02-14',
      '2026-02-28',
      '2026-05-09',
      '2026-09-20',
      '2026-10-10',
    ]);
  });

  it('lists the 2025 make-up days', () => {
    expect(
      cal
        .specialDays(2025)
        .filter((d) => d.kind === 'makeup')
        .map((d) => d.date),
    ).toEqual(['2025-01-26', '2025-02-08', '2025-04-27', '2025-09-28', '2025-10-11']);
  });
});

describe('version', () => {
  it('is stable for the same effective calendar and changes with it', () => {
    const v = cal.version;
    expect(v.startsWith(`${SHIPPED_HOLIDAYS.version}+`)).toBe(true);
    expect(createCalendar({ ...base }, quiet).version).toBe(v);
    expect(createCalendar({ ...base, workdays: [5, 4, 3, 2, 1] }, quiet).version).toBe(v);
    expect(createCalendar({ ...base, holidays: ['2026-03-04'] }, quiet).version).not.toBe(v);
    expect(createCalendar({ ...base, hours: [{ start: '09:00', end: '18:00' }] }, quiet).version).not.toBe(v);
    expect(createCalendar({ ...base, timeZone: 'Asia/Tokyo' }, quiet).version).not.toBe(v);
  });
});

describe('properties', () => {
  // Instants from Dec 2024 to Dec 2026 (the shipped data), at minute resolution with some seconds.
  const instant = fc.integer({ min: Date.parse('2024-12-01T00:00:00Z'), max: Date.parse('2026-12-15T00:00:00Z') }).map((ms) => new Date(ms - (ms % 1000)));
  const minutes = fc.integer({ min: 0, max: 20_000 });
  const berlin = createCalendar({ ...base, timeZone: 'Europe/Berlin' }, quiet);

  it('addBusinessMinutes is monotonic in minutes', () => {
    fc.assert(
      fc.property(instant, minutes, minutes, (from, m1, m2) => {
        const [lo, hi] = m1 <= m2 ? [m1, m2] : [m2, m1];
        expect(cal.addBusinessMinutes(from, lo).getTime()).toBeLessThanOrEqual(cal.addBusinessMinutes(from, hi).getTime());
      }),
    );
  });

  it('addBusinessMinutes is monotonic in from', () => {
    fc.assert(
      fc.property(instant, instant, minutes, (a, b, m) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(cal.addBusinessMinutes(lo, m).getTime()).toBeLessThanOrEqual(cal.addBusinessMinutes(hi, m).getTime());
      }),
    );
  });

  it.each([
    ['Asia/Shanghai', cal],
    ['Europe/Berlin', berlin],
  ])('businessMinutesBetween inverts addBusinessMinutes (%s)', (_zone, c) => {
    fc.assert(
      fc.property(instant, minutes, (from, m) => {
        expect(c.businessMinutesBetween(from, c.addBusinessMinutes(from, m))).toBe(m);
      }),
    );
  });

  it('businessMinutesBetween is additive', () => {
    fc.assert(
      fc.property(instant, instant, instant, (x, y, z) => {
        const [a, b, c] = [x, y, z].sort((p, q) => p.getTime() - q.getTime());
        expect(cal.businessMinutesBetween(a, b) + cal.businessMinutesBetween(b, c)).toBeCloseTo(cal.businessMinutesBetween(a, c), 9);
      }),
    );
  });

  it('nextBusinessTime is the first business instant', () => {
    fc.assert(
      fc.property(instant, (at) => {
        const next = cal.nextBusinessTime(at);
        expect(next.getTime()).toBeGreaterThanOrEqual(at.getTime());
        expect(cal.isBusinessTime(next)).toBe(true);
        expect(cal.businessMinutesBetween(at, next)).toBe(0);
      }),
    );
  });
});
