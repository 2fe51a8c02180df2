import { helpCommand, ticketCommands, type CommandSpec, type CommandTable } from './desk/commands.ts';
import { registerReachCommands } from './desk/reach-commands.ts';
import { registerTriageCommands } from './desk/triage-commands.ts';
import { storyCommand } from './desk/story-command.ts';
import { probeCommand } from './probes/command.ts';
import { registerReportCommands } from './reports/commands.ts';
import type { Services } from './services.ts';

/**
 * The one table of the commands typed in an agents' group, assembled here at the composition root (not registered
 * at import time from inside the desk): the desk's own, the reports', the probes'. The order is /help's.
 */
export function commandTable(): CommandTable<Services> {
  const table = new Map<string, CommandSpec<Services>>();
  const add = (name: string, spec: CommandSpec<Services>) => void table.set(name, spec);
  add('help', helpCommand);
  add('probe', probeCommand);
  for (const [name, spec] of Object.entries(ticketCommands)) add(name, spec);
  // A major complaint's story: /story 工单号 栏目 内容.
  add('story', storyCommand);
  // Reporting: /stats, /open, /mine, /sla, /ledger, /case, /report, /auditpack.
  registerReportCommands(add);
  // Triage: /merge, /unmerge, /major, /duty, /canned, /incident.
  registerTriageCommands(add);
  // Beyond the chat: /new (phone, visit, letter), /csat (a follow-up answer taken by phone), /visit (a failed attempt).
  registerReachCommands(add);
  return table;
}
