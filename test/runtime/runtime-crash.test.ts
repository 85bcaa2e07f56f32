/**
 * The distributed runtime surviving crashes, with real processes: worker processes
 * (test/support/runtime-worker.ts) on a real redis-server, killed with SIGKILL mid-run; Redis
 * itself restarted mid-run; an approval that times out while no worker runs. The recording HTTP
 * service tells what was executed how often, and with which Idempotency-Key.
 */
import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime/runtime.js';
import { type RedisServer, startRedis, uniquePrefix } from '../support/redis.js';
import {
  action,
  assembleRuntime,
  call,
  finished,
  head,
  runWhen,
  stage,
  startRun,
} from '../support/runtime-parts.js';
import { spawnRuntimeWorker, type WorkerProcess } from '../support/runtime-processes.js';
import { type RuntimeBackend, runtimeBackend } from '../support/runtime-redis.js';
import { json, startServer, type TestServer } from './executors/http-server.js';

const LOCK_MS = 1000;
const STALLED_MS = 500;

let redis: RedisServer;
let server: TestServer;
let prefix: string;
let backend: RuntimeBackend;
let runtime: Runtime;
let workers: WorkerProcess[];
/** The first /hold request, held open until the test answers it. */
let held: ServerResponse | undefined;

function worker(): WorkerProcess {
  const started = spawnRuntimeWorker({
    REDIS_URL: redis.url,
    RUNTIME_PREFIX: prefix,
    LOCK_MS: String(LOCK_MS),
    STALLED_MS: String(STALLED_MS),
  });
  workers.push(started);
  return started;
}

function received(path: string): { count: number; keys: string[] } {
  const requests = server.received.filter((request) => request.url === path);
  return {
    count: requests.length,
    keys: requests.map((request) => String(request.headers['idempotency-key'])),
  };
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function setUp(options: { readonly persistent: boolean }): Promise<void> {
  redis = await startRedis(options.persistent ? { appendonly: true, appendfsync: 'always' } : {});
  prefix = uniquePrefix('crash');
  backend = runtimeBackend(redis.url, prefix, LOCK_MS, STALLED_MS);
  // This process only starts runs and reads them; the worker processes run them.
  runtime = assembleRuntime(backend);
}

beforeEach(async () => {
  workers = [];
  held = undefined;
  server = await startServer();
  server.route('/ok', (_request, response) => json(response, 200, {}));
  server.route('/last', (_request, response) => json(response, 200, {}));
  server.route('/hold', (_request, response) => {
    if (held === undefined) held = response;
    else json(response, 200, { again: true });
  });
});

afterEach(async () => {
  await Promise.all(workers.map((started) => started.kill()));
  await backend.queue.close();
  await backend.store.close();
  await server.close();
  await redis.stop();
});

const PIPELINE = (origin: string): string =>
  head(origin) + stage('S', 1, call('First', '/ok') + call('Held', '/hold') + call('Last', '/last'));

describe('runtime across crashes', () => {
  it('kill -9 of the worker mid-action: another worker completes the run, nothing completed repeated', async () => {
    await setUp({ persistent: false });
    const first = worker();
    await first.ready;
    const run = await startRun(runtime, PIPELINE(server.origin));
    await until(() => held !== undefined);
    await first.kill();
    const second = worker();
    await second.ready;
    expect((await finished(backend.store, run.id, 20_000)).state).toBe('succeeded');
    expect(received('/ok').count).toBe(1);
    expect(received('/last').count).toBe(1);
    // The interrupted call got no answer, so it is made once more, with the same key.
    expect(received('/hold')).toEqual({ count: 2, keys: [`${run.id}/S/Held#1`, `${run.id}/S/Held#1`] });
    const steps = await backend.store.steps(run.id);
    expect(steps.map((step) => [step.key, step.state])).toEqual([
      ['S/First#1', 'succeeded'],
      ['S/Held#1', 'succeeded'],
      ['S/Last#1', 'succeeded'],
    ]);
  }, 40_000);

  it('Redis restarted mid-run (AOF, fsync always): the run completes, completed actions not repeated', async () => {
    await setUp({ persistent: true });
    const only = worker();
    await only.ready;
    const run = await startRun(runtime, PIPELINE(server.origin));
    await until(() => held !== undefined);
    await redis.restart();
    held?.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    expect((await finished(backend.store, run.id, 20_000)).state).toBe('succeeded');
    expect(received('/ok').count).toBe(1);
    expect(received('/last').count).toBe(1);
    const hold = received('/hold');
    expect(hold.count).toBeLessThanOrEqual(2);
    expect(new Set(hold.keys)).toEqual(new Set([`${run.id}/S/Held#1`]));
  }, 40_000);

  it('an approval times out while no worker runs and is decided once a worker starts again', async () => {
    await setUp({ persistent: false });
    const first = worker();
    await first.ready;
    const toml =
      '[[roles]]\nname = "Lead"\nprivileges = ["read"]\n' +
      head(server.origin) +
      stage(
        'S',
        1,
        action(
          'Approve',
          'human.approval',
          'with = { approvers = ["Lead"], timeout = "2s", on_timeout = "approve" }',
        ) + call('After', '/ok'),
      );
    const run = await startRun(runtime, toml);
    await runWhen(backend.store, run.id, (current) => current.state === 'waiting');
    const memo = await backend.store.readStepMemo(run.id, 'S/Approve#1');
    const timeoutAt = Date.parse(String(memo?.value.until));
    await first.kill();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, timeoutAt - Date.now()) + 500));
    // Past its timeout, but nobody was there to decide.
    expect((await backend.store.read(run.id))?.state).toBe('waiting');
    expect(received('/ok').count).toBe(0);
    const second = worker();
    await second.ready;
    expect((await finished(backend.store, run.id, 20_000)).state).toBe('succeeded');
    const approve = (await backend.store.steps(run.id)).find((step) => step.key === 'S/Approve#1');
    expect(approve?.output).toMatchObject({ decision: 'approved', by: ['timeout'] });
    expect(received('/ok').count).toBe(1);
  }, 40_000);

  it('a cancel from another process stops the worker’s action: the request is aborted', async () => {
    await setUp({ persistent: false });
    const only = worker();
    await only.ready;
    let aborted = false;
    server.route('/hang', (_request, response) => {
      response.on('close', () => {
        aborted = !response.writableFinished;
      });
    });
    const toml = head(server.origin) + stage('S', 1, call('Hang', '/hang') + call('After', '/ok'));
    const run = await startRun(runtime, toml);
    await until(() => received('/hang').count === 1);
    const running = await runWhen(backend.store, run.id, (current) => current.state === 'running');
    await runtime.cancel(running, { id: 'U2', name: 'Bea' });
    await until(() => aborted);
    expect((await finished(backend.store, run.id)).state).toBe('cancelled');
    expect(received('/ok').count).toBe(0);
  }, 40_000);
});
