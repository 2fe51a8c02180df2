import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { DEFAULT_PRIVACY_NOTICE } from '../../src/config.ts';
import { ticketEvents, tickets } from '../../src/db/schema/index.ts';
import { createTestDesk, type TestDesk } from '../helpers/services.ts';

const NOTICE = '本公司仅为处理本次反馈使用您的联系方式，保存 36 个月后删除。';
const formPost = (t: TestDesk, fields: Record<string, string>) =>
  t.app.request('/api/feedback', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', 'x-forwarded-for': '10.2.2.2' },
    body: new URLSearchParams(fields).toString(),
  });

describe('privacy notice and consent on the web form', () => {
  let t: TestDesk;
  beforeAll(async () => {
    t = await createTestDesk({ config: { privacy: { notice: NOTICE } } });
  });
  afterAll(() => t.close());

  it('shows the configured notice and a required consent box; the default notice is sensible', async () => {
    const page = await (await t.app.request('/feedback')).text();
    expect(page).toContain(NOTICE);
    expect(page).toMatch(/<input type="checkbox" name="consent" value="on" required/);
    expect(DEFAULT_PRIVACY_NOTICE).toContain('申请查阅、复制或删除');
  });

  it('refuses a form post without consent, and writes nothing', async () => {
    const res = await formPost(t, { contact: 'wu@example.com', content: '没勾选同意', submissionId: 'form-no-consent-1' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('请阅读并勾选同意个人信息处理说明');
    expect(await t.db.select().from(tickets)).toHaveLength(0);
  });

  it('records the consent with the ticket (and the notice on the ticket page); a double submit changes nothing', async () => {
    const fields = { contact: 'wu@example.com', content: '希望支持深色模式', submissionId: 'form-consent-1', consent: 'on' };
    const res = await formPost(t, fields);
    expect(res.status).toBe(303);
    const again = await formPost(t, fields);
    expect(again.status).toBe(303);
    const all = await t.db.select().from(tickets);
    expect(all).toHaveLength(1);
    const [created] = await t.db.select().from(ticketEvents).where(eq(ticketEvents.type, 'created'));
    expect(created.data.consent).toEqual({ given: true, notice: expect.stringMatching(/^[0-9a-f]{16}$/) });
    const page = await (await t.app.request(res.headers.get('location')!)).text();
    expect(page).toContain(NOTICE);
  });
});
