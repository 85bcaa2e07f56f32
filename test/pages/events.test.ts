/**
 * The live stream without a browser: a waiting run's stream sends its state at once, and stopping
 * the server ends the stream (`end`) rather than waiting for the run to finish.
 */
import { describe, expect, it } from 'vitest';
import { runIdOf, SECRET_VALUE, startPages, WORKFLOW } from './harness.js';

describe('GET /runs/<id>/events', () => {
  it('sends the waiting state, and ends when the server stops', async () => {
    const h = await startPages();
    let closed = false;
    try {
      for (const line of WORKFLOW) expect((await h.command(line)).ok, line).toBe(true);
      const runId = runIdOf(await h.command(`/run ticket="x" token="${SECRET_VALUE}"`));
      await h.waitForState(runId, 'waiting');
      const status = await h.command(`/status ${runId}`);
      const link = new URL(h.local((status.data as { page_url: string }).page_url));
      const response = await fetch(`${h.base}${link.pathname}/events${link.search}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
      const reader = response.body?.getReader();
      if (reader === undefined) throw new Error('no body');
      const decoder = new TextDecoder();
      let text = '';
      while (!text.includes('event: update')) text += decoder.decode((await reader.read()).value);
      expect(text).toContain('"state":"waiting"');
      expect(text).not.toContain(SECRET_VALUE);
      const started = Date.now();
      await h.close();
      closed = true;
      expect(Date.now() - started).toBeLessThan(5_000);
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        text += decoder.decode(chunk.value);
      }
      expect(text).toContain('event: end');
    } finally {
      if (!closed) await h.close();
    }
  });
});
