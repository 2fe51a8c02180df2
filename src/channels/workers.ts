import type { ChannelFactory } from '../services.ts';
import { createWebChannel } from './web/index.tsx';
import { createDingTalkChannel } from './dingtalk/index.ts';
import { createFeishuChannel } from './feishu/index.ts';
import { createHelpdeskChannel } from './feishu-helpdesk/index.ts';
import { createInboundApiChannel } from './api/index.ts';
import { createWecomChannel } from './wecom/index.ts';
import { createProbeRoutes } from '../probes/routes.ts';

/**
 * The channels on Cloudflare Workers: Node's list (`loadChannels` in load.ts) without e-mail and the contact channel
 * (SMTP and the SMS SDK need Node sockets), whose connections need a process that stays up. Customers of web
 * tickets then read replies and the survey on their private page only (services.ts withContactFallback). Same factories, same order (a test keeps the two lists in step); each is still null until
 * its credentials are set. Static imports: a Worker is one bundle, loaded once per isolate.
 */
export function workersChannels(): ChannelFactory[] {
  return [createWebChannel, createInboundApiChannel, createWecomChannel, createProbeRoutes, createFeishuChannel, createHelpdeskChannel, createDingTalkChannel];
}
