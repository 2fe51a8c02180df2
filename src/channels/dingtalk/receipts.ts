/**
 * Durable "seen" marks for deliveries that are not customer messages (commands, card clicks, survey answers):
 * DingTalk re-sends unacknowledged callbacks and may send duplicates even after an ack, possibly to another
 * instance, so an in-memory set alone is not enough. Customer messages are deduplicated by the desk's intake.
 */
export const RECEIPT_SOURCE = 'dingtalk:seen';

/** A small in-memory TTL set in front of the database: most redeliveries stop here. */
export function recentSet(ttlMs: number, now: () => number = Date.now) {
  const seen = new Map<string, number>();
  return {
    /** True if added (not seen within the TTL). */
    add(key: string): boolean {
      const t = now();
      if (seen.size > 10_000) for (const [k, at] of seen) if (t - at > ttlMs) seen.delete(k);
      const at = seen.get(key);
      if (at !== undefined && t - at <= ttlMs) return false;
      seen.set(key, t);
      return true;
    },
    delete: (key: string) => void seen.delete(key),
  };
}
