/**
 * The execution plan: a workflow document compiled for running (src/runtime/plan.ts builds it,
 * src/runtime/preflight.ts refuses what cannot run, src/runtime/engine.ts walks it).
 *
 * Semantics (README "Running workflows" says the same to users):
 * - Stages run by `order` (ties: document order); a stage's actions in sequence.
 * - `condition = "Name"` on a stage or an action names a `[[conditions]]` entry whose
 *   `expression` is CEL; false → the stage/action is skipped (journaled as skipped).
 * - `[[parallel_execution]] tasks = [...]`: either actions of one stage (they run concurrently when
 *   the run reaches the first of them; the stage goes on after all are final) or stages (all run
 *   concurrently when the run reaches the first; the run goes on after the last by order).
 *   `max_concurrency` (default: all) bounds how many run at once.
 * - `[[branches]]` are jumps: evaluated after the stage named by `after`, or, without `after`, just
 *   before the earliest (by order) of its targets would start. True → `if_true`, false →
 *   `if_false`; a missing target means "go on in order". A jump to a stage at or before the one
 *   the branch is evaluated at is backward (a loop) and needs `max_iterations`; the branch is
 *   taken at most that many times per run, then it goes on in order. Each time a stage runs again
 *   its steps get the next iteration number (`stage/action#2`).
 * - Per action: `timeout`, `retry = { max, backoff = "fixed" | "exponential", interval }`
 *   (defaults `[error_handling] retry_count` and `retry_interval`), `on_error = "fail" |
 *   "continue" | "handler:NAME"`, parameters in `with`.
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
  readonly stage: string;
  readonly name: string;
  readonly type: string;
  /** The `with` table as written (templates rendered when the action runs). */
  readonly parameters: TomlTable;
  readonly timeoutMs?: number;
  readonly retry: RetryPolicy;
  readonly onError: OnError;
  /** A `[[conditions]]` name. */
  readonly condition?: string;
}

export interface PlannedStage {
  readonly name: string;
  readonly order: number;
  /** A `[[conditions]]` name. */
  readonly condition?: string;
  readonly actions: readonly PlannedAction[];
}

export interface ParallelGroup {
  readonly name: string;
  readonly kind: 'actions' | 'stages';
  /** For an actions group: the stage that holds them. */
  readonly stage?: string;
  /** Action names (actions group) or stage names (stages group), in plan order. */
  readonly tasks: readonly string[];
  /** At least 1; the task count when not given. */
  readonly maxConcurrency: number;
}

export interface PlannedBranch {
  readonly name: string;
  /** A `[[conditions]]` name. */
  readonly condition: string;
  /** The stage it is evaluated at. */
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
  /** An action of the document (`stage/action` resolved) or a built-in type with its parameters. */
  readonly action: PlannedAction;
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

/** One reason a workflow cannot run, with where. */
export interface PreflightProblem {
  /** Stable: VALIDATION, REFERENCE, NO_EXECUTOR, CONDITION, TEMPLATE, LOOP, SECRET, PARAMETER. */
  readonly code: string;
  /** `stages[Train].actions[Fit].with.prompt`, `conditions[Ready].expression`. */
  readonly where: string;
  readonly message: string;
}
