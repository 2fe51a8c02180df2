/**
 * A counting semaphore: at most `slots` callers run at once, the rest wait in arrival order. Used to keep a burst of
 * intakes from filling the database connections, so the outbox and card clicks find one free (desk/intake.ts).
 * While `urgent` work runs (an agent's click), no waiting caller is let in: the click then waits only for what
 * already runs, not for the intakes that would otherwise take turns with each of its queries.
 */
export function createGate(slots: number) {
  let busy = 0;
  let urgent = 0;
  const waiting: Array<() => void> = [];
  const admit = () => {
    while (busy < slots && urgent === 0 && waiting.length) {
      busy++;
      waiting.shift()!();
    }
  };
  return {
    async run<T>(fn: () => Promise<T>): Promise<T> {
      if (busy < slots && urgent === 0 && waiting.length === 0) busy++;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await fn();
      } finally {
        busy--;
        admit();
      }
    },
    /** Runs `fn` at once, holding back callers of `run` that have not started yet until it is done. */
    async urgent<T>(fn: () => Promise<T>): Promise<T> {
      urgent++;
      try {
        return await fn();
      } finally {
        urgent--;
        admit();
      }
    },
    /** Callers waiting for a slot (for tests and health). */
    get waiting() {
      return waiting.length;
    },
  };
}
export type Gate = ReturnType<typeof createGate>;
