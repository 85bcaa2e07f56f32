/**
 * Starting `aitws serve` for Slack from the real `bin/aitws.js`, against the fake Slack: a good
 * start logs one line naming the bot user and the workspace (from auth.test); a token Slack
 * refuses, or a Slack out of reach, stops the start with one plain line instead of retries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTempDir, logRecords, plainLines, startServe } from '../serve/process.js';
import { APP_TOKEN, BOT_TOKEN, type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { closedPort } from '../support/ports.js';

let fake: FakeSlack;

beforeAll(async () => {
  fake = await startFakeSlack();
});

afterAll(async () => {
  await fake?.close();
});

function env(mode: 'http' | 'socket', extra: Record<string, string> = {}): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    ...(mode === 'socket' ? { SLACK_APP_TOKEN: APP_TOKEN } : { SLACK_SIGNING_SECRET: 'signing-secret' }),
    SLACK_API_URL: fake.apiUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    ...extra,
  };
}

describe('aitws serve for Slack: a good start', () => {
  it.each([
    [
      'http',
      /^aitws is serving on port \d+: Slack \(HTTP at POST \/slack\/events\) as @aitws in workspace "Test" \(T1\)$/,
    ],
    ['socket', /^aitws is serving on port \d+: Slack \(Socket Mode\) as @aitws in workspace "Test" \(T1\)$/],
  ] as const)('in %s mode logs one line naming the bot user and the workspace', async (mode, expected) => {
    await inTempDir(async (cwd) => {
      const serve = startServe({ cwd, env: env(mode) });
      await serve.line(/aitws is serving/);
      const result = await serve.stop();
      expect(result.code).toBe(0);
      expect(plainLines(result.stderr)).toEqual([]);
      const serving = logRecords(result.stderr).filter((r) => String(r.msg).startsWith('aitws is serving'));
      expect(serving).toHaveLength(1);
      expect(String(serving[0]?.msg)).toMatch(expected);
      expect(serving[0]?.level).toBe(30);
      expect(result.stderr).not.toContain(BOT_TOKEN);
      expect(result.stderr).not.toContain(APP_TOKEN);
    });
  });
});

describe('aitws serve for Slack: a bad start is one line and exit 1', () => {
  it('a bot token Slack refuses', async () => {
    await inTempDir(async (cwd) => {
      fake.failNext('auth.test', 'invalid_auth');
      const result = await startServe({ cwd, env: env('socket') }).exit();
      expect(result.code).toBe(1);
      expect(plainLines(result.stderr)).toEqual([
        'aitws: Slack refused SLACK_BOT_TOKEN (invalid_auth): use the Bot User OAuth Token (xoxb-…) from OAuth & Permissions of the installed app',
      ]);
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(result.stderr).not.toContain(BOT_TOKEN);
    });
  });

  it('an app token Slack refuses (Socket Mode), without retrying it', async () => {
    await inTempDir(async (cwd) => {
      const before = fake.callsOf('apps.connections.open').length;
      fake.failNext('apps.connections.open', 'invalid_auth');
      const result = await startServe({ cwd, env: env('socket') }).exit();
      expect(result.code).toBe(1);
      expect(plainLines(result.stderr)).toEqual([
        'aitws: Slack refused SLACK_APP_TOKEN (invalid_auth): use an app-level token (xapp-…) with the connections:write scope, from Basic Information → App-Level Tokens',
      ]);
      expect(fake.callsOf('apps.connections.open').length - before).toBe(1);
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(result.stderr).not.toContain(APP_TOKEN);
    });
  });

  it('a Slack out of reach', async () => {
    const port = await closedPort();
    await inTempDir(async (cwd) => {
      const result = await startServe({
        cwd,
        env: env('http', { SLACK_API_URL: `http://127.0.0.1:${port}/api/` }),
      }).exit();
      expect(result.code).toBe(1);
      expect(plainLines(result.stderr)).toEqual([
        `aitws: could not reach Slack at http://127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port})`,
      ]);
      expect(result.stderr).not.toMatch(/^\s+at /m);
    });
  });
});
