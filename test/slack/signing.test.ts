/**
 * Only requests signed as Slack signs them are handled: a wrong signature or a timestamp more
 * than five minutes off gets 401, and nothing is changed or posted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { type RedisServer, startRedis } from '../support/redis.js';
import { ackMessage, answerInAck, messageText, type SlackBot, startSlackBot } from '../support/slack-bot.js';
import {
  buttonPayload,
  CHANNEL,
  commandBody,
  mentionEnvelope,
  SIGNING_SECRET,
  type SignOptions,
  signature,
  TEAM,
} from '../support/slack-requests.js';

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

const now = (): number => Math.floor(Date.now() / 1000);

const forgeries: [string, SignOptions][] = [
  ['a wrong signing secret', { secret: 'not-the-secret' }],
  ['a timestamp six minutes old', { timestamp: now() - 6 * 60 }],
  ['a timestamp six minutes ahead', { timestamp: now() + 6 * 60 }],
  ['a garbled signature', { headers: { 'x-slack-signature': 'v0=deadbeef' } }],
];

async function draftVersion(channel: string): Promise<number> {
  const record = await bot.running.core.sessions.read({ platform: 'slack', workspace: TEAM, channel });
  return record.version;
}

describe('Slack request signatures', () => {
  it('handles a correctly signed command', async () => {
    const result = await bot.command({ text: 'create name="Signed"', channel: 'CSIGNED' });
    expect(result.status).toBe(200);
    expect(messageText(answerInAck(result))).toMatch(/Created "Signed"/);
    expect(await draftVersion('CSIGNED')).toBe(1);
  });

  it.each(forgeries)('refuses a command with %s: 401, nothing changed, nothing posted', async (_, sign) => {
    const responseUrl = fake.responseUrl();
    const calls = fake.calls.length;
    const body = commandBody({ text: 'create name="Forged"', channel: 'CFORGED', responseUrl });
    const result = await bot.post(body, 'application/x-www-form-urlencoded', sign);
    expect(result.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await draftVersion('CFORGED')).toBe(0);
    expect(fake.postsTo(responseUrl)).toEqual([]);
    expect(fake.calls.length).toBe(calls);
  });

  it.each(forgeries)('refuses an event and a button click with %s', async (_, sign) => {
    const calls = fake.calls.length;
    const event = mentionEnvelope({
      text: 'create name="Forged"',
      eventId: `EvForged${Math.random()}`,
      channel: 'CFORGED',
    });
    expect((await bot.event(event, sign)).status).toBe(401);
    const click = buttonPayload({
      actionId: 'aitws:AAAAAAAAAAAA:confirm',
      label: 'Replace',
      responseUrl: fake.responseUrl(),
    });
    expect((await bot.interact(click, sign)).status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await draftVersion('CFORGED')).toBe(0);
    expect(fake.calls.length).toBe(calls);
  });

  it('accepts a timestamp within five minutes', async () => {
    const responseUrl = fake.responseUrl();
    const body = commandBody({ text: 'help', channel: CHANNEL, responseUrl });
    const result = await bot.post(body, 'application/x-www-form-urlencoded', { timestamp: now() - 4 * 60 });
    expect(result.status).toBe(200);
    expect(messageText(ackMessage(result.body) ?? {})).toMatch(/Commands:/);
  });

  it('refuses a body changed after signing', async () => {
    const responseUrl = fake.responseUrl();
    const signed = commandBody({ text: 'help', channel: CHANNEL, responseUrl });
    const timestamp = now();
    const result = await fetch(bot.eventsUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': signature(SIGNING_SECRET, timestamp, signed),
      },
      body: `${signed}&text=create`,
    });
    expect(result.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fake.postsTo(responseUrl)).toEqual([]);
  });
});
