import type { Env } from '../config.ts';
import type { ChannelFactory } from '../services.ts';
import { createWebChannel } from './web/index.tsx';
import { createDingTalkChannel } from './dingtalk/index.ts';
import { createFeishuChannel } from './feishu/index.ts';
import { createHelpdeskChannel } from './feishu-helpdesk/index.ts';
import { createInboundApiChannel } from './api/index.ts';
import { createEmailChannel } from './email/index.ts';
import { createWecomChannel } from './wecom/index.ts';
import { createProbeRoutes } from '../probes/routes.ts';

/** The channels this deployment runs: the web form always, the chat platforms when their credentials are set. */
export function channelsFor(env: Env): ChannelFactory[] {
  const list: ChannelFactory[] = [createWebChannel];
  list.push(createInboundApiChannel); // null unless config.inbound.sources is set
  list.push(createEmailChannel); // null unless EMAIL_IMAP_URL, EMAIL_SMTP_URL and EMAIL_ADDRESS are set
  list.push(createWecomChannel); // null unless WECOM_CORP_ID, WECOM_SECRET, WECOM_TOKEN and WECOM_AES_KEY are set
  list.push(createProbeRoutes); // GET /api/channels, POST /api/channels/probe (admin)
  list.push(createFeishuChannel); // null unless FEISHU_APP_ID / FEISHU_APP_SECRET are set
  list.push(createHelpdeskChannel); // null unless the Feishu app and FEISHU_HELPDESK_ID / FEISHU_HELPDESK_TOKEN are set
  list.push(createDingTalkChannel); // null unless DINGTALK_CLIENT_ID / DINGTALK_CLIENT_SECRET are set
  void env;
  return list;
}
