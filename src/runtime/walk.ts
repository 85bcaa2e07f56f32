/**
 * One pass over a run's plan: stages in order, branches, parallel groups, each action through the
 * step runner. A pass is deterministic given the journal (conditions and branches read journaled
 * outputs, iterations are counted the same way), so a resumed run replays its finished steps from
 * the journal and carries on from the first one that is not final.
 */
import { stepKey } from './plan.js';
import type { ExecutionPlan, ParallelGroup, PlannedAction, PlannedStage } from './plan-types.js';
import type { JsonObject, RunError, StepRecord, WaitingFor } from './run-store.js';
import type { StepResult } from './step-runner.js';

export type WalkResult =
  | { readonly kind: 'succeeded' }
  | { readonly kind: 'failed'; readonly error: RunError; readonly step: string }
  | { readonly kind: 'wait'; readonly waitingFor: WaitingFor }
  /** Parallel tasks are out on workers; each wakes the run when it is done. */
  | { readonly kind: 'spread' };

/** What became of one stage (or one member of a group). */
export type StageOutcome = { readonly kind: 'done' } | Exclude<WalkResult, { kind: 'succeeded' }>;

/** A member of a parallel group handed to a task: an action of a stage, or a whole stage. */
export interface TaskRef {
  readonly kind: 'action' | 'stage';
  readonly stage: string;
  /** The action's name (kind action); the stage's again (kind stage). */
  readonly name: string;
  readonly iteration: number;
}

/**
 * With several workers, a parallel group's members go out as tasks (one job each) instead of
 * running inside this pass: the walk asks what each member came to, and hands out the unsettled.
 */
export interface SpreadHooks {
  /** Whether this group can go out as tasks (nothing in it waits on people or events). */
  spreads(members: readonly PlannedAction[] | readonly PlannedStage[]): boolean;
  /** A member action's final result from the journal, or undefined while it is not settled. */
  actionSettled(action: PlannedAction, iteration: number): Promise<StepResult | undefined>;
  /**
   * A member stage's outcome as its task recorded it, with its actions' `steps` entries, or
   * undefined while it runs.
   */
  stageSettled(
    stage: PlannedStage,
    iteration: number,
  ): Promise<{ readonly outcome: StageOutcome; readonly steps: JsonObject } | undefined>;
  /** Makes sure these members each have a task (idempotent: a task already out stays one). */
  dispatch(members: readonly TaskRef[]): Promise<void>;
}

/** What the walker needs from the engine for each action. */
export interface WalkHooks {
  /** Runs one action at `iteration` (the step runner, with context built by the engine). */
  runAction(action: PlannedAction, iteration: number, steps: JsonObject): Promise<StepResult>;
  /** `on_error = "handler:NAME"`: runs the handler for the failed step. */
  runHandler(handler: string, failedKey: string, steps: JsonObject): Promise<void>;
  /** Evaluates a `[[conditions]]` entry over the steps so far. */
  condition(name: string, steps: JsonObject): boolean;
  stageCompleted(stage: PlannedStage, iteration: number): Promise<void>;
  actionFailed(action: PlannedAction, error: RunError): Promise<void>;
  spread?: SpreadHooks;
}

/** Stage visits per run, whatever the branches say: a guard against a loop the checks missed. */
export const MAX_STAGE_VISITS = 10_000;

export class Walk {
  readonly #plan: ExecutionPlan;
  readonly #hooks: WalkHooks;
  /** `steps.NAME` as conditions and templates read it: `{ state, output?, error? }`. */
  readonly steps: JsonObject = {};
  readonly #iterations = new Map<string, number>();
  readonly #taken = new Map<string, number>();

  constructor(plan: ExecutionPlan, hooks: WalkHooks) {
    this.#plan = plan;
    this.#hooks = hooks;
  }

  async run(): Promise<WalkResult> {
    const stages = this.#plan.stages;
    let index = 0;
    let visits = 0;
    while (index < stages.length) {
      visits += 1;
      if (visits > MAX_STAGE_VISITS) {
        const message = `The run visited ${MAX_STAGE_VISITS} stages; a loop does not end.`;
        return { kind: 'failed', error: { code: 'ACTION_FAILED', message }, step: '' };
      }
      const stage = stages[index] as PlannedStage;
      const before = this.#jump(stage, 'before');
      if (before !== undefined && before !== index) {
        index = before;
        continue;
      }
      const group = this.#groupStartingAt('stages', stage.name);
      const members = group === undefined ? [stage] : stages.filter((s) => group.tasks.includes(s.name));
      const outcome = await this.#stages(members, group?.maxConcurrency ?? 1);
      if (outcome.kind !== 'done') return outcome;
      const last = members[members.length - 1] as PlannedStage;
      const after = this.#jump(last, 'after');
      index = after ?? stages.indexOf(last) + 1;
    }
    return { kind: 'succeeded' };
  }

  /** The index to jump to, or undefined to go on. */
  #jump(stage: PlannedStage, when: 'before' | 'after'): number | undefined {
    for (const branch of this.#plan.branches) {
      if (branch.at !== stage.name || branch.when !== when) continue;
      const target = this.#hooks.condition(branch.condition, this.steps) ? branch.ifTrue : branch.ifFalse;
      if (target === undefined) continue;
      const to = this.#plan.stages.findIndex((s) => s.name === target);
      const from = this.#plan.stages.indexOf(stage);
      const backward = when === 'after' ? to <= from : to < from;
      if (backward) {
        const taken = this.#taken.get(branch.name) ?? 0;
        if (taken >= (branch.maxIterations ?? 0)) continue;
        this.#taken.set(branch.name, taken + 1);
      }
      return to;
    }
    return undefined;
  }

  async #stages(stages: readonly PlannedStage[], concurrency: number): Promise<StageOutcome> {
    if (stages.length === 1) return this.#stage(stages[0] as PlannedStage);
    const spread = this.#hooks.spread;
    if (spread?.spreads(stages)) return this.#spreadStages(spread, stages, concurrency);
    return combine(await bounded(stages, concurrency, (stage) => this.#stage(stage)));
  }

  /** A task's share of the run: one stage at the iteration the run's walk gave it. */
  async runStage(stage: PlannedStage, iteration: number): Promise<StageOutcome> {
    this.#iterations.set(stage.name, iteration - 1);
    return this.#stage(stage);
  }

  #nextIteration(stage: PlannedStage): number {
    const iteration = (this.#iterations.get(stage.name) ?? 0) + 1;
    this.#iterations.set(stage.name, iteration);
    return iteration;
  }

  async #spreadStages(
    spread: SpreadHooks,
    stages: readonly PlannedStage[],
    concurrency: number,
  ): Promise<StageOutcome> {
    const outcomes: StageOutcome[] = [];
    const open: TaskRef[] = [];
    for (const stage of stages) {
      const iteration = this.#nextIteration(stage);
      const settled = await spread.stageSettled(stage, iteration);
      if (settled === undefined) open.push({ kind: 'stage', stage: stage.name, name: stage.name, iteration });
      else {
        Object.assign(this.steps, settled.steps);
        outcomes.push(settled.outcome);
      }
    }
    if (open.length > 0) {
      await spread.dispatch(open.slice(0, concurrency));
      outcomes.push({ kind: 'spread' });
    }
    return combine(outcomes);
  }

  async #stage(stage: PlannedStage): Promise<StageOutcome> {
    const iteration = this.#nextIteration(stage);
    const skipStage = stage.condition !== undefined && !this.#hooks.condition(stage.condition, this.steps);
    const actions = stage.actions;
    for (let index = 0; index < actions.length; ) {
      const action = actions[index] as PlannedAction;
      const group = skipStage ? undefined : this.#groupStartingAt('actions', action.name, stage.name);
      const members = group === undefined ? [action] : actions.filter((a) => group.tasks.includes(a.name));
      const outcome = skipStage
        ? await this.#skip(action, iteration)
        : await this.#actions(members, group?.maxConcurrency ?? 1, iteration);
      if (outcome.kind !== 'done') return outcome;
      index = Math.max(...members.map((m) => actions.indexOf(m))) + 1;
    }
    await this.#hooks.stageCompleted(stage, iteration);
    return { kind: 'done' };
  }

  async #actions(
    members: readonly PlannedAction[],
    concurrency: number,
    iteration: number,
  ): Promise<StageOutcome> {
    const spread = this.#hooks.spread;
    if (members.length > 1 && spread?.spreads(members))
      return this.#spreadActions(spread, members, concurrency, iteration);
    return combine(await bounded(members, concurrency, (a) => this.#action(a, iteration)));
  }

  /**
   * The first `concurrency` unsettled members go out (those out already are among them, since
   * members only ever settle), so the group never has more than that many tasks at once.
   */
  async #spreadActions(
    spread: SpreadHooks,
    members: readonly PlannedAction[],
    concurrency: number,
    iteration: number,
  ): Promise<StageOutcome> {
    const outcomes: StageOutcome[] = [];
    const open: TaskRef[] = [];
    for (const action of members) {
      const settled = await spread.actionSettled(action, iteration);
      if (settled === undefined)
        open.push({ kind: 'action', stage: action.stage, name: action.name, iteration });
      else outcomes.push(await this.#settle(action, iteration, settled));
    }
    if (open.length > 0) {
      await spread.dispatch(open.slice(0, concurrency));
      outcomes.push({ kind: 'spread' });
    }
    return combine(outcomes);
  }

  /** A skipped stage's actions are journaled as skipped, through the runner's condition. */
  async #skip(action: PlannedAction, iteration: number): Promise<StageOutcome> {
    const skipped = { ...action, condition: SKIP };
    return this.#action(skipped, iteration);
  }

  async #action(action: PlannedAction, iteration: number): Promise<StageOutcome> {
    return this.#settle(action, iteration, await this.#hooks.runAction(action, iteration, this.steps));
  }

  async #settle(action: PlannedAction, iteration: number, result: StepResult): Promise<StageOutcome> {
    switch (result.kind) {
      case 'succeeded':
        this.steps[action.name] = { state: 'succeeded', output: result.output };
        return { kind: 'done' };
      case 'skipped':
        this.steps[action.name] = { state: 'skipped' };
        return { kind: 'done' };
      case 'wait':
        return result;
      case 'failed':
        return this.#failed(action, iteration, result.error);
    }
  }

  async #failed(action: PlannedAction, iteration: number, error: RunError): Promise<StageOutcome> {
    this.steps[action.name] = { state: 'failed', error: { code: error.code, message: error.message } };
    await this.#hooks.actionFailed(action, error);
    const step = stepKey(action.stage, action.name, iteration);
    if (action.onError.kind === 'continue') return { kind: 'done' };
    if (action.onError.kind === 'handler')
      await this.#hooks.runHandler(action.onError.handler, step, this.steps);
    return { kind: 'failed', error, step };
  }

  #groupStartingAt(kind: ParallelGroup['kind'], name: string, stage?: string): ParallelGroup | undefined {
    return this.#plan.groups.find(
      (group) =>
        group.kind === kind && group.tasks[0] === name && (stage === undefined || group.stage === stage),
    );
  }
}

/** The condition name the walker uses for "this stage is skipped" (no document can name it). */
export const SKIP = '\u0000skip';

/** Runs `work` over `items`, at most `limit` at once, in order of start; results in item order. */
async function bounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/**
 * A group's outcome: the first failure, else tasks still out, else a wait (an approval before a
 * delay), else done.
 */
function combine(outcomes: readonly StageOutcome[]): StageOutcome {
  const failed = outcomes.find((o) => o.kind === 'failed');
  if (failed !== undefined) return failed;
  const spread = outcomes.find((o) => o.kind === 'spread');
  if (spread !== undefined) return spread;
  const waits = outcomes.filter((o): o is Extract<StageOutcome, { kind: 'wait' }> => o.kind === 'wait');
  if (waits.length === 0) return { kind: 'done' };
  const soonest = [...waits].sort((a, b) => untilOf(a.waitingFor) - untilOf(b.waitingFor));
  return soonest[0] as StageOutcome;
}

function untilOf(waitingFor: WaitingFor): number {
  return waitingFor.until === undefined ? Number.POSITIVE_INFINITY : Date.parse(waitingFor.until);
}

/** The journal by key, for the step runner. */
export function journalByKey(steps: readonly StepRecord[]): Map<string, StepRecord> {
  return new Map(steps.map((step) => [step.key, step]));
}
