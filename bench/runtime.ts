/**
 * Issue #16's benchmark on Redis + BullMQ (the bench's own redis-server): per-action orchestration
 * overhead and throughput beside raw BullMQ, worker processes, approval latency, waiting runs.
 */
import { fmt, median } from './lib.js';
import { startBenchRedis } from './redis-server.js';
import { clickToNext, waitingRuns } from './runtime-approvals.js';
import { inProcess, rawBullmq, withProcesses } from './runtime-throughput.js';

const ACTIONS = 200;
const RUNS = 8;
const RAW_JOBS = 5000;
const ROUNDS = 5;
const APPROVAL_RUNS = 100;
const WAITING_RUNS = Number(process.env.BENCH_WAITING_RUNS ?? 10_000);

export async function benchRuntime(): Promise<void> {
  const redis = await startBenchRedis();
  try {
    // Paired rounds, raw BullMQ then ours back to back, each on fresh keys: the verdict is the
    // median of the rounds' ratios, since this machine's speed drifts between minutes.
    const rounds: { raw: number; ours: number; p50: number; p99: number }[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const raw = await rawBullmq(redis.url, `{bench-raw-${round}}`, RAW_JOBS);
      const one = await inProcess(redis.url, `bench-a${round}`, ACTIONS, RUNS);
      rounds.push({ raw, ours: one.actionsPerSecond, p50: one.p50, p99: one.p99 });
    }
    const middle = median;
    console.log(
      `transform action (one run of ${ACTIONS}, median of ${ROUNDS} rounds): p50 ${fmt(middle(rounds.map((r) => r.p50)))} ms, p99 ${fmt(middle(rounds.map((r) => r.p99)))} ms start to start`,
    );
    const ratio = middle(rounds.map((r) => r.ours / r.raw));
    console.log(
      `1 worker (concurrency 8, ${RUNS} runs x ${ACTIONS}): ${fmt(middle(rounds.map((r) => r.ours)), 0)} actions/s; raw BullMQ no-op jobs: ${fmt(middle(rounds.map((r) => r.raw)), 0)} jobs/s; ratio ${fmt(ratio * 100, 0)}% (median of ${ROUNDS} paired rounds: ${rounds.map((r) => `${fmt((r.ours / r.raw) * 100, 0)}%`).join(', ')}; ${ratio >= 0.5 ? 'within' : 'BELOW'} target >= 50%)`,
    );
    for (const processes of [1, 2, 4]) {
      const rate = await withProcesses(redis.url, `bench-p${processes}`, processes, 100, 16);
      console.log(
        `${processes} worker process(es) (concurrency 8 each, 16 runs x 100): ${fmt(rate, 0)} actions/s`,
      );
    }
    const click = await clickToNext(redis.url, 'bench-c', APPROVAL_RUNS);
    console.log(
      `approval click -> next action start (${APPROVAL_RUNS} runs): p50 ${fmt(click.p50)} ms, p99 ${fmt(click.p99)} ms (${click.p99 <= 100 ? 'within' : 'OVER'} target p99 <= 100 ms)`,
    );
    const waiting = await waitingRuns(redis.url, 'bench-w', WAITING_RUNS);
    console.log(
      `${WAITING_RUNS} runs waiting on approvals: ${fmt(waiting.bytesPerRun / 1024)} KiB Redis memory per run; resumed all in ${fmt(waiting.resumeSeconds)} s (${fmt(WAITING_RUNS / waiting.resumeSeconds, 0)} runs/s; clicks alone ${fmt(waiting.clickSeconds)} s)`,
    );
  } finally {
    await redis.stop();
  }
}
