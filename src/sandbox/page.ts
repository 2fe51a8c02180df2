import { escapeHtml } from './markdown.ts';
import { PERSONAS } from './personas.ts';

export const SANDBOX_CSS = `
*{box-sizing:border-box}body{margin:0;font:14px/1.5 -apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;background:#eef0f3;color:#1f2329}
header{display:flex;gap:16px;align-items:center;padding:10px 16px;background:#fff;border-bottom:1px solid #dee0e3}header h1{font-size:16px;margin:0}
header h1,header .switch{white-space:nowrap}
header .hint{color:#646a73;font-size:13px;flex:1 1 200px;min-width:0}
main{display:grid;grid-template-columns:minmax(300px,420px) 1fr;gap:12px;padding:12px;height:calc(100vh - 52px)}
.pane{display:flex;flex-direction:column;background:#f5f6f7;border:1px solid #dee0e3;border-radius:8px;min-height:0}
.pane-h{display:flex;gap:8px;align-items:center;padding:8px 12px;background:#fff;border-bottom:1px solid #dee0e3;border-radius:8px 8px 0 0}
.pane-h b{flex:1}.who button{border:1px solid #dee0e3;background:#fff;border-radius:14px;padding:2px 10px;cursor:pointer}.who button.on{background:#3370ff;color:#fff;border-color:#3370ff}
.log{flex:1;overflow:auto;padding:12px;display:flex;flex-direction:column;gap:10px}
.msg{max-width:100%}.msg .from{font-size:12px;color:#8f959e;margin-bottom:2px}.msg.mine{align-self:flex-end;text-align:right}
.text{display:inline-block;background:#fff;border-radius:8px;padding:6px 10px;text-align:left;white-space:normal;word-break:break-word}.msg.mine .text{background:#cce0ff}
.text.error{background:#fde2e2;color:#d83931}.quote{font-size:12px;color:#8f959e}
.compose{display:flex;gap:6px;padding:8px;border-top:1px solid #dee0e3;background:#fff;border-radius:0 0 8px 8px}.compose input{flex:1;padding:6px 8px;border:1px solid #d0d3d6;border-radius:6px}
.compose button,.quick button{padding:4px 10px;border-radius:6px;border:1px solid #3370ff;background:#3370ff;color:#fff;cursor:pointer}.quick{display:flex;gap:6px;padding:0 8px 8px;background:#fff}.quick button{background:#fff;color:#3370ff}
.card{background:#fff;border-radius:8px;border:1px solid #dee0e3;overflow:hidden;max-width:620px;text-align:left}.card-h{padding:10px 12px;color:#fff}.card-t{font-weight:600}.card-st{font-size:12px;opacity:.9}
.h-blue{background:#3370ff}.h-wathet{background:#4e83fd}.h-turquoise{background:#14c0ff}.h-green{background:#34c724}.h-yellow{background:#ffc60a;color:#1f2329}.h-orange{background:#ff8800}.h-red{background:#f54a45}.h-carmine{background:#e22e8b}.h-violet{background:#7f3bf5}.h-purple{background:#8b3bf5}.h-indigo{background:#4954e6}.h-grey{background:#8f959e}.h-default{background:#f5f6f7;color:#1f2329}
.card-b{padding:10px 12px;display:flex;flex-direction:column;gap:8px}.card hr{border:0;border-top:1px solid #dee0e3;margin:2px 0;width:100%}.md ul{margin:2px 0;padding-left:18px}
.plain{white-space:normal}.cols{display:flex;gap:8px}.cols.flow{flex-wrap:wrap}.col{min-width:0}.at{color:#3370ff}
.fc-green{color:#34c724}.fc-orange{color:#ff8800}.fc-red{color:#f54a45}.fc-grey{color:#8f959e}.fc-blue{color:#3370ff}
.btn{padding:4px 12px;border-radius:6px;border:1px solid #d0d3d6;background:#fff;cursor:pointer;font-size:13px}.btn-primary,.btn-primary_filled{border-color:#3370ff;color:#3370ff}.btn-primary_filled{background:#3370ff;color:#fff}.btn-danger{border-color:#f54a45;color:#f54a45}
.form{display:flex;flex-direction:column;gap:6px}.form textarea,.form input,.form select{width:100%;padding:6px;border:1px solid #d0d3d6;border-radius:6px;font:inherit}
.chart{width:100%;max-width:560px;background:#fff}.chart .ct{font-size:13px;font-weight:600}.chart .cl{font-size:10px;fill:#646a73}.chart .ax{stroke:#bbbfc4}
#toast{position:fixed;top:14px;left:50%;transform:translateX(-50%);padding:8px 16px;border-radius:6px;background:#1f2329;color:#fff;display:none;z-index:9}
#toast.success{background:#34c724}#toast.error{background:#f54a45}#toast.warning{background:#ff8800}
.empty{color:#8f959e;text-align:center;margin-top:24px}
.clock{display:flex;gap:6px;align-items:center;margin-left:auto;font-size:13px;white-space:nowrap}
.clock button{border:1px solid #ff8800;color:#ff8800;background:#fff;border-radius:6px;padding:2px 8px;cursor:pointer}
.h-dt{background:#1677ff}.dt-l{font-size:12px;color:#646a73}.switch a{padding:2px 10px;border-radius:14px;border:1px solid #dee0e3;color:#1f2329;text-decoration:none;font-size:13px}.switch a.on{background:#1f2329;color:#fff}
@media (max-width:800px){main{grid-template-columns:1fr;height:auto}.log{min-height:360px}}
`;

/** Runs in the page: polls the chats, posts what the personas type and click. Kept small and dependency-free. */
const SCRIPT = `
const S={rev:-1,customer:'wang',agent:'zhang',msgs:new Map()};
const $=(s)=>document.querySelector(s);
const uid=()=>Date.now().toString(36)+Math.random().toString(36).slice(2,10);
function toast(t){const el=$('#toast');el.textContent=t.content;el.className=t.type;el.style.display='block';clearTimeout(S.tt);S.tt=setTimeout(()=>el.style.display='none',3500);}
async function post(path,body){const r=await fetch(path,{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify(body)});const j=await r.json().catch(()=>({}));if(!r.ok)toast({type:'error',content:(j.error&&j.error.message)||('请求失败 '+r.status)});return j;}
function draw(){
  for(const [pane,chat] of [['#customer-log',P.p2p+S.customer],['#agents-log',P.agents]]){
    const log=$(pane);const list=[...S.msgs.values()].filter(m=>m.chatId===chat);
    const keep=new Set(list.map(m=>m.id));
    for(const el of [...log.children]) if(!keep.has(el.dataset.id)) el.remove();
    let stick=log.scrollTop+log.clientHeight>=log.scrollHeight-40;
    for(const m of list){let el=log.querySelector('[data-id="'+m.id+'"]');
      if(!el){el=document.createElement('div');el.dataset.id=m.id;log.appendChild(el);stick=true;}
      if(el.dataset.rev!==String(m.rev)){el.dataset.rev=m.rev;el.className='msg'+(m.mine?' mine':'');el.innerHTML='<div class="from"></div>'+m.html;el.querySelector('.from').textContent=m.from;}}
    if(!list.length) log.innerHTML='<div class="empty">'+(pane==='#customer-log'?'以客户身份给机器人发一条反馈，例如：“App 登录一直报错 500”':'工单卡片会出现在这里；也可以输入 /stats、/open、/help')+'</div>';
    else log.querySelector('.empty')?.remove();
    if(stick) log.scrollTop=log.scrollHeight;
  }
  document.querySelectorAll('[data-persona]').forEach(b=>b.classList.toggle('on',b.dataset.persona===S.customer||b.dataset.persona===S.agent));
}
function clock(c){if(!c)return;const d=new Date(c.now);const h=Math.round(c.aheadMs/36e5);
  const f={timeZone:'Asia/Shanghai',month:'numeric',day:'numeric',weekday:'short',hour:'2-digit',minute:'2-digit'};
  $('#clock-now').textContent=d.toLocaleString('zh-CN',f)+(h>0?'（已快进 '+h+' 小时）':'');}
async function poll(){try{const r=await fetch('/sandbox/api/state?rev='+S.rev);
  if(r.ok){const j=await r.json();for(const m of j.messages)S.msgs.set(m.id,m);if(j.messages.length)draw();S.rev=j.rev;clock(j.clock);}}catch(e){}}
async function say(side){const input=$('#'+side+'-input');const text=input.value.trim();if(!text)return;input.value='';
  await post('/sandbox/api/say',{platform:P.platform,as:side==='customer'?S.customer:S.agent,text,id:uid()});await poll();}
document.addEventListener('click',async(ev)=>{
  const p=ev.target.closest('[data-persona]');if(p){if(p.dataset.side==='customer')S.customer=p.dataset.persona;else S.agent=p.dataset.persona;draw();return;}
  const dc=ev.target.closest('[data-cards]');
  if(dc){ev.preventDefault();const j=await post('/sandbox/api/dingtalk-cards',{cards:dc.dataset.cards});if(j.ok)location.reload();return;}
  const k=ev.target.closest('[data-jump]');if(k){k.disabled=true;const j=await post('/sandbox/api/clock',{jump:k.dataset.jump});k.disabled=false;
    if(j.clock){clock(j.clock);toast({type:'success',content:'沙盒时间已快进'+(j.fired?'，触发了 '+j.fired+' 个到期提醒':'')});}await poll();return;}
  const q=ev.target.closest('[data-say]');if(q){$('#agents-input').value=q.dataset.say;return say('agents');}
  const b=ev.target.closest('.btn');if(!b)return;
  const msg=b.closest('[data-id]');const inAgents=!!b.closest('#agents-log');let form;
  if(b.dataset.submit){const f=b.closest('form');if(f){if(!f.reportValidity())return;form={};for(const [k,v] of new FormData(f))form[k]=String(v);}}
  b.disabled=true;const j=await post('/sandbox/api/click',{platform:P.platform,as:inAgents?S.agent:S.customer,message:msg.dataset.id,value:JSON.parse(b.dataset.value),form,id:uid()});
  b.disabled=false;if(j.toast)toast(j.toast);await poll();});
document.addEventListener('keydown',(ev)=>{if(ev.key==='Enter'&&ev.target.matches('.compose input')){ev.preventDefault();say(ev.target.id.split('-')[0]);}});
draw();poll();setInterval(poll,700);
`;

const personaButtons = (role: 'customer' | 'agent') =>
  PERSONAS.filter((p) => p.role === role)
    .map((p) => `<button type="button" data-side="${role === 'customer' ? 'customer' : 'agents'}" data-persona="${p.key}">${escapeHtml(p.name)}</button>`)
    .join('');

/** The sandbox page: the customer's chat with the bot on the left, the agents' group on the right. */
export interface SandboxPageOptions {
  company: string;
  platform: 'feishu' | 'dingtalk';
  available: { feishu: boolean; dingtalk: boolean };
  /** DingTalk with the template card or with markdown messages (no template configured). */
  dingTalkCards?: 'template' | 'markdown';
}

export function sandboxPage(opts: SandboxPageOptions): string {
  const dt = opts.platform === 'dingtalk';
  const name = dt ? '钉钉' : '飞书';
  const warning = opts.available[opts.platform] ? '' : `<div class="text error">已配置真实的${name}应用：沙盒不能同时扮演${name}，这里只能查看。</div>`;
  // The chats of the platform shown: the customers' 1:1 chats (prefix + persona key) and the agents' group.
  const chats = { platform: opts.platform, p2p: dt ? 'cid_sandbox_p2p_' : 'oc_sandbox_p2p_', agents: dt ? 'cid_sandbox_agents' : 'oc_sandbox_agents' };
  const md = dt && opts.dingTalkCards === 'markdown';
  const cardsSwitch = dt
    ? `<span class="switch"><a href="#" data-cards="template"${md ? '' : ' class="on"'}>模板卡片</a> ` +
      `<a href="#" data-cards="markdown"${md ? ' class="on"' : ''}>Markdown 消息</a></span>`
    : '';
  const hint = dt
    ? md
      ? '钉钉（未配置卡片模板）：工单以 Markdown 消息发到群里，客服输入命令处理，如 /claim 工单号、/reply 工单号 内容、/resolve 工单号；客户回复数字 1–5 评价。'
      : '钉钉：卡片由模板参数绘制（cards/dingtalk），群里也可以输入命令，如 /claim、/reply 工单号 内容。'
    : '消息走真实的飞书渠道代码与卡片 JSON；';
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Loopdesk 沙盒 · ${escapeHtml(opts.company)}</title><style>${SANDBOX_CSS}</style></head><body>
<header><h1>Loopdesk 沙盒 · ${name}</h1><span class="switch"><a href="/sandbox"${dt ? '' : ' class="on"'}>飞书</a> <a href="/sandbox?platform=dingtalk"${dt ? ' class="on"' : ''}>钉钉</a></span>${cardsSwitch}<span class="hint">左边是客户与机器人的单聊，右边是客服群。${hint}沙盒工单不计入台账和任何统计。</span>
<span class="clock" title="只快进沙盒工单的时钟：时限提醒、升级、回访提醒和未评价关闭会按快进后的时间出现；真实工单不受影响">沙盒时间 <b id="clock-now"></b>
<button type="button" data-jump="hour">快进 1 小时</button><button type="button" data-jump="workday">快进 1 个工作日</button></span></header>
${warning}<div id="toast"></div>
<main>
<section class="pane" id="customer"><div class="pane-h"><b>客户 ↔ ${escapeHtml(opts.company)}机器人</b><span class="who">${personaButtons('customer')}</span></div>
<div class="log" id="customer-log"></div>
<div class="compose"><input id="customer-input" placeholder="以客户身份发消息，回车发送" maxlength="2000"><button type="button" onclick="say('customer')">发送</button></div></section>
<section class="pane" id="agents"><div class="pane-h"><b>客服群</b><span class="who">${personaButtons('agent')}</span></div>
<div class="log" id="agents-log"></div>
<div class="quick"><button type="button" data-say="/stats">/stats</button><button type="button" data-say="/open">/open</button><button type="button" data-say="/mine">/mine</button><button type="button" data-say="/sla">/sla</button><button type="button" data-say="/help">/help</button></div>
<div class="compose"><input id="agents-input" placeholder="输入命令，例如 /stats week、/case FB-…${dt ? '、/claim FB-…' : ''}" maxlength="2000"><button type="button" onclick="say('agents')">发送</button></div></section>
</main><script>const P=${JSON.stringify(chats)};${SCRIPT}</script></body></html>`;
}
