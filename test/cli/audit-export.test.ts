/**
 * `aitws audit export` through bin/aitws.js, on the data dir the console wrote and on Redis: one
 * JSON object per line, filtered by platform, workspace, channel and time, with no secret in it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../support/cli.js';
import { sharedRedis, uniquePrefix } from '../support/redis.js';

const SECRET = 'hunter2-s3cret-pass';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-audit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

let redis: ReturnType<typeof sharedRedis> | undefined;
afterAll(async () => {
  await (await redis)?.stop();
});

async function consoleAs(user: string, channel: string, lines: string[], env: Record<string, string>) {
  const result = await runCli(['console', '--user', user, '--channel', channel, '--exit-zero'], {
    cwd: dir,
    input: `${lines.join('\n')}\n`,
    env: { AITWS_ADMINS: 'console:alice', ...env },
  });
  expect(result.code).toBe(0);
  return result;
}

async function exported(args: string[], env: Record<string, string>) {
  const result = await runCli(['audit', 'export', ...args], { cwd: dir, env });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return jsonLines(result.stdout);
}

const stores: readonly [string, () => Promise<Record<string, string>>][] = [
  ['the data dir', async () => ({})],
  [
    'Redis',
    async () => {
      redis ??= sharedRedis();
      return { REDIS_URL: (await redis).url, AITWS_REDIS_PREFIX: uniquePrefix('audit').replace(/:/g, '-') };
    },
  ],
];

describe.each(stores)('aitws audit export on %s', (_name, storeEnv) => {
  it('writes every entry as one JSON line, filters, and never shows a secret', async () => {
    const env = await storeEnv();
    const before = new Date();
    await consoleAs(
      'alice',
      'team',
      [
        '/create name="Nightly"',
        '/add roles name="Lead" privileges=["all"]',
        `/add external_services name="db" type="PostgreSQL" url="postgres://app:${SECRET}@db.example.com/app"`,
        '/grant bob Lead',
      ],
      env,
    );
    await consoleAs('carol', 'other', ['/create name="Other"', '/grant carol Lead'], env);

    const all = await exported([], env);
    // Oldest first within a channel; channels in no promised order.
    expect(all.map((entry) => entry.kind).sort()).toEqual([
      'change',
      'change',
      'change',
      'change',
      'grant',
      'refused',
    ]);
    expect(JSON.stringify(all)).not.toContain(SECRET);
    for (const entry of all)
      expect(Object.keys(entry)).toEqual(
        expect.arrayContaining(['id', 'at', 'channel', 'actor', 'kind', 'command']),
      );

    const team = await exported(['--channel', 'team'], env);
    expect(team.map((entry) => entry.kind)).toEqual(['change', 'change', 'change', 'grant']);
    expect(team[0]).toMatchObject({
      actor: { id: 'alice', name: 'alice' },
      channel: { platform: 'console', workspace: 'local', channel: 'team' },
      command: '/create name="Nightly"',
      versionBefore: 0,
      versionAfter: 1,
    });
    expect(String(team[0]?.hash)).toMatch(/^sha256:[0-9a-f]{64}$/);

    expect(await exported(['--platform', 'slack'], env)).toEqual([]);
    const other = await exported(['--workspace', 'local', '--channel', 'other'], env);
    expect(other.map((entry) => entry.kind)).toEqual(['change', 'refused']);
    expect(other[1]).toMatchObject({
      actor: { id: 'carol' },
      command: '/grant carol Lead',
      detail: 'needs admin',
    });
    expect(await exported(['--since', new Date(before.getTime() + 3_600_000).toISOString()], env)).toEqual(
      [],
    );
    expect(await exported(['--since', before.toISOString().slice(0, 10)], env)).toHaveLength(all.length);
    // Nine processes one after another: seconds alone, far more while the whole suite runs.
  }, 60_000);
});

it('refuses a date it cannot read and a missing verb, with exit 2', async () => {
  const badDate = await runCli(['audit', 'export', '--since', 'yesterday'], { cwd: dir });
  expect(badDate.code).toBe(2);
  expect(badDate.stderr).toContain('--since "yesterday" is not a date');
  const noVerb = await runCli(['audit'], { cwd: dir });
  expect(noVerb.code).toBe(2);
  expect(noVerb.stderr).toContain('aitws audit export');
});
