/**
 * Local wall times for reports. Spreadsheet dates have no zone, so a ledger date cell holds the Shanghai wall time
 * (the instant shifted by the zone's offset); text shows 'YYYY-MM-DD HH:mm:ss'. Offsets are cached per hour, so a
 * million rows do not each call Intl.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

export function zoneOffsetMs(ms: number, timeZone: string): number {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour) % 24, Number(p.minute), Number(p.second));
  return asUtc - Math.floor(ms / 1000) * 1000;
}

const HOUR = 3_600_000;

/** (instant) → the same wall time as a UTC Date: what a spreadsheet cell should hold. */
export function wallClock(timeZone: string): (d: Date) => Date {
  const cache = new Map<number, number>();
  return (d) => {
    const h = Math.floor(d.getTime() / HOUR);
    let off = cache.get(h);
    if (off === undefined) {
      off = zoneOffsetMs(h * HOUR, timeZone);
      if (cache.size > 50_000) cache.clear();
      cache.set(h, off);
    }
    return new Date(d.getTime() + off);
  };
}

/** (instant) → 'YYYY-MM-DD HH:mm:ss' in the zone. */
export function localTimeFormatter(timeZone: string): (d: Date) => string {
  const wall = wallClock(timeZone);
  return (d) => wall(d).toISOString().slice(0, 19).replace('T', ' ');
}
