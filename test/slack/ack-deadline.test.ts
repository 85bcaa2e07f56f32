/**
 * A slash command's two ways back, with a core whose speed the test controls: an answer ready
 * before ACK_DEADLINE_MS rides in the ack (no response_url POST); a slower one gets an empty ack at
 * the deadline and follows through response_url. A file never rides in an ack, a reply that asks
 * for the paste form opens it, and a core that throws still gets the command acked.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOAD_MODAL_ID } from '../../src/adapters/slack/declared.js';
import { createSlackAdapter, type SlackAdapter } from '../../src/adapters/slack/index.js';
import { ACK_DEADLINE_MS } from '../../src/adapters/slack/on-command.js';
import type { Dispatcher } from '../../src/commands/dispatch.js';
import { COMMANDS } from '../../src/commands/registry.js';
import { failure, privateAnswer, type Reply, success } from '../../src/commands/reply.js';
import type { Invocation } from '../../src/commands/types.js';
import { loadConfig } from '../../src/config.js';
import { createHttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/logging.js';
import { MemoryInteractionStore } from '../../src/session/memory-interactions.js';
import { BOT_TOKEN, type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { ackMessage, messageText } from '../support/slack-bot.js';
import { commandBody, postSigned, SIGNING_SECRET } from '../support/slack-requests.js';

/** Slack's own limit for the ack; the late path must stay well inside it. */
const SLACK_ACK_LIMIT_MS = 3000;

let fake: FakeSlack;
let adapter: SlackAdapter;
let server: Server;
let url: string;
/** What the stub core does with the next command. */
let answer: () => Promise<Reply>;
/** The invocation the stub core was handed last. */
let handed: Invocation | undefined;

beforeAll(async () => {
  fake = await startFakeSlack();
  const config = loadConfig({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    AITWS_DATA_DIR: '/tmp/aitws-slack-unused',
  });
  if (config.slack === undefined) throw new Error('no Slack config');
  const dispatcher: Dispatcher = {
    commands: COMMANDS,
    // Echoes the typed line as the real core does for a line with no secret in it.
    handle: async (invocation) => {
      handed = invocation;
      return { ...(await answer()), echo: invocation.text };
    },
    handleButton: async () => success('Done'),
    checkDocument: () => undefined,
  };
  adapter = createSlackAdapter({
    slack: config.slack,
    dispatcher,
    interactions: new MemoryInteractionStore(),
    limits: config.limits,
    logger: silentLogger,
  });
  await adapter.start();
  server = createHttpServer({ routes: adapter.routes, limits: config.http, logger: silentLogger });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
});

beforeEach(() => {
  answer = async () => success('Added roles[R] · v2');
});

afterAll(async () => {
  await adapter?.stop();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await fake?.close();
});

function delayed(reply: Reply, ms: number): () => Promise<Reply> {
  return () => new Promise((resolve) => setTimeout(resolve, ms, reply));
}

async function command(text: string) {
  const responseUrl = fake.responseUrl();
  const result = await postSigned(
    url,
    commandBody({ text, responseUrl, channel: 'CDEAD' }),
    'application/x-www-form-urlencoded',
  );
  expect(result.status).toBe(200);
  return { ...result, responseUrl, inAck: ackMessage(result.body) };
}

describe('slash command ack deadline', () => {
  it('answers a quick change in the ack, in the channel, with nothing posted to response_url', async () => {
    const result = await command('add roles name="<!channel>"');
    expect(result.ms).toBeLessThan(ACK_DEADLINE_MS);
    expect(result.inAck).toMatchObject({ response_type: 'in_channel', text: 'Added roles[R] · v2' });
    expect(messageText(result.inAck ?? {})).toBe(
      'Added roles[R] · v2\nalice: /aitws add roles name="&lt;!channel&gt;"',
    );
    await adapter.idle();
    expect(fake.postsTo(result.responseUrl)).toEqual([]);
  });

  it('answers a quick error in the ack, only to the person who typed', async () => {
    answer = async () => failure('Unknown command /ad. Did you mean /add?');
    const result = await command('ad roles');
    expect(result.inAck?.response_type).toBe('ephemeral');
    expect(messageText(result.inAck ?? {})).toBe('Unknown command /ad. Did you mean /aitws add?');
    await adapter.idle();
    expect(fake.postsTo(result.responseUrl)).toEqual([]);
  });

  it('acks empty at the deadline when the core is slow, then answers through response_url', async () => {
    answer = delayed(success('Added roles[Slow] · v3'), ACK_DEADLINE_MS + 300);
    const result = await command('add roles name="Slow"');
    expect(result.body).toBe('');
    expect(result.ms).toBeGreaterThanOrEqual(ACK_DEADLINE_MS - 5);
    expect(result.ms).toBeLessThan(SLACK_ACK_LIMIT_MS - 500);
    expect(fake.postsTo(result.responseUrl)).toEqual([]);
    const [post] = await fake.waitForPosts(result.responseUrl, 1);
    expect(post?.body).toMatchObject({
      response_type: 'in_channel',
      replace_original: false,
      text: 'Added roles[Slow] · v3',
    });
    expect(messageText(post?.body ?? {})).toBe('Added roles[Slow] · v3\nalice: /aitws add roles name="Slow"');
    await adapter.idle();
    expect(fake.postsTo(result.responseUrl)).toHaveLength(1);
  });

  it('acks empty at once and uploads a reply too long for a message, however quick', async () => {
    answer = async () =>
      success('Draft "Long" · v1', {
        visibility: 'ephemeral',
        blocks: [{ kind: 'code', code: 'x = 1\n'.repeat(1000), language: 'toml' }],
      });
    const uploaded = fake.callsOf('files.completeUploadExternal').length;
    const result = await command('show');
    expect(result.body).toBe('');
    expect(result.ms).toBeLessThan(ACK_DEADLINE_MS);
    const [complete] = (await fake.waitForCalls('files.completeUploadExternal', uploaded + 1)).slice(
      uploaded,
    );
    expect(complete?.args.channel_id).toBe('CDEAD');
    await adapter.idle();
    expect(fake.postsTo(result.responseUrl)).toEqual([]);
  });

  it('opens the paste form when the reply asks for it, whatever the command was called', async () => {
    answer = async () => privateAnswer('Paste the document into the form.', { form: 'document' });
    const opened = fake.callsOf('views.open').length;
    const result = await command('paste');
    expect(result.body).toBe('');
    expect(handed?.supportsDocumentForm).toBe(true);
    const [call] = (await fake.waitForCalls('views.open', opened + 1)).slice(opened);
    expect(call?.args.view).toMatchObject({ callback_id: LOAD_MODAL_ID });
    await adapter.idle();
    expect(fake.postsTo(result.responseUrl)).toEqual([]);
  });

  it('still acks when the core throws', async () => {
    answer = async () => {
      throw new Error('core exploded');
    };
    const result = await command('add roles name="Boom"');
    expect(result.body).toBe('');
    expect(result.ms).toBeLessThan(ACK_DEADLINE_MS);
  });
});
