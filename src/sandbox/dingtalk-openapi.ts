import type { SandboxChats } from './chats.ts';
import { BOT_OPEN_ID, DT_AGENTS_CID, dtP2pCid, personaByStaffId } from './personas.ts';

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const notFound = (what: string) => json(404, { code: 'sandbox.notFound', message: `sandbox: ${what} not found` });

/**
 * An in-process stand-in for the DingTalk OpenAPI (and the legacy oapi host), given to the channel's API client as
 * its `fetch`: token, robot 1:1 and group messages, session webhooks, card create/deliver and update, file upload.
 * What the channel sends lands in the sandbox's chats; an unknown call is a 404 the channel reports, never a silent OK.
 */
export function dingTalkOpenApiStandIn(chats: SandboxChats): typeof fetch {
  /** Template cards by outTrackId: the chat message that shows them. */
  const cards = new Map<string, string>();
  let files = 0;

  const message = (chatId: string, msgKey: string, param: Record<string, unknown>) => {
    if (msgKey === 'sampleText') return chats.add({ chatId, senderId: BOT_OPEN_ID, msgType: 'dt-text', content: { text: String(param.content ?? '') } });
    if (msgKey === 'sampleMarkdown')
      return chats.add({
        chatId,
        senderId: BOT_OPEN_ID,
        msgType: 'dt-markdown',
        content: { title: String(param.title ?? ''), text: String(param.text ?? '') },
      });
    if (msgKey === 'sampleFile') return chats.add({ chatId, senderId: BOT_OPEN_ID, msgType: 'dt-file', content: { name: String(param.fileName ?? '') } });
    return chats.add({ chatId, senderId: BOT_OPEN_ID, msgType: 'dt-text', content: { text: `[${msgKey} 消息]` } });
  };

  async function handle(method: string, url: URL, body: Record<string, unknown>): Promise<Response> {
    const path = url.pathname;
    if (method === 'POST' && path === '/v1.0/oauth2/accessToken') return json(200, { accessToken: 'sandbox-token', expireIn: 7200 });
    if (method === 'POST' && path === '/v1.0/robot/oToMessages/batchSend') {
      const ids = (body.userIds as string[] | undefined) ?? [];
      const unknown = ids.filter((id) => !personaByStaffId(id));
      for (const id of ids) if (personaByStaffId(id)) message(dtP2pCid(personaByStaffId(id)!), String(body.msgKey), JSON.parse(String(body.msgParam ?? '{}')));
      return json(200, { processQueryKey: `pq_${chats.rev}`, invalidStaffIdList: unknown });
    }
    if (method === 'POST' && path === '/v1.0/robot/groupMessages/send') {
      const cid = String(body.openConversationId ?? '');
      if (cid !== DT_AGENTS_CID) return notFound(`conversation ${cid}`);
      message(cid, String(body.msgKey), JSON.parse(String(body.msgParam ?? '{}')));
      return json(200, { processQueryKey: `pq_${chats.rev}` });
    }
    if (method === 'POST' && path === '/robot/sendBySession') {
      const cid = url.searchParams.get('session') ?? '';
      if (body.msgtype === 'markdown') {
        const md = body.markdown as { title?: string; text?: string };
        chats.add({ chatId: cid, senderId: BOT_OPEN_ID, msgType: 'dt-markdown', content: { title: md.title ?? '', text: md.text ?? '' } });
      } else chats.add({ chatId: cid, senderId: BOT_OPEN_ID, msgType: 'dt-text', content: { text: (body.text as { content?: string })?.content ?? '' } });
      return json(200, { errcode: 0, errmsg: 'ok' });
    }
    if (method === 'POST' && path === '/v1.0/card/instances/createAndDeliver') {
      const outTrackId = String(body.outTrackId ?? '');
      if (cards.has(outTrackId)) return json(400, { code: 'cardAlreadyExist', message: 'cardAlreadyExist' });
      const space = /^dtv1\.card\/\/IM_(GROUP|ROBOT)\.(.+)$/.exec(String(body.openSpaceId ?? ''));
      if (!space) return json(400, { code: 'invalidParameter', message: 'openSpaceId' });
      const staff = space[1] === 'ROBOT' ? personaByStaffId(space[2]) : undefined;
      if (space[1] === 'ROBOT' && !staff)
        return json(200, { success: true, result: { deliverResults: [{ success: false, errorMsg: 'user not found', spaceId: space[2] }] } });
      const chatId = staff ? dtP2pCid(staff) : space[2];
      const params = ((body.cardData as { cardParamMap?: Record<string, string> })?.cardParamMap ?? {}) as Record<string, string>;
      const m = chats.add({
        chatId,
        senderId: BOT_OPEN_ID,
        msgType: 'dt-card',
        content: { outTrackId, templateId: String(body.cardTemplateId ?? ''), params },
      });
      cards.set(outTrackId, m.id);
      return json(200, { success: true, result: { outTrackId, deliverResults: [{ success: true, spaceId: space[2] }] } });
    }
    if (method === 'PUT' && path === '/v1.0/card/instances') {
      const id = cards.get(String(body.outTrackId ?? ''));
      const m = id ? chats.get(id) : undefined;
      if (!m) return notFound(`card ${String(body.outTrackId)}`);
      // updateCardDataByKey: the new params are merged into the old ones.
      const params = { ...(m.content.params as Record<string, string>), ...((body.cardData as { cardParamMap?: Record<string, string> })?.cardParamMap ?? {}) };
      chats.update(m.id, { ...m.content, params });
      return json(200, { success: true, result: true });
    }
    if (method === 'POST' && path === '/media/upload') return json(200, { errcode: 0, media_id: `@sandbox_media_${++files}` });
    return json(404, { code: 'sandbox.unsupported', message: `sandbox: ${method} ${path} is not part of the stand-in` });
  }

  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    let body: Record<string, unknown> = {};
    if (typeof init?.body === 'string') {
      try {
        body = JSON.parse(init.body) as Record<string, unknown>;
      } catch {
        return json(400, { code: 'invalidParameter', message: 'body is not JSON' });
      }
    }
    return handle(String(init?.method ?? 'GET').toUpperCase(), url, body);
  }) as typeof fetch;
}
