/**
 * Pre-flight of what runs: each action's and stage's own fields, action names used twice, action
 * types no executor runs (one problem that lists them all), and each executor's own check of its
 * parameters.
 */
import { joinPath } from '../document/tree.js';
import type { AitwsDocument, TomlTable } from '../document/types.js';
import type { ExecutorRegistry } from './executor.js';
import type { PreflightProblem } from './plan-types.js';
import {
  type Read,
  readDuration,
  readName,
  readOnError,
  readRetry,
  readRunTimeout,
  readWith,
  retryDefaults,
} from './preflight-fields.js';
import type { Outline } from './preflight-outline.js';
import { listNames, problem, unknownName } from './preflight-report.js';

/** Something that runs with an executor: a stage's action, or a handler's own action. */
export interface Runnable {
  /** `stages[S].actions[A]` or `handlers[H]`. */
  readonly where: string;
  readonly label: string;
  readonly type: string;
  readonly parameters: TomlTable;
  /** `with` is not a table: its executor's check would only repeat that. */
  readonly malformed?: boolean;
}

function fieldProblem<T>(read: Read<T>, where: string, field: string, into: PreflightProblem[]): void {
  if (!read.ok)
    into.push(problem('VALIDATION', joinPath(where, field), sentence(`${field} ${read.message}`)));
}

/** The text with a full stop, unless it already ends a sentence. */
export function sentence(text: string): string {
  return /[.?!]$/.test(text) ? text : `${text}.`;
}

/** A stage's or an action's `condition`, which must name a `[[conditions]]` entry. */
function conditionField(table: TomlTable, where: string, outline: Outline, into: PreflightProblem[]): void {
  const read = readName(table.condition, 'a [[conditions]] entry');
  fieldProblem(read, where, 'condition', into);
  if (!read.ok || read.value === undefined || outline.conditions.get(read.value) !== undefined) return;
  const fix = `Name a [[conditions]] entry, or add one named "${read.value}".`;
  into.push(
    unknownName(
      outline,
      joinPath(where, 'condition'),
      'condition',
      read.value,
      outline.conditions.names(),
      fix,
    ),
  );
}

function actionFields(table: TomlTable, where: string, outline: Outline, into: PreflightProblem[]): void {
  if (typeof table.type !== 'string' || table.type === '') {
    const message = 'The action has no type; add type = "…" (e.g. transform, chat.notify, http.request).';
    into.push(problem('VALIDATION', joinPath(where, 'type'), message));
  }
  fieldProblem(readWith(table.with), where, 'with', into);
  fieldProblem(readDuration(table.timeout), where, 'timeout', into);
  fieldProblem(readRetry(table.retry, retryDefaults(outline.errorHandling)), where, 'retry', into);
  const onError = readOnError(table.on_error);
  fieldProblem(onError, where, 'on_error', into);
  if (
    onError.ok &&
    onError.value.kind === 'handler' &&
    outline.handlers.get(onError.value.handler) === undefined
  ) {
    const name = onError.value.handler;
    const fix = `Write on_error = "handler:NAME" with a [[handlers]] entry's name, or add a handler named "${name}".`;
    into.push(
      unknownName(outline, joinPath(where, 'on_error'), 'handler', name, outline.handlers.names(), fix),
    );
  }
  conditionField(table, where, outline, into);
}

/** Stage and action fields, `[error_handling] run_timeout`, and action names used in two stages. */
export function checkActions(outline: Outline): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  fieldProblem(readRunTimeout(outline.errorHandling), 'error_handling', 'run_timeout', problems);
  for (const stage of outline.stages.entries) {
    conditionField(stage.table, stage.where, outline, problems);
    for (const action of stage.actions) actionFields(action.table, action.where, outline, problems);
  }
  for (const action of outline.actions) {
    const first = outline.actionsNamed(action.name)[0];
    // Twice in one stage is validation's duplicate-key error already.
    if (first === undefined || first === action || first.stage === action.stage) continue;
    problems.push(
      problem(
        'VALIDATION',
        joinPath(action.where, 'name'),
        `Stages "${first.stage}" and "${action.stage}" both have an action "${action.name}"; steps.${action.name}, parallel tasks and handlers could not tell them apart. Rename one of them.`,
      ),
    );
  }
  return problems;
}

/** The stage actions with a type, as runnables. */
export function stageRunnables(outline: Outline): Runnable[] {
  return outline.actions.flatMap((action) => {
    const type = action.table.type;
    if (typeof type !== 'string' || type === '') return [];
    const read = readWith(action.table.with);
    const label = `${action.stage}/${action.name}`;
    if (!read.ok) return [{ where: action.where, label, type, parameters: {}, malformed: true }];
    return [{ where: action.where, label, type, parameters: read.value }];
  });
}

/** One problem naming every type nothing runs, where each is used, and the types that do run. */
export function unboundTypes(
  runnables: readonly Runnable[],
  executors: ExecutorRegistry,
): PreflightProblem[] {
  const unbound = new Map<string, string[]>();
  let first: Runnable | undefined;
  for (const runnable of runnables) {
    if (executors.get(runnable.type) !== undefined) continue;
    first ??= runnable;
    const users = unbound.get(runnable.type);
    if (users === undefined) unbound.set(runnable.type, [runnable.label]);
    else users.push(runnable.label);
  }
  if (first === undefined) return [];
  const listed = [...unbound].map(([type, users]) => `"${type}" (${users.join(', ')})`).join(', ');
  const count = unbound.size === 1 ? '1 action type has' : `${unbound.size} action types have`;
  const known = executors.types();
  const fix =
    known.length === 0
      ? 'No action types are available; load a plugin that provides them (AITWS_PLUGINS).'
      : `Known types: ${listNames(known)}. Use one of those, or load a plugin that provides the type (AITWS_PLUGINS).`;
  const message = `${count} no executor: ${listed}. ${fix}`;
  return [
    problem(
      'NO_EXECUTOR',
      joinPath(first.where, first.where.startsWith('handlers') ? 'action' : 'type'),
      message,
    ),
  ];
}

/** Each executor's own check of its parameters; a check that throws is reported, not raised. */
export function parameterProblems(
  runnables: readonly Runnable[],
  executors: ExecutorRegistry,
  document: AitwsDocument,
): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  for (const runnable of runnables) {
    const executor = executors.get(runnable.type);
    if (executor?.check === undefined || runnable.malformed === true) continue;
    try {
      for (const found of executor.check(runnable.parameters, document)) {
        problems.push(problem('PARAMETER', joinPath(runnable.where, found.field), found.message));
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const message = `The ${runnable.type} executor could not check these parameters: ${reason}`;
      problems.push(problem('PARAMETER', joinPath(runnable.where, 'with'), message));
    }
  }
  return problems;
}
