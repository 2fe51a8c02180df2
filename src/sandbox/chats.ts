/**
 * What the sandbox's chats hold: the customer's messages, the agents', and what the service sent through the stand-in
 * Open API. In memory only: a restart starts the chats afresh (the tickets stay in the database).
 */
export interface ChatMessage {
  id: string;
  chatId: string;
  /** An open_id of a sandbox persona, or the bot. */
  senderId: string;
  msgType: string;
  /** The message content as the platform carries it (parsed JSON: `{text}` or a card). */
  content: Record<string, unknown>;
  parentId?: string;
  /** Bumped on every change, so the page fetches only what moved. */
  rev: number;
  at: number;
}

const MAX_MESSAGES = 500;

export class SandboxChats {
  private messages: ChatMessage[] = [];
  private byId = new Map<string, ChatMessage>();
  private byUuid = new Map<string, string>();
  private seq = 0;
  rev = 0;

  add(m: Omit<ChatMessage, 'id' | 'rev' | 'at'> & { id?: string; uuid?: string }): ChatMessage {
    if (m.uuid && this.byUuid.has(m.uuid)) return this.byId.get(this.byUuid.get(m.uuid)!)!;
    const msg: ChatMessage = { ...m, id: m.id ?? `om_sandbox_${(++this.seq).toString(36)}_${Date.now().toString(36)}`, rev: ++this.rev, at: Date.now() };
    delete (msg as { uuid?: string }).uuid;
    this.messages.push(msg);
    this.byId.set(msg.id, msg);
    if (m.uuid) this.byUuid.set(m.uuid, msg.id);
    if (this.messages.length > MAX_MESSAGES) for (const old of this.messages.splice(0, this.messages.length - MAX_MESSAGES)) this.byId.delete(old.id);
    return msg;
  }

  get(id: string): ChatMessage | undefined {
    return this.byId.get(id);
  }

  /** Replaces a card in place (a PATCH, or the card a callback answered with). */
  update(id: string, content: Record<string, unknown>): boolean {
    const m = this.byId.get(id);
    if (!m) return false;
    m.content = content;
    m.rev = ++this.rev;
    return true;
  }

  list(chatId: string): ChatMessage[] {
    return this.messages.filter((m) => m.chatId === chatId);
  }

  all(): ChatMessage[] {
    return [...this.messages];
  }
}
