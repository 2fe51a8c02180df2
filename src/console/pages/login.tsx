import type { OAuthProvider } from '../oauth.ts';

export const LOGIN_ERRORS: Record<string, string> = {
  token: '管理令牌不正确。',
  csrf: '页面已过期，请重新提交。',
  closed: '未配置 ADMIN_TOKEN 或 SESSION_SECRET，控制台已关闭。',
  state: '登录请求已过期或来源不明，请重新登录。',
  oauth: '第三方登录失败，请稍后重试或联系管理员。',
  not_member: '你的账号不在团队名单中（配置文件 roles），无法登录控制台。请联系管理员添加。',
  expired: '登录已过期，请重新登录。',
  revoked: '你的账号已不在团队名单中，已退出登录。',
};

export function LoginPage(props: { csrf: string | null; next: string; providers: OAuthProvider[]; error?: string; tokenEnabled: boolean }) {
  const message = props.error ? (LOGIN_ERRORS[props.error] ?? LOGIN_ERRORS.oauth) : null;
  return (
    <div class="login">
      <div class="card">
        <h1>登录客户反馈控制台</h1>
        <p class="sub">团队成员请用飞书或钉钉登录；首次部署时管理员可用管理令牌登录。</p>
        {message ? (
          <p class="err" role="alert">
            {message}
          </p>
        ) : null}
        {props.providers.length ? (
          <div class="oauth">
            {props.providers.map((p) => (
              <a class="btn" href={`/console/auth/${p.id}/start?next=${encodeURIComponent(props.next)}`}>
                使用{p.label}登录
              </a>
            ))}
          </div>
        ) : (
          <p class="small muted">未配置飞书或钉钉应用，暂不能用企业账号登录。</p>
        )}
        <p class="small muted">
          没有飞书 / 钉钉账号？请管理员在服务器上运行 <code>npx loopdesk user add --name 姓名 --role agent</code>，把打印出的一次性登录链接发给你。
        </p>
        {props.tokenEnabled && props.csrf ? (
          <form method="post" action="/console/login" style="margin-top:20px">
            <input type="hidden" name="csrf" value={props.csrf} />
            <input type="hidden" name="next" value={props.next} />
            <label for="token">管理令牌（ADMIN_TOKEN）</label>
            <input id="token" name="token" type="password" autocomplete="current-password" required minlength={16} />
            <div class="actions" style="margin-top:12px">
              <button type="submit">用管理令牌登录</button>
            </div>
          </form>
        ) : null}
      </div>
    </div>
  );
}
