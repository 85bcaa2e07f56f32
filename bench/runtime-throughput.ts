/** Actions per second of the runtime (in process and across worker processes) beside raw BullMQ. */
import { type ChildProcess, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { percentile } from './lib.js';
import { allRuns, benchRuntime, startRuns, transforms } from './runtime-parts.js';

/** No-op jobs per second through a plain Queue + Worker (concurrency 8) on the same Redis. */
export async function rawBullmq(url: string, prefix: string, jobs: number): Promise<number> {
  const connection = { url, maxRetriesPerRequest: null };
  const queue = new Queue('raw', { connection, prefix });
  let done = 0;
  let finish: () => void = () => undefined;
  const all = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const worker = new Worker('raw', async () => undefined, {
    connection,
    prefix,
    concurrency: 8,
    autorun: false,
  });
  worker.on('completed', () => {
    done += 1;
    if (done === jobs) finish();
  });
  const start = performance.now();
  for (let i = 0; i < jobs; i += 500)
    await queue.addBulk(
      Array.from({ length: Math.min(500, jobs - i) }, () => ({
        name: 'noop',
        data: {},
        opts: { removeOnComplete: true },
      })),
    );
  void worker.run();
  await all;
  const seconds = (performance.now() - start) / 1000;
  await worker.close();
  await queue.close();
  return jobs / seconds;
}

export interface InProcess {
  readonly p50: number;
  readonly p99: number;
  readonly actionsPerSecond: number;
}

/** One run's per-action time from its journal, then `runs` runs at once on one worker (concurrency 8). */
export async function inProcess(
  url: string,
  prefix: string,
  actions: number,
  runs: number,
): Promise<InProcess> {
  const bench = benchRuntime(url, prefix);
  await bench.runtime.work(8);
  const [single] = await startRuns(bench.runtime, transforms(actions), 1);
  await allRuns(bench.store, [single ?? ''], (state) => state === 'succeeded');
  const starts = (await bench.store.steps(single ?? '')).map((step) => Date.parse(step.startedAt));
  const gaps = starts.slice(1).map((at, i) => at - (starts[i] ?? at));
  const document = transforms(actions);
  const begin = performance.now();
  const ids = await startRuns(bench.runtime, document, runs);
  await allRuns(bench.store, ids, (state) => state === 'succeeded');
  const seconds = (performance.now() - begin) / 1000;
  await bench.close();
  return {
    p50: percentile(gaps, 50),
    p99: percentile(gaps, 99),
    actionsPerSecond: (actions * runs) / seconds,
  };
}

function startWorker(url: string, prefix: string): Promise<ChildProcess> {
  const script = fileURLToPath(new URL('./runtime-worker.js', import.meta.url));
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, REDIS_URL: url, RUNTIME_PREFIX: prefix, CONCURRENCY: '8' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
  });
}

/** Actions per second with `processes` worker processes (concurrency 8 each); this process only starts runs. */
export async function withProcesses(
  url: string,
  prefix: string,
  processes: number,
  actions: number,
  runs: number,
): Promise<number> {
  const children = await Promise.all(Array.from({ length: processes }, () => startWorker(url, prefix)));
  const bench = benchRuntime(url, prefix);
  const document = transforms(actions);
  const begin = performance.now();
  const ids = await startRuns(bench.runtime, document, runs);
  await allRuns(bench.store, ids, (state) => state === 'succeeded');
  const seconds = (performance.now() - begin) / 1000;
  await bench.close();
  for (const child of children) {
    child.removeAllListeners('exit');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  return (actions * runs) / seconds;
}
