/**
 * `aitws discord commands | register` through the real `bin/aitws.js`, against the fake Discord's
 * REST on 127.0.0.1 (DISCORD_API_URL): what a person running it sees.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/commands/registry.js';
import { type CliResult, runCli } from '../support/cli.js';
import { FakeDiscord } from '../support/fake-discord.js';
import { closedPort } from '../support/ports.js';

/** Discord's MANAGE_MESSAGES bit, as the payload carries it: a decimal string. */
const MANAGE_MESSAGES = String(1 << 13);

let fake: FakeDiscord;
let dir: string;

beforeAll(async () => {
  fake = await FakeDiscord.start();
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-discord-cli-'));
});

afterAll(async () => {
  await fake?.stop();
  await rm(dir, { recursive: true, force: true });
});

function register(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(['discord', 'register', ...args], {
    cwd: dir,
    env: {
      DISCORD_TOKEN: fake.token,
      DISCORD_APPLICATION_ID: fake.applicationId,
      DISCORD_API_URL: fake.apiUrl,
      ...env,
    },
  });
}

describe('aitws discord commands (through bin/aitws.js)', () => {
  it('prints one application command per registry command, with no credentials needed', async () => {
    const result = await runCli(['discord', 'commands'], { cwd: dir });
    expect(result.code).toBe(0);
    const payload = JSON.parse(result.stdout) as { name: string; description: string }[];
    expect(payload.map((c) => c.name).sort()).toEqual(COMMANDS.map((c) => c.name).sort());
    for (const command of payload) expect(command.description.length).toBeLessThanOrEqual(100);
  });

  it('offers the commands that change things only to members with Manage Messages by default', async () => {
    const result = await runCli(['discord', 'commands'], { cwd: dir });
    const payload = JSON.parse(result.stdout) as { name: string; default_member_permissions?: string }[];
    const permissions = Object.fromEntries(payload.map((c) => [c.name, c.default_member_permissions]));
    for (const name of ['create', 'add', 'remove', 'load', 'save', 'undo', 'apply', 'discard'])
      expect(permissions[name], name).toBe(MANAGE_MESSAGES);
    for (const name of ['help', 'show', 'validate', 'saved', 'history', 'diff', 'ask'])
      expect(permissions[name], name).toBeUndefined();
  });
});

describe('aitws discord register (through bin/aitws.js)', () => {
  it('takes any server id made of digits', async () => {
    const result = await register(['--guild', '123']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Registered \d+ commands in server 123\.$/m);
    const put = await fake.waitForCall((c) => c.kind === 'commands' && c.target === '123');
    expect(put.path).toBe(`/applications/${fake.applicationId}/guilds/123/commands`);
    expect((put.json as unknown[]).length).toBe(COMMANDS.length);
  });

  it('still refuses a server id that is not digits, before calling Discord', async () => {
    const before = fake.calls.length;
    const result = await register(['--guild', 'general']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--guild takes a server id \(digits\), not "general"/);
    expect(fake.calls.length).toBe(before);
  });

  it('says it could not reach Discord, and why, when nothing answers', async () => {
    const port = await closedPort();
    const result = await register(['--guild', '123'], { DISCORD_API_URL: `http://127.0.0.1:${port}/api` });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      `aitws discord register: could not reach Discord at http://127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port})`,
    );
    expect(result.stderr).not.toMatch(/refused the commands/);
  });

  it('says Discord refused the token, without printing it', async () => {
    const result = await register([], { DISCORD_TOKEN: 'wrong.token.s3cret' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      'aitws discord register: Discord refused DISCORD_TOKEN (401: Unauthorized): check the bot token',
    );
    expect(result.stderr).not.toContain('s3cret');
  });
});
