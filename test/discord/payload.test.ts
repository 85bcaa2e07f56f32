/**
 * The application-command payload: one command per registry entry, within Discord's limits, and
 * the `aitws discord commands | register` CLI against the fake Discord's REST.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discordCli } from '../../src/adapters/discord/cli.js';
import { discordPlatform } from '../../src/adapters/discord/index.js';
import { GENERIC_OPTIONS } from '../../src/adapters/discord/options.js';
import {
  buildCommandPayload,
  CHANGING_COMMAND_PERMISSIONS,
  checkCommandPayload,
  fitDescription,
  LIMITS,
  READ_ONLY_COMMANDS,
} from '../../src/adapters/discord/payload.js';
import { buildCore } from '../../src/app.js';
import { COMMANDS } from '../../src/commands/registry.js';
import { success } from '../../src/commands/reply.js';
import type { CommandDefinition } from '../../src/commands/types.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logging.js';
import { FakeDiscord } from '../support/fake-discord.js';

function output(): {
  out: string[];
  err: string[];
  sink: { out(line: string): void; err(line: string): void };
} {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, sink: { out: (l) => out.push(l), err: (l) => err.push(l) } };
}

const later: CommandDefinition = {
  name: 'ask',
  group: 'help',
  privilege: 'read',
  summary:
    'Ask the assistant about the spec or the draft; it may propose commands that a person confirms with a button before anything changes',
  usage: '/ask QUESTION',
  description: 'A command added by a later issue.',
  accepts: { params: [], words: 1 },
  examples: ['/ask what is a stage?'],
  run: async () => success('ok'),
};

describe('discord command payload', () => {
  it('has one command per registry entry, within every Discord limit', () => {
    const payload = buildCommandPayload(COMMANDS);
    expect(payload.map((c) => c.name)).toEqual(COMMANDS.map((c) => c.name));
    expect(checkCommandPayload(payload)).toEqual([]);
    const add = payload.find((c) => c.name === 'add');
    expect(
      add?.options?.map((o) => [o.name, o.type, o.required, 'autocomplete' in o && o.autocomplete]),
    ).toEqual([
      ['section', 3, true, true],
      ['params', 3, true, true],
    ]);
    const load = payload.find((c) => c.name === 'load');
    expect(load?.options?.map((o) => [o.name, o.type])).toEqual([
      ['file', 11],
      ['name', 3],
    ]);
  });

  it('gives a command added later a generic args option and a description that fits', () => {
    const [ask] = buildCommandPayload([...COMMANDS, later]).slice(-1);
    expect(ask?.name).toBe('ask');
    expect(ask?.description.length).toBeLessThanOrEqual(LIMITS.description);
    expect(ask?.description.endsWith('…')).toBe(true);
    expect(ask?.options?.map((o) => o.name)).toEqual(GENERIC_OPTIONS.map((o) => o.name));
    expect(checkCommandPayload([ask])).toEqual([]);
    expect(fitDescription('short')).toBe('short');
  });

  it('leaves read-only commands open and gives every other one, a new one too, Manage Messages', () => {
    const payload = buildCommandPayload([...COMMANDS, { ...later, name: 'frobnicate' }]);
    expect(CHANGING_COMMAND_PERMISSIONS).toBe(1n << 13n);
    for (const command of payload) {
      const expected = READ_ONLY_COMMANDS.has(command.name) ? undefined : '8192';
      expect(command.default_member_permissions, command.name).toBe(expected);
    }
    expect(payload.find((c) => c.name === 'frobnicate')?.default_member_permissions).toBe('8192');
    expect(payload.find((c) => c.name === 'show')?.default_member_permissions).toBeUndefined();
    expect(checkCommandPayload(payload)).toEqual([]);
  });

  it('reports every way a payload breaks the limits', () => {
    const option = (name: string, extra: object = {}) => ({ name, description: 'd', type: 3, ...extra });
    const problems = checkCommandPayload([
      { name: 'Bad Name', description: '', options: [] },
      {
        name: 'ok',
        description: 'x'.repeat(101),
        options: [
          option('a'),
          option('b', { required: true }),
          option('c', { autocomplete: true, choices: [{ name: 'n', value: 'v' }] }),
          option('d', { choices: [{ name: 'n', value: 'v'.repeat(101) }] }),
          option('e', { type: 5, autocomplete: true }),
          ...Array.from({ length: 21 }, (_, i) => option(`o${i}`)),
        ],
      },
    ]);
    const expected = [
      /Bad Name.*must match/,
      /Bad Name.*lower-case/,
      /\/Bad Name: description/,
      /\/ok: description must be 1–100/,
      /26 options/,
      /b: required option after an optional one/,
      /c: autocomplete and choices are mutually exclusive/,
      /d: choice value longer than 100/,
      /e: only string, integer and number options/,
    ];
    for (const pattern of expected)
      expect(
        problems.some((p) => pattern.test(p)),
        String(pattern),
      ).toBe(true);
    expect(checkCommandPayload('not an array')[0]).toMatch(/payload/);
  });
});

describe('aitws discord', () => {
  let fake: FakeDiscord;
  beforeAll(async () => {
    fake = await FakeDiscord.start();
  });
  afterAll(async () => {
    await fake?.stop();
  });

  const configFor = (token: string | undefined) =>
    loadConfig({
      ...(token === undefined ? { DISCORD_PUBLIC_KEY: 'ab'.repeat(32) } : { DISCORD_TOKEN: token }),
      DISCORD_APPLICATION_ID: fake.applicationId,
      DISCORD_API_URL: fake.apiUrl,
    });

  it('prints the payload it would send', async () => {
    const io = output();
    expect(await discordCli(['commands'], loadConfig({}), io.sink)).toBe(0);
    expect(JSON.parse(io.out.join('\n'))).toEqual(JSON.parse(JSON.stringify(buildCommandPayload(COMMANDS))));
  });

  it('bulk-overwrites the global or one server’s commands with the bot token', async () => {
    const io = output();
    expect(await discordCli(['register'], configFor(fake.token), io.sink)).toBe(0);
    expect(
      await discordCli(['register', '--guild', '123456789012345678'], configFor(fake.token), io.sink),
    ).toBe(0);
    const puts = fake.calls.filter((c) => c.kind === 'commands');
    expect(puts.map((c) => c.path)).toEqual([
      `/applications/${fake.applicationId}/commands`,
      `/applications/${fake.applicationId}/guilds/123456789012345678/commands`,
    ]);
    expect(puts.every((c) => c.authorization === `Bot ${fake.token}`)).toBe(true);
    expect(puts[0]?.json).toEqual(JSON.parse(JSON.stringify(buildCommandPayload(COMMANDS))));
    expect(io.out.join('\n')).toMatch(/Registered \d+ global commands[\s\S]*in server 123456789012345678/);
  });

  it('explains what is missing or wrong', async () => {
    const io = output();
    expect(await discordCli(['register'], configFor(undefined), io.sink)).toBe(2);
    expect(await discordCli(['register', '--guild', 'general'], configFor(fake.token), io.sink)).toBe(2);
    expect(await discordCli(['register'], configFor('wrong-token'), io.sink)).toBe(1);
    expect(await discordCli(['frobnicate'], loadConfig({}), io.sink)).toBe(2);
    expect(await discordCli(['register', '--nope'], configFor(fake.token), io.sink)).toBe(2);
    expect(io.err.join('\n')).toMatch(/DISCORD_TOKEN[\s\S]*server id[\s\S]*refused[\s\S]*unknown command/);
  });

  it('is not a platform when Discord is not configured', async () => {
    const config = loadConfig({ AITWS_DATA_DIR: '/nonexistent-aitws' });
    const core = buildCore({ config, logger: silentLogger });
    try {
      expect(discordPlatform({ config, core, logger: silentLogger })).toBeUndefined();
    } finally {
      await core.close();
    }
  });
});
