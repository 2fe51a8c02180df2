/** The console's page frame: navigation by role, the signed-in person, sign-out (POST with a CSRF token), styles. */
import type { Child } from 'hono/jsx';
import type { ConsoleRole } from './session.ts';
import { DEMO_LABEL, DEMO_NOTICE } from '../demo/marker.ts';

const css = `
:root{--fg:#1f2329;--muted:#5a6169;--line:#dee0e3;--brand:#245bdb;--brand-l:#e1eaff;--bg:#f5f6f7;--ok:#007a4d;--bad:#c2410c;--warn:#8a5a00}
*{box-sizing:border-box}
body{margin:0;font:15px/1.6 -apple-system,BlinkMacSystemFont,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC","Noto Sans SC",sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--brand)}a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,summary:focus-visible{outline:3px solid #ffb000;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:8px}.skip:focus{left:8px;z-index:10}
header.top{background:#fff;border-bottom:1px solid var(--line)}
.bar{max-width:1200px;margin:0 auto;padding:10px 16px;display:flex;flex-wrap:wrap;align-items:center;gap:8px 20px}
.brand{font-weight:700;font-size:17px;color:var(--fg);text-decoration:none;margin-right:8px}
nav.main{display:flex;flex-wrap:wrap;gap:4px}
nav.main a{padding:6px 12px;border-radius:6px;color:var(--fg);text-decoration:none}
nav.main a[aria-current=page]{background:var(--brand-l);color:var(--brand);font-weight:600}
.who{margin-left:auto;display:flex;align-items:center;gap:10px;color:var(--muted);font-size:14px}
.who form{margin:0}
main{max-width:1200px;margin:0 auto;padding:20px 16px 48px}
h1{font-size:22px;margin:4px 0 4px}h2{font-size:18px;margin:28px 0 10px}
p.sub{color:var(--muted);margin:0 0 16px}
.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:16px 18px;margin-bottom:16px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(440px,100%),1fr));gap:16px}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px;margin:12px 0 8px}
.kpi{background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.kpi .v{font-size:26px;font-weight:700;line-height:1.2}.kpi .l{color:var(--muted);font-size:13px}.kpi .n{font-size:12px;color:var(--muted)}
.kpi.good .v{color:var(--ok)}.kpi.bad .v{color:var(--bad)}
figure.chart{margin:0}figure.chart figcaption{font-weight:600;margin-bottom:6px}
figure.chart svg{width:100%;height:auto;display:block}
details{margin-top:6px;font-size:13px}summary{cursor:pointer;color:var(--brand)}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid var(--line);padding:7px 8px;text-align:left;vertical-align:top}
tbody th[scope=row]{white-space:nowrap}
thead th{background:#f0f2f5;font-weight:600;white-space:nowrap}
table.data td,table.data th{font-size:13px;padding:4px 6px}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600;white-space:nowrap;border:1px solid transparent}
.s-breached{background:#fde8e1;color:#9a2f06;border-color:#f3b9a3}.s-due_soon{background:#fff3d6;color:#7a4f00;border-color:#f0d28a}
.s-on_track{background:#e3f4ec;color:#005c3a;border-color:#a8dcc4}.s-paused{background:#eceff3;color:#3d444d;border-color:#cdd2d9}
.s-met{background:#e3f4ec;color:#005c3a}.s-none{background:#f0f2f5;color:#5a6169}
.badge.tag-major,.badge.tag-probe{margin-left:6px}.tag-major{background:#c2410c;color:#fff}.tag-probe{background:#eceff3;color:#3d444d}
form.filters{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px 12px;align-items:end}
label{display:block;font-size:13px;color:var(--muted);margin-bottom:3px}
input,select,textarea{width:100%;font:inherit;padding:7px 9px;border:1px solid #b9bec7;border-radius:6px;background:#fff;color:var(--fg)}
input[type=checkbox]{width:auto}
.check{display:flex;gap:6px;align-items:center;font-size:14px;color:var(--fg)}
button,.btn{display:inline-block;font:inherit;font-weight:600;color:#fff;background:var(--brand);border:0;border-radius:6px;padding:8px 16px;cursor:pointer;text-decoration:none;text-align:center}
button.link{background:none;color:var(--brand);padding:0;font-weight:400;text-decoration:underline}
.btn.secondary{background:#fff;color:var(--brand);border:1px solid var(--brand)}
.actions{display:flex;gap:8px;flex-wrap:wrap}
a.kpi{text-decoration:none;color:inherit}form.act,form.story-form{margin:0 0 14px}textarea{resize:vertical}
form.act button,form.story-form button{margin-top:6px}
.pager{display:flex;justify-content:space-between;align-items:center;margin-top:12px}
.notice{background:#fff8e6;border:1px solid #f0d28a;border-radius:8px;padding:8px 12px;margin:10px 0}
.err{color:var(--bad);font-weight:600}
.ok{color:var(--ok);font-weight:600}
.kv th{width:10em;white-space:nowrap;background:#fafbfc;font-weight:600}
.msg{border-left:3px solid var(--line);padding:6px 12px;margin:8px 0;background:#fff}
.msg.in{border-color:#0072B2}.msg.out{border-color:#009E73}.msg.internal{border-color:#E69F00;background:#fffcf2}
.msg .meta{font-size:12px;color:var(--muted)}.msg .body{white-space:pre-wrap;word-break:break-word}
.muted{color:var(--muted)}.small{font-size:13px}
code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px;word-break:break-all}
.login{max-width:420px;margin:48px auto}
.login .card{padding:24px}
.oauth{display:grid;gap:8px;margin-top:12px}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.demo-banner{background:#7a1fa2;color:#fff;text-align:center;font-weight:700;padding:6px 12px;letter-spacing:.05em}
@media (max-width:640px){h1{font-size:20px}.who{margin-left:0;width:100%}.kpi .v{font-size:22px}main{padding:14px 10px 40px}
 table.list thead{display:none}table.list tr{display:block;border-bottom:1px solid var(--line);padding:6px 0}
 table.list td{display:block;border:0;padding:2px 8px}table.list td[data-label]::before{content:attr(data-label)"：";color:var(--muted)}}
@media print{header.top,.noprint,details summary,form.filters{display:none!important}body{background:#fff;font-size:12px}
 main{max-width:none;padding:0}.card{border:0;padding:0;margin-bottom:10px}h2{break-after:avoid}tr{break-inside:avoid}
 details>*:not(summary){display:block}a{color:inherit;text-decoration:none}}
`;

export interface Viewer {
  name: string;
  role: ConsoleRole;
  method: string;
  /** The id the person acts under (platform user id, local account id, 'admin' for a token session). */
  userId?: string;
}

const ROLE_LABELS: Record<ConsoleRole, string> = { agent: '客服', lead: '负责人', admin: '管理员' };

const NAV: Array<{ href: string; label: string; min: ConsoleRole }> = [
  { href: '/console/overview', label: '概览', min: 'agent' },
  { href: '/console/queues', label: '工作台', min: 'agent' },
  { href: '/console/tickets', label: '工单', min: 'agent' },
  { href: '/console/new-ticket', label: '新建工单', min: 'agent' },
  { href: '/console/ledger', label: '台账', min: 'lead' },
  { href: '/console/settings', label: '机制说明', min: 'lead' },
  { href: '/console/readiness', label: '预审自检', min: 'lead' },
  { href: '/console/customers', label: '个人信息', min: 'admin' },
];
const RANK: Record<ConsoleRole, number> = { agent: 1, lead: 2, admin: 3 };

/** `demo`: the database was made by `loopdesk demo`; every page says so in its title and a banner (also printed). */
export function Page(props: { title: string; company: string; viewer?: Viewer; csrf?: string; active?: string; demo?: boolean; children: Child }) {
  const v = props.viewer;
  return (
    <html lang="zh-CN">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{`${props.demo ? `【${DEMO_LABEL}】` : ''}${props.title} · ${props.company} · Loopdesk 客户反馈控制台`}</title>
        <style>{css}</style>
      </head>
      <body>
        <a class="skip" href="#main">
          跳到正文
        </a>
        {props.demo ? (
          <div class="demo-banner" role="note">
            {DEMO_NOTICE}
          </div>
        ) : null}
        <header class="top">
          <div class="bar">
            <a class="brand" href="/console/overview">
              {props.company} · 客户反馈控制台
            </a>
            {v ? (
              <nav class="main" aria-label="主导航">
                {NAV.filter((n) => RANK[v.role] >= RANK[n.min]).map((n) => (
                  <a href={n.href} aria-current={props.active === n.href ? 'page' : undefined}>
                    {n.label}
                  </a>
                ))}
              </nav>
            ) : null}
            {v ? (
              <div class="who">
                <span>
                  {v.name}（{ROLE_LABELS[v.role]}）
                </span>
                <form method="post" action="/console/logout">
                  <input type="hidden" name="csrf" value={props.csrf ?? ''} />
                  <button class="link" type="submit">
                    退出
                  </button>
                </form>
              </div>
            ) : null}
          </div>
        </header>
        <main id="main">{props.children}</main>
      </body>
    </html>
  );
}

export const roleLabel = (r: ConsoleRole) => ROLE_LABELS[r];
