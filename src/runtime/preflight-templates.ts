/**
 * Pre-flight of the `{{ }}` templates in action parameters (`with`, through nested tables and
 * lists): each one parses, and every step it reads exists and has finished by the time the action
 * runs, i.e. comes earlier in plan order and does not run concurrently with it (plan-types.ts).
 * `inputs.*` and `run.*` are always allowed. A handler runs on an event, at no fixed point of the
 * plan: its templates may read any step of the workflow.
 */
import { entryLabel, isTable, joinPath } from '../document/tree.js';
import type { TomlValue } from '../document/types.js';
import { AitwsError } from '../errors.js';
import type { PreflightProblem } from './plan-types.js';
import type { Runnable } from './preflight-actions.js';
import type { Concurrency } from './preflight-groups.js';
import type { Outline, OutlineAction } from './preflight-outline.js';
import { listNames, problem } from './preflight-report.js';
import { parseTemplate } from './templates.js';

/** Calls `visit` with every string in `value` (tables and lists included) and its path. */
export function eachString(
  value: TomlValue,
  path: string,
  visit: (text: string, where: string) => void,
): void {
  if (typeof value === 'string') {
    visit(value, path);
  } else if (Array.isArray(value)) {
    for (const [i, item] of value.entries())
      eachString(item, joinPath(path, entryLabel(item, 'name', i)), visit);
  } else if (isTable(value)) {
    for (const [key, item] of Object.entries(value)) eachString(item, joinPath(path, key), visit);
  }
}

interface TemplateCheck {
  readonly outline: Outline;
  readonly concurrency: Concurrency;
  readonly into: PreflightProblem[];
}

/** Why `reader` cannot read `target`'s output, or undefined when it can. */
function orderProblem(
  reader: OutlineAction,
  target: OutlineAction,
  check: TemplateCheck,
): string | undefined {
  if (target === reader) return "that is the action's own output, which does not exist while it runs";
  if (target.stageIndex > reader.stageIndex)
    return `"${target.name}" runs later (in stage "${target.stage}")`;
  if (target.stageIndex === reader.stageIndex && target.index > reader.index) {
    return `"${target.name}" runs later in the same stage`;
  }
  const { actionGroup, stageGroup } = check.concurrency;
  const group = actionGroup.get(target);
  if (group !== undefined && group === actionGroup.get(reader)) {
    return `"${target.name}" runs at the same time (parallel group "${group}")`;
  }
  if (target.stage === reader.stage) return undefined;
  const targetStage = check.outline.stages.get(target.stage);
  const readerStage = check.outline.stages.get(reader.stage);
  const stages = targetStage === undefined ? undefined : stageGroup.get(targetStage);
  if (stages !== undefined && readerStage !== undefined && stages === stageGroup.get(readerStage)) {
    return `"${target.name}" runs at the same time (its stage "${target.stage}" is in parallel group "${stages}")`;
  }
  return undefined;
}

function checkStep(
  step: string,
  where: string,
  reader: OutlineAction | undefined,
  check: TemplateCheck,
): void {
  const found = check.outline.actionsNamed(step);
  // Two actions of one name are refused by the action check; which one is meant cannot be judged.
  if (found.length > 1) return;
  const [target] = found;
  if (target === undefined) {
    const names = check.outline.actions.map((action) => action.name);
    const near = check.outline.nearest(step, names);
    const mean = near === undefined ? '' : ` Did you mean "${near}"?`;
    const message = `The template reads steps.${step}, but no action is named "${step}".${mean} Actions: ${listNames(names)}.`;
    check.into.push(problem('TEMPLATE', where, message));
    return;
  }
  const refused = reader === undefined ? undefined : orderProblem(reader, target, check);
  if (refused === undefined) return;
  const message = `The template reads steps.${step}, but ${refused}. An action can read only steps that finished before it starts: actions of earlier stages and earlier actions of its own stage (not those of its parallel group).`;
  check.into.push(problem('TEMPLATE', where, message));
}

function checkText(
  text: string,
  where: string,
  reader: OutlineAction | undefined,
  check: TemplateCheck,
): void {
  if (!text.includes('{{')) return;
  let steps: readonly string[];
  try {
    steps = parseTemplate(text).references().steps;
  } catch (error) {
    if (!(error instanceof AitwsError)) throw error;
    const hint = error.hint === undefined ? '' : ` ${error.hint}`;
    check.into.push(problem('TEMPLATE', where, `${error.message}${hint}`));
    return;
  }
  for (const step of steps) checkStep(step, where, reader, check);
}

/** `runnables` are the stage actions' and handlers' parameters; stage actions are checked for order. */
export function checkTemplates(
  runnables: readonly Runnable[],
  outline: Outline,
  concurrency: Concurrency,
): PreflightProblem[] {
  const check: TemplateCheck = { outline, concurrency, into: [] };
  const byWhere = new Map(outline.actions.map((action) => [action.where, action]));
  for (const runnable of runnables) {
    const reader = byWhere.get(runnable.where);
    eachString(runnable.parameters, joinPath(runnable.where, 'with'), (text, where) =>
      checkText(text, where, reader, check),
    );
  }
  return check.into;
}
