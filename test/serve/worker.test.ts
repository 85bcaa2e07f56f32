/**
 * `aitws worker` as its own process, started from the real bin/aitws.js: it refuses to start
 * without Redis or on a Redis that may evict keys, serves health and metrics on PORT, works on
 * runs started elsewhere (here: by this test, through the app's own runtime on the same Redis),
 * and stops cleanly on SIGTERM.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildRuntime } from '../../src/app-runtime.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logging.js';
import { type RedisServer, startRedis, uniquePrefix } from '../support/redis.js';
import { action, finished, head, stage, startRun } from '../support/runtime-parts.js';
import { inTempDir, startServe } from './process.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

const BASE_ENV = { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info' };

it('says Redis is needed and exits 2 without REDIS_URL; refuses a concurrency that is not a number', async () => {
  await inTempDir(async (cwd) => {
    const bare = await startServe({ cwd, env: BASE_ENV, args: ['worker'] }).exit();
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('workers share runs through Redis: set REDIS_URL');
    const env = { ...BASE_ENV, REDIS_URL: redis.url, AITWS_REDIS_PREFIX: uniquePrefix('wk') };
    const bad = await startServe({ cwd, env, args: ['worker', '--concurrency', 'lots'] }).exit();
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--concurrency lots is not a number of runs from 1 to 1000');
  });
}, 30_000);

it('works on a run started elsewhere, with health, readiness and run metrics on PORT; SIGTERM stops it', async () => {
  await inTempDir(async (cwd) => {
    const prefix = uniquePrefix('wk').replace(/:/g, '-');
    const env = { ...BASE_ENV, REDIS_URL: redis.url, AITWS_REDIS_PREFIX: prefix };
    const worker = startServe({ cwd, env, args: ['worker', '--concurrency', '2'] });
    const line = await worker.line(/aitws worker is working on runs \(concurrency 2\)/);
    const port = Number(/health on port (\d+)/.exec(line)?.[1]);
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    // Starts the run the way serve would (the same config, the same Redis) but works on none.
    const starter = await buildRuntime({ config: loadConfig({ ...env }), logger: silentLogger });
    try {
      const toml =
        head() + stage('S', 1, action('Shape', 'transform', 'with = { set = { greeting = "hello" } }'));
      const run = await startRun(starter.runtime, toml);
      const done = await finished(starter.runtime.store, run.id, 15_000);
      expect(done.state).toBe('succeeded');
      expect((await starter.runtime.store.steps(run.id))[0]?.output).toEqual({ greeting: 'hello' });
    } finally {
      await starter.close();
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/aitws_runs_total\{[^}]*state="succeeded"[^}]*\} 1/);
    expect(metrics).toContain('aitws_action_duration_seconds_bucket');
    expect(metrics).toContain('aitws_run_queue_jobs');

    const stopped = await worker.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toContain('worker shutting down');
  });
}, 60_000);

it('refuses a Redis whose maxmemory-policy may evict the queue’s keys, saying how to fix it', async () => {
  const evicting = await startRedis();
  try {
    await evicting.cli('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
    await inTempDir(async (cwd) => {
      const env = { ...BASE_ENV, REDIS_URL: evicting.url, AITWS_REDIS_PREFIX: uniquePrefix('wk') };
      const refused = await startServe({ cwd, env, args: ['worker'] }).exit();
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/maxmemory-policy/);
      expect(refused.stderr).toContain('noeviction');
    });
  } finally {
    await evicting.stop();
  }
}, 30_000);
