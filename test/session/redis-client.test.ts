import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AitwsError } from '../../src/errors.js';
import type { ChannelKey } from '../../src/session/port.js';
import {
  closeRedisClient,
  createRedisClient,
  isRedisReady,
  type RedisClient,
} from '../../src/session/redis-client.js';
import { RedisSessionStore } from '../../src/session/redis-store.js';
import { within } from '../../src/timing.js';
import {
  type RedisServer,
  startCluster,
  startRedis,
  startSentinel,
  uniquePrefix,
  waitFor,
} from '../support/redis.js';

const quiet = { onError: () => {} };
const key: ChannelKey = { platform: 'console', workspace: 'w', channel: 'c' };
const change = {
  document: { workflow: { name: 'x' } },
  at: '2024-01-01T00:00:00.000Z',
  by: 'ann',
  change: 'c',
};

/**
 * Without a lasting listener, emitting an error nobody listens for throws (in a socket: an
 * uncaught exception). A TLS handshake refused by the peer can emit several.
 */
function expectSurvivesRepeatedSocketErrors(stream: Redis['stream']): void {
  for (let i = 0; i < 3; i++) {
    expect(() => stream.emit('error', new Error(`socket error ${i}`))).not.toThrow();
  }
}

/** A round trip through a store proves the client reaches a working master. */
async function roundTrip(client: RedisClient): Promise<void> {
  const store = new RedisSessionStore(client, { prefix: uniquePrefix('client') });
  await waitFor(() => isRedisReady(client), 10_000);
  expect(await store.write(key, 0, change)).toEqual({ ok: true, version: 1 });
  expect((await store.read(key)).document).toEqual(change.document);
}

describe('createRedisClient', () => {
  const clients: RedisClient[] = [];
  const servers: RedisServer[] = [];
  const track = (client: RedisClient): RedisClient => {
    clients.push(client);
    return client;
  };

  afterAll(async () => {
    await Promise.all(clients.map((client) => closeRedisClient(client)));
    await Promise.all(servers.map((server) => server.stop()));
  });

  test('rejects unknown schemes and malformed host lists without echoing credentials', () => {
    for (const url of ['http://user:s3cret@host', 'redis+cluster://user:s3cret@', 'redis+sentinel://h:1']) {
      let thrown: unknown;
      try {
        createRedisClient(url, quiet).disconnect();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(AitwsError);
      expect(thrown).toMatchObject({ code: 'CONFIG' });
      expect(thrown instanceof Error ? thrown.message : '').not.toContain('s3cret');
    }
  });

  test('redis:// reaches a standalone server; readiness follows the server', async () => {
    const server = await startRedis();
    servers.push(server);
    const client = track(createRedisClient(server.url, { ...quiet, connectionName: 'aitws-test' }));
    await roundTrip(client);
    expect(await server.cli('client', 'list')).toContain('name=aitws-test');
    await server.kill();
    const started = Date.now();
    expect(await isRedisReady(client, 500)).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000);
    await server.restart();
    await waitFor(() => isRedisReady(client), 10_000);
  });

  test('a socket that errs more often than ioredis listens does not end the process', async () => {
    const server = await startRedis();
    servers.push(server);
    const client = track(createRedisClient(server.url, quiet));
    await waitFor(() => isRedisReady(client), 10_000);
    if (!(client instanceof Redis)) throw new Error('redis:// makes a standalone client');
    expectSurvivesRepeatedSocketErrors(client.stream);
    await waitFor(() => isRedisReady(client), 10_000);
  });

  test('rediss:// speaks TLS and verifies the server certificate', async () => {
    const server = await startRedis({ tls: true });
    servers.push(server);
    const { ca } = server;
    expect(ca).toBeDefined();
    await roundTrip(
      track(createRedisClient(server.url, { ...quiet, ...(ca === undefined ? {} : { tls: { ca } }) })),
    );
    const untrusting = track(createRedisClient(server.url, { ...quiet, commandTimeoutMs: 300 }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await isRedisReady(untrusting, 300)).toBe(false);
  });

  test('redis+sentinel:// asks the Sentinel for the master', async () => {
    const master = await startRedis();
    const sentinel = await startSentinel(master, 'aitws-master');
    servers.push(sentinel, master);
    const client = track(
      createRedisClient(`redis+sentinel://127.0.0.1:${sentinel.port}/aitws-master`, {
        ...quiet,
        redisOptions: { failoverDetector: true },
      }),
    );
    // Failover progress is still reported on the client, as with ioredis' own Sentinel connector.
    const subscribed = new Promise((resolve) => client.once('failoverSubscribed', () => resolve('reported')));
    await roundTrip(client);
    expect(Number(await master.cli('dbsize'))).toBeGreaterThan(0);
    if (!(client instanceof Redis)) throw new Error('redis+sentinel:// makes a standalone client');
    expectSurvivesRepeatedSocketErrors(client.stream);
    await waitFor(() => isRedisReady(client), 10_000);
    await roundTrip(client);
    expect(await within(subscribed, 5000, 'never reported')).toBe('reported');
  });

  test('redis+cluster:// nodes keep a lasting socket error listener too', async () => {
    const cluster = await startCluster(3);
    const client = createRedisClient(cluster.url, quiet);
    try {
      await roundTrip(client);
      if (client instanceof Redis) throw new Error('redis+cluster:// makes a cluster client');
      const nodes = client.nodes('master');
      expect(nodes).toHaveLength(3);
      for (const node of nodes) {
        // Cluster nodes connect on their first command.
        expect(await node.ping()).toBe('PONG');
        expectSurvivesRepeatedSocketErrors(node.stream);
      }
      await waitFor(() => isRedisReady(client), 10_000);
      await roundTrip(client);
    } finally {
      await closeRedisClient(client);
      await cluster.stop();
    }
  });
});

describe('isRedisReady', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server.stop();
  });

  test('is false, not hanging, while the server is paused', async () => {
    const client = createRedisClient(server.url, quiet);
    try {
      await waitFor(() => isRedisReady(client), 10_000);
      server.pause();
      const started = Date.now();
      expect(await isRedisReady(client, 300)).toBe(false);
      expect(Date.now() - started).toBeLessThan(5000);
      server.resume();
      await waitFor(() => isRedisReady(client), 10_000);
    } finally {
      server.resume();
      await closeRedisClient(client);
    }
  });
});
