import { PROBE_HEADER } from './marker.ts';
import type { ProbeDriver } from './types.ts';

/** The web form's public entry, posted as a browser would (JSON variant), with our probe marker. */
export const webProbe: ProbeDriver = {
  async send({ runId, marker, text, baseUrl }) {
    const res = await fetch(`${baseUrl}/api/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [PROBE_HEADER]: marker },
      body: JSON.stringify({ name: 'Loopdesk 拨测', contact: 'probe@loopdesk.invalid', content: text, submissionId: `probe-${runId}` }),
      signal: AbortSignal.timeout(10_000),
    });
    if (res.status !== 201) throw new Error(`POST /api/feedback 返回 HTTP ${res.status}：${(await res.text()).slice(0, 200)}`);
  },
};
