import { SandboxChats } from './chats.ts';
import type { SandboxDingTalk } from './dingtalk.ts';
import type { SandboxFeishu } from './feishu.ts';
import { sandboxWorld, type SandboxWorld } from './clock.ts';
import type { CoreServices } from '../services.ts';

/** What the sandbox's two channels share in one service: the chats, and which platforms it plays. */
export interface SandboxState {
  chats: SandboxChats;
  /** Null when a real app of that platform holds the channel name (SANDBOX=on beside it). */
  feishu: SandboxFeishu | null;
  dingtalk: SandboxDingTalk | null;
  /** The fast clock and the desk the sandbox's channels use (clock.ts). */
  world: SandboxWorld;
}

// Per service instance (keyed by its CoreServices), so two desks in one process never share chats.
const states = new WeakMap<object, SandboxState>();

export function sandboxState(core: CoreServices): SandboxState {
  let s = states.get(core);
  if (!s) states.set(core, (s = { chats: new SandboxChats(), feishu: null, dingtalk: null, world: sandboxWorld(core) }));
  return s;
}
