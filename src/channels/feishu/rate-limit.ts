/**
 * Spaces calls per key (a chat, a user, a message) to at most `perSecond`: Feishu allows 5 QPS per group
 * (shared by all bots), 5 per user and 5 PATCHes per message; going over costs a 230020 and a retry.
 * In-process only; a second instance on the same chat can still hit 230020, which the outbox retries.
 */
export function createPacer(perSecond: number, now: () => number = Date.now) {
  // 10% under the limit: requests spaced at exactly 1/QPS arrive bunched by network and event-loop jitter.
  const gap = 1100 / perSecond;
  const next = new Map<string, number>();
  return {
    async take(key: string): Promise<void> {
      const t = now();
      const slot = Math.max(t, next.get(key) ?? 0);
      next.set(key, slot + gap);
      if (next.size > 10_000) for (const [k, v] of next) if (v < t) next.delete(k);
      if (slot > t) await new Promise((r) => setTimeout(r, slot - t));
    },
    /** Feishu said "too fast" anyway (another instance, jitter): nobody sends to this key for `ms`. */
    holdOff(key: string, ms: number): void {
      next.set(key, Math.max(next.get(key) ?? 0, now() + ms));
    },
  };
}
export type Pacer = ReturnType<typeof createPacer>;
