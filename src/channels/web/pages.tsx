import type { Child } from 'hono/jsx';

const css = `
:root{--fg:#1f2329;--muted:#646a73;--line:#dee0e3;--brand:#3370ff;--brand-d:#245bdb;--bg:#f5f6f7;--ok:#00a86b;--warn:#d83931}
*{box-sizing:border-box}body{margin:0;font:16px/1.6 -apple-system,BlinkMacSystemFont,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:640px;margin:0 auto;padding:24px 16px 48px}
.card{background:#fff;border:1px solid var(--line);border-radius:12px;padding:24px;box-shadow:0 1px 2px rgba(0,0,0,.04)}
h1{font-size:22px;margin:0 0 4px}p.lead{color:var(--muted);margin:0 0 20px}
label{display:block;font-weight:600;margin:16px 0 6px}label small{font-weight:400;color:var(--muted)}
input,select,textarea{width:100%;font:inherit;padding:10px 12px;border:1px solid var(--line);border-radius:8px;background:#fff;color:var(--fg)}
textarea{min-height:140px;resize:vertical}input:focus,select:focus,textarea:focus{outline:2px solid var(--brand);outline-offset:1px;border-color:var(--brand)}
button{margin-top:20px;width:100%;font:inherit;font-weight:600;color:#fff;background:var(--brand);border:0;border-radius:8px;padding:12px;cursor:pointer}
button:hover,button:focus{background:var(--brand-d)}
.note{font-size:14px;color:var(--muted);margin-top:16px}.err{color:var(--warn);font-weight:600}
.code{font:600 20px/1.4 ui-monospace,Menlo,Consolas,monospace;letter-spacing:.5px}
.badge{display:inline-block;padding:2px 10px;border-radius:999px;background:#e1eaff;color:var(--brand-d);font-size:14px;font-weight:600}
.msgs{list-style:none;padding:0;margin:16px 0 0}.msgs li{border-top:1px solid var(--line);padding:12px 0}
.who{font-size:14px;color:var(--muted)}.who b{color:var(--fg)}.body{white-space:pre-wrap;word-break:break-word}
.scores{display:flex;gap:8px;margin-top:8px}.scores label{flex:1;margin:0;text-align:center;border:1px solid var(--line);border-radius:8px;padding:8px 0;font-weight:400;cursor:pointer}
.scores input{width:auto;margin-right:4px}
footer{text-align:center;color:var(--muted);font-size:13px;margin-top:24px}
`;

export function Layout(props: { title: string; children: Child }) {
  return (
    <html lang="zh-CN">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{props.title}</title>
        <style>{css}</style>
      </head>
      <body>
        <main>{props.children}</main>
      </body>
    </html>
  );
}

export interface FormProps {
  company: string;
  categories: Array<{ id: string; name: string; promise: string }>;
  submissionId: string;
  error?: string;
  values?: Record<string, string>;
  /** Privacy notice (config `privacy.notice`). */
  notice: string;
}

export function FeedbackForm(p: FormProps) {
  const v = p.values ?? {};
  return (
    <Layout title={`意见反馈 · ${p.company}`}>
      <div class="card">
        <h1>意见反馈</h1>
        <p class="lead">问题、投诉、咨询或建议都可以告诉我们。提交后您会立即收到工单号和我们的响应时间承诺。</p>
        {p.error ? (
          <p class="err" role="alert">
            {p.error}
          </p>
        ) : null}
        <form method="post" action="/api/feedback">
          <input type="hidden" name="submissionId" value={p.submissionId} />
          <label for="name">
            称呼 <small>（选填）</small>
          </label>
          <input id="name" name="name" maxlength={50} autocomplete="name" value={v.name ?? ''} />
          <label for="contact">
            联系方式 <small>手机号或邮箱</small>
          </label>
          <input id="contact" name="contact" required maxlength={100} autocomplete="email" inputmode="email" value={v.contact ?? ''} />
          <label for="category">
            类型 <small>（选填，不确定可不选）</small>
          </label>
          <select id="category" name="category">
            <option value="">请选择</option>
            {p.categories.map((c) => (
              <option value={c.id} selected={v.category === c.id}>
                {c.name}（{c.promise}）
              </option>
            ))}
          </select>
          <label for="content">内容</label>
          <textarea id="content" name="content" required maxlength={5000} placeholder="请描述您遇到的问题或想法，越具体越好">
            {v.content ?? ''}
          </textarea>
          <p class="note" id="privacy">
            <b>个人信息处理说明</b>：{p.notice}
          </p>
          <label style="display:flex;gap:8px;align-items:flex-start;font-weight:normal">
            <input
              type="checkbox"
              name="consent"
              value="on"
              required
              checked={v.consent === 'on'}
              style="width:auto;margin-top:4px"
              aria-describedby="privacy"
            />
            <span>我已阅读并同意为处理本次反馈使用我的联系方式和反馈内容</span>
          </label>
          <button type="submit">提交反馈</button>
        </form>
      </div>
      <footer>{p.company} · 客户反馈中心</footer>
    </Layout>
  );
}

export interface TicketPageProps {
  company: string;
  code: string;
  statusLabel: string;
  promise: string;
  justCreated: boolean;
  messages: Array<{ who: 'customer' | 'company'; at: string; body: string }>;
  surveyOpen: boolean;
  csat: number | null;
  closed: boolean;
  token: string;
  notice?: string;
  /** Privacy notice (config `privacy.notice`). */
  privacy: string;
}

export function TicketPage(p: TicketPageProps) {
  return (
    <Layout title={`工单 ${p.code} · ${p.company}`}>
      <div class="card">
        {p.justCreated ? <h1>提交成功，感谢您的反馈</h1> : <h1>我的反馈</h1>}
        <p>
          工单号 <span class="code">{p.code}</span> <span class="badge">{p.statusLabel}</span>
        </p>
        <p>{p.promise}</p>
        {p.justCreated ? <p class="note">请收藏本页：这是您的专属链接，可随时查看处理进度与我们的回复，请勿转发给他人。</p> : null}
        {p.notice ? (
          <p class="note" role="status">
            {p.notice}
          </p>
        ) : null}
        <ul class="msgs" aria-label="沟通记录">
          {p.messages.map((m) => (
            <li>
              <div class="who">
                <b>{m.who === 'customer' ? '您' : p.company}</b> · {m.at}
              </div>
              <div class="body">{m.body}</div>
            </li>
          ))}
        </ul>
        {p.surveyOpen ? (
          <form method="post" action={`/t/${p.token}/survey`}>
            <fieldset style="border:0;padding:0;margin:16px 0 0">
              <legend style="font-weight:600">问题已处理，您对本次服务满意吗？</legend>
              <div class="scores">
                {[1, 2, 3, 4, 5].map((s) => (
                  <label>
                    <input type="radio" name="score" value={String(s)} required />
                    {s} 分
                  </label>
                ))}
              </div>
            </fieldset>
            <label for="comment">
              补充意见 <small>（选填）</small>
            </label>
            <textarea id="comment" name="comment" maxlength={1000} style="min-height:80px"></textarea>
            <button type="submit">提交评价</button>
          </form>
        ) : null}
        {p.csat !== null ? <p class="note">您的评价：{p.csat} 分，感谢！</p> : null}
        {!p.closed && !p.surveyOpen ? (
          <form method="post" action={`/t/${p.token}/messages`}>
            <label for="more">补充说明</label>
            <textarea id="more" name="content" required maxlength={5000} style="min-height:80px"></textarea>
            <button type="submit">发送</button>
          </form>
        ) : null}
        {p.closed ? (
          <p class="note">
            本工单已归档。如有新的问题，请<a href="/feedback">重新提交反馈</a>。
          </p>
        ) : null}
      </div>
      <p class="note" style="margin:12px 4px">
        <b>个人信息处理说明</b>：{p.privacy}
      </p>
      <footer>{p.company} · 客户反馈中心</footer>
    </Layout>
  );
}
