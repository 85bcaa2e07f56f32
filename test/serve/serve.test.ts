import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlatformFactory } from '../../src/adapters/platform.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logging.js';
import { startServer } from '../../src/serve.js';
import { runCli } from '../support/cli.js';
import { type RedisServer, startRedis, uniquePrefix, waitFor } from '../support/redis.js';

/** A platform with one route and a recorded lifecycle, standing in for Slack or Discord. */
function recordingPlatform(events: string[]): PlatformFactory {
  return () => ({
    name: 'test',
    routes: [
      {
        method: 'POST',
        path: '/test/hook',
        handle: (_req, res) => {
          res.writeHead(204).end();
        },
      },
    ],
    start: async () => {
      events.push('start');
    },
    stop: async () => {
      events.push('stop');
    },
  });
}

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis.stop();
});

describe('aitws serve', () => {
  it('serves health, readiness that follows Redis, metrics and platform routes', async () => {
    const events: string[] = [];
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: redis.url,
      AITWS_REDIS_PREFIX: uniquePrefix('serve'),
      AITWS_REDIS_TIMEOUT_MS: '300',
    });
    const running = await startServer(config, silentLogger, [recordingPlatform(events)]);
    if (running === undefined) throw new Error('server did not start');
    const base = `http://127.0.0.1:${running.port}`;
    try {
      expect(events).toEqual(['start']);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, 5000);
      expect((await fetch(`${base}/test/hook`, { method: 'POST' })).status).toBe(204);
      expect((await fetch(`${base}/test/hook`)).status).toBe(405);
      expect((await fetch(`${base}/nope`)).status).toBe(404);

      const channel = { platform: 'slack', workspace: 'T', channel: 'C' } as const;
      await running.core.dispatcher.handle({ text: '/create', actor: { id: 'U', name: 'u' }, channel });
      await running.core.dispatcher.handle({ text: '/nonsense', actor: { id: 'U', name: 'u' }, channel });
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(/aitws_commands_total\{command="create",outcome="ok"\} 1/);
      expect(metrics).toMatch(/aitws_commands_total\{command="unknown",outcome="error"\} 1/);

      redis.pause();
      try {
        const paused = await fetch(`${base}/readyz`);
        expect(paused.status).toBe(503);
        expect(await paused.json()).toEqual({ status: 'not ready' });
        expect((await fetch(`${base}/healthz`)).status).toBe(200);
      } finally {
        redis.resume();
      }
      await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, 5000);
    } finally {
      await running.stop();
    }
    expect(events).toEqual(['start', 'stop']);
  });

  it('without a configured platform, says which variables to set and exits 2', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-serve-'));
    try {
      const result = await runCli(['serve'], { cwd: dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/No chat platform is configured/);
      expect(result.stderr).toMatch(/SLACK_BOT_TOKEN/);
      expect(result.stderr).toMatch(/DISCORD_TOKEN/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an invalid environment with the variable named and no value echoed', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-serve-'));
    try {
      const result = await runCli(['serve'], { cwd: dir, env: { SLACK_BOT_TOKEN: 'not-a-token-s3cret' } });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/SLACK_BOT_TOKEN/);
      expect(result.stderr).not.toContain('s3cret');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
