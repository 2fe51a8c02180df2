/**
 * GET /promise — the public service-commitment page a company links from its website and app; GET /promise/qr.png —
 * a QR code of the feedback form (the `qrcode` package), for printing and for the app.
 */
import type { Hono } from 'hono';
import QRCode from 'qrcode';
import type { AppEnv } from '../http/env.ts';
import type { Services } from '../services.ts';
import { Layout } from '../channels/web/pages.tsx';
import { commitmentContent, type CommitmentContent } from './content.ts';

export function embedSnippet(baseUrl: string): string {
  const page = new URL('/promise', baseUrl).toString();
  const qr = new URL('/promise/qr.png', baseUrl).toString();
  return `<a href="${page}" target="_blank" rel="noopener">服务承诺与意见反馈</a>\n<img src="${qr}" alt="扫码提交意见反馈" width="160" height="160">`;
}

function PromisePage(p: { c: CommitmentContent; embed: string }) {
  const { c } = p;
  return (
    <Layout title={`服务承诺 · ${c.company}`}>
      <div class="card">
        <h1>服务承诺</h1>
        <p class="lead">{c.company} 客户意见、咨询与投诉的受理渠道和处理时限</p>
        <h2>怎样联系我们</h2>
        <ul>
          {c.channels.map((ch) => (
            <li>
              <b>{ch.label}</b>：{ch.how}
            </li>
          ))}
        </ul>
        <p>
          <img src="/promise/qr.png" alt="意见反馈表单二维码" width="160" height="160" />
          <br />
          扫码打开意见反馈表单：<a href={c.formUrl}>{c.formUrl}</a>
        </p>
        <h2>我们承诺的时限</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">类别</th>
              <th scope="col">首次回复</th>
              <th scope="col">解决</th>
            </tr>
          </thead>
          <tbody>
            {c.categories.map((cat) => (
              <tr>
                <td>{cat.name}</td>
                <td>{cat.firstResponse}</td>
                <td>{cat.resolution}</td>
              </tr>
            ))}
            <tr>
              <td>重大投诉</td>
              <td>{c.major.firstResponse}</td>
              <td>{c.major.resolution}</td>
            </tr>
          </tbody>
        </table>
        <p>{c.major.sentence}</p>
        <p>
          工作时间：{c.workdays} {c.hours}，按国家法定节假日和调休安排调整。每条反馈的回复都会写明最晚回复的具体时间。
        </p>
        {c.years.map((y) => (
          <details>
            <summary>{y.year} 年节假日与调休上班</summary>
            {y.loaded ? (
              <ul>
                {y.days.map((d) => (
                  <li>
                    {d.date} {d.kind === 'holiday' ? '放假' : '调休上班'}（{d.name}）
                  </li>
                ))}
              </ul>
            ) : (
              <p class="err">{y.year} 年的放假安排尚未载入。</p>
            )}
          </details>
        ))}
        <h2>回访与跟进</h2>
        <ul>
          {c.followUp.map((l) => (
            <li>{l}</li>
          ))}
        </ul>
        <h2>个人信息</h2>
        <p>{c.privacy}</p>
        <h2>在官网或 App 中嵌入</h2>
        <pre style="white-space:pre-wrap;font-size:13px">{p.embed}</pre>
      </div>
      <footer>{c.company} · 客户反馈中心</footer>
    </Layout>
  );
}

export function mountPromiseRoutes(app: Hono<AppEnv>, services: Services): void {
  const content = () =>
    commitmentContent({
      config: services.config,
      env: services.env,
      calendar: services.calendar,
      channels: services.channels.map((c) => c.name),
      now: services.clock.now(),
    });
  app.get('/promise', (c) => c.html(<PromisePage c={content()} embed={embedSnippet(services.env.PUBLIC_BASE_URL)} />));
  app.get('/promise/qr.png', async (c) => {
    const png = await QRCode.toBuffer(new URL('/feedback', services.env.PUBLIC_BASE_URL).toString(), {
      type: 'png',
      errorCorrectionLevel: 'M',
      margin: 2,
      width: 320,
    });
    return c.body(new Uint8Array(png), 200, { 'content-type': 'image/png', 'cache-control': 'public, max-age=3600' });
  });
}
