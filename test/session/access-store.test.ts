/** The AccessStore contract on memory, files and Redis (standalone and Cluster), and what each adds. */
import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_FILE_FOLDERS, FileAccessStore } from '../../src/session/access-file.js';
import { MemoryAccessStore } from '../../src/session/access-memory.js';
import type { AccessStore, AuditEntry, AuditEntryInput } from '../../src/session/access-port.js';
import { type AccessRedisClient, RedisAccessStore } from '../../src/session/access-redis.js';
import type { ChannelKey } from '../../src/session/port.js';
import { runScript } from '../../src/session/redis-call.js';
import { closeRedisClient, createRedisClient, type RedisClient } from '../../src/session/redis-client.js';
import { ACCESS_WRITE } from '../../src/session/redis-scripts.js';
import { accessStoreContract } from '../contracts/access-store.contract.js';
import {
  deletePrefix,
  type RedisCluster,
  sharedRedis,
  startCluster,
  startRedis,
  uniquePrefix,
} from '../support/redis.js';

const CHANNEL: ChannelKey = { platform: 'slack', workspace: 'T1', channel: 'C1' };
const ACTOR = { id: 'U1', name: 'Alice' };

function entry(minute: number): AuditEntryInput {
  const at = new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
  return { at, channel: CHANNEL, actor: ACTOR, kind: 'grant', command: `/grant ${minute}` };
}

async function collect(entries: AsyncIterable<AuditEntry>): Promise<AuditEntry[]> {
  const all: AuditEntry[] = [];
  for await (const item of entries) all.push(item);
  return all;
}

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'aitws-access-'));
}

accessStoreContract('MemoryAccessStore', async () => ({
  store: new MemoryAccessStore(),
  cleanup: async () => {},
}));

accessStoreContract('FileAccessStore', async () => {
  const dataDir = await tempDir();
  return {
    store: new FileAccessStore({ dataDir }),
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
});

function redisFactory(client: () => RedisClient) {
  return async () => {
    const prefix = uniquePrefix('access');
    const store = new RedisAccessStore(client(), { prefix, auditMaxLength: 1000 });
    return { store, cleanup: () => deletePrefix(client(), prefix) };
  };
}

describe('standalone Redis', () => {
  let redis: { readonly url: string; stop(): Promise<void> };
  let client: RedisClient;
  beforeAll(async () => {
    redis = await sharedRedis();
    client = createRedisClient(redis.url);
  });
  afterAll(async () => {
    await closeRedisClient(client);
    await redis.stop();
  });

  accessStoreContract(
    'RedisAccessStore (standalone)',
    redisFactory(() => client),
  );

  it('caps each trail near auditMaxLength (MAXLEN ~) and keeps the newest entries', async () => {
    const prefix = uniquePrefix('access-cap');
    const store = new RedisAccessStore(client, { prefix, auditMaxLength: 10 });
    try {
      for (let minute = 0; minute < 250; minute += 1) await store.appendAudit(entry(minute));
      const length = await client.xlen(`${prefix}:{slack:T1:C1}:audit`);
      // Approximate trimming drops whole stream nodes (100 entries by default) only.
      expect(length).toBeGreaterThanOrEqual(10);
      expect(length).toBeLessThanOrEqual(110);
      const newest = await store.recentAudit(CHANNEL, 10);
      expect(newest.map((item) => item.command)).toEqual(
        Array.from({ length: 10 }, (_, index) => `/grant ${249 - index}`),
      );
      expect(await collect(store.exportAudit({}))).toHaveLength(length);
    } finally {
      await deletePrefix(client, prefix);
    }
  });

  it('stores the documented keys: a JSON record, a stream and the channel registry', async () => {
    const prefix = uniquePrefix('access-keys');
    const store = new RedisAccessStore(client, { prefix, auditMaxLength: 10 });
    try {
      await store.write(CHANNEL, 0, { grants: [], review: null, lastApproved: null });
      const appended = await store.appendAudit(entry(1));
      const record: unknown = JSON.parse((await client.get(`${prefix}:{slack:T1:C1}:access`)) ?? 'null');
      expect(record).toMatchObject({ revision: 1, state: { grants: [], review: null, lastApproved: null } });
      const stream = await client.xrange(`${prefix}:{slack:T1:C1}:audit`, '-', '+');
      expect(stream.map(([id]) => id)).toEqual([appended.id]);
      expect(await client.smembers(`${prefix}:{audit-index}:audit-channels`)).toEqual([
        '["slack","T1","C1"]',
      ]);
    } finally {
      await deletePrefix(client, prefix);
    }
  });

  it('reports a resent write that was applied as applied, not as a conflict with itself', async () => {
    const prefix = uniquePrefix('access-resend');
    const key = `${prefix}:{slack:T1:C1}:access`;
    const state = JSON.stringify({ grants: [], review: null, lastApproved: null });
    try {
      expect(await runScript(client, ACCESS_WRITE, [key], [0, state, 'w1'])).toEqual(['ok', 1]);
      expect(await runScript(client, ACCESS_WRITE, [key], [0, state, 'w1'])).toEqual(['ok', 1]);
      expect(await runScript(client, ACCESS_WRITE, [key], [0, state, 'w2'])).toEqual(['conflict', 1]);
    } finally {
      await deletePrefix(client, prefix);
    }
  });

  it('refuses to overwrite a record it cannot read', async () => {
    const prefix = uniquePrefix('access-bad');
    const store = new RedisAccessStore(client, { prefix, auditMaxLength: 10 });
    try {
      await client.set(`${prefix}:{slack:T1:C1}:access`, 'not json');
      const empty = { grants: [], review: null, lastApproved: null };
      await expect(store.write(CHANNEL, 0, empty)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      await expect(store.read(CHANNEL)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      expect(await client.get(`${prefix}:{slack:T1:C1}:access`)).toBe('not json');
    } finally {
      await deletePrefix(client, prefix);
    }
  });
});

describe('Redis Cluster, 3 masters', () => {
  let cluster: RedisCluster;
  let client: RedisClient;
  beforeAll(async () => {
    cluster = await startCluster(3);
    client = createRedisClient(cluster.url);
  });
  afterAll(async () => {
    await closeRedisClient(client);
    await cluster.stop();
  });

  accessStoreContract(
    'RedisAccessStore (cluster)',
    redisFactory(() => client),
  );

  it('ioredis Cluster satisfies the store client interface', () => {
    const typed: AccessRedisClient = client;
    expect(typed).toBe(client);
  });
});

describe('RedisAccessStore while Redis is paused', () => {
  it('fails fast with a storage error', async () => {
    const redis = await startRedis();
    const client = createRedisClient(redis.url);
    try {
      const store: AccessStore = new RedisAccessStore(client, {
        prefix: uniquePrefix('access-pause'),
        commandTimeoutMs: 300,
        auditMaxLength: 10,
      });
      redis.pause();
      const started = Date.now();
      await expect(store.read(CHANNEL)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      await expect(store.appendAudit(entry(1))).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      redis.resume();
      await closeRedisClient(client);
      await redis.stop();
    }
  });
});

describe('FileAccessStore specifics', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await tempDir();
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps records and trails in its own folders, ids being padded line numbers', async () => {
    const dir = path.join(dataDir, 'layout');
    const store = new FileAccessStore({ dataDir: dir });
    await store.write(CHANNEL, 0, { grants: [], review: null, lastApproved: null });
    const first = await store.appendAudit(entry(1));
    const second = await store.appendAudit(entry(2));
    expect([first.id, second.id]).toEqual(['000000000001', '000000000002']);
    expect((await readdir(dir)).sort()).toEqual([...ACCESS_FILE_FOLDERS].sort());
    expect(path.dirname(store.accessFile(CHANNEL))).toBe(path.join(dir, 'access'));
    expect(store.auditFile(CHANNEL)).toMatch(/audit[/\\]slack-t1-c1\.[0-9a-f]{32}\.jsonl$/);
    const lines = (await readFile(store.auditFile(CHANNEL), 'utf8')).split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[1] ?? '')).toEqual(second);
  });

  it('skips a torn last line, and the next append replaces it', async () => {
    const store = new FileAccessStore({ dataDir: path.join(dataDir, 'torn') });
    const kept = [await store.appendAudit(entry(1)), await store.appendAudit(entry(2))];
    await appendFile(store.auditFile(CHANNEL), '{"id":"000000000003","at":"2026-01-01T00:03');
    expect(await store.recentAudit(CHANNEL, 5)).toEqual([...kept].reverse());
    expect(await collect(store.exportAudit({}))).toEqual(kept);
    const next = await store.appendAudit(entry(3));
    expect(next.id).toBe('000000000003');
    expect(await collect(store.exportAudit({}))).toEqual([...kept, next]);
    expect((await readFile(store.auditFile(CHANNEL), 'utf8')).split('\n')).toHaveLength(4);
  });

  it('reads the tail of a trail whose lines span several read chunks', async () => {
    const store = new FileAccessStore({ dataDir: path.join(dataDir, 'long') });
    const long = (minute: number): AuditEntryInput => ({
      ...entry(minute),
      detail: 'é'.repeat(25_000 + minute),
    });
    const appended: AuditEntry[] = [];
    for (let minute = 0; minute < 6; minute += 1) appended.push(await store.appendAudit(long(minute)));
    expect(await store.recentAudit(CHANNEL, 4)).toEqual(appended.slice(2).reverse());
    expect(await store.recentAudit(CHANNEL, 10)).toEqual([...appended].reverse());
    expect(appended.map((item) => item.id)).toEqual(
      ['1', '2', '3', '4', '5', '6'].map((n) => n.padStart(12, '0')),
    );
    expect(await collect(store.exportAudit({}))).toEqual(appended);
  });

  it('loses no CAS write between two instances sharing a directory (two processes)', async () => {
    const dir = path.join(dataDir, 'shared');
    const [first, second] = [new FileAccessStore({ dataDir: dir }), new FileAccessStore({ dataDir: dir })];
    const users = Array.from({ length: 20 }, (_, index) => ({ id: `U${index}`, name: `User ${index}` }));
    await Promise.all(
      users.map(async (user, index) => {
        const store = index % 2 === 0 ? first : second;
        for (;;) {
          const current = await store.read(CHANNEL);
          const grant = { user, role: 'editor', by: ACTOR, at: '2026-01-01T00:00:00.000Z' };
          const state = { grants: [...current.grants, grant], review: null, lastApproved: null };
          if (await store.write(CHANNEL, current.revision, state)) return;
        }
      }),
    );
    const final = await second.read(CHANNEL);
    expect(final.revision).toBe(20);
    expect(new Set(final.grants.map((grant) => grant.user.id))).toEqual(new Set(users.map((u) => u.id)));
  });

  it('names the file relative to the data directory when a record is unreadable', async () => {
    const store = new FileAccessStore({ dataDir: path.join(dataDir, 'bad') });
    await store.write(CHANNEL, 0, { grants: [], review: null, lastApproved: null });
    await appendFile(store.accessFile(CHANNEL), 'garbage');
    const failure = store.read(CHANNEL);
    await expect(failure).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    await expect(failure).rejects.toThrow(/\$AITWS_DATA_DIR/);
  });
});
