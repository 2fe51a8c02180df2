import { adminAuth } from '../http/admin-auth.ts';
import type { Channel, ChannelFactory } from '../services.ts';
import { channelTable } from './report.ts';
import { runProbes } from './run.ts';

/**
 * The probes' HTTP face, mounted like a channel (it sends nothing): `GET /api/channels` is the health table,
 * `POST /api/channels/probe` runs the probes now and answers with the results (admin, bearer token).
 */
export const createProbeRoutes: ChannelFactory = (): Channel => ({
  name: 'probes',
  agentSurface: false,
  routes(app) {
    app.use('/api/channels', (c, next) => adminAuth(c.get('services'))(c, next));
    app.use('/api/channels/*', (c, next) => adminAuth(c.get('services'))(c, next));
    app.get('/api/channels', async (c) => c.json({ channels: await channelTable(c.get('services')) }));
    app.post('/api/channels/probe', async (c) => {
      const only = c.req.query('channel');
      const results = await runProbes(c.get('services'), { channels: only ? only.split(',') : undefined, trigger: 'api' });
      return c.json({ ok: results.every((r) => r.ok), results });
    });
  },
});
