import { describe, expect, it } from 'vitest';
import { nodeSupportWarning } from '../../src/node-support.ts';

describe('nodeSupportWarning', () => {
  const dec2026 = new Date('2026-12-07T00:00:00Z');
  it('warns on Node 20 after its end of life, naming the supported lines', () => {
    expect(nodeSupportWarning('v20.20.2', dec2026)).toBe(
      'loopdesk: Node.js 20 reached end of life on 2026-04-30 (no more security fixes); install Node.js 22 / 24 LTS',
    );
  });
  it('says nothing on Node 20 before its end of life, nor on 22 and 24', () => {
    expect(nodeSupportWarning('v20.18.0', new Date('2026-03-01T00:00:00Z'))).toBeNull();
    expect(nodeSupportWarning('v22.18.0', dec2026)).toBeNull();
    expect(nodeSupportWarning('v24.22.3', dec2026)).toBeNull();
  });
  it('warns on a line we never supported, and stays quiet on a newer one', () => {
    expect(nodeSupportWarning('v18.20.0', dec2026)).toMatch(/not supported; install Node.js 22 \/ 24 LTS/);
    expect(nodeSupportWarning('v26.1.0', dec2026)).toBeNull();
  });
  it('warns on Node 22 once its own end of life has passed', () => {
    expect(nodeSupportWarning('v22.1.0', new Date('2027-05-02T00:00:00Z'))).toMatch(/Node.js 22 reached end of life on 2027-04-30/);
  });
});
