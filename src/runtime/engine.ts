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
import { AitwsError } from '../errors.js';
import type { RuntimeMetrics } from '../metrics.js';
import { raise, settle, write } from './engine-record.js';
import type { ExecutorRegistry } from './executor.js';
import { compilePlan, stepKey } from './plan.js';
import type { ExecutionPlan, PlannedAction } from './plan-types.js';
import type { ProcessResult } from './queue-port.js';
import { actionContext, type RunServices } from './run-services.js';
import type { JsonObject } from './run-store.js';
import { isFinal, type RunRecord, type StepRecord, type WaitingFor } from './run-store.js';
import type { RuntimeContext } from './runtime-context.js';
import { idempotencyKey, runStep, type StepResult } from './step-runner.js';
import { journalByKey, SKIP, Walk, type WalkResult } from './walk.js';

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
}

/** Why a pass was aborted, so the engine knows what to write. */
export class RunStop extends Error {
  readonly reason: 'cancelled' | 'deadline' | 'shutdown';
  constructor(reason: RunStop['reason']) {
    super(`run stopped: ${reason}`);
    this.reason = reason;
  }
}

/** Far enough to mean "until woken"; BullMQ needs a number. */
const NO_END_MS = 365 * 24 * 3600 * 1000;

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
  const controller = new AbortController();
  const stopOn = (reason: RunStop['reason']) => () => controller.abort(new RunStop(reason));
  shutdown.addEventListener('abort', stopOn('shutdown'), { once: true });
  const deadline = setTimeout(
    stopOn('deadline'),
    Math.max(0, Date.parse(run.deadline) - options.services.now().getTime()),
  );
  const watch = setInterval(() => void watchRun(options, run.id, stopOn('cancelled')), options.watchMs);
  try {
    const outcome = await walkRun(options, run, controller.signal);
    return await conclude(options, run, outcome);
  } catch (error) {
    if (!(error instanceof RunStop)) throw error;
    if (error.reason === 'shutdown') return { kind: 'wait', until: Date.now() };
    if (error.reason === 'deadline') {
      const current = await options.services.store.read(run.id);
      if (current !== null && !isFinal(current.state))
        await settle(options, current, 'timed_out', timedOutError(current));
    }
    return { kind: 'finished' };
  } finally {
    clearTimeout(deadline);
    clearInterval(watch);
  }
}

async function watchRun(options: EngineOptions, runId: string, cancel: () => void): Promise<void> {
  const current = await options.services.store.read(runId).catch(() => undefined);
  if (current === null || (current !== undefined && isFinal(current.state))) cancel();
}

async function walkRun(options: EngineOptions, run: RunRecord, signal: AbortSignal): Promise<WalkResult> {
  const { store } = options.services;
  const plan = compilePlan(run.document);
  const journal = journalByKey(await store.steps(run.id));
  const retried = await store.readStepMemo(run.id, RETRY_MEMO);
  const before = (retried?.value.attempts ?? {}) as Record<string, number>;
  const runFacts = {
    id: run.id,
    attempt: run.attempt,
    started_by: run.startedBy.name,
    workflow: run.workflow.name,
  };
  const runtimeOf = (steps: JsonObject): RuntimeContext => ({ inputs: run.inputs, steps, run: runFacts });
  const walk: Walk = new Walk(plan, {
    runAction: (action, iteration, steps) =>
      stepOf(options, { run, plan, action, iteration, journal, runtime: runtimeOf(steps), signal, before }),
    runHandler: (name, failedKey, steps) =>
      runHandler(options, { run, plan, name, failedKey, runtime: runtimeOf(steps), signal, journal }),
    condition: (name, steps) => evaluate(plan, name, runtimeOf(steps)),
    stageCompleted: async (stage, iteration) => {
      await raise(options, run, 'stage.completed', { stage: stage.name, iteration });
      await options.progress?.(run);
    },
    actionFailed: (action, error) =>
      raise(options, run, 'action.failed', {
        stage: action.stage,
        action: action.name,
        code: error.code,
        message: error.message,
      }),
  });
  return walk.run();
}

interface StepArgs {
  readonly run: RunRecord;
  readonly plan: ExecutionPlan;
  readonly action: PlannedAction;
  readonly iteration: number;
  readonly journal: ReadonlyMap<string, StepRecord>;
  readonly runtime: RuntimeContext;
  readonly signal: AbortSignal;
  readonly before: Record<string, number>;
}

async function stepOf(options: EngineOptions, args: StepArgs): Promise<StepResult> {
  const { run, action, plan } = args;
  const key = stepKey(action.stage, action.name, args.iteration);
  const stored = args.journal.get(key);
  const resuming =
    stored?.state === 'started' && (await options.services.store.readStepMemo(run.id, key)) !== null;
  const place = {
    action,
    key,
    idempotencyKey: idempotencyKey({ runId: run.id, key }),
    runtime: args.runtime,
  };
  return runStep(
    {
      store: options.services.store,
      executors: options.executors,
      maxOutputBytes: options.maxOutputBytes,
      now: options.services.now,
      sleep: options.sleep,
    },
    {
      runId: run.id,
      action,
      key,
      stored,
      resuming,
      attemptsBeforeRetry: args.before[key] ?? 0,
      condition: () =>
        action.condition === undefined
          ? true
          : action.condition !== SKIP && evaluate(plan, action.condition, args.runtime),
      runtime: args.runtime,
      signal: args.signal,
      context: (attempt, signal) => actionContext(options.services, run, place, attempt, signal),
    },
  );
}

interface HandlerArgs {
  readonly run: RunRecord;
  readonly plan: ExecutionPlan;
  readonly name: string;
  readonly failedKey: string;
  readonly runtime: RuntimeContext;
  readonly signal: AbortSignal;
  readonly journal: ReadonlyMap<string, StepRecord>;
}

/** A handler runs once per failed step (its own journal key), and its failure is only logged. */
async function runHandler(options: EngineOptions, args: HandlerArgs): Promise<void> {
  const handler = args.plan.handlers.get(args.name);
  if (handler === undefined) return;
  const action = {
    ...handler.action,
    stage: `handler:${args.name}`,
    name: args.failedKey,
    onError: { kind: 'continue' } as const,
  };
  // A handler reads which event brought it and which step failed (`{{ run.event }}`).
  const run = { ...args.runtime.run, event: 'action.failed', failed_step: args.failedKey };
  const result = await stepOf(options, {
    ...args,
    runtime: { ...args.runtime, run },
    action,
    iteration: 1,
    before: {},
  });
  if (result.kind === 'failed')
    options.services.logger.warn(
      { runId: args.run.id, handler: args.name, error: result.error },
      'An on_error handler failed',
    );
}

function evaluate(plan: ExecutionPlan, name: string, runtime: RuntimeContext): boolean {
  const condition = plan.conditions.get(name);
  if (condition === undefined)
    throw new AitwsError('PARAMETER', `The condition ${name} has no expression to evaluate.`);
  return condition.evaluate(runtime);
}

async function conclude(
  options: EngineOptions,
  run: RunRecord,
  outcome: WalkResult,
): Promise<ProcessResult | 'again'> {
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

/** The step memo where /retry keeps each failed step's attempts at the time of the retry. */
export const RETRY_MEMO = 'run:retry';
