/**
 * Gateway mode with Redis, over time: Replace/Cancel buttons (double clicks, clicks after a
 * restart), deferred answers when the store is slow, the 15-minute token running out, and a
 * dropped gateway connection that resumes without a new IDENTIFY.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDiscord } from '../support/fake-discord.js';
import { buttonPayload, commandPayload, str, type Where } from '../support/fake-discord-payloads.js';
import { type RedisServer, startRedis } from '../support/redis.js';
import { type Answer, type Bot, startBot, viaGateway } from './bot.js';

const EPHEMERAL = 64;
const FIFTEEN_MINUTES = 15 * 60_000;

let fake: FakeDiscord;
let redis: RedisServer;
let bot: Bot;
let clockOffset = 0;

async function start(prefix?: string): Promise<Bot> {
  return startBot({
    fake,
    redisUrl: redis.url,
    tuning: { deferAfterMs: 1000, now: () => Date.now() + clockOffset },
    ...(prefix === undefined ? {} : { prefix }),
  });
}

beforeAll(async () => {
  fake = await FakeDiscord.start();
  redis = await startRedis();
  bot = await start();
});
afterAll(async () => {
  redis?.resume();
  await bot?.stop();
  await fake?.stop();
  await redis?.stop();
});

function channel(id: string): Where {
  return { ...bot.where, channelId: id };
}

function customIds(answer: Answer): string[] {
  const rows = (answer.message.components ?? []) as { components: { custom_id: string }[] }[];
  return rows.flatMap((row) => row.components.map((c) => c.custom_id));
}

async function replacePrompt(where: Where): Promise<{ confirm: string; cancel: string }> {
  await viaGateway(fake, commandPayload('create', [str('name', 'First')], where));
  const prompt = await viaGateway(fake, commandPayload('create', [str('name', 'Second')], where));
  expect(Number(prompt.message.flags) & EPHEMERAL).toBe(EPHEMERAL);
  expect(prompt.content).toContain('Replace');
  const [confirm = '', cancel = ''] = customIds(prompt);
  expect(confirm).toMatch(/^aitws:[\w-]+:confirm$/);
  expect(cancel).toMatch(/^aitws:[\w-]+:cancel$/);
  expect(confirm.length).toBeLessThanOrEqual(100);
  return { confirm, cancel };
}

describe('discord gateway with Redis', () => {
  it('asks before /create replaces a draft; a double click has one effect', async () => {
    const where = channel('220000000000000001');
    const { confirm, cancel } = await replacePrompt(where);

    const first = buttonPayload(confirm, where, { ephemeral: true });
    const second = buttonPayload(
      confirm,
      { ...where, userId: '300000000000000009', userName: 'bob' },
      { ephemeral: true },
    );
    const [a, b] = await Promise.all([viaGateway(fake, first), viaGateway(fake, second)]);
    const updated = [a, b].filter((x) => x.first.type === 7);
    const refused = [a, b].filter((x) => x.first.type === 4);
    expect(updated).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(Number(refused[0]?.message.flags) & EPHEMERAL).toBe(EPHEMERAL);
    expect(refused[0]?.content).toMatch(/Already done by/);
    // The clicker's private prompt loses its buttons; the channel sees the change.
    expect(updated[0]?.message.components).toEqual([]);
    expect(updated[0]?.content).toMatch(/^✔ Replaced the draft/);
    const token = String((updated[0] === a ? first : second).token);
    const announced = await fake.waitForCall((c) => c.kind === 'followup' && c.target === token);
    expect(announced.body.content).toContain('Replaced the draft with "Second"');
    expect(Number(announced.body.flags) & EPHEMERAL).toBe(0);
    expect(announced.body.allowed_mentions).toEqual({ parse: [] });

    const late = await viaGateway(fake, buttonPayload(cancel, where, { ephemeral: true }));
    expect(late.first.type).toBe(4);
    expect(late.content).toMatch(/Already done by/);
  });

  it('defers when the store is slow and edits the answer in', async () => {
    const where = channel('220000000000000002');
    await viaGateway(fake, commandPayload('create', [], where));
    redis.pause();
    const payload = commandPayload('add', [str('section', 'roles'), str('params', 'name="Slow"')], where);
    const token = String(payload.token);
    fake.gateway.dispatch('INTERACTION_CREATE', payload);
    const deferred = await fake.waitForCall((c) => c.kind === 'callback' && c.target === token);
    redis.resume();
    expect(deferred.body.type).toBe(5);
    const edit = await fake.waitForCall((c) => c.kind === 'edit' && c.target === token);
    expect(edit.body.content).toContain('Slow');
    expect(edit.body.allowed_mentions).toEqual({ parse: [] });
  });

  it('replaces the public "thinking…" with a private error when the store stays down', async () => {
    const where = channel('220000000000000003');
    redis.pause();
    const payload = commandPayload('show', [], where);
    const token = String(payload.token);
    try {
      fake.gateway.dispatch('INTERACTION_CREATE', payload);
      const deferred = await fake.waitForCall((c) => c.kind === 'callback' && c.target === token);
      expect(deferred.body.type).toBe(5);
      const followup = await fake.waitForCall((c) => c.kind === 'followup' && c.target === token, 15_000);
      expect(Number(followup.body.flags) & EPHEMERAL).toBe(EPHEMERAL);
      expect(fake.callsFor(token).some((c) => c.kind === 'delete')).toBe(true);
    } finally {
      redis.resume();
    }
  });

  it('posts to the channel once the interaction token has expired', async () => {
    const where = channel('220000000000000004');
    await viaGateway(fake, commandPayload('create', [], where));
    redis.pause();
    const payload = commandPayload('add', [str('section', 'roles'), str('params', 'name="Late"')], where);
    const token = String(payload.token);
    try {
      fake.gateway.dispatch('INTERACTION_CREATE', payload);
      await fake.waitForCall((c) => c.kind === 'callback' && c.target === token);
      clockOffset = FIFTEEN_MINUTES;
    } finally {
      redis.resume();
    }
    const posted = await fake.waitForCall((c) => c.kind === 'channel' && c.target === where.channelId);
    clockOffset = 0;
    expect(posted.body.content).toContain('Late');
    expect(posted.authorization).toBe(`Bot ${fake.token}`);
    expect(posted.body.allowed_mentions).toEqual({ parse: [] });
    expect(fake.callsFor(token).some((c) => c.kind === 'edit')).toBe(false);
  });

  it('resumes a dropped gateway connection and gets what was missed', async () => {
    const where = channel('220000000000000005');
    const identifies = fake.gateway.stats.identifies.length;
    fake.gateway.drop(4000);
    // Sent while the bot is disconnected: Discord replays it on RESUME.
    const payload = commandPayload('create', [str('name', 'After the drop')], where);
    fake.gateway.dispatch('INTERACTION_CREATE', payload);
    const token = String(payload.token);
    const callback = await fake.waitForCall((c) => c.kind === 'callback' && c.target === token, 15_000);
    expect(String((callback.body.data as { content: string }).content)).toContain('After the drop');
    expect(fake.gateway.stats.resumes).toBeGreaterThanOrEqual(1);
    expect(fake.gateway.stats.identifies).toHaveLength(identifies);
  });

  it('keeps buttons working after a restart, and still only once', async () => {
    const where = channel('220000000000000006');
    const { confirm } = await replacePrompt(where);
    const prefix = bot.prefix;
    await bot.stop();
    bot = await start(prefix);
    await fake.gateway.ready();

    const click = buttonPayload(confirm, where, { ephemeral: true });
    const answer = await viaGateway(fake, click);
    expect(answer.first.type).toBe(7);
    const announced = await fake.waitForCall(
      (c) => c.kind === 'followup' && c.target === String(click.token),
    );
    expect(announced.body.content).toContain('Replaced the draft with "Second"');

    // The same interaction delivered twice is answered once.
    fake.gateway.dispatch('INTERACTION_CREATE', click);
    const again = await viaGateway(fake, buttonPayload(confirm, where, { ephemeral: true }));
    expect(again.content).toMatch(/Already done by/);
    expect(fake.callsFor(String(click.token)).filter((c) => c.kind === 'callback')).toHaveLength(1);
  });
});
