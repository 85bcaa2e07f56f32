/**
 * Pre-flight of `[[conditions]]`: every expression is CEL that parses and type-checks (the
 * ConditionError message carries the line and column), the steps it names exist, and a condition
 * that a stage, an action or a branch uses has an expression at all.
 */

import { joinPath } from '../document/tree.js';
import { ConditionError, compileCondition } from './conditions.js';
import type { PreflightProblem } from './plan-types.js';
import type { NamedEntry, Outline } from './preflight-outline.js';
import { listNames, problem } from './preflight-report.js';

/** Who uses each condition, by the condition's name as written in its entry. */
function usersOf(outline: Outline): Map<NamedEntry, string[]> {
  const users = new Map<NamedEntry, string[]>();
  const use = (name: unknown, user: string): void => {
    const condition = typeof name === 'string' ? outline.conditions.get(name) : undefined;
    if (condition === undefined) return;
    const list = users.get(condition);
    if (list === undefined) users.set(condition, [user]);
    else if (!list.includes(user)) list.push(user);
  };
  for (const stage of outline.stages.entries) {
    use(stage.table.condition, `stage "${stage.name}"`);
    for (const action of stage.actions) use(action.table.condition, `action "${action.name}"`);
  }
  for (const branch of outline.branches.entries) use(branch.table.condition, `branch "${branch.name}"`);
  return users;
}

function compileProblems(entry: NamedEntry, expression: string, outline: Outline): PreflightProblem[] {
  const where = joinPath(entry.where, 'expression');
  let steps: readonly string[];
  try {
    steps = compileCondition(expression).steps;
  } catch (error) {
    if (!(error instanceof ConditionError)) throw error;
    const hint = error.hint === undefined ? '' : ` ${error.hint}`;
    return [problem('CONDITION', where, `${error.message}${hint}`)];
  }
  const names = outline.actions.map((action) => action.name);
  return steps
    .filter((step) => outline.actionsNamed(step).length === 0)
    .map((step) => {
      const near = outline.nearest(step, names);
      const mean = near === undefined ? '' : ` Did you mean "${near}"?`;
      return problem(
        'CONDITION',
        where,
        `Condition "${entry.name}" reads steps.${step}, but no action is named "${step}".${mean} Actions: ${listNames(names)}.`,
      );
    });
}

export function checkConditions(outline: Outline): PreflightProblem[] {
  const problems: PreflightProblem[] = [];
  const users = usersOf(outline);
  for (const entry of outline.conditions.entries) {
    const expression = entry.table.expression;
    if (typeof expression === 'string') {
      problems.push(...compileProblems(entry, expression, outline));
      continue;
    }
    const usedBy = users.get(entry);
    // A wrong type is a validation error already; an unused condition without one harms nothing.
    if (expression !== undefined || usedBy === undefined) continue;
    problems.push(
      problem(
        'CONDITION',
        joinPath(entry.where, 'expression'),
        `Condition "${entry.name}" has no expression, and ${usedBy.join(', ')} ${usedBy.length === 1 ? 'uses' : 'use'} it. Add expression = "…", a CEL expression over inputs, steps and run, e.g. expression = "inputs.ready == true".`,
      ),
    );
  }
  return problems;
}
