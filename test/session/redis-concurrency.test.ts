/**
 * Several bot processes share one Redis (DESIGN §4): 4 OS processes each run 50 concurrent
 * applyChange calls on the same channel. Every change must land exactly once, in order.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { z } from 'zod';
import { closeRedisClient, createRedisClient, type RedisClient } from '../../src/session/redis-client.js';
import { RedisSessionStore } from '../../src/session/redis-store.js';
import { deletePrefix, sharedRedis, uniquePrefix } from '../support/redis.js';
import { itemsOf, STORM_CHANNEL } from '../support/redis-writer.js';

const PROCESSES = 4;
const WRITES_PER_PROCESS = 50;
const WRITER = path.resolve(import.meta.dirname, '../support/redis-writer.ts');

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

const report = z.object({ written: z.number(), attempts: z.number() });

function runWriter(prefix: string, label: string): Promise<z.infer<typeof report>> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', WRITER, redis.url, prefix, label, String(WRITES_PER_PROCESS)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(report.parse(JSON.parse(stdout)));
      else reject(new Error(`writer ${label} exited with ${code}: ${stderr}`));
    });
  });
}

test(`${PROCESSES} processes x ${WRITES_PER_PROCESS} concurrent writes on one channel all land`, async () => {
  const prefix = uniquePrefix('processes');
  const labels = Array.from({ length: PROCESSES }, (_, index) => `p${index}`);
  const reports = await Promise.all(labels.map((label) => runWriter(prefix, label)));
  const total = PROCESSES * WRITES_PER_PROCESS;
  expect(reports.map((one) => one.written)).toEqual(labels.map(() => WRITES_PER_PROCESS));
  // More attempts than writes: the processes really did collide and the CAS loop resolved it.
  expect(reports.reduce((sum, one) => sum + one.attempts, 0)).toBeGreaterThan(total);

  const store = new RedisSessionStore(client, { prefix, historyLimit: 1000 });
  const record = await store.read(STORM_CHANNEL);
  expect(record.version).toBe(total);
  const items = itemsOf(record.document);
  const expectedNames = labels.flatMap((label) =>
    Array.from({ length: WRITES_PER_PROCESS }, (_, i) => `${label}-${i}`),
  );
  expect(Object.keys(items).sort()).toEqual(expectedNames.sort());
  // Each item records the version that added it: exactly one item per version.
  expect(Object.values(items).sort((a, b) => Number(a) - Number(b))).toEqual(
    Array.from({ length: total }, (_, index) => index + 1),
  );

  const history = await store.history(STORM_CHANNEL);
  expect(history.map((entry) => entry.version)).toEqual(
    Array.from({ length: total }, (_, index) => total - index),
  );
  for (const [index, entry] of history.entries()) {
    const names = Object.keys(itemsOf(entry.document));
    expect(names).toHaveLength(entry.version);
    expect(entry.change).toBe(`add ${entry.by}`);
    expect(itemsOf(entry.document)[entry.by]).toBe(entry.version);
    const older = history[index + 1];
    if (older !== undefined)
      expect(names.filter((name) => !(name in itemsOf(older.document)))).toEqual([entry.by]);
  }
  await store.close();
  await deletePrefix(client, prefix);
}, 60_000);
