/**
 * Buttons carry only a short id; the action behind them is in Redis. `/aitws create` over a draft
 * offers Replace/Cancel; a click works after the bot process is replaced; a double click or a
 * second person's click is told who decided, with no second effect. Two processes sharing Redis
 * also apply a retried event once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { type RedisServer, startRedis } from '../support/redis.js';
import {
  answerInAck,
  buttonsOf,
  messageText,
  type SlackBot,
  shortPrefix,
  startSlackBot,
} from '../support/slack-bot.js';
import { buttonPayload, mentionEnvelope, TEAM } from '../support/slack-requests.js';

let fake: FakeSlack;
let redis: RedisServer;
const bots: SlackBot[] = [];
const prefix = shortPrefix();

async function newBot(): Promise<SlackBot> {
  const bot = await startSlackBot({ fake, redisUrl: redis.url, prefix });
  bots.push(bot);
  return bot;
}

beforeAll(async () => {
  [fake, redis] = await Promise.all([startFakeSlack(), startRedis()]);
});

afterAll(async () => {
  for (const bot of bots) await bot.stop().catch(() => undefined);
  await Promise.all([fake?.close(), redis?.stop()]);
});

async function draftTitle(bot: SlackBot, channel: string): Promise<unknown> {
  const record = await bot.running.core.sessions.read({ platform: 'slack', workspace: TEAM, channel });
  const metadata = record.document?.metadata;
  return typeof metadata === 'object' && metadata !== null && 'name' in metadata ? metadata.name : undefined;
}

/** `/aitws create name=…` over an existing draft, returning the offered buttons. */
async function offerReplace(bot: SlackBot, channel: string) {
  const first = await bot.command({ text: 'create name="Old"', channel });
  expect(messageText(answerInAck(first))).toMatch(/Created "Old"/);
  const offer = answerInAck(await bot.command({ text: 'create name="New"', channel }));
  expect(offer.response_type).toBe('ephemeral');
  expect(messageText(offer)).toMatch(/already has a draft/);
  const buttons = buttonsOf(offer);
  expect(buttons.map((b) => b.label)).toEqual(['Replace', 'Cancel']);
  for (const b of buttons) expect(b.actionId).toMatch(/^aitws:[A-Za-z0-9_-]{8,32}:(confirm|cancel)$/);
  const [replace, cancel] = buttons;
  if (replace === undefined || cancel === undefined) throw new Error('no buttons');
  return { replace, cancel };
}

function click(
  bot: SlackBot,
  channel: string,
  button: { actionId: string; label: string },
  user = 'U1',
  userName = 'alice',
) {
  const responseUrl = fake.responseUrl();
  return bot
    .interact(
      buttonPayload({ actionId: button.actionId, label: button.label, responseUrl, user, userName, channel }),
    )
    .then((result) => ({ ...result, responseUrl }));
}

describe('Slack buttons', () => {
  it('replaces the draft on Replace, removes the buttons, and tells the channel', async () => {
    const bot = await newBot();
    const { replace } = await offerReplace(bot, 'CBTN1');
    const result = await click(bot, 'CBTN1', replace);
    expect(result.status).toBe(200);
    expect(result.body).toBe('');
    const posts = await fake.waitForPosts(result.responseUrl, 2);
    expect(posts[0]?.body).toMatchObject({ replace_original: true });
    expect(messageText(posts[0]?.body ?? {})).toBe('Replace · by alice');
    expect(posts[1]?.body).toMatchObject({ response_type: 'in_channel', replace_original: false });
    expect(messageText(posts[1]?.body ?? {})).toMatch(/Replaced the draft with "New"/);
    expect(await draftTitle(bot, 'CBTN1')).toBe('New');
  });

  it('answers a double click and a second person with "already done by" and no second effect', async () => {
    const bot = await newBot();
    const { replace, cancel } = await offerReplace(bot, 'CBTN2');
    const clicks = await Promise.all([click(bot, 'CBTN2', replace), click(bot, 'CBTN2', replace)]);
    await Promise.all(clicks.map((c) => fake.waitForPosts(c.responseUrl, 1)));
    const later = await click(bot, 'CBTN2', cancel, 'U2', 'carol');
    const [answer] = await fake.waitForPosts(later.responseUrl, 1);
    expect(answer?.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(messageText(answer?.body ?? {})).toBe('Already done by alice.');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const texts = clicks.flatMap((c) => fake.postsTo(c.responseUrl).map((p) => messageText(p.body)));
    expect(texts.filter((t) => /Replaced the draft/.test(t))).toHaveLength(1);
    expect(texts.filter((t) => t === 'Already done by alice.')).toHaveLength(1);
    const history = await bot.running.core.sessions.history({
      platform: 'slack',
      workspace: TEAM,
      channel: 'CBTN2',
    });
    expect(history.map((h) => h.version)).toEqual([2, 1]);
  });

  it('cancels on Cancel and changes nothing', async () => {
    const bot = await newBot();
    const { cancel } = await offerReplace(bot, 'CBTN3');
    const result = await click(bot, 'CBTN3', cancel);
    const posts = await fake.waitForPosts(result.responseUrl, 2);
    expect(messageText(posts[1]?.body ?? {})).toMatch(/Cancelled by alice/);
    expect(await draftTitle(bot, 'CBTN3')).toBe('Old');
  });

  it('handles a button offered by a process that has since been replaced', async () => {
    const before = await newBot();
    const { replace } = await offerReplace(before, 'CBTN4');
    await before.stop();
    bots.splice(bots.indexOf(before), 1);
    const after = await newBot();
    const result = await click(after, 'CBTN4', replace);
    const posts = await fake.waitForPosts(result.responseUrl, 2);
    expect(messageText(posts[1]?.body ?? {})).toMatch(/Replaced the draft with "New"/);
    expect(await draftTitle(after, 'CBTN4')).toBe('New');
  });

  it('refuses a button id that is not ours or has expired, without an effect', async () => {
    const bot = await newBot();
    const unknown = await click(bot, 'CBTN6', { actionId: 'aitws:AAAAAAAAAAAA:confirm', label: 'Replace' });
    const [answer] = await fake.waitForPosts(unknown.responseUrl, 1);
    expect(answer?.body.response_type).toBe('ephemeral');
    expect(messageText(answer?.body ?? {})).toMatch(/expired/);
  });

  it('applies an event retried to another process sharing Redis once', async () => {
    const [one, two] = [await newBot(), await newBot()];
    if (one === undefined || two === undefined) throw new Error('no bots');
    const envelope = mentionEnvelope({
      text: 'create name="Shared"',
      eventId: `EvShared${Date.now()}`,
      channel: 'CBTN5',
    });
    const posted = fake.callsOf('chat.postMessage').length;
    await Promise.all([one.event(envelope), two.event(envelope, { headers: { 'x-slack-retry-num': '1' } })]);
    await fake.waitForCalls('chat.postMessage', posted + 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fake.callsOf('chat.postMessage').length).toBe(posted + 1);
    const history = await one.running.core.sessions.history({
      platform: 'slack',
      workspace: TEAM,
      channel: 'CBTN5',
    });
    expect(history).toHaveLength(1);
  });
});
