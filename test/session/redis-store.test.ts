/** What only the Redis store promises: key isolation, idle TTL, fenced and idempotent writes. */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AitwsError } from '../../src/errors.js';
import type { ChangeToWrite, ChannelKey, WorkspaceKey } from '../../src/session/port.js';
import { createRedisKeys } from '../../src/session/redis-keys.js';
import { WRITE } from '../../src/session/redis-scripts.js';
import { RedisSessionStore, type RedisSessionStoreOptions } from '../../src/session/redis-store.js';
import { deletePrefix, sharedRedis, uniquePrefix } from '../support/redis.js';

const change = (text: string): ChangeToWrite => ({
  document: { workflow: { name: text } },
  at: '2024-05-01T10:00:00.000Z',
  by: 'ann',
  change: text,
});

describe('RedisSessionStore on Redis', () => {
  let redis: { readonly url: string; stop(): Promise<void> };
  let client: Redis;

  beforeAll(async () => {
    redis = await sharedRedis();
    client = new Redis(redis.url);
  });
  const prefixes: string[] = [];
  afterAll(async () => {
    for (const prefix of prefixes) await deletePrefix(client, prefix);
    client.disconnect();
    await redis.stop();
  });

  const storeFor = (label: string, options: RedisSessionStoreOptions = {}) => {
    const prefix = uniquePrefix(label);
    prefixes.push(prefix);
    return {
      prefix,
      keys: createRedisKeys(prefix),
      store: new RedisSessionStore(client, { prefix, ...options }),
    };
  };

  test('channels whose names would collide when joined naively stay apart', async () => {
    const { store } = storeFor('isolation');
    const channels: ChannelKey[] = [
      { platform: 'slack', workspace: 'a:b', channel: 'c' },
      { platform: 'slack', workspace: 'a', channel: 'b:c' },
      { platform: 'discord', workspace: 'a', channel: 'b:c' },
      { platform: 'slack', workspace: 'a}', channel: '{b' },
      { platform: 'slack', workspace: 'a', channel: '}{b' },
    ];
    for (const [index, channel] of channels.entries()) {
      for (let version = 0; version <= index; version++) {
        expect(await store.write(channel, version, change(`${index}.${version}`))).toEqual({
          ok: true,
          version: version + 1,
        });
      }
    }
    for (const [index, channel] of channels.entries()) {
      const record = await store.read(channel);
      expect(record.version).toBe(index + 1);
      expect(record.document).toEqual({ workflow: { name: `${index}.${index}` } });
      expect((await store.history(channel)).map((entry) => entry.change)).toEqual(
        Array.from({ length: index + 1 }, (_, version) => `${index}.${index - version}`),
      );
    }
    await store.saveNamed(
      { platform: 'slack', workspace: 'a:b' },
      { name: 'only', document: {}, at: 'now', by: 'ann' },
    );
    expect(await store.listNamed({ platform: 'slack', workspace: 'a' })).toEqual([]);
    expect(await store.loadNamed({ platform: 'discord', workspace: 'a:b' }, 'only')).toBeNull();
  });

  test('channel keys get the idle TTL, every read path refreshes it, saved documents never expire', async () => {
    const { store, keys } = storeFor('ttl', { idleTtlSeconds: 1000 });
    const channel: ChannelKey = { platform: 'console', workspace: 'w', channel: 'ttl' };
    const { session, history } = keys.channel(channel);
    await store.write(channel, 0, change('one'));
    for (const key of [session, history]) expect(await client.ttl(key)).toBeGreaterThan(990);

    const reads: (() => Promise<unknown>)[] = [
      () => store.read(channel),
      () => store.history(channel, 1),
      () => store.historyEntry(channel, 1),
      () => store.write(channel, 1, change('two')),
    ];
    for (const use of reads) {
      await client.expire(session, 5);
      await client.expire(history, 5);
      await use();
      for (const key of [session, history]) expect(await client.ttl(key)).toBeGreaterThan(990);
    }

    const workspace: WorkspaceKey = { platform: 'console', workspace: 'w' };
    await store.saveNamed(workspace, { name: 'keep', document: {}, at: 'now', by: 'ann' });
    const { saved, savedIndex } = keys.workspace(workspace);
    expect(await client.ttl(saved)).toBe(-1);
    expect(await client.ttl(savedIndex)).toBe(-1);
  });

  test('an idle channel expires as a whole', async () => {
    const { store } = storeFor('expiry', { idleTtlSeconds: 1 });
    const channel: ChannelKey = { platform: 'console', workspace: 'w', channel: 'idle' };
    await store.write(channel, 0, change('one'));
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(await store.read(channel)).toEqual({
      version: 0,
      document: null,
      updatedAt: null,
      updatedBy: null,
    });
    expect(await store.history(channel)).toEqual([]);
    expect(await store.write(channel, 0, change('again'))).toEqual({ ok: true, version: 1 });
  });

  test('history is trimmed to historyLimit and old versions become unknown', async () => {
    const { store, keys } = storeFor('trim', { historyLimit: 3 });
    const channel: ChannelKey = { platform: 'console', workspace: 'w', channel: 'trim' };
    for (let version = 0; version < 5; version++)
      await store.write(channel, version, change(`v${version + 1}`));
    expect(await client.llen(keys.channel(channel).history)).toBe(3);
    expect((await store.history(channel)).map((entry) => entry.version)).toEqual([5, 4, 3]);
    expect(await store.historyEntry(channel, 2)).toBeNull();
    expect((await store.historyEntry(channel, 3))?.change).toBe('v3');
  });

  // The two script-level guarantees below are what make "nothing was changed" and a resent
  // command safe; they are exercised end to end (pause, restart) in redis-failure.test.ts.
  test('a write that reaches Redis after its deadline changes nothing', async () => {
    const { keys } = storeFor('fence');
    const { session, history } = keys.channel({ platform: 'console', workspace: 'w', channel: 'fence' });
    const past = Date.now() - 60_000;
    const reply = await client.eval(WRITE.lua, 2, session, history, 0, '{}', 'w1', 50, 100, past);
    expect(reply).toEqual(['late', 0, expect.any(String), expect.any(String)]);
    expect(await client.exists(session, history)).toBe(0);
  });

  test('a local clock step does not make writes fail: the store measures again', async () => {
    let step = 0;
    const { store } = storeFor('clock-step', { now: () => Date.now() + step });
    const channel: ChannelKey = { platform: 'console', workspace: 'w', channel: 'clock' };
    expect(await store.write(channel, 0, change('one'))).toEqual({ ok: true, version: 1 });
    // Stepped back a minute: the learned offset now puts every deadline in Redis' past.
    step = -60_000;
    expect(await store.write(channel, 1, change('two'))).toEqual({ ok: true, version: 2 });
    step = 60_000;
    expect(await store.write(channel, 2, change('three'))).toEqual({ ok: true, version: 3 });
  });

  test('a write delivered twice reports its first success instead of conflicting with itself', async () => {
    const { keys, store } = storeFor('resend');
    const channel: ChannelKey = { platform: 'console', workspace: 'w', channel: 'resend' };
    const { session, history } = keys.channel(channel);
    const entry = JSON.stringify({ version: 1, at: 'now', by: 'ann', change: 'once', document: null });
    const send = () => client.eval(WRITE.lua, 2, session, history, 0, entry, 'same-id', 50, 100, 0);
    expect(await send()).toEqual(['ok', 1, expect.any(String), expect.any(String)]);
    expect(await send()).toEqual(['ok', 1, expect.any(String), expect.any(String)]);
    expect(await client.eval(WRITE.lua, 2, session, history, 0, entry, 'other-id', 50, 100, 0)).toEqual([
      'conflict',
      1,
      expect.any(String),
      expect.any(String),
    ]);
    expect((await store.history(channel)).length).toBe(1);
  });

  test('corrupt stored data is reported as unreadable, not as a missing session', async () => {
    const { keys, store } = storeFor('corrupt');
    const channel: ChannelKey = { platform: 'console', workspace: 'w', channel: 'corrupt' };
    await client.hset(keys.channel(channel).session, 'version', '1', 'entry', '{"version":1,"oops":');
    await expect(store.read(channel)).rejects.toMatchObject({
      code: 'STORAGE_UNAVAILABLE',
      retryable: false,
    });
  });

  test('a stored document that is valid JSON but not a document is reported with its path', async () => {
    const { keys, store } = storeFor('corrupt-document');
    const channel: ChannelKey = { platform: 'console', workspace: 'w', channel: 'corrupt-document' };
    await store.write(channel, 0, change('one'));
    const entry = JSON.stringify({ version: 1, at: 'a', by: 'b', change: 'c', document: { x: { y: null } } });
    await client.hset(keys.channel(channel).session, 'entry', entry);
    const error: unknown = await store.read(channel).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toMatchObject({ code: 'STORAGE_UNAVAILABLE', retryable: false });
    expect(error instanceof AitwsError ? error.details.join() : '').toMatch(/^document/);
  });

  test('historyEntry still finds a version when history is not contiguous, decoding only that one', async () => {
    const { keys, store } = storeFor('gap');
    const channel: ChannelKey = { platform: 'console', workspace: 'w', channel: 'gap' };
    for (let version = 0; version < 3; version++)
      await store.write(channel, version, change(`v${version + 1}`));
    const { history } = keys.channel(channel);
    // A stray newest entry shifts every index by one; an unreadable one must not be decoded.
    await client.rpush(history, '{"version":9,"oops":');
    await client.lpush(
      history,
      JSON.stringify({ version: 7, at: 'a', by: 'b', change: 'stray', document: null }),
    );
    expect((await store.historyEntry(channel, 2))?.change).toBe('v2');
    expect((await store.historyEntry(channel, 3))?.change).toBe('v3');
    expect(await store.historyEntry(channel, 4)).toBeNull();
  });

  test('a closed store refuses calls; the shared client stays open', async () => {
    const { store } = storeFor('closed');
    await store.close();
    await expect(store.read({ platform: 'console', workspace: 'w', channel: 'c' })).rejects.toMatchObject({
      code: 'STORAGE_UNAVAILABLE',
    });
    expect(await client.ping()).toBe('PONG');
  });
});
