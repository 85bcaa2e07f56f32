/**
 * Starting `aitws serve` for Discord from the real `bin/aitws.js`, against the fake Discord (REST
 * and gateway on 127.0.0.1): a good start logs one line naming the bot and its application; a
 * token Discord refuses, a Discord out of reach, or a token of another application stops the
 * start with one plain line and exit 1, instead of retries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTempDir, logRecords, plainLines, startServe } from '../serve/process.js';
import { FakeDiscord } from '../support/fake-discord.js';
import { closedPort } from '../support/ports.js';

const PUBLIC_KEY = 'ab'.repeat(32);

let fake: FakeDiscord;

beforeAll(async () => {
  fake = await FakeDiscord.start();
});

afterAll(async () => {
  await fake?.stop();
});

function env(mode: 'gateway' | 'http', extra: Record<string, string> = {}): Record<string, string> {
  return {
    DISCORD_TOKEN: fake.token,
    DISCORD_APPLICATION_ID: fake.applicationId,
    DISCORD_API_URL: fake.apiUrl,
    ...(mode === 'http' ? { DISCORD_PUBLIC_KEY: PUBLIC_KEY } : {}),
    PORT: '0',
    HOST: '127.0.0.1',
    ...extra,
  };
}

async function servingLine(mode: 'gateway' | 'http'): Promise<string> {
  return inTempDir(async (cwd) => {
    const serve = startServe({ cwd, env: env(mode) });
    await serve.line(/aitws is serving/);
    const result = await serve.stop();
    expect(result.code).toBe(0);
    expect(plainLines(result.stderr)).toEqual([]);
    expect(result.stderr).not.toContain(fake.token);
    const serving = logRecords(result.stderr).filter((r) => String(r.msg).startsWith('aitws is serving'));
    expect(serving).toHaveLength(1);
    return String(serving[0]?.msg);
  });
}

describe('aitws serve for Discord: a good start', () => {
  it('over the gateway logs one line naming the bot user and its application', async () => {
    expect(await servingLine('gateway')).toMatch(
      new RegExp(
        `^aitws is serving on port \\d+: Discord \\(gateway\\) as aitws, application ${fake.applicationId}$`,
      ),
    );
  });

  it('with HTTP interactions checks the token and logs the endpoint and the application', async () => {
    const before = fake.calls.filter((c) => c.kind === 'gateway').length;
    expect(await servingLine('http')).toMatch(
      new RegExp(
        `^aitws is serving on port \\d+: Discord \\(HTTP interactions at POST /discord/interactions\\) for application ${fake.applicationId}$`,
      ),
    );
    const checks = fake.calls.filter((c) => c.kind === 'gateway').slice(before);
    expect(checks.map((c) => c.authorization)).toEqual([`Bot ${fake.token}`]);
  });
});

describe('aitws serve for Discord: a bad start is one line and exit 1', () => {
  const refused =
    'aitws: Discord refused DISCORD_TOKEN (401: Unauthorized): use the bot token from the Developer Portal, your application → Bot → Reset Token';

  it.each(['gateway', 'http'] as const)('a token Discord refuses (%s), tried once', async (mode) => {
    await inTempDir(async (cwd) => {
      const identifies = fake.gateway.stats.identifies.length;
      const result = await startServe({
        cwd,
        env: env(mode, { DISCORD_TOKEN: 'not.the-token.s3cret' }),
      }).exit();
      expect(result.code).toBe(1);
      expect(plainLines(result.stderr)).toEqual([refused]);
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(result.stderr).not.toContain('s3cret');
      expect(fake.gateway.stats.identifies.length).toBe(identifies);
    });
  });

  it.each(['gateway', 'http'] as const)('a Discord out of reach (%s)', async (mode) => {
    const port = await closedPort();
    await inTempDir(async (cwd) => {
      const result = await startServe({
        cwd,
        env: env(mode, { DISCORD_API_URL: `http://127.0.0.1:${port}/api` }),
      }).exit();
      expect(result.code).toBe(1);
      expect(plainLines(result.stderr)).toEqual([
        `aitws: could not reach Discord at http://127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port})`,
      ]);
      expect(result.stderr).not.toMatch(/^\s+at /m);
    });
  });

  it('a token of another application than DISCORD_APPLICATION_ID', async () => {
    await inTempDir(async (cwd) => {
      const other = '800000000000000099';
      const result = await startServe({ cwd, env: env('gateway', { DISCORD_APPLICATION_ID: other }) }).exit();
      expect(result.code).toBe(1);
      expect(plainLines(result.stderr)).toEqual([
        `aitws: DISCORD_TOKEN is the bot of application ${fake.applicationId}, but DISCORD_APPLICATION_ID is ${other}: take both from the same application`,
      ]);
    });
  });
});
