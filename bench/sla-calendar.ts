/**
 * Business-calendar arithmetic: cost per call of addBusinessMinutes / businessMinutesBetween for SLA-sized
 * targets, against a minute-by-minute baseline measured in the same run.
 *
 *   npx tsx bench/sla-calendar.ts
 */
import { createCalendar, type BusinessCalendar } from '../src/core/calendar.ts';

const config = {
  timeZone: 'Asia/Shanghai',
  workdays: [1, 2, 3, 4, 5],
  hours: [
    { start: '09:00', end: '12:00' },
    { start: '13:30', end: '18:30' },
  ],
  holidays: [],
  workingDays: [],
};
const calendar = createCalendar(config, () => {});

/** The obvious implementation: step one minute at a time. Only here to compare against. */
function addMinuteByMinute(cal: BusinessCalendar, from: Date, minutes: number): Date {
  let t = cal.nextBusinessTime(from).getTime();
  for (let left = minutes; left > 0; ) {
    if (cal.isBusinessTime(new Date(t))) left--;
    t += 60_000;
  }
  return new Date(t);
}

/** Starts spread over 2025–2026 so the runs cross weekends, Spring Festival and National Day. */
const starts = Array.from({ length: 1000 }, (_, i) => new Date(Date.parse('2025-01-02T01:00:00Z') + i * 17 * 3_600_000 + i * 7 * 60_000));

function measure(name: string, n: number, fn: (i: number) => unknown): { name: string; calls: number; usPerCall: number } {
  for (let i = 0; i < Math.min(n, 200); i++) fn(i); // warm the day cache and the JIT
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return { name, calls: n, usPerCall: ((performance.now() - t0) * 1000) / n };
}

const rows = [
  measure('baseline: minute by minute, 120 min', 2_000, (i) => addMinuteByMinute(calendar, starts[i % 1000], 120)),
  measure('baseline: minute by minute, 4320 min', 200, (i) => addMinuteByMinute(calendar, starts[i % 1000], 4320)),
  measure('addBusinessMinutes 120 min', 200_000, (i) => calendar.addBusinessMinutes(starts[i % 1000], 120)),
  measure('addBusinessMinutes 4320 min', 200_000, (i) => calendar.addBusinessMinutes(starts[i % 1000], 4320)),
  measure('addBusinessMinutes 20000 min', 50_000, (i) => calendar.addBusinessMinutes(starts[i % 1000], 20_000)),
  measure('businessMinutesBetween 30 days', 100_000, (i) =>
    calendar.businessMinutesBetween(starts[i % 1000], new Date(starts[i % 1000].getTime() + 30 * 86_400_000)),
  ),
  // A fresh calendar has an empty day cache: this is the cost paid once per process (Intl calls per day).
  measure('createCalendar + first 4320 min (cold)', 500, (i) => createCalendar(config, () => {}).addBusinessMinutes(starts[i % 1000], 4320)),
];

const baseline = rows[1].usPerCall;
console.log('sla-calendar (Asia/Shanghai, 2025–2026 data)');
console.table(
  rows.map((r) => ({ case: r.name, calls: r.calls, 'µs/call': r.usPerCall.toFixed(2), 'vs 4320-min baseline': `${(baseline / r.usPerCall).toFixed(0)}×` })),
);
