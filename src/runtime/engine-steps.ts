/**
 * What a pass over a run works with (the plan, the journal, what /retry reset) and the walk's
 * hooks into the step runner: the same for the run's own pass and for a task that runs one
 * member of a parallel group on another worker.
 */
import { AitwsError } from '../errors.js';
import type { EngineOptions } from './engine.js';
import { raise } from './engine-record.js';
import { compilePlan, stepKey } from './plan.js';
import type { ExecutionPlan, PlannedAction } from './plan-types.js';
import { actionContext } from './run-services.js';
import type { JsonObject, RunRecord, StepRecord } from './run-store.js';
import type { RuntimeContext } from './runtime-context.js';
import { idempotencyKey, runStep, type StepResult } from './step-runner.js';
import { journalByKey, SKIP, type SpreadHooks, type WalkHooks } from './walk.js';

/** The step memo where /retry keeps each failed step's attempts at the time of the retry. */
export const RETRY_MEMO = 'run:retry';

export interface PassContext {
  readonly run: RunRecord;
  readonly plan: ExecutionPlan;
  readonly journal: ReadonlyMap<string, StepRecord>;
  /** Attempts each step had made when the run was last retried (they do not count). */
  readonly before: Record<string, number>;
  /** How many times the run was retried: a failure recorded before the last retry is not final. */
  readonly retries: number;
  readonly signal: AbortSignal;
}

export async function passContext(
  options: EngineOptions,
  run: RunRecord,
  signal: AbortSignal,
): Promise<PassContext> {
  const { store } = options.services;
  const journal = journalByKey(await store.steps(run.id));
  const retried = await store.readStepMemo(run.id, RETRY_MEMO);
  return {
    run,
    plan: compilePlan(run.document),
    journal,
    before: (retried?.value.attempts ?? {}) as Record<string, number>,
    retries: retried?.revision ?? 0,
    signal,
  };
}

export function runtimeOf(run: RunRecord, steps: JsonObject): RuntimeContext {
  const facts = {
    id: run.id,
    attempt: run.attempt,
    started_by: run.startedBy.name,
    workflow: run.workflow.name,
  };
  return { inputs: run.inputs, steps, run: facts };
}

export function walkHooks(options: EngineOptions, pass: PassContext, spread?: SpreadHooks): WalkHooks {
  const { run, plan } = pass;
  return {
    runAction: (action, iteration, steps) =>
      stepOf(options, pass, { action, iteration, runtime: runtimeOf(run, steps), before: pass.before }),
    runHandler: (name, failedKey, steps) =>
      runHandler(options, pass, { name, failedKey, runtime: runtimeOf(run, steps) }),
    condition: (name, steps) => evaluate(plan, name, runtimeOf(run, steps)),
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
    ...(spread === undefined ? {} : { spread }),
  };
}

interface StepArgs {
  readonly action: PlannedAction;
  readonly iteration: number;
  readonly runtime: RuntimeContext;
  readonly before: Record<string, number>;
}

export async function stepOf(options: EngineOptions, pass: PassContext, args: StepArgs): Promise<StepResult> {
  const { run, plan } = pass;
  const { action } = args;
  const key = stepKey(action.stage, action.name, args.iteration);
  const stored = pass.journal.get(key);
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
      ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
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
      signal: pass.signal,
      context: (attempt, signal) => actionContext(options.services, run, place, attempt, signal),
    },
  );
}

interface HandlerArgs {
  readonly name: string;
  readonly failedKey: string;
  readonly runtime: RuntimeContext;
}

/** A handler runs once per failed step (its own journal key), and its failure is only logged. */
async function runHandler(options: EngineOptions, pass: PassContext, args: HandlerArgs): Promise<void> {
  const handler = pass.plan.handlers.get(args.name);
  if (handler === undefined) return;
  const action = {
    ...handler.action,
    stage: `handler:${args.name}`,
    name: args.failedKey,
    onError: { kind: 'continue' } as const,
  };
  // A handler reads which event brought it and which step failed (`{{ run.event }}`).
  const run = { ...args.runtime.run, event: 'action.failed', failed_step: args.failedKey };
  const result = await stepOf(options, pass, {
    action,
    iteration: 1,
    runtime: { ...args.runtime, run },
    before: {},
  });
  if (result.kind === 'failed')
    options.services.logger.warn(
      { runId: pass.run.id, handler: args.name, error: result.error },
      'An on_error handler failed',
    );
}

function evaluate(plan: ExecutionPlan, name: string, runtime: RuntimeContext): boolean {
  const condition = plan.conditions.get(name);
  if (condition === undefined)
    throw new AitwsError('PARAMETER', `The condition ${name} has no expression to evaluate.`);
  return condition.evaluate(runtime);
}
