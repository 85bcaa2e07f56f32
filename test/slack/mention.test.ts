/**
 * `@aitws <command>` as an app_mention event: answered in the thread it came from, changes to
 * the channel and errors to the person only; a delivery Slack retries applies once; the bot's own
 * messages are ignored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOT_ID, BOT_USER_ID, type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { type RedisServer, startRedis } from '../support/redis.js';
import { messageText, type SlackBot, startSlackBot } from '../support/slack-bot.js';
import { mentionEnvelope, TEAM } from '../support/slack-requests.js';

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

let counter = 0;
const eventId = (): string => `Ev${Date.now()}${++counter}`;

async function version(channel: string): Promise<number> {
  return (await bot.running.core.sessions.read({ platform: 'slack', workspace: TEAM, channel })).version;
}

describe('@aitws mentions', () => {
  it('runs the command in a thread and answers in that thread for the channel to see', async () => {
    const posted = fake.callsOf('chat.postMessage').length;
    const result = await bot.event(
      mentionEnvelope({
        text: 'create name="From a thread"',
        eventId: eventId(),
        channel: 'CMEN1',
        threadTs: '1700000000.000050',
      }),
    );
    expect(result.status).toBe(200);
    const [call] = (await fake.waitForCalls('chat.postMessage', posted + 1)).slice(posted);
    expect(call?.args).toMatchObject({ channel: 'CMEN1', thread_ts: '1700000000.000050' });
    expect(messageText(call?.args ?? {})).toMatch(/Created "From a thread" · v1/);
    // The byline names the person from the event's profile.
    expect(messageText(call?.args ?? {})).toMatch(/bob: @aitws create/);
    expect(await version('CMEN1')).toBe(1);
  });

  it('accepts the console spelling (/add) and answers help and errors ephemerally in the thread', async () => {
    const ephemeral = fake.callsOf('chat.postEphemeral').length;
    await bot.event(
      mentionEnvelope({ text: '/help', eventId: eventId(), channel: 'CMEN2', threadTs: '1700000000.000060' }),
    );
    await bot.event(
      mentionEnvelope({
        text: 'add roles name="X"',
        eventId: eventId(),
        channel: 'CMEN2',
        threadTs: '1700000000.000060',
      }),
    );
    const calls = (await fake.waitForCalls('chat.postEphemeral', ephemeral + 2)).slice(ephemeral);
    for (const call of calls)
      expect(call.args).toMatchObject({ channel: 'CMEN2', user: 'U1', thread_ts: '1700000000.000060' });
    const texts = calls.map((c) => messageText(c.args));
    expect(texts.some((t) => /Commands:/.test(t))).toBe(true);
    expect(texts.some((t) => /no draft/i.test(t))).toBe(true);
  });

  it('applies an event Slack delivers again (x-slack-retry-num) once', async () => {
    const id = eventId();
    const envelope = mentionEnvelope({ text: 'create name="Once"', eventId: id, channel: 'CMEN3' });
    const posted = fake.callsOf('chat.postMessage').length;
    const first = await bot.event(envelope);
    const retries = await Promise.all(
      [1, 2, 3].map((n) =>
        bot.event(envelope, {
          headers: { 'x-slack-retry-num': String(n), 'x-slack-retry-reason': 'http_timeout' },
        }),
      ),
    );
    expect([first, ...retries].map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await fake.waitForCalls('chat.postMessage', posted + 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fake.callsOf('chat.postMessage').length).toBe(posted + 1);
    expect(await version('CMEN3')).toBe(1);
    const history = await bot.running.core.sessions.history({
      platform: 'slack',
      workspace: TEAM,
      channel: 'CMEN3',
    });
    expect(history).toHaveLength(1);
  });

  it('ignores its own messages', async () => {
    const calls = fake.calls.length;
    const own = mentionEnvelope({
      text: 'create name="Loop"',
      eventId: eventId(),
      channel: 'CMEN4',
      user: BOT_USER_ID,
    });
    const fromBot = mentionEnvelope({ text: 'create name="Loop"', eventId: eventId(), channel: 'CMEN4' });
    (fromBot.event as Record<string, unknown>).bot_id = BOT_ID;
    expect((await bot.event(own)).status).toBe(200);
    expect((await bot.event(fromBot)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await version('CMEN4')).toBe(0);
    expect(fake.calls.slice(calls).filter((c) => c.method.startsWith('chat.'))).toEqual([]);
  });

  it('answers Slack URL verification', async () => {
    const result = await bot.event({ type: 'url_verification', challenge: 'abc123', token: 'legacy' });
    expect(result.status).toBe(200);
    expect(result.body).toContain('abc123');
  });
});
