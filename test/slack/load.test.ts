/**
 * Loading TOML in Slack: `/aitws load` opens a paste form (bad TOML is a field error in the form
 * and changes nothing; good TOML closes it and loads), and the message shortcut downloads an
 * attached .toml file with the bot token and loads it.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOAD_SHORTCUT_ID } from '../../src/adapters/slack/index.js';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { SAMPLE_TOML } from '../support/paths.js';
import { type RedisServer, startRedis } from '../support/redis.js';
import { messageText, type SlackBot, startSlackBot } from '../support/slack-bot.js';
import { TEAM } from '../support/slack-requests.js';

let fake: FakeSlack;
let redis: RedisServer;
let bot: SlackBot;

beforeAll(async () => {
  [fake, redis] = await Promise.all([startFakeSlack(), startRedis()]);
  bot = await startSlackBot({ fake, redisUrl: redis.url, env: { AITWS_MAX_DOCUMENT_BYTES: '20000' } });
});

afterAll(async () => {
  await bot?.stop();
  await Promise.all([fake?.close(), redis?.stop()]);
});

async function version(channel: string): Promise<number> {
  return (await bot.running.core.sessions.read({ platform: 'slack', workspace: TEAM, channel })).version;
}

/** Opens the form with `/aitws load` and returns what a submission needs. */
async function openForm(channel: string) {
  const opened = fake.callsOf('views.open').length;
  const command = await bot.command({ text: 'load', channel, triggerId: `trig-${channel}` });
  expect(command.status).toBe(200);
  const [call] = (await fake.waitForCalls('views.open', opened + 1)).slice(opened);
  expect(call?.args.trigger_id).toBe(`trig-${channel}`);
  const view = call?.args.view as {
    callback_id: string;
    private_metadata: string;
    blocks: { block_id?: string; element?: { action_id: string } }[];
  };
  const input = view.blocks.find((b) => b.element !== undefined);
  return {
    view,
    blockId: input?.block_id ?? '',
    actionId: input?.element?.action_id ?? '',
    responseUrl: command.responseUrl,
  };
}

function submission(form: Awaited<ReturnType<typeof openForm>>, text: string): Record<string, unknown> {
  return {
    type: 'view_submission',
    team: { id: TEAM, domain: 'test' },
    user: { id: 'U1', username: 'alice', name: 'alice', team_id: TEAM },
    api_app_id: 'A1',
    token: 'legacy-verification-token',
    trigger_id: 'trigger-view',
    view: {
      id: 'V1',
      type: 'modal',
      callback_id: form.view.callback_id,
      private_metadata: form.view.private_metadata,
      state: { values: { [form.blockId]: { [form.actionId]: { type: 'plain_text_input', value: text } } } },
    },
  };
}

function shortcut(channel: string, files: unknown[], responseUrl: string): Record<string, unknown> {
  return {
    type: 'message_action',
    callback_id: LOAD_SHORTCUT_ID,
    trigger_id: 'trigger-shortcut',
    response_url: responseUrl,
    team: { id: TEAM, domain: 'test' },
    channel: { id: channel, name: 'general' },
    user: { id: 'U1', username: 'alice', name: 'alice', team_id: TEAM },
    message_ts: '1700000000.000200',
    message: { type: 'message', user: 'U1', ts: '1700000000.000200', text: 'here it is', files },
    token: 'legacy-verification-token',
  };
}

describe('the paste form', () => {
  it('refuses TOML that does not parse with a field error in the form, changing nothing', async () => {
    const form = await openForm('CLOAD1');
    const result = await bot.interact(submission(form, '[metadata\nname = "x"'));
    expect(result.status).toBe(200);
    const answer = JSON.parse(result.body) as { response_action: string; errors: Record<string, string> };
    expect(answer.response_action).toBe('errors');
    expect(answer.errors[form.blockId]).toMatch(/Not valid TOML \(line 1/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await version('CLOAD1')).toBe(0);
    expect(fake.postsTo(form.responseUrl)).toEqual([]);
  });

  it('refuses a document with validation errors the same way', async () => {
    const form = await openForm('CLOAD2');
    const result = await bot.interact(submission(form, '[communication]\nport = 70000\n'));
    const answer = JSON.parse(result.body) as { errors: Record<string, string> };
    expect(answer.errors[form.blockId]).toMatch(/communication\.port/);
    expect(await version('CLOAD2')).toBe(0);
  });

  it('closes the form and loads good TOML, telling the channel', async () => {
    const form = await openForm('CLOAD3');
    const result = await bot.interact(submission(form, '[metadata]\nname = "Pasted"\nversion = "1.0.0"\n'));
    expect(result.status).toBe(200);
    expect(result.body).toBe('');
    const [post] = await fake.waitForPosts(form.responseUrl, 1);
    expect(post?.body.response_type).toBe('in_channel');
    expect(messageText(post?.body ?? {})).toMatch(/Loaded the pasted TOML \("Pasted", 1 sections\) · v1/);
    expect(await version('CLOAD3')).toBe(1);
  });

  it('refuses a form whose metadata was tampered with', async () => {
    const form = await openForm('CLOAD4');
    const tampered = { ...form, view: { ...form.view, private_metadata: '{"team":"T1"}' } };
    const answer = JSON.parse(
      (await bot.interact(submission(tampered, '[metadata]\nname = "X"\n'))).body,
    ) as {
      errors: Record<string, string>;
    };
    expect(answer.errors[form.blockId]).toMatch(/out of date/);
  });
});

describe('the "Load into aiTWS" message shortcut', () => {
  it('downloads the attached .toml with the bot token and loads the original sample', async () => {
    const sample = await readFile(SAMPLE_TOML, 'utf8');
    const file = fake.hostFile('ai.toml', sample);
    const responseUrl = fake.responseUrl();
    const result = await bot.interact(
      shortcut('CSHORT1', [{ id: 'Fimg', name: 'diagram.png', size: 10 }, file], responseUrl),
    );
    expect(result.status).toBe(200);
    const [post] = await fake.waitForPosts(responseUrl, 1);
    expect(post?.body.response_type).toBe('in_channel');
    expect(messageText(post?.body ?? {})).toMatch(/Loaded ai\.toml/);
    expect(messageText(post?.body ?? {})).toMatch(/Warnings:/);
    expect(await version('CSHORT1')).toBe(1);
  });

  it('asks files.info where a file is when the message carries only its id', async () => {
    const file = fake.hostFile('small.toml', '[metadata]\nname = "Small"\n');
    const responseUrl = fake.responseUrl();
    await bot.interact(
      shortcut('CSHORT2', [{ id: file.id, name: 'small.toml', mode: 'hosted' }], responseUrl),
    );
    const [post] = await fake.waitForPosts(responseUrl, 1);
    expect(messageText(post?.body ?? {})).toMatch(/Loaded small\.toml/);
    expect(fake.callsOf('files.info').at(-1)?.args.file).toBe(file.id);
  });

  it('refuses a file larger than a document may be, without downloading it', async () => {
    const file = fake.hostFile('huge.toml', '[metadata]\nname = "Huge"\n', 50_000);
    const responseUrl = fake.responseUrl();
    await bot.interact(shortcut('CSHORT3', [file], responseUrl));
    const [post] = await fake.waitForPosts(responseUrl, 1);
    expect(post?.body.response_type).toBe('ephemeral');
    expect(messageText(post?.body ?? {})).toMatch(/at most 19\.5 KiB/);
    expect(await version('CSHORT3')).toBe(0);
  });

  it('stops a download that turns out larger than declared', async () => {
    const file = fake.hostFile('liar.toml', `# ${'x'.repeat(30_000)}\n[metadata]\nname = "Liar"\n`, 100);
    const responseUrl = fake.responseUrl();
    await bot.interact(shortcut('CSHORT4', [file], responseUrl));
    const [post] = await fake.waitForPosts(responseUrl, 1);
    expect(messageText(post?.body ?? {})).toMatch(/a document may be at most/);
    expect(await version('CSHORT4')).toBe(0);
  });

  it('never sends the bot token to a host that is not Slack', async () => {
    const responseUrl = fake.responseUrl();
    const file = { id: 'Fevil', name: 'evil.toml', size: 20, url_private: 'https://evil.example/steal.toml' };
    await bot.interact(shortcut('CSHORT5', [file], responseUrl));
    const [post] = await fake.waitForPosts(responseUrl, 1);
    expect(messageText(post?.body ?? {})).toMatch(/not hosted by Slack/);
    expect(await version('CSHORT5')).toBe(0);
  });

  it('says so when the message has no .toml file', async () => {
    const responseUrl = fake.responseUrl();
    await bot.interact(shortcut('CSHORT6', [], responseUrl));
    const [post] = await fake.waitForPosts(responseUrl, 1);
    expect(post?.body.response_type).toBe('ephemeral');
    expect(messageText(post?.body ?? {})).toMatch(/no \.toml file/);
  });

  it('refuses a file with errors and lists them, changing nothing', async () => {
    const file = fake.hostFile('bad.toml', '[communication]\nport = 70000\n');
    const responseUrl = fake.responseUrl();
    await bot.interact(shortcut('CSHORT7', [file], responseUrl));
    const [post] = await fake.waitForPosts(responseUrl, 1);
    expect(post?.body.response_type).toBe('ephemeral');
    expect(messageText(post?.body ?? {})).toMatch(/bad\.toml has errors; nothing was loaded/);
    expect(await version('CSHORT7')).toBe(0);
  });
});
