import type { Services } from '../services.ts';

/** A CLI command runs against the services (locally, or inside the running service via the control socket). */
export type CliCommand = (argv: string[], ctx: { services: Services; out: (text: string) => void; cwd: string }) => Promise<number>;

export const EXIT = { ok: 0, usage: 64, notFound: 2, chainBroken: 3 } as const;
