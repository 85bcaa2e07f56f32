/**
 * Runs one action of a run: its condition, its parameters, its executor, under its timeout and the
 * run's signal, with its retry policy; journals what happened. Never throws for the action's own
 * failure (that is a `failed` result the engine applies `on_error` to); throws only when the run
 * itself must stop (cancelled, out of time) or the store fails.
 *
 * At-least-once: the journal says `started` before the executor runs, so a step interrupted by a
 * crash runs again on resume with the same idempotency key; `succeeded`/`skipped` are final.
 */

import { performance } from 'node:perf_hooks';
import { AitwsError } from '../errors.js';
import type { RuntimeMetrics } from '../metrics.js';
import type { ActionContext, ExecutorRegistry } from './executor.js';
import type { PlannedAction, RetryPolicy } from './plan-types.js';
import { renderParameters } from './render-parameters.js';
import type { JsonValue, RunError, RunStore, StepRecord, WaitingFor } from './run-store.js';
import type { RuntimeContext } from './runtime-context.js';
import { raceSignal } from './signals.js';

export type StepResult =
  | { readonly kind: 'succeeded'; readonly output: JsonValue }
  | { readonly kind: 'skipped' }
  | { readonly kind: 'failed'; readonly error: RunError }
  | { readonly kind: 'wait'; readonly waitingFor: WaitingFor };

/** Backoffs up to this long are slept in process; longer ones become durable waits. */
export const IN_PROCESS_BACKOFF_MS = 2000;

export interface StepEnvironment {
  readonly store: RunStore;
  readonly metrics?: RuntimeMetrics;
  readonly executors: ExecutorRegistry;
  readonly maxOutputBytes: number;
  now(): Date;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export interface StepCall {
  readonly runId: string;
  readonly action: PlannedAction;
  readonly key: string;
  /** What the journal held for this key when the pass began. */
  readonly stored: StepRecord | undefined;
  /** The run was waiting on this very step: resuming it is not a new attempt. */
  readonly resuming: boolean;
  /** Attempts made before the last /retry (they do not count against the retry budget). */
  readonly attemptsBeforeRetry: number;
  /** Evaluates the action's condition (true without one). */
  readonly condition: () => boolean;
  readonly runtime: RuntimeContext;
  readonly signal: AbortSignal;
  context(attempt: number, signal: AbortSignal): ActionContext;
}

export function backoffMs(policy: RetryPolicy, failedAttempt: number): number {
  const factor = policy.backoff === 'exponential' ? 2 ** Math.max(0, failedAttempt - 1) : 1;
  return Math.min(policy.intervalMs * factor, 24 * 3600 * 1000);
}

export async function runStep(env: StepEnvironment, call: StepCall): Promise<StepResult> {
  const { stored, action } = call;
  if (stored?.state === 'succeeded') return { kind: 'succeeded', output: stored.output ?? null };
  if (stored?.state === 'skipped') return { kind: 'skipped' };
  const budget = action.retry.max + 1;
  if (stored?.state === 'failed') {
    const made = stored.attempt - call.attemptsBeforeRetry;
    if (made >= budget) return { kind: 'failed', error: stored.error ?? unknownError() };
    const due = Date.parse(stored.finishedAt ?? stored.startedAt) + backoffMs(action.retry, made);
    // made = 0 right after a /retry: the person asked for it now, so no backoff applies.
    if (made > 0 && due > env.now().getTime()) return delay(call.key, due);
  }
  let passed: boolean;
  try {
    passed = call.condition();
  } catch (error) {
    return fail(env, call, error);
  }
  if (!passed) {
    await env.store.recordStep(call.runId, skippedStep(call, env.now()));
    return { kind: 'skipped' };
  }
  return attempts(env, call, budget);
}

async function attempts(env: StepEnvironment, call: StepCall, budget: number): Promise<StepResult> {
  let resuming = call.resuming && call.stored?.state === 'started';
  // A pure action's first attempt is journaled only by its result (see Executor.pure).
  let unjournaled = call.stored === undefined && env.executors.get(call.action.type)?.pure === true;
  for (;;) {
    const started = resuming
      ? (call.stored as StepRecord)
      : unjournaled
        ? firstAttempt(env, call)
        : await start(env, call);
    resuming = false;
    unjournaled = false;
    const began = performance.now();
    const outcome = await attempt(env, call, started.attempt);
    observe(env, call, started, outcome, (performance.now() - began) / 1000);
    if (outcome.kind !== 'error') return outcome.result;
    const failed = await fail(env, call, outcome.error);
    if (failed.kind !== 'failed') return failed;
    const made = started.attempt - call.attemptsBeforeRetry;
    if (!isRetryable(outcome.error) || made >= budget) return failed;
    const wait = backoffMs(call.action.retry, made);
    if (wait > IN_PROCESS_BACKOFF_MS) return delay(call.key, env.now().getTime() + wait);
    await env.sleep(wait, call.signal);
  }
}

function observe(
  env: StepEnvironment,
  call: StepCall,
  started: StepRecord,
  outcome: AttemptOutcome,
  seconds: number,
): void {
  const metrics = env.metrics;
  if (metrics === undefined) return;
  const result =
    outcome.kind === 'error' ? 'failed' : outcome.result.kind === 'wait' ? 'waiting' : outcome.result.kind;
  metrics.actionAttempt(call.action.type, result, seconds);
  if (call.action.type === 'human.approval' && result === 'succeeded')
    metrics.approvalDecided((env.now().getTime() - Date.parse(started.startedAt)) / 1000);
}

function start(env: StepEnvironment, call: StepCall): Promise<StepRecord> {
  return env.store.recordStep(call.runId, {
    key: call.key,
    state: 'started',
    idempotencyKey: idempotencyKey(call),
    startedAt: env.now().toISOString(),
  });
}

/** The record a first attempt would have written: the store counts the result as attempt 1. */
function firstAttempt(env: StepEnvironment, call: StepCall): StepRecord {
  return {
    key: call.key,
    attempt: 1,
    state: 'started',
    idempotencyKey: idempotencyKey(call),
    startedAt: env.now().toISOString(),
  };
}

type AttemptOutcome = { kind: 'result'; result: StepResult } | { kind: 'error'; error: unknown };

async function attempt(env: StepEnvironment, call: StepCall, attemptNumber: number): Promise<AttemptOutcome> {
  const executor = env.executors.get(call.action.type);
  if (executor === undefined)
    return {
      kind: 'error',
      error: new AitwsError('PARAMETER', `No executor runs type "${call.action.type}".`),
    };
  const timeout =
    call.action.timeoutMs === undefined ? undefined : AbortSignal.timeout(call.action.timeoutMs);
  const signal = timeout === undefined ? call.signal : AbortSignal.any([call.signal, timeout]);
  try {
    const parsed = executor.params.safeParse(renderParameters(call.action.parameters, call.runtime));
    if (!parsed.success) throw parameterError(call.action, parsed.error.issues);
    const outcome = await raceSignal(executor.run(call.context(attemptNumber, signal), parsed.data), signal);
    if (outcome.kind === 'wait')
      return {
        kind: 'result',
        result: { kind: 'wait', waitingFor: { ...outcome.waitingFor, key: call.key } },
      };
    return { kind: 'result', result: await succeed(env, call, outcome.output) };
  } catch (error) {
    if (call.signal.aborted) throw call.signal.reason;
    if (timeout?.aborted === true) return { kind: 'error', error: timedOut(call.action) };
    return { kind: 'error', error };
  }
}

async function succeed(env: StepEnvironment, call: StepCall, output: JsonValue): Promise<StepResult> {
  const bytes = Buffer.byteLength(JSON.stringify(output) ?? 'null');
  if (bytes > env.maxOutputBytes)
    throw new AitwsError(
      'OUTPUT_TOO_LARGE',
      `${call.action.name} produced ${bytes} bytes of output; at most ${env.maxOutputBytes} are kept.`,
      { hint: 'Make the action return less (select fields), or raise AITWS_MAX_OUTPUT_BYTES.' },
    );
  const step = await env.store.recordStep(call.runId, {
    key: call.key,
    state: 'succeeded',
    idempotencyKey: idempotencyKey(call),
    startedAt: env.now().toISOString(),
    finishedAt: env.now().toISOString(),
    output,
  });
  return { kind: 'succeeded', output: step.output ?? null };
}

async function fail(env: StepEnvironment, call: StepCall, error: unknown): Promise<StepResult> {
  const runError = toRunError(error);
  await env.store.recordStep(call.runId, {
    key: call.key,
    state: 'failed',
    idempotencyKey: idempotencyKey(call),
    startedAt: env.now().toISOString(),
    finishedAt: env.now().toISOString(),
    error: runError,
  });
  return { kind: 'failed', error: runError };
}

function skippedStep(call: StepCall, now: Date) {
  return {
    key: call.key,
    state: 'skipped' as const,
    idempotencyKey: idempotencyKey(call),
    startedAt: now.toISOString(),
    finishedAt: now.toISOString(),
  };
}

function delay(key: string, until: number): StepResult {
  return { kind: 'wait', waitingFor: { kind: 'delay', key, until: new Date(until).toISOString() } };
}

export function idempotencyKey(call: { readonly runId: string; readonly key: string }): string {
  return `${call.runId}/${call.key}`;
}

/** Retried by policy: anything but an AitwsError that says retrying cannot help. */
function isRetryable(error: unknown): boolean {
  return !(error instanceof AitwsError) || error.retryable;
}

export function toRunError(error: unknown): RunError {
  if (error instanceof AitwsError) return { code: error.code, message: error.message };
  // A plugin's own Error: its message is the plugin author's, not a secret of ours; keep it short.
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'ACTION_FAILED', message: message.slice(0, 500) };
}

function unknownError(): RunError {
  return { code: 'ACTION_FAILED', message: 'The action failed.' };
}

function timedOut(action: PlannedAction): AitwsError {
  return new AitwsError(
    'ACTION_TIMEOUT',
    `${action.name} did not finish within its timeout of ${(action.timeoutMs ?? 0) / 1000} s.`,
    {
      retryable: true,
    },
  );
}

function parameterError(
  action: PlannedAction,
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): AitwsError {
  const lines = issues
    .slice(0, 5)
    .map((issue) => `with.${issue.path.map(String).join('.')}: ${issue.message}`);
  return new AitwsError(
    'PARAMETER',
    `${action.name} (${action.type}) has bad parameters: ${lines.join('; ')}.`,
  );
}
