/**
 * The RunQueue contract on BullMQ against a real redis-server, and what only a shared, durable
 * queue does: a killed worker's run taken over, a waiting run surviving a restart of the queue,
 * and the refusal of a Redis that evicts keys.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AitwsError } from '../../src/errors.js';
import { BullRunQueue, type BullRunQueueOptions, checkNoEviction } from '../../src/runtime/queue-bullmq.js';
import { closeRedisClient, createRedisClient, type RedisClient } from '../../src/session/redis-client.js';
import { eventually, RETRY_DELAY_MS, Recorder, runQueueContract } from '../contracts/run-queue.contract.js';
import { deletePrefix, type RedisServer, startRedis, uniquePrefix } from '../support/redis.js';

let redis: RedisServer;
let admin: RedisClient;
beforeAll(async () => {
  redis = await startRedis();
  admin = createRedisClient(redis.url);
});
afterAll(async () => {
  await closeRedisClient(admin);
  await redis.stop();
});

/** A fresh queue of its own: a new hash-tagged prefix per test. */
function queueOptions(overrides: Partial<BullRunQueueOptions> = {}): BullRunQueueOptions {
  return {
    connection: redis.url,
    prefix: `{${uniquePrefix('runq')}}`,
    retryDelayMs: RETRY_DELAY_MS,
    ...overrides,
  };
}

runQueueContract('BullRunQueue', async () => {
  const options = queueOptions();
  const queue = new BullRunQueue(options);
  return {
    queue,
    cleanup: async () => {
      await queue.close();
      await deletePrefix(admin, options.prefix ?? '');
    },
  };
});

describe('BullRunQueue', () => {
  it('a killed worker’s run is taken over by another worker once its lock expires', async () => {
    const options = queueOptions({ lockDurationMs: 1000, stalledIntervalMs: 500 });
    const child = spawnWorker(options);
    try {
      await child.ready;
      const producer = new BullRunQueue(options);
      await producer.enqueue('run-1');
      await child.picked;
      child.kill();
      const survivor = new BullRunQueue(options);
      const recorder = new Recorder();
      await survivor.process(
        recorder.processor(async () => ({ kind: 'finished' })),
        { concurrency: 1 },
      );
      await eventually(() => recorder.count('run-1') === 1, 8000);
      await eventually(async () => (await survivor.counts()).active === 0);
      await Promise.all([producer.close(), survivor.close()]);
    } finally {
      child.kill();
      await deletePrefix(admin, options.prefix ?? '');
    }
  });

  it('a waiting run survives closing the queue and is processed by the next one at its time', async () => {
    const options = queueOptions();
    const first = new BullRunQueue(options);
    let until = 0;
    await first.process(
      async () => {
        until = Date.now() + 800;
        return { kind: 'wait', until };
      },
      { concurrency: 1 },
    );
    await first.enqueue('run-1');
    await eventually(async () => (await first.counts()).delayed === 1);
    await first.close();

    const second = new BullRunQueue(options);
    expect(await second.counts()).toEqual({ waiting: 0, delayed: 1, active: 0 });
    const recorder = new Recorder();
    await second.process(
      recorder.processor(async () => ({ kind: 'finished' })),
      { concurrency: 1 },
    );
    await eventually(() => recorder.count('run-1') === 1);
    expect(recorder.calls[0]?.at).toBeGreaterThanOrEqual(until);
    await second.close();
    await deletePrefix(admin, options.prefix ?? '');
  });

  it('the run a closing worker was processing is picked up by the next worker at once', async () => {
    const options = queueOptions();
    const first = new BullRunQueue(options);
    const recorder = new Recorder();
    await first.process(
      recorder.processor(async ({ signal }) => {
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        throw signal.reason;
      }),
      { concurrency: 1 },
    );
    await first.enqueue('run-1');
    await eventually(() => recorder.count('run-1') === 1);
    await first.close();
    const second = new BullRunQueue(options);
    await second.process(
      recorder.processor(async () => ({ kind: 'finished' })),
      { concurrency: 1 },
    );
    await eventually(() => recorder.count('run-1') === 2);
    await second.close();
    await deletePrefix(admin, options.prefix ?? '');
  });

  it('refuses a Redis that evicts keys, with the fix', async () => {
    await redis.cli('config', 'set', 'maxmemory-policy', 'allkeys-lru');
    // BullMQ itself prints a warning for such a Redis when it connects; the refusal is ours.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const queue = new BullRunQueue(queueOptions());
    try {
      const error = await checkNoEviction(admin).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AitwsError);
      expect(error).toMatchObject({ code: 'CONFIG', message: expect.stringContaining('allkeys-lru') });
      expect((error as AitwsError).hint).toContain('maxmemory-policy noeviction');
      await expect(queue.process(async () => ({ kind: 'finished' }), { concurrency: 1 })).rejects.toThrow(
        /maxmemory-policy allkeys-lru/,
      );
    } finally {
      await redis.cli('config', 'set', 'maxmemory-policy', 'noeviction');
      await queue.close();
      warn.mockRestore();
    }
    await expect(checkNoEviction(admin)).resolves.toBeUndefined();
  });
});

/**
 * A worker in its own process, to be killed with SIGKILL mid-run: it takes the run and never
 * returns, and its lock is left to expire.
 */
function spawnWorker(options: BullRunQueueOptions): {
  ready: Promise<void>;
  picked: Promise<void>;
  kill(): void;
} {
  const source = new URL('../../src/runtime/queue-bullmq.ts', import.meta.url).href;
  const script = `
    const { BullRunQueue } = await import(${JSON.stringify(source)});
    const queue = new BullRunQueue(JSON.parse(process.env.QUEUE_OPTIONS));
    await queue.process(async () => {
      process.stdout.write('picked\\n');
      return new Promise(() => {});
    }, { concurrency: 1 });
    process.stdout.write('ready\\n');
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, QUEUE_OPTIONS: JSON.stringify(options) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const seen = (line: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (output.includes(`${line}\n`)) resolve();
      };
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        check();
      });
      child.once('exit', (code) => reject(new Error(`worker exited (${code}) before "${line}"`)));
      check();
    });
  const ready = seen('ready');
  const picked = seen('picked');
  // A test that fails before waiting on one of them must not leave an unhandled rejection.
  ready.catch(() => undefined);
  picked.catch(() => undefined);
  return {
    ready,
    picked,
    kill: () => {
      child.kill('SIGKILL');
    },
  };
}
