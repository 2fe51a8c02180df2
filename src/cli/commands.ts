import { migrateDatabase } from '../db/node.ts';
import { buildCase } from '../reports/case.ts';
import { registerReportCli } from '../reports/cli.ts';
import { customerCommand, customerUsage, retentionCommand, retentionUsage, verifyCommand, verifyUsage } from '../records/cli.ts';
import { calendarCommand, calendarUsage } from '../calendar/cli.ts';
import { readinessCommand, readinessUsage } from '../reports/readiness-cli.ts';
import { importLedgerCommand, importLedgerUsage } from '../imports/cli.ts';
import { EXIT, type CliCommand } from './types.ts';
import { userCommand } from './users.ts';

export { EXIT, type CliCommand } from './types.ts';

/** The CLI's one command table (order: the usage text's); filled below, never from other modules. */
const cliCommands = new Map<string, { usage: string; run: CliCommand }>();
function registerCliCommand(name: string, usage: string, run: CliCommand): void {
  cliCommands.set(name, { usage, run });
}

export function cliUsage(): string {
  return [
    '用法：loopdesk <命令>',
    ...[...cliCommands.values()].map((c) => `  loopdesk ${c.usage}`),
    '  loopdesk demo [--data-dir 目录]        生成六个月的演示数据（单独的数据库，标记为演示数据）',
  ].join('\n');
}

export async function runCli(argv: string[], ctx: Parameters<CliCommand>[1]): Promise<number> {
  const [name, ...rest] = argv;
  const cmd = name ? cliCommands.get(name) : undefined;
  if (!cmd) {
    ctx.out(cliUsage());
    return name ? EXIT.usage : EXIT.ok;
  }
  return cmd.run(rest, ctx);
}

registerCliCommand('migrate', 'migrate                      应用数据库迁移（启动时也会自动执行）', async (_argv, { services, out }) => {
  await migrateDatabase(services.database);
  out(`数据库迁移完成（${services.database.kind}）`);
  return EXIT.ok;
});

registerCliCommand('ticket', 'ticket show 工单号             显示工单时间线并校验哈希链', async (argv, { services, out }) => {
  const [sub, code] = argv;
  if (sub !== 'show' || !code) {
    out('用法：loopdesk ticket show FB-20260302-0001');
    return EXIT.usage;
  }
  const doc = await buildCase(
    { database: services.database, config: services.config, calendar: services.calendar, now: services.clock.now() },
    code.toUpperCase(),
  );
  if (!doc) {
    out(`找不到工单 ${code}`);
    return EXIT.notFound;
  }
  out(doc.markdown);
  return doc.chain.intact ? EXIT.ok : EXIT.chainBroken;
});

registerCliCommand('probe', 'probe [渠道…]                 立即拨测各渠道（模拟投诉并跟踪受理全过程）', async (argv, { services, out }) => {
  const { runProbes } = await import('../probes/run.ts');
  const { channelTable, channelTableMarkdown } = await import('../probes/report.ts');
  const results = await runProbes(services, { channels: argv.length ? argv : undefined, trigger: 'cli' });
  out(channelTableMarkdown(await channelTable(services), services.config.calendar.timeZone));
  return results.every((r) => r.ok) ? EXIT.ok : 1;
});

// ledger, case, report, audit-pack, stats
registerReportCli(registerCliCommand);
// verify, customer export|erase (records/)
registerCliCommand('verify', verifyUsage, verifyCommand);
registerCliCommand('customer', customerUsage, customerCommand);
registerCliCommand('retention', retentionUsage, retentionCommand);

// local accounts (console sign-in without Feishu/DingTalk)
registerCliCommand('user', 'user add|link|list|disable       本地账号（无飞书/钉钉账号的客服用控制台登录）', userCommand);
registerCliCommand('calendar', calendarUsage, calendarCommand);
registerCliCommand('readiness', readinessUsage, readinessCommand);
registerCliCommand('import-ledger', importLedgerUsage, importLedgerCommand);
