import type * as lark from '@larksuiteoapi/node-sdk';
import type { SandboxChats } from './chats.ts';
import { BOT_OPEN_ID, personaByOpenId, p2pChatId } from './personas.ts';

type Answer = Record<string, unknown> & { code: number; msg: string };
const ok = (extra: Record<string, unknown> = {}): Answer => ({ code: 0, msg: 'success', ...extra });
// The codes Feishu gives for these cases; the sender classifies them as it would the real ones.
const notFound = (what: string): Answer => ({ code: 230011, msg: `sandbox: ${what} not found` });
const unsupported = (method: string, path: string): Answer => ({ code: 230001, msg: `sandbox: ${method} ${path} is not part of the stand-in` });

/**
 * An in-process stand-in for the Feishu Open API, given to the Lark SDK as its `httpInstance`: the channel's own
 * sender makes its real calls (token, bot info, send, reply, patch, upload), and what it sends lands in the sandbox's
 * chats instead of on the network. Unknown calls get a Feishu-style business error, never a silent success.
 */
export function feishuOpenApiStandIn(chats: SandboxChats): lark.HttpInstance {
  let files = 0;

  function handle(method: string, url: string, params: Record<string, unknown>, data: Record<string, unknown>): Answer {
    const path = new URL(url, 'https://open.feishu.cn').pathname;
    if (method === 'POST' && path === '/open-apis/auth/v3/tenant_access_token/internal') return ok({ tenant_access_token: 't-sandbox', expire: 7200 });
    if (method === 'GET' && path === '/open-apis/bot/v3/info') return ok({ bot: { open_id: BOT_OPEN_ID, app_name: 'Loopdesk 沙盒', activate_status: 2 } });
    if (method === 'POST' && path === '/open-apis/im/v1/messages') {
      const to = String(data.receive_id ?? '');
      const persona = params.receive_id_type === 'open_id' ? personaByOpenId(to) : undefined;
      if (params.receive_id_type === 'open_id' && !persona) return notFound(`user ${to}`);
      const m = chats.add({
        chatId: persona ? p2pChatId(persona) : to,
        senderId: BOT_OPEN_ID,
        msgType: String(data.msg_type),
        content: parse(data.content),
        uuid: stringOr(data.uuid),
      });
      return ok({ data: { message_id: m.id, chat_id: m.chatId, msg_type: m.msgType } });
    }
    let match = /^\/open-apis\/im\/v1\/messages\/([^/]+)\/reply$/.exec(path);
    if (method === 'POST' && match) {
      const parent = chats.get(match[1]);
      if (!parent) return notFound(`message ${match[1]}`);
      const m = chats.add({
        chatId: parent.chatId,
        senderId: BOT_OPEN_ID,
        msgType: String(data.msg_type),
        content: parse(data.content),
        parentId: parent.id,
        uuid: stringOr(data.uuid),
      });
      return ok({ data: { message_id: m.id, chat_id: m.chatId, msg_type: m.msgType } });
    }
    match = /^\/open-apis\/im\/v1\/messages\/([^/]+)$/.exec(path);
    if (method === 'PATCH' && match) return chats.update(match[1], parse(data.content)) ? ok() : notFound(`message ${match[1]}`);
    if (method === 'POST' && path === '/open-apis/im/v1/files') {
      // The file itself stays on disk (the ledger); the chat shows its name. Close the stream we were handed.
      const file = data.file as { destroy?: () => void } | undefined;
      file?.destroy?.();
      return ok({ data: { file_key: `file_sandbox_${++files}:${String(data.file_name ?? 'file')}` } });
    }
    return unsupported(method, path);
  }

  const request = async <T>(opts: lark.HttpRequestOptions<unknown>): Promise<T> =>
    handle(String(opts.method ?? 'GET').toUpperCase(), String(opts.url ?? ''), (opts.params ?? {}) as Record<string, unknown>, formOrJson(opts.data)) as T;
  return {
    request,
    get: (url, opts) => request({ ...opts, url, method: 'GET' }),
    delete: (url, opts) => request({ ...opts, url, method: 'DELETE' }),
    head: (url, opts) => request({ ...opts, url, method: 'HEAD' }),
    options: (url, opts) => request({ ...opts, url, method: 'OPTIONS' }),
    post: (url, data, opts) => request({ ...opts, url, data, method: 'POST' }),
    put: (url, data, opts) => request({ ...opts, url, data, method: 'PUT' }),
    patch: (url, data, opts) => request({ ...opts, url, data, method: 'PATCH' }),
  } as lark.HttpInstance;
}

function parse(content: unknown): Record<string, unknown> {
  if (typeof content !== 'string') return {};
  try {
    return JSON.parse(content) as Record<string, unknown>;
  } catch {
    return { text: content };
  }
}

const stringOr = (x: unknown) => (typeof x === 'string' && x ? x : undefined);

/** Uploads come as multipart form data; everything else as a plain object. */
function formOrJson(data: unknown): Record<string, unknown> {
  if (data && typeof data === 'object' && typeof (data as { getHeaders?: unknown }).getHeaders === 'function') return {};
  return (data ?? {}) as Record<string, unknown>;
}
