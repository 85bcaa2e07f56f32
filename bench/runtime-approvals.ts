/** Approval click to next action, Redis memory per waiting run, and resuming many waiting runs. */
import { performance } from 'node:perf_hooks';
import { castRunVote } from '../src/runtime/executors/human-approval.js';
import { closeRedisClient, createRedisClient } from '../src/session/redis-client.js';
import { percentile } from './lib.js';
import {
  allRuns,
  approvalThenTransform,
  type BenchRuntime,
  benchRuntime,
  startRuns,
} from './runtime-parts.js';

async function approve(bench: BenchRuntime, runId: string): Promise<void> {
  await castRunVote(bench.store, {
    runId,
    stepKey: 'S/Approve#1',
    voter: { id: 'U2', name: 'Bea' },
    choice: 'approve',
    now: new Date(),
    eligible: async () => ({ eligible: true }),
  });
  await bench.runtime.wake(runId);
}

/** p50/p99 ms from the click (castRunVote + wake) to the next action's journal start, one run at a time. */
export async function clickToNext(
  url: string,
  prefix: string,
  runs: number,
): Promise<{ p50: number; p99: number }> {
  const bench = benchRuntime(url, prefix);
  await bench.runtime.work(8);
  const ids = await startRuns(bench.runtime, approvalThenTransform(), runs);
  await allRuns(bench.store, ids, (state) => state === 'waiting');
  const delays: number[] = [];
  for (const id of ids) {
    const clicked = Date.now();
    await approve(bench, id);
    await allRuns(bench.store, [id], (state) => state === 'succeeded');
    const after = (await bench.store.steps(id)).find((step) => step.key === 'S/After#1');
    delays.push(Date.parse(after?.startedAt ?? '') - clicked);
  }
  await bench.close();
  return { p50: percentile(delays, 50), p99: percentile(delays, 99) };
}

async function usedMemory(url: string): Promise<number> {
  const client = createRedisClient(url);
  const info = await client.info('memory');
  await closeRedisClient(client);
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

export interface Waiting {
  readonly bytesPerRun: number;
  readonly resumeSeconds: number;
  /** Of which: casting every vote and waking every run. */
  readonly clickSeconds: number;
}

/** `runs` runs parked on approvals: memory per run, then all approved (64 clicks at once) until all succeeded. */
export async function waitingRuns(url: string, prefix: string, runs: number): Promise<Waiting> {
  const bench = benchRuntime(url, prefix);
  await bench.runtime.work(8);
  const document = approvalThenTransform();
  const before = await usedMemory(url);
  const ids = await startRuns(bench.runtime, document, runs);
  await allRuns(bench.store, ids, (state) => state === 'waiting');
  const bytesPerRun = ((await usedMemory(url)) - before) / runs;
  const begin = performance.now();
  for (let i = 0; i < ids.length; i += 64)
    await Promise.all(ids.slice(i, i + 64).map((id) => approve(bench, id)));
  const clickSeconds = (performance.now() - begin) / 1000;
  await allRuns(bench.store, ids, (state) => state === 'succeeded', 300_000);
  const resumeSeconds = (performance.now() - begin) / 1000;
  await bench.close();
  return { bytesPerRun, resumeSeconds, clickSeconds };
}
