/** CLI of the records area: `loopdesk verify`, `loopdesk customer export|erase`, `loopdesk retention [--dry-run]`. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CliCommand } from '../cli/types.ts';
import { evidenceDeps } from './anchor.ts';
import { verifyRecords } from './verify.ts';
import { DeskError } from '../desk/errors.ts';
import { eraseCustomer, type EraseResult } from './erase.ts';
import { exportCustomer } from './export.ts';
import { runRetention } from './retention.ts';

const EXIT = { ok: 0, usage: 64, notFound: 2, findings: 3 } as const;
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

export const customerUsage = 'customer export 客户编号|联系方式 [--json] | customer erase 客户编号|联系方式 --reason 原因   个人信息查阅复制与删除';
export const retentionUsage = 'retention [--dry-run]   按保存期限删除已归档工单的个人信息（--dry-run 只列出）';

export const customerCommand: CliCommand = async (argv, ctx) => {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { reason: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  } catch (e) {
    ctx.out(`${(e as Error).message}\n用法：loopdesk ${customerUsage}`);
    return EXIT.usage;
  }
  const [sub, key, ...rest] = parsed.positionals;
  if ((sub !== 'export' && sub !== 'erase') || !key || rest.length) {
    ctx.out(`用法：loopdesk ${customerUsage}`);
    return EXIT.usage;
  }
  const { services } = ctx;
  try {
    if (sub === 'export') {
      const r = await exportCustomer(services.database.db, key, services.clock.now());
      ctx.out(parsed.values.json ? JSON.stringify(r.data, null, 2) : r.markdown);
      return EXIT.ok;
    }
    if (!parsed.values.reason?.trim()) {
      ctx.out(`删除个人信息须注明原因：--reason "客户来电申请删除"\n用法：loopdesk ${customerUsage}`);
      return EXIT.usage;
    }
    const r = await eraseCustomer(services.database.db, services.clock.now(), { key, reason: parsed.values.reason, actor: 'cli' });
    ctx.out(eraseSummary(r));
    return EXIT.ok;
  } catch (e) {
    if (!(e instanceof DeskError)) throw e;
    ctx.out(e.message);
    return e.code === 'not_found' ? EXIT.notFound : EXIT.usage;
  }
};

export function eraseSummary(r: EraseResult): string {
  if (r.alreadyErased) return `客户 #${r.customerId} 的个人信息此前已删除，未做任何改动。`;
  return [
    `已删除客户 #${r.customerId} 的个人信息：${r.tickets.length} 张工单（${r.tickets.join('、') || '无'}），${r.messages} 条消息，${r.outboxRows} 条待发/已发消息记录。`,
    '工单的时间、状态和评分保留在台账中，内容显示为「已依申请删除」；事件日志记录了本次删除，哈希链仍可校验。',
    ...(r.legacyFieldsKept ? [`注意：${r.legacyFieldsKept} 处文字写在第 1 版事件日志中，删除会破坏其哈希链，未删除。`] : []),
  ].join('\n');
}

export const retentionCommand: CliCommand = async (argv, ctx) => {
  let values: { 'dry-run'?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { 'dry-run': { type: 'boolean' } }, strict: true }));
  } catch (e) {
    ctx.out(`${(e as Error).message}\n用法：loopdesk ${retentionUsage}`);
    return EXIT.usage;
  }
  const { services } = ctx;
  const months = services.config.privacy.retentionMonths;
  const r = await runRetention(services.database, services.clock.now(), months, { dryRun: values['dry-run'] });
  ctx.out(
    [
      `保存期限 ${months} 个月：归档早于 ${r.cutoff.slice(0, 10)} 的工单${r.dryRun ? '（试运行，未删除）' : ''}共 ${r.tickets.length} 张`,
      ...r.tickets.map((t) => `- ${t.code}（客户 #${t.customerId}，归档 ${t.closedAt.slice(0, 10)}）`),
      ...(r.dryRun ? [] : [`已删除个人信息的客户 ${r.customersErased.length} 位`]),
    ].join('\n'),
  );
  return EXIT.ok;
};
