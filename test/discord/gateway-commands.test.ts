/**
 * Gateway mode end to end: the real discord.js Client connected to the fake gateway, every
 * command of the registry sent as INTERACTION_CREATE, answers checked as Discord receives them.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDiscord } from '../support/fake-discord.js';
import { PRIVILEGED_INTENTS } from '../support/fake-discord-gateway.js';
import {
  autocompletePayload,
  bool,
  commandPayload,
  int,
  type Option,
  str,
  type Where,
} from '../support/fake-discord-payloads.js';
import { SAMPLE_TOML } from '../support/paths.js';
import { waitFor } from '../support/redis.js';
import { type Answer, type Bot, startBot, viaGateway } from './bot.js';

const EPHEMERAL = 64;

let fake: FakeDiscord;
let bot: Bot;
let sample: string;

beforeAll(async () => {
  // A short heartbeat interval, so the test sees discord.js heartbeat and get acknowledged.
  fake = await FakeDiscord.start({ heartbeatMs: 400 });
  bot = await startBot({ fake });
  sample = await readFile(SAMPLE_TOML, 'utf8');
});
afterAll(async () => {
  await bot?.stop();
  await fake?.stop();
});

function channel(id: string): Where {
  return { ...bot.where, channelId: id };
}

function run(name: string, options: readonly Option[], where: Where): Promise<Answer> {
  return viaGateway(fake, commandPayload(name, options, where));
}

function flags(answer: Answer): number {
  return Number(answer.message.flags ?? 0);
}

async function choices(
  name: string,
  options: readonly Option[],
  where: Where,
): Promise<{ name: string; value: string }[]> {
  const answer = await viaGateway(fake, autocompletePayload(name, options, where));
  expect(answer.first.type).toBe(8);
  const data = answer.first.data as { choices: { name: string; value: string }[] };
  expect(data.choices.length).toBeLessThanOrEqual(25);
  for (const choice of data.choices) {
    expect(choice.name.length).toBeGreaterThan(0);
    expect(choice.value.length).toBeLessThanOrEqual(100);
  }
  return data.choices;
}

describe('discord gateway', () => {
  it('identifies with the bot token and no privileged intents', async () => {
    await fake.gateway.ready();
    const [identify] = fake.gateway.stats.identifies;
    expect(identify?.token).toBe(fake.token);
    expect((identify?.intents ?? -1) & PRIVILEGED_INTENTS).toBe(0);
    expect(fake.calls.some((c) => c.kind === 'gateway' && c.authorization === `Bot ${fake.token}`)).toBe(
      true,
    );
    await waitFor(async () => fake.gateway.stats.heartbeats >= 2, 5000);
    expect(fake.gateway.stats.identifies).toHaveLength(1);
  });

  it('runs the drafting commands, turning options into the command grammar', async () => {
    const where = channel('210000000000000001');
    const created = await run('create', [str('name', 'Fraud "model"'), str('version', '1.0.0')], where);
    expect(created.first.type).toBe(4);
    expect(created.content).toContain('Created "Fraud "model""');
    expect(flags(created) & EPHEMERAL).toBe(0);
    expect(created.message.allowed_mentions).toEqual({ parse: [] });

    const added = await run(
      'add',
      [str('section', 'roles'), str('params', 'name="DataScientist" privileges=["read","execute"]')],
      where,
    );
    expect(added.content).toMatch(/DataScientist/);
    expect(flags(added) & EPHEMERAL).toBe(0);

    const shown = await run('show', [str('section', 'roles')], where);
    expect(shown.content).toContain('```toml');
    expect(shown.content).toContain('name = "DataScientist"');
    expect(shown.content).toContain('privileges = [ "read", "execute" ]');

    const valid = await run('validate', [bool('strict', true)], where);
    expect(valid.first.type).toBe(4);

    const removed = await run('remove', [str('section', 'roles'), str('key', 'name="DataScientist"')], where);
    expect(removed.content).toMatch(/Removed/i);

    const undone = await run('undo', [], where);
    expect(undone.content).toMatch(/v4|undid|reverted/i);

    const history = await run('history', [int('limit', 3)], where);
    expect(history.content).toMatch(/v4/);
    expect(history.content).not.toMatch(/v1\b/);

    const diff = await run('diff', [int('from', 1), int('to', 2)], where);
    expect(diff.content).toContain('DataScientist');

    const help = await run('help', [str('topic', 'add')], where);
    expect(flags(help) & EPHEMERAL).toBe(EPHEMERAL);
    expect(help.content).toContain('/add');
  });

  it('answers errors privately, with the core message', async () => {
    const where = channel('210000000000000002');
    await run('create', [], where);
    const answer = await run('add', [str('section', 'rolez'), str('params', 'name="X"')], where);
    expect(flags(answer) & EPHEMERAL).toBe(EPHEMERAL);
    expect(answer.content).toMatch(/^✖/);
    expect(answer.content).toContain('roles');
  });

  it('never lets user content mention anyone', async () => {
    const where = channel('210000000000000003');
    const answer = await run('create', [str('name', '@everyone <@300000000000000002> <@&1>')], where);
    expect(answer.message.allowed_mentions).toEqual({ parse: [] });
    expect(answer.content).toContain('@everyone');
  });

  it('saves as an attached workflow.toml, to the library, and loads from both', async () => {
    const where = channel('210000000000000004');
    await run('create', [str('name', 'Library')], where);
    const saved = await run('save', [], where);
    expect(saved.files.map((f) => f.name)).toEqual(['workflow.toml']);
    expect(saved.files[0]?.text).toContain('name = "Library"');
    expect(saved.message.attachments).toEqual([{ id: 0, filename: 'workflow.toml' }]);

    const named = await run('save', [str('name', 'baseline')], where);
    expect(named.content).toContain('baseline');
    const listed = await run('saved', [], where);
    expect(listed.content).toContain('baseline');
    const suggestions = await choices('load', [str('name', 'base', true)], where);
    expect(suggestions.map((c) => c.value)).toEqual(['baseline']);

    const other = channel('210000000000000005');
    const loaded = await run('load', [str('name', 'baseline')], other);
    expect(loaded.content).toMatch(/Loaded "baseline"/);
  });

  it('loads an attached file, downloading it only from the attachment URL', async () => {
    const where = channel('210000000000000006');
    const url = fake.addAttachment('ai.toml', sample);
    const payload = commandPayload('load', [{ name: 'file', type: 11, value: '55' }], where, {
      '55': { filename: 'ai.toml', url, size: Buffer.byteLength(sample) },
    });
    const loaded = await viaGateway(fake, payload);
    expect(loaded.content).toMatch(/Loaded ai\.toml \("Sample aiTWS Configuration"/);

    // The whole sample does not fit in 2,000 characters: the TOML goes out as a file.
    const shown = await run('show', [], where);
    expect(shown.content.length).toBeLessThanOrEqual(2000);
    expect(shown.content).toContain('workflow.toml');
    const file = shown.files.find((f) => f.name === 'workflow.toml');
    expect(file?.text).toContain('[metadata]');
    expect(file?.contentType).toContain('toml');
  });

  it('refuses an attachment larger than the document limit without downloading it', async () => {
    const where = channel('210000000000000007');
    const url = fake.addAttachment('huge.toml', 'x');
    const payload = commandPayload('load', [{ name: 'file', type: 11, value: '56' }], where, {
      '56': { filename: 'huge.toml', url, size: 10 * 1024 * 1024 },
    });
    const answer = await viaGateway(fake, payload);
    expect(flags(answer) & EPHEMERAL).toBe(EPHEMERAL);
    expect(answer.content).toMatch(/larger than the document limit/);
  });

  it('autocompletes sections, fields of the chosen section, keys of the draft and help topics', async () => {
    const where = channel('210000000000000008');
    const sections = await choices('add', [str('section', 'ro', true)], where);
    expect(sections[0]?.value).toBe('roles');
    const all = await choices('show', [str('section', '', true)], where);
    expect(all).toHaveLength(25);
    const nested = await choices('add', [str('section', 'stages.a', true)], where);
    expect(nested.map((c) => c.value)).toContain('stages.actions');

    const fields = await choices('add', [str('section', 'roles'), str('params', '', true)], where);
    expect(fields.map((c) => c.value)).toEqual(expect.arrayContaining(['name=""', 'privileges=[]']));
    const more = await choices('add', [str('section', 'roles'), str('params', 'name="Ops" pr', true)], where);
    expect(more.map((c) => c.value)).toEqual(['name="Ops" privileges=[]']);
    const actions = await choices('add', [str('section', 'stages.actions'), str('params', '', true)], where);
    expect(actions[0]?.value).toBe('stage=""');
    const known = await choices(
      'add',
      [str('section', 'communication'), str('params', 'protocol=Q', true)],
      where,
    );
    expect(known.map((c) => c.value)).toContain('protocol="QUIC"');

    await run('create', [], where);
    await run('add', [str('section', 'roles'), str('params', 'name="Ops"')], where);
    const keys = await choices('remove', [str('section', 'roles'), str('key', '', true)], where);
    expect(keys.map((c) => c.value)).toEqual(['name="Ops"']);
    const tableKeys = await choices('remove', [str('section', 'logging'), str('key', 'le', true)], where);
    expect(tableKeys.map((c) => c.value)).toContain('level');

    const topics = await choices('help', [str('topic', 'sec', true)], where);
    expect(topics[0]?.value).toBe('sections');
  });
});
