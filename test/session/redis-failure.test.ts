/**
 * Redis going away: restarted, SIGKILLed mid-storm, SIGSTOPped. The store must never hang, must
 * say StorageUnavailableError, must heal by itself, and must never lose or half-write a session.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { StorageUnavailableError } from '../../src/errors.js';
import { applyChange } from '../../src/session/apply.js';
import type { ChannelKey, SessionStore } from '../../src/session/port.js';
import { closeRedisClient, createRedisClient, type RedisClient } from '../../src/session/redis-client.js';
import { RedisSessionStore } from '../../src/session/redis-store.js';
import { type RedisServer, startRedis, uniquePrefix, waitFor } from '../support/redis.js';
import { addItem, itemsOf } from '../support/redis-writer.js';

const TIMEOUT_MS = 1000;
/** Generous: proves "does not hang", not a latency figure. */
const HANG_BOUND_MS = 5000;

const channel = (name: string): ChannelKey => ({ platform: 'slack', workspace: 'T1', channel: name });

let server: RedisServer | undefined;
let client: RedisClient | undefined;

afterEach(async () => {
  if (client !== undefined) await closeRedisClient(client);
  if (server !== undefined) await server.stop();
  client = undefined;
  server = undefined;
});

async function setUp(
  label: string,
  appendonly: boolean,
): Promise<{ store: RedisSessionStore; redis: RedisServer }> {
  const redis = await startRedis({ appendonly });
  server = redis;
  client = createRedisClient(redis.url, { commandTimeoutMs: TIMEOUT_MS, onError: () => {} });
  const store = new RedisSessionStore(client, { prefix: uniquePrefix(label), commandTimeoutMs: TIMEOUT_MS });
  return { store, redis };
}

async function untilUsable(store: SessionStore, key: ChannelKey): Promise<void> {
  await waitFor(
    () =>
      store.read(key).then(
        () => true,
        () => false,
      ),
    15_000,
  );
}

/** Every retained version decodes, versions are contiguous and each one added exactly one item. */
async function expectConsistent(store: SessionStore, key: ChannelKey): Promise<number> {
  const record = await store.read(key);
  const history = await store.history(key);
  expect(history[0]?.version).toBe(record.version);
  expect(history[0]?.document).toEqual(record.document);
  for (const [index, entry] of history.entries()) {
    expect(entry.version).toBe(record.version - index);
    const items = Object.values(itemsOf(entry.document));
    expect(items.length).toBe(entry.version);
    expect(new Set(items)).toEqual(new Set(Array.from({ length: entry.version }, (_, i) => i + 1)));
  }
  return record.version;
}

describe('RedisSessionStore when Redis fails', () => {
  test('a restart with appendonly yes loses no acknowledged change; the same store carries on', async () => {
    const { store, redis } = await setUp('restart', true);
    const keys = [channel('a'), channel('b'), channel('c}{')];
    for (const key of keys) {
      for (let i = 0; i < 10; i++) await applyChange(store, key, addItem(`${key.channel}-${i}`));
    }
    await store.saveNamed(
      { platform: 'slack', workspace: 'T1' },
      { name: 'kept', document: { a: 1 }, at: 'now', by: 'x' },
    );

    await redis.kill();
    await redis.restart();
    await untilUsable(store, channel('a'));

    for (const key of keys) expect(await expectConsistent(store, key)).toBe(10);
    expect((await store.loadNamed({ platform: 'slack', workspace: 'T1' }, 'kept'))?.document).toEqual({
      a: 1,
    });
    expect((await applyChange(store, channel('a'), addItem('after'))).version).toBe(11);
  });

  test('SIGKILL during a write storm: fast StorageUnavailableError, then every session intact', async () => {
    const { store, redis } = await setUp('storm', true);
    const keys = [channel('s0'), channel('s1'), channel('s2')];
    const acknowledged = new Map<string, Set<string>>(keys.map((key) => [key.channel, new Set()]));
    const failures: { readonly error: unknown; readonly ms: number }[] = [];
    let phase: 'before' | 'outage' | 'after' | 'done' = 'before';
    let landedAfterRestart = 0;

    const writer = async (key: ChannelKey, lane: number): Promise<void> => {
      for (let n = 0; phase !== 'done'; n++) {
        const name = `${key.channel}-${lane}-${n}`;
        const started = Date.now();
        try {
          await applyChange(store, key, addItem(name), { maxAttempts: 1000, maxDelayMs: 20 });
          acknowledged.get(key.channel)?.add(name);
          if (phase === 'after') landedAfterRestart++;
        } catch (error) {
          failures.push({ error, ms: Date.now() - started });
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    };
    const writers = keys.flatMap((key) => [0, 1, 2].map((lane) => writer(key, lane)));

    await waitFor(async () => [...acknowledged.values()].every((names) => names.size >= 5), 10_000);
    await redis.kill();
    phase = 'outage';
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const outageFailures = failures.length;
    await redis.restart();
    phase = 'after';
    await waitFor(async () => landedAfterRestart >= 10, 15_000);
    phase = 'done';
    await Promise.all(writers);

    expect(outageFailures).toBeGreaterThan(0);
    for (const failure of failures) {
      expect(failure.error).toBeInstanceOf(StorageUnavailableError);
      expect(failure.ms).toBeLessThan(HANG_BOUND_MS);
    }
    for (const key of keys) {
      const version = await expectConsistent(store, key);
      const names = Object.keys(itemsOf((await store.read(key)).document));
      expect(version).toBe(names.length);
      for (const name of acknowledged.get(key.channel) ?? []) expect(names).toContain(name);
    }
  });

  test('SIGSTOP: calls reject within the bound, the late write never lands, SIGCONT heals', async () => {
    const { store, redis } = await setUp('pause', false);
    const key = channel('paused');
    await applyChange(store, key, addItem('before'));

    redis.pause();
    try {
      const started = Date.now();
      await expect(applyChange(store, key, addItem('during'))).rejects.toBeInstanceOf(
        StorageUnavailableError,
      );
      await expect(
        store.write(key, 1, { document: null, at: 'now', by: 'x', change: 'raw' }),
      ).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(store.listNamed({ platform: 'slack', workspace: 'T1' })).rejects.toBeInstanceOf(
        StorageUnavailableError,
      );
      expect(Date.now() - started).toBeLessThan(3 * HANG_BOUND_MS);
    } finally {
      redis.resume();
    }

    await untilUsable(store, key);
    const record = await store.read(key);
    expect(record.version).toBe(1);
    expect(Object.keys(itemsOf(record.document))).toEqual(['before']);
    expect((await applyChange(store, key, addItem('after'))).version).toBe(2);
    expect(await expectConsistent(store, key)).toBe(2);
  });
});
