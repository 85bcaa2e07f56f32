/**
 * Redis frozen (SIGSTOP) while people use the bot: every click and event is still acknowledged at
 * once, and every command by its ack deadline, well inside Slack's 3 s (the late path: an empty
 * ack, the answer later). The person then gets the storage error through response_url or an
 * ephemeral message. Nothing is changed; once Redis is back, commands work again.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACK_DEADLINE_MS } from '../../src/adapters/slack/on-command.js';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { type RedisServer, startRedis } from '../support/redis.js';
import { ackMessage, answerInAck, messageText, type SlackBot, startSlackBot } from '../support/slack-bot.js';
import { buttonPayload, mentionEnvelope } from '../support/slack-requests.js';

let fake: FakeSlack;
let redis: RedisServer;
let bot: SlackBot;

const ACK_BUDGET_MS = 1000;
/** A command waits for the core until the deadline; the ack must still beat Slack's 3 s well. */
const COMMAND_ACK_BUDGET_MS = ACK_DEADLINE_MS + 1000;
/** Slower than the ack deadline, as the production default (2 s) is, so commands go the late way. */
const REDIS_TIMEOUT_MS = ACK_DEADLINE_MS + 1000;
const STORAGE_ERROR = /Storage is unavailable right now; nothing was changed/;

beforeAll(async () => {
  [fake, redis] = await Promise.all([startFakeSlack(), startRedis()]);
  bot = await startSlackBot({
    fake,
    redisUrl: redis.url,
    env: { AITWS_REDIS_TIMEOUT_MS: String(REDIS_TIMEOUT_MS) },
  });
});

/** The empty ack of the late path: sent at the deadline, not before, and well inside 3 s. */
function expectLateAck(result: { status: number; body: string; ms: number }): void {
  expect(result.status).toBe(200);
  expect(result.body).toBe('');
  // Timers may fire a millisecond early against performance.now().
  expect(result.ms).toBeGreaterThanOrEqual(ACK_DEADLINE_MS - 5);
  expect(result.ms).toBeLessThan(COMMAND_ACK_BUDGET_MS);
}

afterEach(() => redis.resume());

afterAll(async () => {
  await bot?.stop();
  await Promise.all([fake?.close(), redis?.stop()]);
});

describe('Slack with Redis frozen', () => {
  it('acks /aitws add at the deadline and then answers with the storage error', async () => {
    const created = await bot.command({ text: 'create name="Before"', channel: 'COUT1' });
    expect(messageText(answerInAck(created))).toMatch(/Created "Before"/);
    redis.pause();
    const result = await bot.command({ text: 'add roles name="DataScientist"', channel: 'COUT1' });
    expectLateAck(result);
    const [post] = await fake.waitForPosts(result.responseUrl, 1, 10_000);
    expect(post?.body.response_type).toBe('ephemeral');
    expect(messageText(post?.body ?? {})).toMatch(STORAGE_ERROR);
    redis.resume();
    const after = await bot.command({ text: 'show', channel: 'COUT1' });
    const shown = ackMessage(after.body) ?? (await fake.waitForPosts(after.responseUrl, 1, 10_000))[0]?.body;
    expect(messageText(shown ?? {})).toMatch(/Before/);
    expect(messageText(shown ?? {})).not.toMatch(/DataScientist/);
  });

  it('acks a button click and an app mention at once and answers each with the storage error', async () => {
    redis.pause();
    const responseUrl = fake.responseUrl();
    const click = await bot.interact(
      buttonPayload({
        actionId: 'aitws:AAAAAAAAAAAA:confirm',
        label: 'Replace',
        responseUrl,
        channel: 'COUT2',
      }),
    );
    expect(click.status).toBe(200);
    expect(click.ms).toBeLessThan(ACK_BUDGET_MS);
    const ephemeral = fake.callsOf('chat.postEphemeral').length;
    const event = await bot.event(
      mentionEnvelope({ text: 'create', eventId: `EvOut${Date.now()}`, channel: 'COUT2' }),
    );
    expect(event.status).toBe(200);
    expect(event.ms).toBeLessThan(ACK_BUDGET_MS);
    const [answer] = await fake.waitForPosts(responseUrl, 1, 10_000);
    expect(messageText(answer?.body ?? {})).toMatch(STORAGE_ERROR);
    const [mention] = (await fake.waitForCalls('chat.postEphemeral', ephemeral + 1, 10_000)).slice(ephemeral);
    expect(messageText(mention?.args ?? {})).toMatch(STORAGE_ERROR);
  });

  it('acks many commands by the deadline while frozen', async () => {
    redis.pause();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        bot.command({ text: `add roles name="R${i}"`, channel: `COUT3-${i}` }),
      ),
    );
    for (const result of results) expectLateAck(result);
    for (const result of results) {
      const [post] = await fake.waitForPosts(result.responseUrl, 1, 10_000);
      expect(post?.body.response_type).toBe('ephemeral');
      expect(messageText(post?.body ?? {})).toMatch(STORAGE_ERROR);
    }
  });
});
