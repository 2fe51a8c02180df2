/**
 * A counting semaphore: at most `slots` callers run at once, the rest wait in arrival order. Used to keep a burst of
 * intakes from filling the database connections, so the outbox and card clicks find one free (desk/intake.ts).
 */
export function createGate(slots: number) {
  let busy = 0;
  const waiting: Array<() => void> = [];
  return {
    async run<T>(fn: () => Promise<T>): Promise<T> {
      if (busy >= slots) await new Promise<void>((resolve) => waiting.push(resolve));
      else busy++;
      try {
        return await fn();
      } finally {
        // The slot passes straight to the next waiter (busy stays counted), so no newcomer can overtake it.
        const next = waiting.shift();
        if (next) next();
        else busy--;
      }
    },
    /** Callers waiting for a slot (for tests and health). */
    get waiting() {
      return waiting.length;
    },
  };
}
export type Gate = ReturnType<typeof createGate>;
