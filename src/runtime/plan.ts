/**
 * Compiles a workflow document into the ExecutionPlan the engine walks (semantics and defaults in
 * plan-types.ts). Pure, and meant for a document pre-flight has passed (src/runtime/preflight.ts):
 * anything pre-flight would refuse is left out or given its default here rather than reported.
 */
import { newTable } from '../document/tree.js';
import type { AitwsDocument, TomlTable } from '../document/types.js';
import { type CompiledCondition, compileCondition } from './conditions.js';
import type {
  ExecutionPlan,
  ParallelGroup,
  PlannedAction,
  PlannedBranch,
  PlannedHandler,
  PlannedStage,
  RetryPolicy,
} from './plan-types.js';
import { resolveBranch } from './preflight-branches.js';
import {
  DEFAULT_RUN_TIMEOUT_MS,
  readDuration,
  readName,
  readOnError,
  readRetry,
  readRunTimeout,
  readWith,
  retryDefaults,
  valueOr,
} from './preflight-fields.js';
import { concurrencyOf, groupConcurrency, type ResolvedGroup, resolveGroups } from './preflight-groups.js';
import { handlerTarget, notifyParameters } from './preflight-handlers.js';
import { type Outline, readOutline } from './preflight-outline.js';

/**
 * The journal key of one run of a step: `stage/action#iteration`. `%`, `/` and `#` in a name are
 * percent-encoded so that two different steps never share a key.
 */
export function stepKey(stage: string, action: string, iteration: number): string {
  return `${encodeName(stage)}/${encodeName(action)}#${iteration}`;
}

function encodeName(name: string): string {
  return name.replace(/[%/#]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** An action, or a handler's own action (`stage` ''), as the engine runs it. */
export function plannedAction(
  table: TomlTable,
  place: { readonly stage: string; readonly name: string; readonly type: string },
  defaults: RetryPolicy,
  outline: Outline,
): PlannedAction {
  const timeoutMs = valueOr(readDuration(table.timeout), undefined);
  const onError = valueOr(readOnError(table.on_error), { kind: 'fail' });
  const conditionName = valueOr(readName(table.condition, 'a condition'), undefined);
  const condition = conditionName === undefined ? undefined : outline.conditions.get(conditionName)?.name;
  return {
    ...place,
    parameters: valueOr(readWith(table.with), {}),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    retry: valueOr(readRetry(table.retry, defaults), defaults),
    onError:
      onError.kind === 'handler'
        ? { kind: 'handler', handler: outline.handlers.get(onError.handler)?.name ?? onError.handler }
        : onError,
    ...(condition === undefined ? {} : { condition }),
  };
}

function plannedStages(outline: Outline, defaults: RetryPolicy): PlannedStage[] {
  return outline.stages.entries.map((stage) => {
    const conditionName = valueOr(readName(stage.table.condition, 'a condition'), undefined);
    const condition = conditionName === undefined ? undefined : outline.conditions.get(conditionName)?.name;
    return {
      name: stage.name,
      ...(stage.order === undefined ? {} : { order: stage.order }),
      ...(condition === undefined ? {} : { condition }),
      actions: stage.actions.map((action) => {
        const type = typeof action.table.type === 'string' ? action.table.type : '';
        return plannedAction(action.table, { stage: stage.name, name: action.name, type }, defaults, outline);
      }),
    };
  });
}

function compiledConditions(outline: Outline): Map<string, CompiledCondition> {
  const conditions = new Map<string, CompiledCondition>();
  for (const entry of outline.conditions.entries) {
    const expression = entry.table.expression;
    if (typeof expression === 'string') conditions.set(entry.name, compileCondition(expression));
  }
  return conditions;
}

function plannedGroups(groups: readonly ResolvedGroup[]): ParallelGroup[] {
  const planned: ParallelGroup[] = [];
  for (const { entry, tasks } of groups) {
    if (tasks === undefined || tasks.tasks.length === 0) continue;
    planned.push({
      name: entry.name,
      kind: tasks.kind,
      ...(tasks.kind === 'actions' ? { stage: tasks.stage.name } : {}),
      tasks: tasks.tasks.map((task) => task.name),
      maxConcurrency: valueOr(groupConcurrency(entry, tasks.tasks.length), tasks.tasks.length),
    });
  }
  return planned;
}

function plannedHandlers(
  outline: Outline,
  stages: readonly PlannedStage[],
  defaults: RetryPolicy,
): Map<string, PlannedHandler> {
  const handlers = new Map<string, PlannedHandler>();
  for (const entry of outline.handlers.entries) {
    const target = handlerTarget(entry, outline);
    if (target.kind === 'action') {
      const stage = stages.find((candidate) => candidate.name === target.action.stage);
      const action = stage?.actions.find((candidate) => candidate.name === target.action.name);
      if (action !== undefined) handlers.set(entry.name, { name: entry.name, action });
    } else if (target.kind === 'notify') {
      const own = { stage: '', name: entry.name, type: 'chat.notify' };
      const action = handlerAction(entry.table, own, defaults, outline);
      const parameters = notifyParameters(entry.name, target.role.name);
      handlers.set(entry.name, {
        name: entry.name,
        action: { ...action, parameters },
        role: target.role.name,
      });
    } else if (target.kind === 'type') {
      const own = { stage: '', name: entry.name, type: target.type };
      handlers.set(entry.name, {
        name: entry.name,
        action: handlerAction(entry.table, own, defaults, outline),
      });
    }
  }
  return handlers;
}

/** A handler's own action reads only its `with`, `timeout` and `retry`: it fails on error, unconditionally. */
function handlerAction(
  table: TomlTable,
  place: { readonly stage: string; readonly name: string; readonly type: string },
  defaults: RetryPolicy,
  outline: Outline,
): PlannedAction {
  const own = newTable();
  for (const key of ['with', 'timeout', 'retry']) {
    const value = table[key];
    if (value !== undefined) own[key] = value;
  }
  return plannedAction(own, place, defaults, outline);
}

export function compilePlan(document: AitwsDocument): ExecutionPlan {
  const outline = readOutline(document);
  const defaults = retryDefaults(outline.errorHandling);
  const stages = plannedStages(outline, defaults);
  const groups = resolveGroups(outline);
  const concurrency = concurrencyOf(groups);
  const branches: PlannedBranch[] = [];
  for (const entry of outline.branches.entries) {
    const { branch } = resolveBranch(entry, outline, concurrency);
    if (branch !== undefined) branches.push(branch);
  }
  return {
    stages,
    conditions: compiledConditions(outline),
    groups: plannedGroups(groups),
    branches,
    handlers: plannedHandlers(outline, stages, defaults),
    runTimeoutMs: valueOr(readRunTimeout(outline.errorHandling), DEFAULT_RUN_TIMEOUT_MS),
  };
}

/** How many actions a run of `document` plans (each once: loops may run some again). */
export function plannedActionCount(document: AitwsDocument): number {
  return compilePlan(document).stages.reduce((sum, stage) => sum + stage.actions.length, 0);
}
