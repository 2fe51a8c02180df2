import type { ChannelSender, OutboxRow } from '../../src/channels/types.ts';
import type { ChannelFactory } from '../../src/services.ts';

/**
 * An agents' surface without a chat platform: a real ChannelSender that keeps what it was asked to deliver, so
 * tests see the pings (text, notify, mention) exactly as a Feishu or DingTalk sender would receive them.
 */
export function recordingChannel(name = 'feishu') {
  const delivered: OutboxRow[] = [];
  const sender: ChannelSender = {
    name,
    async deliver(row) {
      delivered.push(row);
    },
  };
  const factory: ChannelFactory = () => ({ name, agentSurface: true, sender });
  return {
    factory,
    delivered,
    /** The `agents.text` notices delivered so far. */
    texts: () => delivered.filter((r) => r.kind === 'agents.text'),
    clear: () => void delivered.splice(0),
  };
}
