import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createInboundApiChannel } from '../../src/channels/api/index.ts';
import { createEmailChannel } from '../../src/channels/email/index.ts';
import { Undeliverable, type OutboxRow } from '../../src/channels/types.ts';
import { createWebChannel } from '../../src/channels/web/index.tsx';
import { tickets } from '../../src/db/schema/index.ts';
import { runCommand } from '../../src/desk/commands.ts';
import { runProbes } from '../../src/probes/run.ts';
import { probeSchedule } from '../../src/probes/schedule.ts';
import { createProbeRoutes } from '../../src/probes/routes.ts';
import type { ChannelFactory } from '../../src/services.ts';
import { freePort, requireDovecot, startDovecot, type Dovecot } from '../fakes/email/dovecot.ts';
import { startSmtp, type FakeSmtp } from '../fakes/email/smtp.ts';
import { createTestDesk, TEST_ADMIN_TOKEN, type TestDesk } from '../helpers/services.ts';
import { json } from '../helpers/http.ts';

const SUPPORT = 'support@example.test';

/** An agents' group whose card delivery the test can break (as a revoked bot or a removed group would). */
function agentsGroup() {
  const delivered: OutboxRow[] = [];
  let cardsBroken = false;
  const factory: ChannelFactory = () => ({
    name: 'feishu',
    agentSurface: true,
    sender: {
      name: 'feishu',
      async deliver(row) {
        if (row.kind === 'agents.card' && cardsBroken) throw new Undeliverable('bot was removed from the group (230002)');
        delivered.push(row);
      },
    },
  });
  return {
    factory,
    delivered,
    texts: () => delivered.filter((r) => r.kind === 'agents.text').map((r) => String(r.payload.text)),
    breakCards: (b: boolean) => void (cardsBroken = b),
  };
}

// The probe reaches the public entries over real HTTP, so this suite serves the app on a port (PGlite only: the
// channels' own suites cover PostgreSQL).
describe.skipIf(!requireDovecot('probe.test'))('probes through every playable channel', () => {
  let t: TestDesk;
  let dovecot: Dovecot;
  let smtp: FakeSmtp;
  let server: ServerType;
  const group = agentsGroup();

  beforeAll(async () => {
    dovecot = await startDovecot({ [SUPPORT]: 'support-pass' });
    smtp = await startSmtp({ user: 'relay', pass: 'relay-pass', local: { dovecot, mailboxes: { [SUPPORT]: 'support-pass' } } });
    const port = await freePort();
    t = await createTestDesk({
      channels: [createWebChannel, createInboundApiChannel, createEmailChannel, createProbeRoutes, group.factory],
      env: { EMAIL_IMAP_URL: dovecot.url(SUPPORT), EMAIL_SMTP_URL: smtp.url, EMAIL_ADDRESS: SUPPORT },
      config: {
        inbound: { sources: [{ name: 'app', secret: 'app-secret-0123456789abcdef' }] },
        probes: { timeoutSeconds: 5, baseUrl: `http://127.0.0.1:${port}` },
      },
    });
    server = serve({ fetch: t.app.fetch, port, hostname: '127.0.0.1' });
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await t.close();
    await smtp.close();
    await dovecot.stop();
  });

  it('passes on a healthy setup: ticket, ack and card on web, inbound API and e-mail; probe tickets closed and marked', async () => {
    const results = await runProbes(t.services, { trigger: 'test' });
    expect(results.map((r) => [r.channel, r.ok, r.failedStep])).toEqual([
      ['web', true, null],
      ['api', true, null],
      ['email', true, null],
    ]);
    for (const r of results) {
      expect(r.steps.map((s) => s.step)).toEqual(['sent', 'ticket', 'ack', 'card']);
      expect(r.seconds).toBeGreaterThan(0);
      const [row] = await t.db.select().from(tickets).where(eq(tickets.code, r.ticket!));
      expect(row).toMatchObject({ isProbe: true, status: 'closed', closeReason: 'probe', channel: r.channel });
    }
    // The e-mail ack really went out over SMTP to the probe's (plus-addressed) address.
    expect(smtp.sent.some((m) => m.to[0].startsWith('support+probe-') && m.parsed.text?.includes(results[2].ticket!))).toBe(true);
    expect(group.texts()).toEqual([]);

    const table = await t.app.request('/api/channels', { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(table.status).toBe(200);
    const { channels } = await json(table);
    expect(channels.filter((c: { probed: boolean }) => c.probed).map((c: { channel: string; result: string }) => [c.channel, c.result])).toEqual([
      ['web', 'ok'],
      ['api', 'ok'],
      ['email', 'ok'],
    ]);
    // Probes are not real customers: the last real inbound stays empty.
    expect(channels.find((c: { channel: string }) => c.channel === 'email').lastInbound).toBeNull();
    expect((await t.app.request('/api/channels')).status).toBe(401);
  });

  it('fails and alerts the agents group when the bot cannot post the card', async () => {
    group.breakCards(true);
    try {
      const results = await runProbes(t.services, { channels: ['web', 'api'], trigger: 'test' });
      expect(results.map((r) => [r.channel, r.ok, r.failedStep])).toEqual([
        ['web', false, 'card'],
        ['api', false, 'card'],
      ]);
      await t.services.outbox.wake();
      const alert = group.texts().find((x) => x.includes('渠道拨测失败'))!;
      expect(alert).toContain('web：第 4 步「客服群收到工单卡片」失败');
      expect(alert).toContain('230002');
    } finally {
      group.breakCards(false);
    }
  });

  it('fails at "ticket created" and alerts when the IMAP server is down', async () => {
    await dovecot.halt();
    try {
      const results = await runProbes(t.services, { channels: ['email'], trigger: 'test' });
      expect(results[0]).toMatchObject({ channel: 'email', ok: false, failedStep: 'ticket' });
      await t.services.outbox.wake();
      expect(group.texts().some((x) => x.includes('email：第 2 步「创建工单」失败'))).toBe(true);
      const { channels } = await json(await t.app.request('/api/channels', { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } }));
      expect(channels.find((c: { channel: string }) => c.channel === 'email')).toMatchObject({ result: 'failed', failedStep: '创建工单' });
    } finally {
      await dovecot.restart();
    }
    // Back up: the mail that waited in the relay's mailbox is read, and the next probe passes.
    const again = await runProbes(t.services, { channels: ['email'], trigger: 'test' });
    expect(again[0].ok).toBe(true);
  });

  it('/probe answers at once and posts the table to the group when done; /probe status shows it', async () => {
    const actor = { platform: 'feishu', userId: 'ou_agent' };
    const reply = await runCommand(t.services, { text: '/probe', actor, viaAgentGroup: true, surface: 'feishu' });
    expect(reply).toMatchObject({ kind: 'text' });
    expect((reply as { text: string }).text).toContain('已开始拨测：web、api、email');
    const deadline = Date.now() + 10_000;
    while (!group.texts().some((x) => x.includes('拨测完成')) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      await t.services.outbox.wake();
    }
    const done = group.texts().find((x) => x.includes('拨测完成'))!;
    expect(done).toContain('全部通过');
    expect(done).toMatch(/\| email \| .* \| ✅ 通过 \| [\d.]+ 秒 \|/);
    const status = await runCommand(t.services, { text: '/probe status', actor, viaAgentGroup: true, surface: 'feishu' });
    expect(status).toMatchObject({ kind: 'markdown' });
    expect((status as { markdown: string }).markdown).toContain('| api |');
  });

  it('a planted complaint with a forged probe header counts as real', async () => {
    const res = await t.app.request('/api/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-loopdesk-probe': 'abcdef0123.forgedforgedforged' },
      body: JSON.stringify({ contact: '13800001111', content: '我要投诉你们' }),
    });
    const { ticket } = await json(res);
    const [row] = await t.db.select().from(tickets).where(eq(tickets.code, ticket));
    expect(row.isProbe).toBe(false);
  });

  it('schedules daily at a stable minute inside business hours unless configured', () => {
    const cron = probeSchedule(t.services)!;
    const [m, h, ...rest] = cron.split(' ');
    expect(rest).toEqual(['*', '*', '*']);
    expect(Number(h) * 60 + Number(m)).toBeGreaterThanOrEqual(9 * 60);
    expect(Number(h) * 60 + Number(m)).toBeLessThan(12 * 60);
    expect(probeSchedule(t.services)).toBe(cron);
  });
});
