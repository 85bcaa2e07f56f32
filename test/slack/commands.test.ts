/**
 * Every command of the registry through `/aitws …`, with real Bolt behind a real HTTP server and
 * Redis: a quick answer comes in the ack itself (no response_url POST), a file is uploaded after
 * an empty ack, changes are shown to the channel and help and errors only to the person who typed.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_API_METHODS } from '../../src/adapters/slack/index.js';
import { COMMANDS } from '../../src/commands/registry.js';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { SAMPLE_TOML } from '../support/paths.js';
import { type RedisServer, startRedis, waitFor } from '../support/redis.js';
import { answerInAck, messageText, type SlackBot, startSlackBot } from '../support/slack-bot.js';

let fake: FakeSlack;
let redis: RedisServer;
let bot: SlackBot;

beforeAll(async () => {
  [fake, redis] = await Promise.all([startFakeSlack(), startRedis()]);
  bot = await startSlackBot({ fake, redisUrl: redis.url });
});

afterAll(async () => {
  await bot?.stop();
  await Promise.all([fake?.close(), redis?.stop()]);
});

let channelCounter = 0;

/** response_urls of commands answered in their ack: nothing may arrive there as well. */
const answered: string[] = [];

async function expectNothingPostedAfterAcks(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(answered.flatMap((url) => fake.postsTo(url))).toEqual([]);
}

/** Runs `/aitws <text>` in `channel` and returns the answer its ack carried. */
async function run(text: string, channel: string, user = 'U1') {
  const result = await bot.command({ text, channel, user });
  expect(result.status).toBe(200);
  const body = answerInAck(result);
  expect(body.blocks, text).toBeInstanceOf(Array);
  const blocks = body.blocks as { text?: { text?: string } }[];
  expect(blocks.length, text).toBeLessThanOrEqual(50);
  for (const block of blocks) expect(block.text?.text?.length ?? 0, text).toBeLessThanOrEqual(3000);
  answered.push(result.responseUrl);
  return { body, type: body.response_type, read: messageText(body), ack: result };
}

function freshChannel(): string {
  channelCounter += 1;
  return `CCMD${channelCounter}`;
}

describe('/aitws through HTTP', () => {
  it('answers each command of the registry in its ack, with nothing posted to response_url', async () => {
    const channel = freshChannel();
    const covered = new Set<string>();
    const expectations: [string, 'in_channel' | 'ephemeral', RegExp][] = [
      ['help', 'ephemeral', /\/aitws add SECTION/],
      ['create name="Fraud retraining" version="1.0.0"', 'in_channel', /Created "Fraud retraining"/],
      ['add roles name="DataScientist" privileges=["read","execute"]', 'in_channel', /DataScientist/],
      ['add logging level="info"', 'in_channel', /logging/],
      ['remove logging level', 'in_channel', /logging/],
      ['show roles', 'ephemeral', /```[\s\S]*DataScientist[\s\S]*```/],
      ['validate', 'ephemeral', /./],
      ['save name="baseline"', 'in_channel', /baseline/],
      ['saved', 'ephemeral', /baseline/],
      ['add logging level="warn"', 'in_channel', /logging/],
      ['load name="baseline"', 'in_channel', /Loaded "baseline"/],
      ['undo', 'in_channel', /./],
      ['history', 'ephemeral', /\/aitws add roles/],
      ['diff', 'ephemeral', /./],
    ];
    for (const [text, visibility, pattern] of expectations) {
      const answer = await run(text, channel);
      expect(answer.type, text).toBe(visibility);
      expect(answer.read, text).toMatch(pattern);
      covered.add(text.split(' ')[0] ?? '');
    }
    // A plain /aitws save is a file: the upload's comment is its message.
    const before = fake.callsOf('files.completeUploadExternal').length;
    expect((await bot.command({ text: 'save', channel })).body).toBe('');
    const [upload] = (await fake.waitForCalls('files.completeUploadExternal', before + 1)).slice(before);
    expect(String(upload?.args.initial_comment)).toMatch(/"Fraud retraining" · v\d+\nalice: \/aitws save/);
    covered.add('save');
    expect([...covered].sort()).toEqual([
      'add',
      'create',
      'diff',
      'help',
      'history',
      'load',
      'remove',
      'save',
      'saved',
      'show',
      'undo',
      'validate',
    ]);
    await expectNothingPostedAfterAcks();
  });

  it('answers every command of the registry, whatever it is, in the ack or after an empty one', async () => {
    const channel = freshChannel();
    for (const { name } of COMMANDS) {
      const opened = fake.callsOf('views.open').length;
      const uploaded = fake.callsOf('files.completeUploadExternal').length;
      const result = await bot.command({ text: name, channel });
      expect(result.status, name).toBe(200);
      if (result.inAck !== undefined) {
        expect(messageText(result.inAck), name).not.toBe('');
        continue;
      }
      // After an empty ack the answer is a file (a bare /aitws save) or the paste form (/aitws load).
      await waitFor(
        async () =>
          fake.callsOf('files.completeUploadExternal').length > uploaded ||
          fake.callsOf('views.open').length > opened,
        5000,
      ).catch(() => expect.fail(`/aitws ${name} got no answer`));
    }
  });

  it('says who did what under a change the channel sees', async () => {
    const channel = freshChannel();
    const answer = await run('create name="Byline"', channel);
    expect(answer.read).toMatch(/alice: \/aitws create name="Byline"/);
  });

  it('treats an empty command as /help and an unknown one as an ephemeral error with a suggestion', async () => {
    const channel = freshChannel();
    expect((await run('', channel)).read).toMatch(/Commands:/);
    const unknown = await run('ad roles name="X"', channel);
    expect(unknown.type).toBe('ephemeral');
    expect(unknown.read).toMatch(/Did you mean \/aitws add\?/);
  });

  it('answers a document error as an ephemeral message that changes nothing', async () => {
    const channel = freshChannel();
    await run('create', channel);
    const bad = await run('add communication port=70000', channel);
    expect(bad.type).toBe('ephemeral');
    const history = await run('history', channel);
    expect(history.read).not.toMatch(/port/);
  });

  it('escapes what people typed so no mention, broadcast or link is forged', async () => {
    const channel = freshChannel();
    await run('create', channel);
    // As Slack sends it (should_escape: true): a typed `<` arrives as &lt;, a real @here as <!here>.
    const typed =
      'add roles name="&lt;!channel&gt; <!here> &lt;@U999&gt; &lt;https://evil.example|docs&gt; &amp; co"';
    const answer = await run(typed, channel);
    expect(answer.type).toBe('in_channel');
    const shown = await run('show roles', channel);
    for (const text of [answer.read, shown.read, String(answer.body.text)]) {
      expect(text).not.toMatch(/<!|<@|<https:/);
    }
    expect(shown.read).toContain(
      'name = "&lt;!channel&gt; @here &lt;@U999&gt; &lt;https://evil.example|docs&gt; &amp; co"',
    );
    // Bare @here and URLs stay text: every mrkdwn object is verbatim.
    const blocks = JSON.stringify([answer.body.blocks, shown.body.blocks]);
    expect(blocks.match(/"type":"mrkdwn"/g)?.length).toBe(blocks.match(/"verbatim":true/g)?.length);
  });

  it('posts the original sample as workflow.toml with a short summary when /aitws show is too long', async () => {
    const channel = freshChannel();
    await run('create', channel);
    const sample = await readFile(SAMPLE_TOML, 'utf8');
    // Load it through the modal path's core entry point: the pasted text is the sample itself.
    const before = fake.callsOf('files.completeUploadExternal').length;
    const loaded = await bot.running.core.dispatcher.handle({
      text: '/load',
      actor: { id: 'U1', name: 'alice' },
      channel: { platform: 'slack', workspace: 'T1', channel },
      content: { filename: 'ai.toml', text: sample },
    });
    expect(loaded.ok).toBe(true);
    const result = await bot.command({ text: 'show', channel });
    expect(result.status).toBe(200);
    // A file cannot ride in an ack: the ack is empty and the upload follows.
    expect(result.body).toBe('');
    const [complete] = (await fake.waitForCalls('files.completeUploadExternal', before + 1)).slice(before);
    expect(complete?.args.channel_id).toBe(channel);
    expect(String(complete?.args.initial_comment)).toMatch(/^Draft .* · v\d+$/);
    const files = complete?.args.files as { id: string; title: string }[];
    expect(files.map((f) => f.title)).toEqual(['workflow.toml']);
    const uploaded = fake.uploads.get(files[0]?.id ?? '');
    expect(uploaded).toContain('[metadata]');
    expect(uploaded?.length).toBeGreaterThan(3000);
    const granted = fake.callsOf('files.getUploadURLExternal').at(-1);
    expect(granted?.args).toMatchObject({
      filename: 'workflow.toml',
      length: String(Buffer.byteLength(uploaded ?? '')),
    });
    // The file's comment is the summary: no second message with the same words.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fake.postsTo(result.responseUrl)).toEqual([]);
  });

  it('uploads /aitws save as workflow.toml with credentials masked', async () => {
    const channel = freshChannel();
    await run('create name="Secrets"', channel);
    await run('add external_services name="db" url="postgres://etl:hunter2@db.example/prod"', channel);
    const before = fake.callsOf('files.completeUploadExternal').length;
    await bot.command({ text: 'save', channel });
    const [complete] = (await fake.waitForCalls('files.completeUploadExternal', before + 1)).slice(before);
    const files = complete?.args.files as { id: string; title: string }[];
    expect(files[0]?.title).toBe('workflow.toml');
    const uploaded = fake.uploads.get(files[0]?.id ?? '') ?? '';
    expect(uploaded).toContain('postgres://etl:');
    expect(uploaded).not.toContain('hunter2');
  });

  it('posts /aitws graph as a PNG upload of the workflow picture', async () => {
    const channel = freshChannel();
    await run('create name="Pictured"', channel);
    await run('add stages name="Only" order=1', channel);
    const before = fake.callsOf('files.completeUploadExternal').length;
    await bot.command({ text: 'graph', channel });
    const [complete] = (await fake.waitForCalls('files.completeUploadExternal', before + 1)).slice(before);
    const files = complete?.args.files as { id: string; title: string }[];
    expect(files[0]?.title).toBe('workflow.png');
    const png = fake.uploadBytes.get(files[0]?.id ?? '') ?? Buffer.alloc(0);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBeGreaterThan(50);
    expect(String(complete?.args.initial_comment)).toContain('"Pictured" v2');
  });

  it('tells the person when the file cannot be posted because the bot is not in the channel', async () => {
    const channel = freshChannel();
    await run('create', channel);
    fake.failNext('files.completeUploadExternal', 'not_in_channel');
    const result = await bot.command({ text: 'save', channel });
    const posts = await fake.waitForPosts(result.responseUrl, 2);
    const note = posts.find((p) => messageText(p.body).includes('not_in_channel'));
    expect(note?.body.response_type).toBe('ephemeral');
    expect(messageText(note?.body ?? {})).toMatch(/\/invite @aitws/);
  });

  it('calls only Web API methods the adapter declares (and the manifest scopes)', () => {
    for (const call of fake.calls) expect(Object.keys(WEB_API_METHODS)).toContain(call.method);
    for (const call of fake.calls) expect(call.token).toBe('xoxb-test-token');
  });
});
