/**
 * `aitws serve` when its port is taken: one plain line saying which port and which setting to
 * change, no stack trace, a non-zero exit, and nothing left running.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { inTempDir, startServe } from './process.js';

let fake: FakeSlack;
let occupier: Server;
let taken: number;

beforeAll(async () => {
  fake = await startFakeSlack();
  occupier = createServer();
  await new Promise<void>((resolve) => occupier.listen(0, '127.0.0.1', resolve));
  const address = occupier.address();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  taken = address.port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => occupier?.close(() => resolve()));
  await fake?.close();
});

function slackEnv(extra: Record<string, string>): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: 'xoxb-port-test-s3cret',
    SLACK_SIGNING_SECRET: 'signing-s3cret',
    SLACK_API_URL: fake.apiUrl,
    HOST: '127.0.0.1',
    ...extra,
  };
}

describe('aitws serve with its port in use', () => {
  it('prints one line naming the port and PORT, and exits 1', async () => {
    await inTempDir(async (cwd) => {
      const result = await startServe({ cwd, env: slackEnv({ PORT: String(taken) }) }).exit();
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([
        `aitws: port ${taken} on 127.0.0.1 is already in use: stop whatever holds it, or set PORT to a free port`,
      ]);
      expect(result.stdout).toBe('');
      // Nothing was started: the platform never called Slack.
      expect(fake.callsOf('auth.test')).toEqual([]);
    });
  });

  it('names METRICS_PORT when that is the port taken', async () => {
    await inTempDir(async (cwd) => {
      const result = await startServe({
        cwd,
        env: slackEnv({ PORT: '0', METRICS_PORT: String(taken) }),
      }).exit();
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([
        `aitws: port ${taken} on 127.0.0.1 is already in use: stop whatever holds it, or set METRICS_PORT to a free port`,
      ]);
      expect(result.stderr).not.toContain('s3cret');
    });
  });
});
