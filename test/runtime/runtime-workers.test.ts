/**
 * Two worker processes on one BullMQ queue share the runs, and one takes over a run the other
 * was killed in the middle of. A plugin executor (loaded by each
 * worker from a temp dir) outputs its process id, so the journal tells which worker ran what.
 *
 * A run is one queue job, walked by one worker at a time; a parallel group's members go out as
 * jobs of their own, so both workers take a share of one run's group.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadPlugins } from '../../src/runtime/executors/plugins.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { type RedisServer, startRedis, uniquePrefix } from '../support/redis.js';
import {
  action,
  assembleRuntime,
  builtinTypes,
  call,
  finished,
  head,
  stage,
  startRun,
} from '../support/runtime-parts.js';
import { spawnRuntimeWorker, type WorkerProcess } from '../support/runtime-processes.js';
import { type RuntimeBackend, runtimeBackend } from '../support/runtime-redis.js';
import { json, type ReceivedRequest, startServer, type TestServer } from './executors/http-server.js';

const ZOD = pathToFileURL(path.join(process.cwd(), 'node_modules/zod/index.js')).href;
// Long enough that one worker cannot drain the queue before the other takes a run.
const PID_PLUGIN = `import { z } from '${ZOD}';
export default {
  type: 'acme.pid',
  params: z.object({}),
  run: async () => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { pid: process.pid };
  },
};
`;
// Calls the test's service from inside the worker, naming the worker's process and the step's
// key: the service then knows which process to kill.
const CALL_PLUGIN = `import { z } from '${ZOD}';
export default {
  type: 'acme.call',
  params: z.object({ url: z.string() }),
  run: async (context, params, signal) => {
    const response = await fetch(params.url, {
      method: 'POST',
      headers: { 'x-pid': String(process.pid), 'idempotency-key': context.idempotencyKey },
      signal,
    });
    return { status: response.status };
  },
};
`;
const RUNS = 12;

let redis: RedisServer;
let dir: string;
let backend: RuntimeBackend;
let workers: WorkerProcess[] = [];
let server: TestServer;

beforeEach(async () => {
  redis = await startRedis();
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-pid-plugin-'));
  await writeFile(path.join(dir, 'pid.mjs'), PID_PLUGIN);
  await writeFile(path.join(dir, 'call.mjs'), CALL_PLUGIN);
  server = await startServer();
  server.route('/ok', (_request, response) => json(response, 200, {}));
});

afterEach(async () => {
  await Promise.all(workers.map((started) => started.kill()));
  workers = [];
  await backend.queue.close();
  await backend.store.close();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
  await server.close();
});

/** A runtime in this process that starts runs (it works on none) and two worker processes. */
async function twoWorkers(lockMs: number): Promise<Runtime> {
  const prefix = uniquePrefix('workers');
  backend = runtimeBackend(redis.url, prefix);
  const plugins = await loadPlugins(dir, { builtinTypes: builtinTypes() });
  const env = {
    REDIS_URL: redis.url,
    RUNTIME_PREFIX: prefix,
    LOCK_MS: String(lockMs),
    STALLED_MS: String(lockMs / 2),
    PLUGINS_DIR: dir,
    CONCURRENCY: '1',
  };
  workers = [spawnRuntimeWorker(env), spawnRuntimeWorker(env)];
  await Promise.all(workers.map((started) => started.ready));
  return assembleRuntime({ ...backend, plugins });
}

it('two worker processes share concurrent runs; each run is processed by one of them, once', async () => {
  const runtime = await twoWorkers(5000);
  const toml = head() + stage('S', 1, action('Who', 'acme.pid', 'with = {}'));
  const runs = await Promise.all(Array.from({ length: RUNS }, () => startRun(runtime, toml)));
  const pids: number[] = [];
  for (const run of runs) {
    expect((await finished(backend.store, run.id, 20_000)).state).toBe('succeeded');
    const steps = await backend.store.steps(run.id);
    expect(steps.map((step) => [step.key, step.state, step.attempt])).toEqual([['S/Who#1', 'succeeded', 1]]);
    const output = steps[0]?.output;
    pids.push(typeof output === 'object' && output !== null && 'pid' in output ? Number(output.pid) : 0);
  }
  expect(new Set(pids)).toEqual(new Set(workers.map((started) => started.pid)));
}, 40_000);

function pidOf(output: unknown): number {
  return typeof output === 'object' && output !== null && 'pid' in output ? Number(output.pid) : 0;
}

it('a parallel group of one run is shared by both worker processes, at most max_concurrency at once', async () => {
  const runtime = await twoWorkers(5000);
  const names = Array.from({ length: 12 }, (_, index) => `P${index}`);
  let active = 0;
  let most = 0;
  server.route('/slow', (_request, response) => {
    active += 1;
    most = Math.max(most, active);
    setTimeout(() => {
      active -= 1;
      json(response, 200, {});
    }, 150);
  });
  const toml =
    `${head(server.origin)}[[parallel_execution]]\nname = "Fan"\ntasks = ${JSON.stringify(names)}\nmax_concurrency = 2\n` +
    stage(
      'S',
      1,
      names.map((name) => action(name, 'acme.pid', 'with = {}')).join('') + call('Slow1', '/slow'),
    ) +
    `[[parallel_execution]]\nname = "Pair"\ntasks = ["Slow2", "Slow3", "Slow4"]\nmax_concurrency = 2\n` +
    stage(
      'T',
      2,
      call('Slow2', '/slow') +
        call('Slow3', '/slow') +
        call('Slow4', '/slow') +
        action('After', 'transform', 'with = { set = { done = "yes" } }'),
    );
  const run = await startRun(runtime, toml);
  expect((await finished(backend.store, run.id, 30_000)).state).toBe('succeeded');
  const steps = await backend.store.steps(run.id);
  expect(steps.filter((step) => step.state === 'succeeded')).toHaveLength(17);
  expect(steps.every((step) => step.attempt === 1)).toBe(true);
  const pids = new Set(steps.filter((step) => step.key.startsWith('S/P')).map((step) => pidOf(step.output)));
  expect(pids).toEqual(new Set(workers.map((started) => started.pid)));
  // Two at once across both processes, never three: the run hands out no more than that.
  expect(most).toBe(2);
  expect(server.received.filter((request) => request.url === '/slow')).toHaveLength(4);
}, 60_000);

it('a parallel group of stages: each stage goes out whole, its actions in order, on either worker', async () => {
  const runtime = await twoWorkers(5000);
  const stages = ['A', 'B', 'C', 'D'];
  const toml =
    `${head()}[[parallel_execution]]\nname = "Stages"\ntasks = ${JSON.stringify(stages)}\nmax_concurrency = 4\n` +
    stages
      .map((name, index) =>
        stage(
          name,
          index + 1,
          action(`${name}1`, 'acme.pid', 'with = {}') +
            action(`${name}2`, 'transform', `with = { set = { from = "{{ steps.${name}1.output.pid }}" } }`),
        ),
      )
      .join('') +
    stage('Z', 9, action('Last', 'transform', 'with = { set = { a = "{{ steps.A2.output.from }}" } }'));
  const run = await startRun(runtime, toml);
  const done = await finished(backend.store, run.id, 30_000);
  expect(done.error).toBeUndefined();
  expect(done.state).toBe('succeeded');
  const steps = await backend.store.steps(run.id);
  const byKey = new Map(steps.map((step) => [step.key, step]));
  for (const name of stages)
    expect(byKey.get(`${name}/${name}2#1`)?.output).toEqual({
      from: pidOf(byKey.get(`${name}/${name}1#1`)?.output),
    });
  expect(byKey.get('Z/Last#1')?.output).toEqual({ a: pidOf(byKey.get('A/A1#1')?.output) });
  const pids = new Set(stages.map((name) => pidOf(byKey.get(`${name}/${name}1#1`)?.output)));
  expect(pids).toEqual(new Set(workers.map((started) => started.pid)));
}, 60_000);

it('kill -9 of the worker mid-action: the other, already running worker takes the run over', async () => {
  const runtime = await twoWorkers(1000);
  let held: ServerResponse | undefined;
  server.route('/hold', (_request, response) => {
    if (held === undefined) held = response;
    else json(response, 200, {});
  });
  const toml =
    head(server.origin) +
    stage(
      'S',
      1,
      call('First', '/ok') +
        action('Held', 'acme.call', `with = { url = "${server.origin}/hold" }`) +
        call('Last', '/ok'),
    );
  const run = await startRun(runtime, toml);
  await until(() => held !== undefined);
  const holds = (): ReceivedRequest[] => server.received.filter((request) => request.url === '/hold');
  const victim = workers.find((started) => String(started.pid) === holds()[0]?.headers['x-pid']);
  if (victim === undefined) throw new Error('the held call names no worker of this test');
  await victim.kill();
  expect((await finished(backend.store, run.id, 20_000)).state).toBe('succeeded');
  const survivor = workers.find((started) => started !== victim);
  expect(holds().map((request) => [request.headers['x-pid'], request.headers['idempotency-key']])).toEqual([
    [String(victim.pid), `${run.id}/S/Held#1`],
    [String(survivor?.pid), `${run.id}/S/Held#1`],
  ]);
  expect(server.received.filter((request) => request.url === '/ok')).toHaveLength(2);
  const steps = await backend.store.steps(run.id);
  expect(steps.map((step) => [step.key, step.state])).toEqual([
    ['S/First#1', 'succeeded'],
    ['S/Held#1', 'succeeded'],
    ['S/Last#1', 'succeeded'],
  ]);
}, 40_000);

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
