import type { ChannelFactory } from '../services.ts';
import { sandboxDingTalk } from './dingtalk.ts';
import { sandboxFeishu } from './feishu.ts';
import { mountSandbox } from './routes.ts';
import { dingTalkTaken, feishuTaken, sandboxEnabled } from './settings.ts';
import { sandboxState } from './state.ts';
import { SANDBOX_SWEEP_MS } from './clock.ts';

/**
 * The sandbox plays Feishu (channel name `feishu`: an agents' surface with the Feishu sender) and serves /sandbox.
 * Null when it is off (SANDBOX=off, or a platform is configured and not SANDBOX=on). Beside a real Feishu app the
 * name is taken: the page stays (and says so), the sandbox plays nothing under that name.
 */
export const createSandboxChannel: ChannelFactory = (core) => {
  if (!sandboxEnabled(core.env)) return null;
  const state = sandboxState(core);
  state.feishu = feishuTaken(core.env) ? null : sandboxFeishu(state.world.core, state.chats);
  let ticking: NodeJS.Timeout | undefined;
  return {
    name: state.feishu ? 'feishu' : 'sandbox',
    agentSurface: Boolean(state.feishu),
    sender: state.feishu ? state.world.drawAhead(state.feishu.sender) : undefined,
    routes: (app) => mountSandbox(app, { core, state }),
    health: () => ({ mode: 'sandbox', state: 'ready', path: '/sandbox', clockAheadMs: state.world.offsetMs() }),
    async start() {
      // The service's sweep fires what is due in real time; a sandbox ahead of it sweeps its own tickets.
      ticking = setInterval(() => void state.world.sweep().catch((e) => core.log.warn('sandbox sweep failed', { err: String(e) })), SANDBOX_SWEEP_MS);
      ticking.unref();
    },
    async stop() {
      clearInterval(ticking);
    },
  };
};

/** The sandbox's DingTalk half (the page's 钉钉 switch): channel name `dingtalk`, the DingTalk sender. */
export const createSandboxDingTalkChannel: ChannelFactory = (core) => {
  if (!sandboxEnabled(core.env) || dingTalkTaken(core.env)) return null;
  const state = sandboxState(core);
  state.dingtalk = sandboxDingTalk(state.world.core, state.chats);
  return { name: 'dingtalk', agentSurface: true, sender: state.world.drawAhead(state.dingtalk.sender), health: () => ({ mode: 'sandbox', state: 'ready' }) };
};

export { sandboxEnabled } from './settings.ts';
