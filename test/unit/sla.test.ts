import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { categoryOf, parseConfig } from '../../src/config.ts';
import { createCalendar } from '../../src/core/calendar.ts';
import { dueAt, dueSoonAt, elapsedMinutes, formatMinutes, formatMinutesEn, policyFor, slaState, type SlaPolicy } from '../../src/core/sla.ts';

const config = parseConfig({});
const calendar = createCalendar(config.calendar, () => {});
const bug = categoryOf(config, 'bug');
const business = policyFor(bug, config, calendar);
const around: SlaPolicy = { ...business, clock: 'calendar' };
/** A Shanghai wall time. */
const sh = (local: string) => new Date(`${local}:00+08:00`);

describe('policyFor', () => {
  it('snapshots the category, the reminder ratio and the calendar', () => {
    expect(business).toEqual({
      category: 'bug',
      clock: 'business',
      firstResponseMinutes: 120,
      resolutionMinutes: 1440,
      nextResponseMinutes: null,
      dueSoonRatio: 0.75,
      calendarVersion: calendar.version,
      timeZone: 'Asia/Shanghai',
    });
    expect(JSON.parse(JSON.stringify(business))).toEqual(business);
  });
});

describe('dueAt, dueSoonAt, elapsedMinutes', () => {
  it.each([
    ['business clock, into the 春节 make-up Saturday', business, '2026-02-13T17:30', 120, 0, sh('2026-02-14T10:00')],
    ['business clock with 30 paused minutes', business, '2026-02-13T17:30', 120, 30, sh('2026-02-14T10:30')],
    ['calendar clock ignores hours', around, '2026-02-13T17:30', 120, 0, sh('2026-02-13T19:30')],
    ['calendar clock with pause', around, '2026-02-13T17:30', 120, 30, sh('2026-02-13T20:00')],
  ])('%s', (_name, policy, start, target, paused, expected) => {
    expect(dueAt(policy, calendar, sh(start), target, paused)).toEqual(expected);
  });

  it('puts the due-soon reminder in business time for a business clock', () => {
    // 75% of 120 = 90 business minutes: 60 on Friday, 30 on the make-up Saturday
    expect(dueSoonAt(business, calendar, sh('2026-02-13T17:30'), 120)).toEqual(sh('2026-02-14T09:30'));
    expect(dueSoonAt(around, calendar, sh('2026-02-13T17:30'), 120)).toEqual(sh('2026-02-13T19:00'));
  });

  it('measures elapsed time in the policy’s clock', () => {
    expect(elapsedMinutes(business, calendar, sh('2026-03-06T18:00'), sh('2026-03-09T09:30'))).toBe(60);
    expect(elapsedMinutes(around, calendar, sh('2026-03-06T18:00'), sh('2026-03-09T09:30'))).toBe(63 * 60 + 30);
    expect(elapsedMinutes(around, calendar, sh('2026-03-09T09:30'), sh('2026-03-06T18:00'))).toBe(0);
  });
});

describe('slaState', () => {
  // Wednesday 09:00, 120 business minutes: due 11:00, due soon from 10:30.
  const start = sh('2026-03-04T09:00');
  const state = (over: Partial<Parameters<typeof slaState>[0]>) =>
    slaState({
      policy: business,
      calendar,
      start,
      targetMinutes: 120,
      pausedMinutes: 0,
      pausedSince: null,
      doneAt: null,
      now: sh('2026-03-04T09:30'),
      ...over,
    });

  it.each([
    ['no target', { targetMinutes: null }, { state: 'none', dueAt: null, remainingMinutes: null, overdueMinutes: null }],
    ['on track', {}, { state: 'on_track', dueAt: sh('2026-03-04T11:00'), remainingMinutes: 90, overdueMinutes: null }],
    ['due soon', { now: sh('2026-03-04T10:45') }, { state: 'due_soon', dueAt: sh('2026-03-04T11:00'), remainingMinutes: 15, overdueMinutes: null }],
    [
      'exactly due is not yet breached',
      { now: sh('2026-03-04T11:00') },
      { state: 'due_soon', dueAt: sh('2026-03-04T11:00'), remainingMinutes: 0, overdueMinutes: null },
    ],
    ['breached', { now: sh('2026-03-04T14:00') }, { state: 'breached', dueAt: sh('2026-03-04T11:00'), remainingMinutes: null, overdueMinutes: 90 }],
    [
      'met',
      { doneAt: sh('2026-03-04T10:50'), now: sh('2026-03-05T10:00') },
      { state: 'met', dueAt: sh('2026-03-04T11:00'), remainingMinutes: null, overdueMinutes: null },
    ],
    [
      'met exactly at due',
      { doneAt: sh('2026-03-04T11:00'), now: sh('2026-03-05T10:00') },
      { state: 'met', dueAt: sh('2026-03-04T11:00'), remainingMinutes: null, overdueMinutes: null },
    ],
    [
      'done late',
      { doneAt: sh('2026-03-04T11:10'), now: sh('2026-03-05T10:00') },
      { state: 'breached', dueAt: sh('2026-03-04T11:00'), remainingMinutes: null, overdueMinutes: 10 },
    ],
    [
      'finished pauses move due',
      { pausedMinutes: 60, now: sh('2026-03-04T11:50') },
      { state: 'due_soon', dueAt: sh('2026-03-04T12:00'), remainingMinutes: 10, overdueMinutes: null },
    ],
    // paused at 10:00 with 60 left; by 15:00 the pause has lasted 210 business minutes, so resuming now means due at 16:00
    [
      'paused freezes the time left',
      { pausedSince: sh('2026-03-04T10:00'), now: sh('2026-03-04T15:00') },
      { state: 'paused', dueAt: sh('2026-03-04T16:00'), remainingMinutes: 60, overdueMinutes: null },
    ],
    [
      'a pause after the breach does not undo it',
      { pausedSince: sh('2026-03-04T11:30'), now: sh('2026-03-04T15:00') },
      { state: 'breached', dueAt: sh('2026-03-04T11:00'), remainingMinutes: null, overdueMinutes: 30 },
    ],
    [
      'a pause counts until done',
      { pausedSince: sh('2026-03-04T10:00'), doneAt: sh('2026-03-04T14:00'), now: sh('2026-03-05T09:00') },
      { state: 'met', dueAt: sh('2026-03-04T15:00'), remainingMinutes: null, overdueMinutes: null },
    ],
  ] as const)('%s', (_name, over, expected) => {
    expect(state(over)).toEqual(expected);
  });

  it('records a breach at night for a business clock, with overdue in business minutes', () => {
    const late = { start: sh('2026-03-04T16:30'), now: sh('2026-03-04T20:00') }; // due 18:30
    expect(state(late)).toMatchObject({ state: 'breached', dueAt: sh('2026-03-04T18:30'), overdueMinutes: 0 });
    expect(state({ ...late, policy: around })).toMatchObject({ state: 'breached', dueAt: sh('2026-03-04T18:30'), overdueMinutes: 90 });
  });
});

describe('pausing never shortens the time left', () => {
  const instant = fc.integer({ min: Date.parse('2025-01-01T00:00:00Z'), max: Date.parse('2026-11-30T00:00:00Z') }).map((ms) => new Date(ms - (ms % 60_000)));
  const target = fc.integer({ min: 1, max: 5000 });
  const pause = fc.integer({ min: 0, max: 5000 });
  const policy = fc.constantFrom(business, around);

  it('dueAt is monotonic in pausedMinutes', () => {
    fc.assert(
      fc.property(policy, instant, target, pause, pause, (p, start, t, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(dueAt(p, calendar, start, t, lo).getTime()).toBeLessThanOrEqual(dueAt(p, calendar, start, t, hi).getTime());
      }),
    );
  });

  it('more paused minutes never shorten the remaining time nor cause a breach', () => {
    fc.assert(
      fc.property(policy, instant, target, pause, pause, fc.integer({ min: 0, max: 20_000 }), (p, start, t, a, b, after) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const now = new Date(start.getTime() + after * 60_000);
        const at = (paused: number) => slaState({ policy: p, calendar, start, targetMinutes: t, pausedMinutes: paused, pausedSince: null, doneAt: null, now });
        const less = at(lo);
        const more = at(hi);
        if (more.state === 'breached') expect(less.state).toBe('breached');
        if (less.remainingMinutes != null) expect(more.remainingMinutes!).toBeGreaterThanOrEqual(less.remainingMinutes);
      }),
    );
  });

  it('an ongoing pause keeps the time left frozen', () => {
    fc.assert(
      fc.property(instant, target, fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 20_000 }), (start, t, before, during) => {
        const pausedSince = new Date(start.getTime() + before * 60_000);
        const at = (now: Date) => slaState({ policy: business, calendar, start, targetMinutes: t, pausedMinutes: 0, pausedSince, doneAt: null, now });
        const first = at(pausedSince);
        const later = at(new Date(pausedSince.getTime() + during * 60_000));
        expect(later.state).toBe(first.state);
        expect(later.remainingMinutes).toBe(first.remainingMinutes);
      }),
    );
  });
});

describe('formatMinutes', () => {
  it.each([
    [0, 'calendar', '0分钟', '0m'],
    [45, 'calendar', '45分钟', '45m'],
    [60, 'calendar', '1小时', '1h'],
    [125, 'calendar', '2小时5分', '2h 5m'],
    [89.6, 'calendar', '1小时30分', '1h 30m'],
    [1440, 'calendar', '1天', '1d'],
    [1441, 'calendar', '1天1分', '1d 1m'],
    [1500, 'calendar', '1天1小时', '1d 1h'],
    [2880, 'calendar', '2天', '2d'],
    [-30, 'calendar', '-30分钟', '-30m'],
    [1440, 'business', '24小时', '24h'],
    [4320, 'business', '72小时', '72h'],
  ] as const)('%s (%s) → %s / %s', (m, clock, zh, en) => {
    expect(formatMinutes(m, clock)).toBe(zh);
    expect(formatMinutesEn(m, clock)).toBe(en);
  });

  it('defaults to the calendar clock', () => {
    expect(formatMinutes(2880)).toBe('2天');
    expect(formatMinutesEn(125)).toBe('2h 5m');
  });
});

// The promise wording lives in core/promise.ts and is tested in test/unit/promise.test.ts.
