import { describe, expect, it } from 'vitest';
import { createGate } from '../../src/core/gate.ts';

describe('createGate', () => {
  it('runs at most `slots` callers at once, the rest in arrival order, and frees the slot on failure', async () => {
    const gate = createGate(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const release: Array<() => void> = [];
    const jobs = Array.from({ length: 6 }, (_, i) =>
      gate
        .run(async () => {
          running++;
          most = Math.max(most, running);
          order.push(i);
          await new Promise<void>((r) => release.push(r));
          running--;
          if (i === 1) throw new Error('boom');
          return i;
        })
        .catch((e: Error) => e.message),
    );
    while (order.length < 6) {
      await new Promise((r) => setTimeout(r, 0));
      release.shift()?.();
    }
    release.forEach((r) => r());
    expect(await Promise.all(jobs)).toEqual([0, 'boom', 2, 3, 4, 5]);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(most).toBe(2);
    expect(gate.waiting).toBe(0);
  });
});

describe('createGate urgent work', () => {
  it('holds back callers not yet started while urgent work runs, then lets them in in order', async () => {
    const gate = createGate(1);
    const log: string[] = [];
    let releaseFirst!: () => void;
    const first = gate.run(async () => {
      log.push('intake 1');
      await new Promise<void>((r) => (releaseFirst = r));
    });
    const second = gate.run(async () => void log.push('intake 2'));
    let releaseClick!: () => void;
    const click = gate.urgent(async () => {
      log.push('click');
      await new Promise<void>((r) => (releaseClick = r));
      log.push('click done');
    });
    await new Promise((r) => setTimeout(r, 0));
    releaseFirst();
    await first;
    await new Promise((r) => setTimeout(r, 0));
    // The slot is free, but the click is still running: intake 2 waits.
    expect(log).toEqual(['intake 1', 'click']);
    expect(gate.waiting).toBe(1);
    releaseClick();
    await Promise.all([click, second]);
    expect(log).toEqual(['intake 1', 'click', 'click done', 'intake 2']);
  });
});
