/**
 * Several bot processes share one Redis: 4 OS processes, each building the real core
 * from REDIS_URL, fire 50 concurrent `/add` commands on the same channel. Every change must land
 * exactly once, in order, and history must tell who added what at which version.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { z } from 'zod';
import { buildCore } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logging.js';
import type { ChannelKey } from '../../src/session/port.js';
import { closeRedisClient, createRedisClient, type RedisClient } from '../../src/session/redis-client.js';
import { deletePrefix, sharedRedis, uniquePrefix } from '../support/redis.js';

const PROCESSES = 4;
const ADDS_PER_PROCESS = 50;
const WORKER = path.resolve(import.meta.dirname, '../support/redis-add-worker.ts');
// The channel the worker writes to (SHARED_CHANNEL there; importing it would run the worker).
const CHANNEL: ChannelKey = { platform: 'slack', workspace: 'T1', channel: 'C1' };
const HISTORY_LIMIT = '500';

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

const report = z.object({ ok: z.number(), failed: z.array(z.string()), writes: z.number() });

interface Worker {
  /** Resolves once the worker is connected and waiting for the go. */
  readonly ready: Promise<void>;
  go(): void;
  readonly report: Promise<z.infer<typeof report>>;
}

function startWorker(prefix: string, label: string): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, label, String(ADDS_PER_PROCESS)], {
    env: {
      PATH: process.env.PATH ?? '',
      REDIS_URL: redis.url,
      AITWS_REDIS_PREFIX: prefix,
      AITWS_HISTORY_LIMIT: HISTORY_LIMIT,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let markReady = (): void => {};
  const exited = new Promise<z.infer<typeof report>>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code === 0) resolve(report.parse(JSON.parse(last)));
      else reject(new Error(`worker ${label} exited with ${code}: ${stderr}`));
    });
  });
  // A worker that dies before it is ready rejects `ready` too, so the test never waits forever.
  const ready = Promise.race([
    new Promise<void>((resolve) => {
      markReady = resolve;
    }),
    exited.then(() => {
      throw new Error(`worker ${label} exited before it was ready`);
    }),
  ]);
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.startsWith('ready\n')) markReady();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return { ready, go: () => child.stdin.end('go\n'), report: exited };
}

function roleNames(document: unknown): string[] {
  const roles = (document as { roles?: { name: string }[] } | null)?.roles ?? [];
  return roles.map((role) => role.name);
}

test(`${PROCESSES} processes x ${ADDS_PER_PROCESS} concurrent /add on one channel: all land, versions contiguous`, async () => {
  const prefix = uniquePrefix('procs');
  const config = loadConfig({
    REDIS_URL: redis.url,
    AITWS_REDIS_PREFIX: prefix,
    AITWS_HISTORY_LIMIT: HISTORY_LIMIT,
  });
  const core = buildCore({ config, logger: silentLogger });
  try {
    const actor = { id: 'U1', name: 'alice' };
    await core.dispatcher.handle({ text: '/create name="Storm"', actor, channel: CHANNEL });
    const labels = Array.from({ length: PROCESSES }, (_, index) => `p${index}`);
    const workers = labels.map((label) => startWorker(prefix, label));
    await Promise.all(workers.map((worker) => worker.ready));
    for (const worker of workers) worker.go();
    const reports = await Promise.all(workers.map((worker) => worker.report));
    const adds = PROCESSES * ADDS_PER_PROCESS;
    const total = adds + 1;
    for (const one of reports) expect(one).toMatchObject({ ok: ADDS_PER_PROCESS, failed: [] });
    // More writes than adds: the processes really did collide and the CAS loop resolved it.
    expect(reports.reduce((sum, one) => sum + one.writes, 0)).toBeGreaterThan(adds);

    const record = await core.sessions.read(CHANNEL);
    expect(record.version).toBe(total);
    const expectedNames = labels.flatMap((label) =>
      Array.from({ length: ADDS_PER_PROCESS }, (_, i) => `${label}-${i}`),
    );
    expect(roleNames(record.document).sort()).toEqual(expectedNames.sort());

    const history = await core.sessions.history(CHANNEL);
    expect(history.map((entry) => entry.version)).toEqual(Array.from({ length: total }, (_, i) => total - i));
    // Each version adds exactly the one role its command named, by the process that sent it, on
    // top of everything before: no change was applied twice, lost or applied to a stale draft.
    const addedAt = new Map<string, number>();
    for (const [index, entry] of history.entries()) {
      const names = roleNames(entry.document);
      expect(names).toHaveLength(entry.version - 1);
      const older = history[index + 1];
      if (older === undefined) {
        expect(entry).toMatchObject({ version: 1, change: '/create name="Storm"', by: 'alice' });
        continue;
      }
      const added = /^\/add roles name="([^"]+)" privileges=\["read"\]$/.exec(entry.change)?.[1];
      expect(added, entry.change).toBeDefined();
      expect(added?.startsWith(`${entry.by}-`)).toBe(true);
      const olderNames = roleNames(older.document);
      expect(names.filter((name) => !olderNames.includes(name))).toEqual([added]);
      expect(olderNames.every((name) => names.includes(name))).toBe(true);
      if (added !== undefined) addedAt.set(added, entry.version);
    }
    // Exactly one version per added role.
    expect([...addedAt.keys()].sort()).toEqual(expectedNames.sort());
  } finally {
    await core.close();
    await deletePrefix(client, prefix);
  }
}, 60_000);
