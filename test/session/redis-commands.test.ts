/**
 * Issue 3 at the command level: the composition root picks Redis when REDIS_URL is set, and an
 * outage answers with a clear error that changed nothing. Several bot processes sharing one
 * channel: redis-concurrency.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCore, type Core } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logging.js';
import type { ChannelKey } from '../../src/session/port.js';
import { textOf } from '../support/harness.js';
import { type RedisServer, startRedis, uniquePrefix, waitFor } from '../support/redis.js';

const CHANNEL: ChannelKey = { platform: 'slack', workspace: 'T1', channel: 'C1' };
const actor = { id: 'U1', name: 'alice' };

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis.stop();
});

function coreFor(prefix: string, extra: Record<string, string> = {}): Core {
  const config = loadConfig({ REDIS_URL: redis.url, AITWS_REDIS_PREFIX: prefix, ...extra });
  return buildCore({ config, logger: silentLogger });
}

describe('sessions in Redis through the commands', () => {
  it('uses the Redis store when REDIS_URL is set', async () => {
    const core = coreFor(uniquePrefix('select'));
    try {
      expect(core.storeKind).toBe('redis');
      // Not ready until the connection is up; then ready.
      await waitFor(() => core.ready(), 5000);
      const created = await core.dispatcher.handle({
        text: '/create name="Shared"',
        actor,
        channel: CHANNEL,
      });
      expect(created.ok).toBe(true);
      expect((await core.sessions.read(CHANNEL)).document).toMatchObject({ metadata: { name: 'Shared' } });
    } finally {
      await core.close();
    }
  });

  it('shares named saves across the channels of one workspace only', async () => {
    const core = coreFor(uniquePrefix('library'));
    try {
      const run = (text: string, channel: ChannelKey) => core.dispatcher.handle({ text, actor, channel });
      await run('/create name="Baseline"', CHANNEL);
      expect((await run('/save name="baseline"', CHANNEL)).ok).toBe(true);
      const sibling = { ...CHANNEL, channel: 'C2' };
      expect(textOf(await run('/saved', sibling))).toContain('baseline');
      expect((await run('/load name="baseline"', sibling)).ok).toBe(true);
      expect((await core.sessions.read(sibling)).document).toMatchObject({ metadata: { name: 'Baseline' } });
      const stranger = { ...CHANNEL, workspace: 'T2' };
      expect((await run('/load name="baseline"', stranger)).ok).toBe(false);
    } finally {
      await core.close();
    }
  });

  it('answers fast with a clear error while Redis is stopped, changes nothing, and recovers', async () => {
    const core = coreFor(uniquePrefix('outage'), { AITWS_REDIS_TIMEOUT_MS: '500' });
    try {
      await core.dispatcher.handle({ text: '/create name="Outage"', actor, channel: CHANNEL });
      redis.pause();
      const started = Date.now();
      const reply = await core.dispatcher.handle({ text: '/add roles name="Lost"', actor, channel: CHANNEL });
      const elapsed = Date.now() - started;
      expect(reply.ok).toBe(false);
      expect(reply.data).toMatchObject({ error: { code: 'STORAGE_UNAVAILABLE', retryable: true } });
      expect(textOf(reply)).toMatch(/nothing was changed/i);
      // Generous bound: proves it does not hang, without being a benchmark.
      expect(elapsed).toBeLessThan(5000);
      expect(await core.ready()).toBe(false);
      redis.resume();
      const again = await core.dispatcher.handle({ text: '/add roles name="Kept"', actor, channel: CHANNEL });
      expect(again.ok).toBe(true);
      await waitFor(() => core.ready(), 5000);
      const roles = ((await core.sessions.read(CHANNEL)).document?.roles ?? []) as { name: string }[];
      expect(roles.map((role) => role.name)).toEqual(['Kept']);
    } finally {
      redis.resume();
      await core.close();
    }
  });
});
