import type { ChannelFactory } from '../services.ts';
import { createWebChannel } from './web/index.tsx';
import { createDingTalkChannel } from './dingtalk/index.ts';
import { createFeishuChannel } from './feishu/index.ts';
import { createHelpdeskChannel } from './feishu-helpdesk/index.ts';
import { createInboundApiChannel } from './api/index.ts';
import { createWecomChannel } from './wecom/index.ts';
import { createProbeRoutes } from '../probes/routes.ts';

/**
 * The channels on Cloudflare Workers: Node's list (`loadChannels` in load.ts) without e-mail, whose IMAP/SMTP connections need a
 * process that stays up. Same factories, same order (a test keeps the two lists in step); each is still null until
 * its credentials are set. Static imports: a Worker is one bundle, loaded once per isolate.
 */
export function workersChannels(): ChannelFactory[] {
  return [createWebChannel, createInboundApiChannel, createWecomChannel, createProbeRoutes, createFeishuChannel, createHelpdeskChannel, createDingTalkChannel];
}
