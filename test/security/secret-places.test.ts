/**
 * Secret shapes × the places a value surfaces, through the real front doors: `aitws serve` with the
 * real Slack receiver (Bolt, signed HTTP) and the real Discord receiver (signed HTTP interactions),
 * the assistant calling the fake Anthropic API, and a pino logger at `trace`, on the file store and
 * on Redis. Every shape goes into a draft on each platform, comes back in an added-field reply, a
 * warning, an error, /history, /validate, /show, /diff and the "who did it" line, and is asked
 * about. Nothing the bot sent anywhere (acks, response_url posts, Web API calls, uploaded files,
 * Discord callbacks and webhooks, requests to the model, log lines) may hold a shape's secret part,
 * even when the model's own answer repeats it.
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiscordAdapter, INTERACTIONS_PATH } from '../../src/adapters/discord/index.js';
import { slackPlatform } from '../../src/adapters/slack/index.js';
import { loadConfig } from '../../src/config.js';
import { MASK } from '../../src/document/redact.js';
import { createLogger } from '../../src/logging.js';
import { type RunningServer, startServer } from '../../src/serve.js';
import { collectAnswer } from '../discord/bot.js';
import { answer, type FakeAnthropic, startFakeAnthropic } from '../support/fake-anthropic.js';
import { FakeDiscord } from '../support/fake-discord.js';
import { commandPayload, int, str, type Where } from '../support/fake-discord-payloads.js';
import { BOT_TOKEN, type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { type RedisServer, startRedis } from '../support/redis.js';
import { shortPrefix } from '../support/slack-bot.js';
import { commandBody, postSigned, SIGNING_SECRET } from '../support/slack-requests.js';
import { SHAPES } from './shapes.js';

/** The field each shape is stored under: its index, so a reply can be checked for it. */
const field = (index: number): string => `shape${index}`;

/** Everything the bot sent, per place. */
interface Sent {
  slack: string;
  discord: string;
  model: string;
  logs: string;
}

class Recorder extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

interface Fakes {
  readonly slack: FakeSlack;
  readonly discord: FakeDiscord;
  readonly anthropic: FakeAnthropic;
  /** Signs interactions as Discord would; the bot is given its public half. */
  readonly discordKey: KeyObject;
  readonly discordPublicKey: KeyObject;
}

async function startBot(
  fakes: Fakes,
  storage: Record<string, string>,
  logs: Writable,
): Promise<RunningServer> {
  const publicKeyHex = fakes.discordPublicKey
    .export({ format: 'der', type: 'spki' })
    .subarray(-32)
    .toString('hex');
  const config = loadConfig({
    ...storage,
    PORT: '0',
    HOST: '127.0.0.1',
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fakes.slack.apiUrl,
    DISCORD_TOKEN: fakes.discord.token,
    DISCORD_APPLICATION_ID: fakes.discord.applicationId,
    DISCORD_API_URL: fakes.discord.apiUrl,
    DISCORD_PUBLIC_KEY: publicKeyHex,
    ANTHROPIC_API_KEY: 'test-anthropic-key',
    ANTHROPIC_BASE_URL: fakes.anthropic.url,
    AITWS_ASK_PER_USER_PER_MINUTE: '1000',
    AITWS_ASK_PER_CHANNEL_PER_HOUR: '1000',
  });
  const logger = createLogger({ level: 'trace', destination: logs });
  const running = await startServer(config, logger, [
    slackPlatform,
    ({ config: c, core, logger: log }) =>
      c.discord === undefined
        ? undefined
        : createDiscordAdapter({
            discord: c.discord,
            core,
            logger: log,
            documentBytes: c.limits.documentBytes,
          }),
  ]);
  if (running === undefined) throw new Error('no platform started');
  return running;
}

/** Runs `/aitws <text>` and returns what the ack carried (empty when the answer comes later). */
async function slackCommand(
  running: RunningServer,
  fake: FakeSlack,
  text: string,
  channel: string,
): Promise<string> {
  const url = `http://127.0.0.1:${running.port}/slack/events`;
  const body = commandBody({ text, channel, responseUrl: fake.responseUrl() });
  const result = await postSigned(url, body, 'application/x-www-form-urlencoded');
  expect(result.status, text).toBe(200);
  return result.body;
}

/** Sends a signed Discord interaction and returns everything the answer held. */
async function discordCommand(
  running: RunningServer,
  fakes: Fakes,
  name: string,
  options: Parameters<typeof commandPayload>[1],
  where: Where,
): Promise<string> {
  const payload = commandPayload(name, options, where);
  const body = JSON.stringify(payload);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = sign(null, Buffer.from(timestamp + body), fakes.discordKey).toString('hex');
  const response = await fetch(`http://127.0.0.1:${running.port}${INTERACTIONS_PATH}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-signature-timestamp': timestamp,
      'x-signature-ed25519': signature,
    },
    body,
  });
  expect(response.status, name).toBe(200);
  const first = (await response.json()) as Record<string, unknown>;
  const collected = await collectAnswer(fakes.discord, String(payload.token), first);
  return JSON.stringify(collected);
}

/** Each shape through every command that shows a value, on both platforms. */
async function exercise(
  running: RunningServer,
  fakes: Fakes,
): Promise<{ slackAcks: string; discordAnswers: string }> {
  const slackChannel = `CSEC${shortPrefix()}`;
  const where: Where = { applicationId: fakes.discord.applicationId, channelId: '240000000000000001' };
  const acks: string[] = [];
  const answers: string[] = [];
  const slack = async (text: string) =>
    acks.push(await slackCommand(running, fakes.slack, text, slackChannel));
  const discord = async (name: string, options: Parameters<typeof commandPayload>[1] = []) =>
    answers.push(await discordCommand(running, fakes, name, options, where));

  await slack('create name="Secret places"');
  await discord('create', [str('name', 'Secret places')]);
  for (const [index, [, value]] of SHAPES.entries()) {
    const quoted = JSON.stringify(value);
    for (const [section, params] of [
      ['x_shapes', `${field(index)}=${quoted}`],
      ['communication', `protocol=${quoted}`], // a warning quoting the value
      ['monitors', `name="M${index}" interval=${quoted}`], // an error quoting the value
    ] as const) {
      await slack(`add ${section} ${params}`);
      await discord('add', [str('section', section), str('params', params)]);
    }
    await slack('history limit=1');
    await slack('validate');
    await slack(`ask why does ${value} not work?`);
  }
  await slack('show');
  await discord('show');
  await slack('diff 1');
  await discord('diff', [int('from', 1)]);
  await slack('history');
  await discord('history');
  await slack('validate');
  await discord('validate');
  await slack('ask what does this workflow connect to?');
  await discord('ask', [str('args', 'what does this workflow connect to?')]);
  return { slackAcks: acks.join('\n'), discordAnswers: answers.join('\n') };
}

function slackSent(fake: FakeSlack, acks: string): string {
  return [
    acks,
    JSON.stringify(fake.calls),
    JSON.stringify(fake.responses),
    JSON.stringify([...fake.uploads]),
  ].join('\n');
}

describe.each(['file', 'redis'] as const)(
  'secret shapes through Slack, Discord and the model (%s store)',
  (store) => {
    let redis: RedisServer | undefined;
    let dataDir: string;
    let fakes: Fakes;
    const sent: Sent = { slack: '', discord: '', model: '', logs: '' };

    beforeAll(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'aitws-secret-places-'));
      const [slack, discord, anthropic] = await Promise.all([
        startFakeSlack(),
        FakeDiscord.start(),
        startFakeAnthropic(),
        (async () => {
          if (store === 'redis') redis = await startRedis();
        })(),
      ]);
      const pair = generateKeyPairSync('ed25519');
      fakes = { slack, discord, anthropic, discordKey: pair.privateKey, discordPublicKey: pair.publicKey };
      // A model that repeats every secret it could have seen: its answer must be masked on the way out.
      anthropic.setDefault(() => answer(`You mean ${SHAPES.map(([, value]) => value).join(' and ')}.`));
      const storage: Record<string, string> =
        redis === undefined
          ? { AITWS_DATA_DIR: dataDir }
          : { REDIS_URL: redis.url, AITWS_REDIS_PREFIX: shortPrefix(), AITWS_DATA_DIR: dataDir };
      const logs = new Recorder();
      const running = await startBot(fakes, storage, logs);
      let exercised: { slackAcks: string; discordAnswers: string };
      try {
        exercised = await exercise(running, fakes);
      } finally {
        // Stopping drains answers still on their way (late acks, uploads, deferred edits).
        await running.stop();
      }
      sent.slack = slackSent(slack, exercised.slackAcks);
      sent.discord = [exercised.discordAnswers, JSON.stringify(discord.calls)].join('\n');
      sent.model = JSON.stringify(anthropic.requests);
      sent.logs = logs.text;
    }, 180_000);

    afterAll(async () => {
      await Promise.all([
        fakes?.slack.close(),
        fakes?.discord.stop(),
        fakes?.anthropic.close(),
        redis?.stop(),
      ]);
      await rm(dataDir, { recursive: true, force: true });
    });

    it('carried every shape to every place (masked), so the checks below are not vacuous', () => {
      for (const place of ['slack', 'discord'] as const) {
        for (const index of SHAPES.keys())
          expect(sent[place], `${place} ${field(index)}`).toContain(field(index));
        expect(sent[place]).toContain(MASK);
        expect(sent[place]).toMatch(/is not a supported value/);
        expect(sent[place]).toMatch(/not a duration/);
      }
      expect(sent.slack).toMatch(/alice: \/aitws add x_shapes shape0=/);
      expect(fakes.anthropic.requests.length).toBeGreaterThan(SHAPES.length);
      expect(sent.model).toContain(field(SHAPES.length - 1));
      // At trace every line is written (Bolt's own debug lines among them).
      expect(sent.logs).toMatch(/"level":20/);
      expect(sent.logs).toMatch(/assistant answered/);
    });

    it.each(SHAPES)(
      'never sends a %s: not to Slack, Discord, the model or a log line',
      (_, _value, secret) => {
        expect(sent.slack.includes(secret), 'Slack').toBe(false);
        expect(sent.discord.includes(secret), 'Discord').toBe(false);
        expect(sent.model.includes(secret), 'model provider').toBe(false);
        expect(sent.logs.includes(secret), 'logs').toBe(false);
      },
    );
  },
);
