import type * as lark from '@larksuiteoapi/node-sdk';

export type FeishuEventHandler = (data: unknown) => Promise<unknown>;

interface Hook {
  handlers: Record<string, FeishuEventHandler>;
  dispatchers: lark.EventDispatcher[];
}

/** Per service instance (keyed by its CoreServices object), so two desks in one process never share handlers. */
const hooks = new WeakMap<object, Hook>();

function hookOf(owner: object): Hook {
  let h = hooks.get(owner);
  if (!h) hooks.set(owner, (h = { handlers: {}, dispatchers: [] }));
  return h;
}

/**
 * Handlers for other event types that arrive through the Feishu app's own event delivery (webhook or long
 * connection), e.g. the helpdesk's `helpdesk.ticket_message.created_v1`. Either side may come first: channels are
 * built in list order, and events flow only after all of them are.
 */
export function addFeishuEventHandlers(owner: object, handlers: Record<string, FeishuEventHandler>): void {
  const h = hookOf(owner);
  Object.assign(h.handlers, handlers);
  for (const d of h.dispatchers) d.register(handlers);
}

/** The Feishu channel hands its dispatcher over once it is built. */
export function attachFeishuEventHandlers(owner: object, dispatcher: lark.EventDispatcher): void {
  const h = hookOf(owner);
  h.dispatchers.push(dispatcher);
  if (Object.keys(h.handlers).length) dispatcher.register(h.handlers);
}

/** False when no Feishu channel runs in this service: nothing would deliver the events. */
export function feishuEventsAttached(owner: object): boolean {
  return (hooks.get(owner)?.dispatchers.length ?? 0) > 0;
}
