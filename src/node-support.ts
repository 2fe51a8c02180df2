/**
 * The Node.js release lines Loopdesk supports and when each reaches end of life (the Node.js release
 * schedule). CI runs the suite on the lines named in `testedIn` (see .ci/run and the README).
 */
export const nodeLines = [
  { major: 20, endOfLife: '2026-04-30' },
  { major: 22, endOfLife: '2027-04-30' },
  { major: 24, endOfLife: '2028-04-30' },
] as const;

/** One line for stderr when this Node.js is past its end of life or not a line we support; null otherwise. */
export function nodeSupportWarning(version: string, today: Date): string | null {
  const major = Number(/^v?(\d+)/.exec(version)?.[1]);
  const line = nodeLines.find((l) => l.major === major);
  const supported = nodeLines
    .filter((l) => new Date(`${l.endOfLife}T23:59:59Z`) >= today)
    .map((l) => l.major)
    .join(' / ');
  if (!line) {
    const newest = nodeLines[nodeLines.length - 1]!.major;
    if (major > newest) return null; // a newer line: untested, but nothing known to be wrong with it
    return `loopdesk: Node.js ${version} is not supported; install Node.js ${supported} LTS`;
  }
  if (new Date(`${line.endOfLife}T23:59:59Z`) < today) {
    return `loopdesk: Node.js ${major} reached end of life on ${line.endOfLife} (no more security fixes); install Node.js ${supported} LTS`;
  }
  return null;
}
