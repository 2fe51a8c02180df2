import type { ChannelFactory } from '../services.ts';
import { SandboxChats } from './chats.ts';
import { sandboxFeishu } from './feishu.ts';
import { mountSandbox } from './routes.ts';
import { feishuTaken, sandboxEnabled } from './settings.ts';

/**
 * The sandbox as a channel of this deployment: it plays Feishu (channel name `feishu`, an agents' surface with the
 * Feishu sender) and serves /sandbox. Null when it is off (SANDBOX=off, or a platform is configured and not SANDBOX=on).
 */
export const createSandboxChannel: ChannelFactory = (core) => {
  if (!sandboxEnabled(core.env)) return null;
  const chats = new SandboxChats();
  // Beside a real Feishu app the name is taken: the page stays, the sandbox plays nothing.
  const feishu = feishuTaken(core.env) ? null : sandboxFeishu(core, chats);
  return {
    name: feishu ? 'feishu' : 'sandbox',
    agentSurface: Boolean(feishu),
    sender: feishu?.sender,
    routes: (app) => mountSandbox(app, { core, chats, feishu }),
    health: () => ({ mode: 'sandbox', state: 'ready', path: '/sandbox' }),
  };
};

export { sandboxEnabled } from './settings.ts';
