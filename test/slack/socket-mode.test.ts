/**
 * Socket Mode (SLACK_APP_TOKEN): the bot opens its connection through apps.connections.open on
 * SLACK_API_URL and a local WebSocket, acks each envelope at once (a quick command's answer as the
 * ack's payload) and otherwise answers as in HTTP mode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_TOKEN, type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { type RedisServer, startRedis } from '../support/redis.js';
import { buttonsOf, messageText, type SlackBot, startSlackBot } from '../support/slack-bot.js';
import { buttonPayload, commandObject, mentionEnvelope, TEAM } from '../support/slack-requests.js';

let fake: FakeSlack;
let redis: RedisServer;
let bot: SlackBot;

beforeAll(async () => {
  [fake, redis] = await Promise.all([startFakeSlack(), startRedis()]);
  bot = await startSlackBot({ fake, redisUrl: redis.url, socketMode: true });
  await fake.socketConnected();
});

afterAll(async () => {
  await bot?.stop();
  await Promise.all([fake?.close(), redis?.stop()]);
});

describe('Slack Socket Mode', () => {
  it('connects through apps.connections.open with the app token and serves no Slack HTTP route', async () => {
    const [open] = fake.callsOf('apps.connections.open');
    expect(open?.token).toBe(APP_TOKEN);
    const response = await fetch(bot.eventsUrl, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
  });

  it('acks a slash command envelope at once with the answer as its payload', async () => {
    const responseUrl = fake.responseUrl();
    const { ack, ms } = await fake.sendEnvelope(
      'slash_commands',
      commandObject({ text: 'create name="Over a socket"', channel: 'CSOCK1', responseUrl }),
    );
    expect(ms).toBeLessThan(1000);
    expect(ack.payload?.response_type).toBe('in_channel');
    expect(messageText(ack.payload ?? {})).toMatch(/Created "Over a socket" · v1/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fake.postsTo(responseUrl)).toEqual([]);
  });

  it('handles app mentions, deduplicating a retried envelope', async () => {
    const envelope = mentionEnvelope({
      text: 'create name="Mentioned"',
      eventId: `EvSock${Date.now()}`,
      channel: 'CSOCK2',
    });
    const posted = fake.callsOf('chat.postMessage').length;
    await fake.sendEnvelope('events_api', envelope);
    await fake.sendEnvelope('events_api', envelope, { retry_attempt: 1, retry_reason: 'timeout' });
    await fake.waitForCalls('chat.postMessage', posted + 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fake.callsOf('chat.postMessage').length).toBe(posted + 1);
  });

  it('handles button clicks', async () => {
    const created = await fake.sendEnvelope(
      'slash_commands',
      commandObject({ text: 'create name="A"', channel: 'CSOCK3', responseUrl: fake.responseUrl() }),
    );
    expect(messageText(created.ack.payload ?? {})).toMatch(/Created "A"/);
    const offer = await fake.sendEnvelope(
      'slash_commands',
      commandObject({ text: 'create name="B"', channel: 'CSOCK3', responseUrl: fake.responseUrl() }),
    );
    const [replace] = buttonsOf(offer.ack.payload ?? {});
    if (replace === undefined) throw new Error('no Replace button');
    const clicked = fake.responseUrl();
    await fake.sendEnvelope(
      'interactive',
      buttonPayload({
        actionId: replace.actionId,
        label: replace.label,
        responseUrl: clicked,
        channel: 'CSOCK3',
      }),
    );
    const posts = await fake.waitForPosts(clicked, 2);
    expect(messageText(posts[1]?.body ?? {})).toMatch(/Replaced the draft with "B"/);
    const record = await bot.running.core.sessions.read({
      platform: 'slack',
      workspace: TEAM,
      channel: 'CSOCK3',
    });
    expect(record.version).toBe(2);
  });
});
