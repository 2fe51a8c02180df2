/** `npx loopdesk readiness`: the reviewer's self-check; exit 0 when nothing fails, 1 otherwise. */
import type { CliCommand } from '../cli/types.ts';
import { readinessExitCode } from '../core/readiness.ts';
import { readinessText, runReadiness } from './readiness.ts';

export const readinessUsage = 'readiness                    预审自检：逐项检查审核要点并给出修复办法（有未通过项时退出码为 1）';

export const readinessCommand: CliCommand = async (_argv, { services, out }) => {
  const items = await runReadiness(services);
  out(readinessText(items));
  return readinessExitCode(items);
};
