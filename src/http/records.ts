/**
 * Personal-data rights over the admin API (bearer ADMIN_TOKEN): a copy of one customer's data, and its erasure.
 * GET /api/customers/export?key=…[&format=md]   POST /api/customers/erase {key, reason, by?}
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { eraseCustomer } from '../records/erase.ts';
import { exportCustomer } from '../records/export.ts';
import type { Services } from '../services.ts';
import { adminAuth } from './admin-auth.ts';
import type { AppEnv } from './env.ts';

const exportQuery = z.object({ key: z.string().trim().min(1, '请提供客户编号或联系方式（key）'), format: z.enum(['json', 'md']).default('json') }).strict();
const eraseBody = z
  .object({
    key: z.string().trim().min(1, '请提供客户编号或联系方式（key）'),
    reason: z.string().trim().min(1, '删除个人信息须注明原因（reason）').max(500),
    by: z.string().trim().min(1).max(100).optional(),
  })
  .strict();

export function mountRecordsRoutes(app: Hono<AppEnv>, services: Services): void {
  const auth = adminAuth(services);
  app.get('/api/customers/export', auth, async (c) => {
    const q = exportQuery.parse(c.req.query());
    const r = await exportCustomer(services.database.db, q.key, services.clock.now());
    return q.format === 'md' ? c.text(r.markdown, 200, { 'content-type': 'text/markdown; charset=utf-8' }) : c.json(r.data);
  });
  app.post('/api/customers/erase', auth, async (c) => {
    const b = eraseBody.parse(await c.req.json().catch(() => ({})));
    const r = await eraseCustomer(services.database.db, services.clock.now(), { key: b.key, reason: b.reason, actor: `admin:${b.by ?? 'api'}` });
    return c.json(r);
  });
}
