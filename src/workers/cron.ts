/**
 * Which of the shared jobs (`src/jobs/jobs.ts`, written as node-cron expressions) are due in a Workers cron tick.
 * The trigger fires once a minute, so a job is due when its minute, hour, day, month and weekday match the tick's
 * minute in the job's time zone; the seconds field is ignored (a job that node-cron runs every 5 or 15 s runs once
 * a minute here). Fields are ANDed, as node-cron does. `L` and `#` are not supported: such a job throws.
 */

const NAMES: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
  sun: 0,
  mon: 1,
  tue: 2,
  wed: 3,
  thu: 4,
  fri: 5,
  sat: 6,
};

interface Field {
  min: number;
  max: number;
}
const FIELDS: Field[] = [
  { min: 0, max: 59 }, // minute
  { min: 0, max: 23 }, // hour
  { min: 1, max: 31 }, // day of month
  { min: 1, max: 12 }, // month
  { min: 0, max: 7 }, // day of week (0 and 7 are Sunday)
];

function value(token: string, expr: string): number {
  const n = /^\d+$/.test(token) ? Number(token) : NAMES[token.slice(0, 3).toLowerCase()];
  if (n === undefined) throw new Error(`cron "${expr}": cannot read "${token}"`);
  return n;
}

function allowed(part: string, field: Field, expr: string): Set<number> {
  const out = new Set<number>();
  for (const item of part.split(',')) {
    const [range, stepText] = item.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`cron "${expr}": bad step in "${item}"`);
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') [lo, hi] = [field.min, field.max];
    else if (range.includes('-')) [lo, hi] = range.split('-').map((t) => value(t, expr)) as [number, number];
    else [lo, hi] = [value(range, expr), stepText === undefined ? value(range, expr) : field.max];
    if (lo < field.min || hi > field.max || lo > hi) throw new Error(`cron "${expr}": "${item}" is out of range`);
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** The local minute, hour, day, month and weekday (0 = Sunday) of `at` in `timeZone`. */
function localParts(at: Date, timeZone: string): number[] {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    minute: 'numeric',
    hour: 'numeric',
    day: 'numeric',
    month: 'numeric',
    weekday: 'short',
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return [Number(get('minute')), Number(get('hour')), Number(get('day')), Number(get('month')), NAMES[get('weekday').toLowerCase()]];
}

/** True when a node-cron expression (5 or 6 fields) fires in the minute of `at`, read in `timeZone` (default UTC). */
export function cronMatchesMinute(expr: string, at: Date, timeZone = 'UTC'): boolean {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) throw new Error(`cron "${expr}": expected 5 or 6 fields`);
  const five = fields.length === 6 ? fields.slice(1) : fields;
  const sets = five.map((part, i) => allowed(part, FIELDS[i], expr));
  const local = localParts(at, timeZone);
  return sets.every((set, i) => (i === 4 ? set.has(local[4]) || (local[4] === 0 && set.has(7)) : set.has(local[i])));
}
