/** The made-up people of the sandbox: two customers and two agents, each with a Feishu-shaped open_id. */
export interface Persona {
  key: string;
  name: string;
  openId: string;
  role: 'customer' | 'agent';
}

export const BOT_OPEN_ID = 'ou_sandbox_bot';
export const AGENTS_CHAT_ID = 'oc_sandbox_agents';

export const PERSONAS: Persona[] = [
  { key: 'wang', name: '王女士', openId: 'ou_sandbox_customer_wang', role: 'customer' },
  { key: 'li', name: '李先生', openId: 'ou_sandbox_customer_li', role: 'customer' },
  { key: 'zhang', name: '张客服', openId: 'ou_sandbox_agent_zhang', role: 'agent' },
  { key: 'chen', name: '陈主管', openId: 'ou_sandbox_agent_chen', role: 'agent' },
];

export const personaByKey = (key: string) => PERSONAS.find((p) => p.key === key);
export const personaByOpenId = (openId: string) => PERSONAS.find((p) => p.openId === openId);

/** The customer's one-to-one chat with the bot. */
export const p2pChatId = (p: Persona) => `oc_sandbox_p2p_${p.key}`;
export const customerOfChat = (chatId: string) => PERSONAS.find((p) => p.role === 'customer' && p2pChatId(p) === chatId);

/** DingTalk: the same people by staff id (customers are org members, so 1:1 robot messages reach them). */
export const DT_AGENTS_CID = 'cid_sandbox_agents';
export const staffIdOf = (p: Persona) => `sandbox_${p.key}`;
export const personaByStaffId = (staffId: string) => PERSONAS.find((p) => staffIdOf(p) === staffId);
export const dtP2pCid = (p: Persona) => `cid_sandbox_p2p_${p.key}`;
