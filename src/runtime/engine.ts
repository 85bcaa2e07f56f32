/**
 * The engine: what a worker does with a run it picked up (the RunQueue's processor). It moves the
 * run to running, walks the plan from the journal, and persists the outcome — finished, failed,
 * or waiting (then the queue brings it back at the wait's end or when something wakes it).
 *
 * Every write is a compare-and-set on the run's revision. A wake (a vote, an event) bumps the
 * revision of a running run, so the pass that is about to park the run as waiting loses its CAS
 * and walks again instead: no wake-up is lost. A cancel or a deadline is noticed by polling the
 * record while actions run (cancel in this process aborts at once, see Runtime.cancel).
 */
import type { RuntimeMetrics } from '../metrics.js';
import { raise, settle, write } from './engine-record.js';
import { passContext, walkHooks } from './engine-steps.js';
import { RunStop, stoppable } from './engine-stops.js';
import { parseJobId, processTask, spreadHooks } from './engine-tasks.js';
import type { ExecutorRegistry } from './executor.js';
import type { ProcessResult } from './queue-port.js';
import type { RunServices } from './run-services.js';
import { isFinal, type RunRecord, type WaitingFor } from './run-store.js';
import { Walk, type WalkResult } from './walk.js';

export { RETRY_MEMO } from './engine-steps.js';

export interface EngineOptions {
  readonly services: RunServices;
  readonly executors: ExecutorRegistry;
  readonly maxOutputBytes: number;
  /** How often a worker re-reads a running run's record to notice a cancel from elsewhere. */
  readonly watchMs: number;
  readonly metrics?: RuntimeMetrics;
  /** Progress for chat and metrics: called after each stage and when the run ends or waits. */
  progress?(run: RunRecord): Promise<void>;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /**
   * With several workers (BullMQ): a parallel group's members go out as jobs of their own, and
   * each wakes the run when it is done. Without it a group runs inside the run's pass.
   */
  readonly tasks?: TaskQueue;
}

export interface TaskQueue {
  /** Makes sure a job with this id exists (idempotent). */
  dispatch(jobId: string): Promise<void>;
  /** The run should walk again now (see Runtime.wake). */
  wake(runId: string): Promise<void>;
}

/** Far enough to mean "until woken"; BullMQ needs a number. */
const NO_END_MS = 365 * 24 * 3600 * 1000;

/** A queue job: a run (its id), or a task of one (the run id and which member, see engine-tasks). */
export async function processJob(
  options: EngineOptions,
  jobId: string,
  shutdown: AbortSignal,
): Promise<ProcessResult> {
  const job = parseJobId(jobId);
  return job.task === undefined
    ? processRun(options, job.runId, shutdown)
    : processTask(options, job.runId, job.task, shutdown);
}

export async function processRun(
  options: EngineOptions,
  runId: string,
  shutdown: AbortSignal,
): Promise<ProcessResult> {
  const { store } = options.services;
  for (;;) {
    const run = await store.read(runId);
    if (run === null || isFinal(run.state)) return { kind: 'finished' };
    const now = options.services.now().getTime();
    if (Date.parse(run.deadline) <= now) {
      await settle(options, run, 'timed_out', timedOutError(run));
      return { kind: 'finished' };
    }
    const picked = await write(options, run, { state: 'running', attempt: run.attempt + 1 });
    if (picked === undefined) continue;
    if (picked.attempt === 1) await raise(options, picked, 'run.started', {});
    const result = await pass(options, picked, shutdown);
    if (result !== 'again') return result;
  }
}

async function pass(
  options: EngineOptions,
  run: RunRecord,
  shutdown: AbortSignal,
): Promise<ProcessResult | 'again'> {
  try {
    return await stoppable(options, run, shutdown, async (signal) =>
      conclude(options, run, await walkRun(options, run, signal)),
    );
  } catch (error) {
    if (!(error instanceof RunStop)) throw error;
    if (error.reason === 'shutdown') return { kind: 'wait', until: Date.now() };
    if (error.reason === 'deadline') {
      const current = await options.services.store.read(run.id);
      if (current !== null && !isFinal(current.state))
        await settle(options, current, 'timed_out', timedOutError(current));
    }
    return { kind: 'finished' };
  }
}

async function walkRun(options: EngineOptions, run: RunRecord, signal: AbortSignal): Promise<WalkResult> {
  const pass = await passContext(options, run, signal);
  const spread = options.tasks === undefined ? undefined : spreadHooks(options, options.tasks, pass);
  return new Walk(pass.plan, walkHooks(options, pass, spread)).run();
}

async function conclude(
  options: EngineOptions,
  run: RunRecord,
  outcome: WalkResult,
): Promise<ProcessResult | 'again'> {
  if (outcome.kind === 'spread') {
    // Still running, on other workers: asleep until a task wakes it (or the deadline comes).
    const parked = await write(options, run, { state: 'running' });
    if (parked === undefined) return 'again';
    await options.progress?.(parked);
    return { kind: 'wait', until: Date.parse(run.deadline) };
  }
  if (outcome.kind === 'wait') {
    const parked = await write(options, run, { state: 'waiting', waitingFor: outcome.waitingFor });
    if (parked === undefined) return 'again';
    await options.progress?.(parked);
    return { kind: 'wait', until: untilOf(outcome.waitingFor, options) };
  }
  if (outcome.kind === 'succeeded') await settle(options, run, 'succeeded');
  else
    await settle(options, run, 'failed', {
      code: outcome.error.code,
      message: `${outcome.step}: ${outcome.error.message}`,
    });
  return { kind: 'finished' };
}

function untilOf(waitingFor: WaitingFor, options: EngineOptions): number {
  const now = options.services.now().getTime();
  return waitingFor.until === undefined ? now + NO_END_MS : Date.parse(waitingFor.until);
}

function timedOutError(run: RunRecord): { code: string; message: string } {
  return { code: 'TIMED_OUT', message: `The run passed its deadline (${run.deadline}).` };
}
