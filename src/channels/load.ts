import type { Config, Env } from '../config.ts';
import type { ChannelFactory } from '../services.ts';
import { sandboxEnabled } from '../sandbox/settings.ts';

/**
 * The channels of this deployment, loaded lazily: a platform SDK is imported only when its credentials are set
 * (all of them together cost ~2 s and ~170 MB at startup). Each factory still makes the final check and returns
 * null when its settings are incomplete. Workers use the same list without e-mail (workers.ts; a test keeps them
 * in step).
 */
const registry: Array<{ wanted(env: Env, config: Config): boolean; load(): Promise<ChannelFactory> }> = [
  { wanted: () => true, load: async () => (await import('./web/index.tsx')).createWebChannel },
  { wanted: (_, c) => c.inbound.sources.length > 0, load: async () => (await import('./api/index.ts')).createInboundApiChannel },
  { wanted: () => true, load: async () => (await import('./contact/index.ts')).createContactChannel },
  { wanted: (e) => !!e.EMAIL_IMAP_URL, load: async () => (await import('./email/index.ts')).createEmailChannel },
  { wanted: (e) => !!e.WECOM_CORP_ID, load: async () => (await import('./wecom/index.ts')).createWecomChannel },
  { wanted: () => true, load: async () => (await import('../probes/routes.ts')).createProbeRoutes },
  { wanted: (e) => !!e.FEISHU_APP_ID, load: async () => (await import('./feishu/index.ts')).createFeishuChannel },
  { wanted: (e) => !!e.FEISHU_HELPDESK_ID, load: async () => (await import('./feishu-helpdesk/index.ts')).createHelpdeskChannel },
  { wanted: (e) => !!e.DINGTALK_CLIENT_ID, load: async () => (await import('./dingtalk/index.ts')).createDingTalkChannel },
  // Node only (it answers loopback requests); not on Workers.
  { wanted: (e) => sandboxEnabled(e), load: async () => (await import('../sandbox/index.ts')).createSandboxChannel },
  { wanted: (e) => sandboxEnabled(e) && !e.DINGTALK_CLIENT_ID, load: async () => (await import('../sandbox/index.ts')).createSandboxDingTalkChannel },
];

export async function loadChannels(env: Env, config: Config): Promise<ChannelFactory[]> {
  return Promise.all(registry.filter((r) => r.wanted(env, config)).map((r) => r.load()));
}
