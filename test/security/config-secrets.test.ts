/**
 * The Redis password never reaches stderr: not from a malformed REDIS_URL (ioredis threw URL's
 * TypeError, which prints the URL), not from a wrong password (ioredis errors carry the failed
 * `auth` command with its argument, which the log line printed).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { type RedisServer, startRedis } from '../support/redis.js';

const PASSWORD = 'wr0ngPassw0rd';

describe('the Redis password on stderr', () => {
  let dir: string;
  let redis: RedisServer;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-config-'));
    redis = await startRedis();
    await redis.cli('CONFIG', 'SET', 'requirepass', 'the-right-one');
  });
  afterAll(async () => {
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    `redis://:${PASSWORD}@127.0.0.1:notaport`,
    `redis://:${PASSWORD}@[::1:6379`,
    `rediss://user:${PASSWORD}@host:6379:7`,
  ])('a malformed REDIS_URL is one masked line: %s', async (url) => {
    const result = await runCli(['console'], { cwd: dir, env: { REDIS_URL: url } });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^aitws: REDIS_URL \(rediss?:\/\/…\) is not a usable Redis URL/);
    expect(result.stderr + result.stdout).not.toContain(PASSWORD);
  });

  it('a wrong password is logged without the password, even at trace', async () => {
    const url = `redis://:${PASSWORD}@127.0.0.1:${redis.port}`;
    const result = await runCli(['console'], {
      cwd: dir,
      input: '/show\n',
      env: { REDIS_URL: url, LOG_LEVEL: 'trace', AITWS_REDIS_TIMEOUT_MS: '500' },
    });
    expect(result.stderr).toContain('WRONGPASS');
    expect(result.stderr + result.stdout).not.toContain(PASSWORD);
  });
});
