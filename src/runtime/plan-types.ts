/**
 * The execution plan: a workflow document compiled for running (src/runtime/plan.ts builds it,
 * src/runtime/preflight.ts refuses what cannot run, src/runtime/engine.ts walks it).
 *
 * Semantics (README "Running workflows" says the same to users):
 * - Stages run by `order` (ties: document order; a stage without `order` runs after every stage
 *   that has one); a stage's actions in sequence, in document order.
 * - Plan order is that order: stage by stage, and within a stage action by action. A template in
 *   an action's `with` may read `inputs.*`, `run.*` and the steps that come before it in plan
 *   order (earlier stages, earlier actions of its own stage), never a later one (not even one a
 *   backward jump has already run) nor one that runs concurrently with it.
 * - `condition = "Name"` on a stage or an action names a `[[conditions]]` entry whose
 *   `expression` is CEL; false → the stage/action is skipped (journaled as skipped).
 * - `[[parallel_execution]] tasks = [...]`: either actions of one stage (they run concurrently when
 *   the run reaches the first of them; the stage goes on after all are final) or stages (all run
 *   concurrently when the run reaches the first; the run goes on after the last by order).
 *   A group's tasks are adjacent in plan order (pre-flight refuses a gap) and belong to one group.
 *   `max_concurrency` (default: all) bounds how many run at once.
 * - `[[branches]]` are jumps: evaluated after the stage named by `after`, or, without `after`, just
 *   before the earliest (by order) of its targets would start. True → `if_true`, false →
 *   `if_false`; a missing target means "go on in order". A jump is backward (a loop) when it goes
 *   to a stage that already ran at that point: for `after`, the `after` stage itself or one before
 *   it; a `before` branch is never backward (its stage has not started). A backward branch needs
 *   `max_iterations`; the branch is taken at most that many times per run, then it goes on in
 *   order. Each time a stage runs again its steps get the next iteration number (`stage/action#2`).
 *   A branch `after` a stage of a parallel group is evaluated once the whole group is final (the
 *   plan says `at` = the group's last stage); a jump may only target a group's first stage.
 * - Per action: `timeout` (default none: the run's deadline bounds it), `retry = { max, backoff =
 *   "fixed" | "exponential", interval }` (defaults `[error_handling] retry_count` (0) and
 *   `retry_interval` (1 s), fixed), `on_error = "fail" | "continue" | "handler:NAME"` (default
 *   fail), parameters in `with` (default {}).
 * - The run's deadline: `[error_handling] run_timeout`, default 300 s.
 * - `[[handlers]] action = ...`: an action of the document (run as that action), `Notify<Role>`
 *   (a `chat.notify` to the run's channel saying which event happened and which role is meant), or
 *   an action type with the handler's own `with` (and optional `timeout`, `retry`).
 */
import type { TomlTable } from '../document/types.js';
import type { CompiledCondition } from './conditions.js';

export interface RetryPolicy {
  /** Retries after the first attempt (0: none). */
  readonly max: number;
  readonly backoff: 'fixed' | 'exponential';
  /** The first wait; exponential doubles it each time. */
  readonly intervalMs: number;
}

export type OnError =
  | { readonly kind: 'fail' }
  | { readonly kind: 'continue' }
  /** Run the `[[handlers]]` entry, then fail the run (unless the handler itself is `continue`d). */
  | { readonly kind: 'handler'; readonly handler: string };

export interface PlannedAction {
  /** The stage's name; '' for a handler's own action, which belongs to no stage. */
  readonly stage: string;
  /** The action's name (a handler's own action: the handler's name). */
  readonly name: string;
  readonly type: string;
  /** The `with` table as written (templates rendered when the action runs). */
  readonly parameters: TomlTable;
  /** Absent: no timeout of its own (the run's deadline still bounds it). */
  readonly timeoutMs?: number;
  readonly retry: RetryPolicy;
  readonly onError: OnError;
  /** A `[[conditions]]` name. */
  readonly condition?: string;
}

export interface PlannedStage {
  readonly name: string;
  /** Absent when the stage has none (it then runs after every stage that has one). */
  readonly order?: number;
  /** A `[[conditions]]` name. */
  readonly condition?: string;
  readonly actions: readonly PlannedAction[];
}

export interface ParallelGroup {
  readonly name: string;
  readonly kind: 'actions' | 'stages';
  /** For an actions group: the stage that holds them. */
  readonly stage?: string;
  /** Action names (actions group) or stage names (stages group), in plan order (adjacent there). */
  readonly tasks: readonly string[];
  /** At least 1; the task count when not given. */
  readonly maxConcurrency: number;
}

export interface PlannedBranch {
  readonly name: string;
  /** A `[[conditions]]` name. */
  readonly condition: string;
  /** The stage it is evaluated at (for `after` a stage of a parallel group: the group's last). */
  readonly at: string;
  /** `after` the stage completes, or `before` it starts (no `after` given: the earliest target). */
  readonly when: 'before' | 'after';
  readonly ifTrue?: string;
  readonly ifFalse?: string;
  readonly maxIterations?: number;
}

/** A `[[handlers]]` entry as the runtime runs it. */
export interface PlannedHandler {
  readonly name: string;
  /**
   * An action of the document (with its stage), or the handler's own action (stage '') of a type
   * with the handler's `with`. For `Notify<Role>` that is a `chat.notify` whose text is a template
   * reading `run.event`: the engine sets `run.event` to the event's type when it runs a handler.
   */
  readonly action: PlannedAction;
  /** `Notify<Role>`: the `[[roles]]` entry meant (named in the text). */
  readonly role?: string;
}

export interface ExecutionPlan {
  /** By order, then document order. */
  readonly stages: readonly PlannedStage[];
  /** Every `[[conditions]]` entry with an expression, compiled. */
  readonly conditions: ReadonlyMap<string, CompiledCondition>;
  readonly groups: readonly ParallelGroup[];
  readonly branches: readonly PlannedBranch[];
  readonly handlers: ReadonlyMap<string, PlannedHandler>;
  /** `[error_handling] run_timeout`, default 300 s. */
  readonly runTimeoutMs: number;
}

/**
 * Stable problem codes: VALIDATION (the document, or a field the runtime reads, is malformed),
 * REFERENCE (a name points at nothing), NO_EXECUTOR (action types nothing runs), CONDITION (a
 * condition cannot be evaluated), TEMPLATE (a `{{ }}` is malformed or reads a step it cannot),
 * LOOP (a backward branch without max_iterations), PARALLEL (a group that cannot run as one),
 * SECRET (a `${secret:NAME}` nobody configured), PARAMETER (an executor's own check).
 */
export type PreflightCode =
  | 'VALIDATION'
  | 'REFERENCE'
  | 'NO_EXECUTOR'
  | 'CONDITION'
  | 'TEMPLATE'
  | 'LOOP'
  | 'PARALLEL'
  | 'SECRET'
  | 'PARAMETER';

/** One reason a workflow cannot run, with where. */
export interface PreflightProblem {
  readonly code: PreflightCode;
  /** `stages[Train].actions[Fit].with.prompt`, `conditions[Ready].expression`. */
  readonly where: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
}
