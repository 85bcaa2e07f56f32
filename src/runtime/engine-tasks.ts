/**
 * Parallel groups spread across workers. With BullMQ, the run's pass does not run a group's
 * members itself: each unsettled member (an action, or a whole stage for a group of stages) goes
 * out as a job of its own, at most `max_concurrency` at once, and the run sleeps. Any worker picks
 * a task up, runs that one member through the same step runner (the journal makes it idempotent,
 * the run store's CAS keeps it honest), records what it came to and wakes the run, whose next
 * pass reads the results and hands out the next members or goes on.
 *
 * A task's job id is `<run id>.a<stage>-<action>-<iteration>` or `<run id>.s<stage>-<iteration>`
 * (plan indices; the plan is compiled from the run's own document, so every worker agrees).
 */
import type { EngineOptions, TaskQueue } from './engine.js';
import { type PassContext, passContext, runtimeOf, stepOf, walkHooks } from './engine-steps.js';
import { RunStop, stoppable } from './engine-stops.js';
import { stepKey } from './plan.js';
import type { ExecutionPlan, PlannedAction, PlannedStage } from './plan-types.js';
import type { ProcessResult } from './queue-port.js';
import { isFinal, type JsonObject, type RunRecord, type StepRecord } from './run-store.js';
import type { StepResult } from './step-runner.js';
import { journalByKey, type SpreadHooks, type StageOutcome, type TaskRef, Walk } from './walk.js';

export interface TaskAddress {
  readonly stage: number;
  /** Absent for a task that runs a whole stage. */
  readonly action?: number;
  readonly iteration: number;
}

const TASK_ID = /^(.+)\.(?:a(\d+)-(\d+)|s(\d+))-(\d+)$/;

export function parseJobId(jobId: string): { readonly runId: string; readonly task?: TaskAddress } {
  const match = TASK_ID.exec(jobId);
  if (match === null) return { runId: jobId };
  const [, runId = '', stageOfAction, action, stage, iteration] = match;
  return {
    runId,
    task: {
      stage: Number(stageOfAction ?? stage),
      ...(action === undefined ? {} : { action: Number(action) }),
      iteration: Number(iteration),
    },
  };
}

export function taskJobId(runId: string, plan: ExecutionPlan, ref: TaskRef): string {
  const stage = plan.stages.findIndex((s) => s.name === ref.stage);
  if (ref.kind === 'stage') return `${runId}.s${stage}-${ref.iteration}`;
  const action = plan.stages[stage]?.actions.findIndex((a) => a.name === ref.name) ?? -1;
  return `${runId}.a${stage}-${action}-${ref.iteration}`;
}

/** Action types that park the run (a person, an event, a timer): their groups run in the pass. */
const WAITING_TYPES: ReadonlySet<string> = new Set(['human.approval', 'wait']);

function waits(member: PlannedAction | PlannedStage): boolean {
  return 'actions' in member ? member.actions.some(waits) : WAITING_TYPES.has(member.type);
}

/** Where a task records what its member came to (the run reads it on its next pass). */
function taskMemoKey(ref: {
  readonly stage: string;
  readonly name: string;
  readonly iteration: number;
  readonly kind?: TaskRef['kind'];
}): string {
  // Apart by kind: an action may have its stage's name.
  return `${ref.kind === 'stage' ? 'stage-task' : 'task'}:${stepKey(ref.stage, ref.name, ref.iteration)}`;
}

export function spreadHooks(options: EngineOptions, tasks: TaskQueue, pass: PassContext): SpreadHooks {
  const { run, plan, journal } = pass;
  let fresh: Promise<ReadonlyMap<string, StepRecord>> | undefined;
  const memo = async (key: string): Promise<JsonObject | undefined> =>
    (await options.services.store.readStepMemo(run.id, key))?.value;
  return {
    spreads: (members) => !members.some(waits),
    actionSettled: async (action, iteration) => {
      const key = stepKey(action.stage, action.name, iteration);
      const settled = settledStep(journal.get(key), action, pass.before[key] ?? 0);
      if (settled !== undefined || journal.get(key)?.state !== 'failed') return settled;
      // Failed within its budget: final only if its task gave up after the run's last /retry.
      const gaveUp = await memo(taskMemoKey({ stage: action.stage, name: action.name, iteration }));
      const error = journal.get(key)?.error;
      return gaveUp?.retries === pass.retries && error !== undefined ? { kind: 'failed', error } : undefined;
    },
    stageSettled: async (stage, iteration) => {
      const recorded = await memo(
        taskMemoKey({ kind: 'stage', stage: stage.name, name: stage.name, iteration }),
      );
      let outcome: StageOutcome | undefined;
      if (recorded?.kind === 'done') outcome = { kind: 'done' };
      else if (recorded?.kind === 'failed' && recorded.retries === pass.retries)
        outcome = {
          kind: 'failed',
          error: recorded.error as { code: string; message: string },
          step: String(recorded.step),
        };
      if (outcome === undefined) return undefined;
      // The task may have finished after this pass read the journal: its steps are read afresh.
      fresh ??= options.services.store.steps(run.id).then(journalByKey);
      const all = stepsFromJournal(plan, await fresh);
      const steps: JsonObject = {};
      for (const action of stage.actions)
        if (action.name in all) steps[action.name] = all[action.name] ?? null;
      return { outcome, steps };
    },
    dispatch: async (members) => {
      for (const member of members) await tasks.dispatch(taskJobId(run.id, plan, member));
    },
  };
}

/** A journaled step that will not run again: succeeded, skipped, or out of attempts. */
function settledStep(
  stored: StepRecord | undefined,
  action: PlannedAction,
  before: number,
): StepResult | undefined {
  if (stored?.state === 'succeeded') return { kind: 'succeeded', output: stored.output ?? null };
  if (stored?.state === 'skipped') return { kind: 'skipped' };
  if (stored?.state === 'failed' && stored.error !== undefined && stored.attempt - before > action.retry.max)
    return { kind: 'failed', error: stored.error };
  return undefined;
}

/** What a task does: its one member, then a record of the outcome and a wake for the run. */
export async function processTask(
  options: EngineOptions,
  runId: string,
  task: TaskAddress,
  shutdown: AbortSignal,
): Promise<ProcessResult> {
  const tasks = options.tasks;
  const run = await options.services.store.read(runId);
  if (tasks === undefined || run === null || isFinal(run.state)) return { kind: 'finished' };
  try {
    const result = await stoppable(options, run, shutdown, (signal) => runTask(options, run, task, signal));
    if (result.kind === 'finished') await tasks.wake(runId);
    return result;
  } catch (error) {
    if (!(error instanceof RunStop)) throw error;
    if (error.reason === 'shutdown') return { kind: 'wait', until: Date.now() };
    // Cancelled or past the deadline: the run's own pass says so.
    await tasks.wake(runId);
    return { kind: 'finished' };
  }
}

async function runTask(
  options: EngineOptions,
  run: RunRecord,
  task: TaskAddress,
  signal: AbortSignal,
): Promise<ProcessResult> {
  const pass = await passContext(options, run, signal);
  const stage = pass.plan.stages[task.stage];
  if (stage === undefined) return { kind: 'finished' };
  const steps = stepsFromJournal(pass.plan, pass.journal);
  if (task.action === undefined) return runStageTask(options, pass, stage, task.iteration, steps);
  const action = stage.actions[task.action];
  if (action === undefined) return { kind: 'finished' };
  const result = await stepOf(options, pass, {
    action,
    iteration: task.iteration,
    runtime: runtimeOf(run, steps),
    before: pass.before,
  });
  if (result.kind === 'wait') return { kind: 'wait', until: untilOf(run, result.waitingFor.until) };
  if (result.kind === 'failed')
    await remember(options, run, taskMemoKey({ ...action, iteration: task.iteration }), {
      retries: pass.retries,
    });
  return { kind: 'finished' };
}

async function runStageTask(
  options: EngineOptions,
  pass: PassContext,
  stage: PlannedStage,
  iteration: number,
  steps: JsonObject,
): Promise<ProcessResult> {
  const walk = new Walk(pass.plan, walkHooks(options, pass));
  Object.assign(walk.steps, steps);
  const outcome: StageOutcome = await walk.runStage(stage, iteration);
  if (outcome.kind === 'wait') return { kind: 'wait', until: untilOf(pass.run, outcome.waitingFor.until) };
  if (outcome.kind === 'spread') return { kind: 'finished' };
  const key = taskMemoKey({ kind: 'stage', stage: stage.name, name: stage.name, iteration });
  const value: JsonObject =
    outcome.kind === 'done'
      ? { kind: 'done', retries: pass.retries }
      : {
          kind: 'failed',
          retries: pass.retries,
          step: outcome.step,
          error: { code: outcome.error.code, message: outcome.error.message },
        };
  await remember(options, pass.run, key, value);
  return { kind: 'finished' };
}

/** Writes a task's record over whatever an earlier attempt (before a /retry) left. */
async function remember(
  options: EngineOptions,
  run: RunRecord,
  key: string,
  value: JsonObject,
): Promise<void> {
  const { store } = options.services;
  for (let tries = 0; tries < 10; tries += 1) {
    const current = await store.readStepMemo(run.id, key);
    if (await store.writeStepMemo(run.id, key, current?.revision ?? 0, value)) return;
  }
}

function untilOf(run: RunRecord, until: string | undefined): number {
  return until === undefined ? Date.parse(run.deadline) : Date.parse(until);
}

/** `steps.NAME` as the run's walk would have it: each action's latest settled iteration. */
export function stepsFromJournal(plan: ExecutionPlan, journal: ReadonlyMap<string, StepRecord>): JsonObject {
  const steps: JsonObject = {};
  for (const stage of plan.stages)
    for (const action of stage.actions) {
      let latest: StepRecord | undefined;
      for (let iteration = 1; ; iteration += 1) {
        const record = journal.get(stepKey(stage.name, action.name, iteration));
        if (record === undefined) break;
        if (record.state !== 'started') latest = record;
      }
      if (latest?.state === 'succeeded')
        steps[action.name] = { state: 'succeeded', output: latest.output ?? null };
      else if (latest?.state === 'skipped') steps[action.name] = { state: 'skipped' };
      else if (latest?.state === 'failed' && latest.error !== undefined)
        steps[action.name] = {
          state: 'failed',
          error: { code: latest.error.code, message: latest.error.message },
        };
    }
  return steps;
}
