import type { SharedSlots } from '../../desk/channel-store.ts';

/**
 * Spaces calls per key (a chat, a user, a message) to at most `perSecond`: Feishu allows 5 QPS per group
 * (shared by all bots), 5 per user and 5 PATCHes per message; going over costs a 230020 and a retry.
 * In-process only: see `createSharedPacer` for several instances.
 */
export function createPacer(perSecond: number, now: () => number = Date.now) {
  // 10% under the limit: requests spaced at exactly 1/QPS arrive bunched by network and event-loop jitter.
  const gap = 1100 / perSecond;
  const next = new Map<string, number>();
  return {
    async take(key: string): Promise<number> {
      const t = now();
      const slot = Math.max(t, next.get(key) ?? 0);
      next.set(key, slot + gap);
      if (next.size > 10_000) for (const [k, v] of next) if (v < t) next.delete(k);
      if (slot > t) await new Promise((r) => setTimeout(r, slot - t));
      return slot;
    },
    /** Feishu said "too fast" anyway (jitter): nobody sends to this key for `ms`. */
    async holdOff(key: string, ms: number): Promise<void> {
      next.set(key, Math.max(next.get(key) ?? 0, now() + ms));
    },
  };
}
export type Pacer = ReturnType<typeof createPacer>;

const PREFIX = 'feishu:';

/**
 * The same spacing across every instance on one database (Feishu's limit is per chat, not per process): the slots
 * live in the database, taken through the desk's channel store (desk/channel-store.ts).
 */
export function createSharedPacer(slots: SharedSlots, perSecond: number): Pacer {
  const gap = Math.ceil(1100 / perSecond);
  let calls = 0;
  return {
    async take(key: string): Promise<number> {
      const { slot, now } = await slots.take(PREFIX + key, gap);
      const wait = slot - now;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      // Keys of chats and users gone quiet for an hour are dropped now and then.
      if (++calls % 500 === 0) await slots.sweep(PREFIX);
      return slot;
    },
    holdOff: (key: string, ms: number) => slots.holdOff(PREFIX + key, ms),
  };
}
