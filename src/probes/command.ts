import type { CommandSpec } from '../desk/commands.ts';
import type { Services } from '../services.ts';
import { enqueue } from '../desk/store.ts';
import { channelTable, channelTableMarkdown } from './report.ts';
import { probeDrivers, runProbes } from './run.ts';

/**
 * `/probe` starts a probe of every playable channel and answers at once (a probe takes seconds, a chat callback
 * must be answered sooner); the table follows in the same group when the run ends, and failures alert every
 * agents' group. `/probe status` shows the table without probing.
 */
export const probeCommand: CommandSpec<Services> = {
  usage: '/probe [status]',
  summary: '拨测各渠道（模拟投诉并跟踪到客服群卡片）；/probe status 查看渠道健康表',
  async run({ services, args, input }) {
    const tz = services.config.calendar.timeZone;
    if (args[0] === 'status') {
      return { kind: 'markdown', title: '渠道健康', markdown: channelTableMarkdown(await channelTable(services), tz) };
    }
    const names = [...probeDrivers(services).keys()];
    if (names.length === 0) return { kind: 'text', text: '没有可拨测的渠道。' };
    void runProbes(services, { trigger: `command:${input.actor.platform}:${input.actor.userId}` })
      .then(async (results) => {
        const table = channelTableMarkdown(await channelTable(services), tz);
        const ok = results.every((r) => r.ok);
        const now = services.clock.now();
        await services.database.db.transaction((tx) =>
          enqueue(tx, now, [
            {
              channel: input.surface,
              kind: 'agents.text',
              ticketId: null,
              payload: { text: `${ok ? '✅ 拨测完成，全部通过' : '❌ 拨测完成，有渠道失败'}\n${table}` },
              idemKey: `probe-done:${results.map((r) => r.runId).join('-')}`,
            },
          ]),
        );
        services.desk.deps.wake();
      })
      .catch((e) => services.log.error('probe run failed', { err: String(e) }));
    return { kind: 'text', text: `已开始拨测：${names.join('、')}。结果稍后发到本群（最长 ${services.config.probes.timeoutSeconds} 秒）。` };
  },
};
