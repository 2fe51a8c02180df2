/** CLI of the records area: `loopdesk verify`, `loopdesk customer export|erase`, `loopdesk retention`. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CliCommand } from '../cli/commands.ts';
import { evidenceDeps } from './anchor.ts';
import { verifyRecords } from './verify.ts';

const EXIT = { ok: 0, usage: 64, findings: 3 } as const;
const DAY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

export const verifyUsage = 'verify [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--anchors FILE]   校验事件日志：哈希链、封存与存证根、台账数字（有问题退出码 3）';

export const verifyCommand: CliCommand = async (argv, ctx) => {
  let values: { from?: string; to?: string; anchors?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { from: { type: 'string' }, to: { type: 'string' }, anchors: { type: 'string' } }, strict: true }));
  } catch (e) {
    ctx.out(`${(e as Error).message}\n用法：loopdesk ${verifyUsage}`);
    return EXIT.usage;
  }
  for (const d of [values.from, values.to]) {
    if (d !== undefined && !DAY.test(d)) {
      ctx.out(`日期格式应为 YYYY-MM-DD：${d}\n用法：loopdesk ${verifyUsage}`);
      return EXIT.usage;
    }
  }
  if (values.from && values.to && values.from > values.to) {
    ctx.out(`起始日期 ${values.from} 晚于结束日期 ${values.to}`);
    return EXIT.usage;
  }
  const anchorsText = values.anchors ? await readFile(resolve(ctx.cwd, values.anchors), 'utf8') : undefined;
  const report = await verifyRecords(evidenceDeps(ctx.services), { from: values.from, to: values.to, anchorsText });
  ctx.out(report.text);
  return report.findings.length ? EXIT.findings : EXIT.ok;
};
