/**
 * `[[branches]]`: where each one is evaluated (`after` a stage, or before the earliest of its
 * targets), whether a jump goes backward (a loop, which needs `max_iterations`), and what names
 * point at nothing. Read by the plan compiler and by pre-flight; the rules are in plan-types.ts.
 */
import { joinPath } from '../document/tree.js';
import type { PlannedBranch, PreflightProblem } from './plan-types.js';
import { sentence } from './preflight-actions.js';
import { readName } from './preflight-fields.js';
import type { Concurrency } from './preflight-groups.js';
import { integerOf, type NamedEntry, type Outline, type OutlineStage } from './preflight-outline.js';
import { problem, unknownName } from './preflight-report.js';

export interface ResolvedBranch {
  readonly entry: NamedEntry;
  /** Undefined when the branch cannot be evaluated (see `problems`). */
  readonly branch: PlannedBranch | undefined;
  readonly problems: readonly PreflightProblem[];
}

interface Targets {
  after?: OutlineStage;
  ifTrue?: OutlineStage;
  ifFalse?: OutlineStage;
}

const STAGE_FIELDS = [
  ['after', 'after'],
  ['if_true', 'ifTrue'],
  ['if_false', 'ifFalse'],
] as const;

/** The stages a branch names; a name that points at nothing is a problem. */
function readTargets(entry: NamedEntry, outline: Outline, problems: PreflightProblem[]): Targets {
  const targets: Targets = {};
  for (const [field, key] of STAGE_FIELDS) {
    const where = joinPath(entry.where, field);
    const read = readName(entry.table[field], 'a stage');
    if (!read.ok) {
      problems.push(problem('VALIDATION', where, sentence(`${field} ${read.message}`)));
      continue;
    }
    if (read.value === undefined) continue;
    const stage = outline.stages.get(read.value);
    if (stage !== undefined) targets[key] = stage;
    else {
      const fix = `Name a stage of this workflow in ${field} of branch "${entry.name}".`;
      problems.push(unknownName(outline, where, 'stage', read.value, outline.stages.names(), fix));
    }
  }
  return targets;
}

function readCondition(
  entry: NamedEntry,
  outline: Outline,
  problems: PreflightProblem[],
): string | undefined {
  const where = joinPath(entry.where, 'condition');
  const read = readName(entry.table.condition, 'a [[conditions]] entry');
  if (!read.ok || read.value === undefined) {
    const what = read.ok ? 'has no condition' : `condition ${read.message}`;
    problems.push(
      problem(
        'VALIDATION',
        where,
        `Branch "${entry.name}" ${what}; add condition = "Name" naming a [[conditions]] entry.`,
      ),
    );
    return undefined;
  }
  const condition = outline.conditions.get(read.value);
  if (condition !== undefined) return condition.name;
  const fix = `Name a [[conditions]] entry in condition of branch "${entry.name}", or add one named "${read.value}".`;
  problems.push(unknownName(outline, where, 'condition', read.value, outline.conditions.names(), fix));
  return undefined;
}

/** A jump into a parallel group of stages may only go to its first stage, which starts the group. */
function intoGroup(
  entry: NamedEntry,
  target: OutlineStage,
  field: string,
  concurrency: Concurrency,
  outline: Outline,
): PreflightProblem | undefined {
  const group = concurrency.stageGroup.get(target);
  if (group === undefined) return undefined;
  const first = outline.stages.entries.find((stage) => concurrency.stageGroup.get(stage) === group);
  if (first === undefined || first === target) return undefined;
  return problem(
    'PARALLEL',
    joinPath(entry.where, field),
    `Branch "${entry.name}" jumps to stage "${target.name}", which runs in parallel group "${group}" after it starts with "${first.name}". Jump to "${first.name}" instead.`,
  );
}

/** Where an `after` branch is evaluated: its stage, or the last stage of that stage's parallel group. */
function groupEnd(stage: OutlineStage, concurrency: Concurrency, outline: Outline): OutlineStage {
  const group = concurrency.stageGroup.get(stage);
  if (group === undefined) return stage;
  const members = outline.stages.entries.filter(
    (candidate) => concurrency.stageGroup.get(candidate) === group,
  );
  return members[members.length - 1] ?? stage;
}

function loopProblem(entry: NamedEntry, at: OutlineStage, targets: Targets): PreflightProblem | undefined {
  if (targets.after === undefined || integerOf(entry.table.max_iterations) !== undefined) return undefined;
  const back = [targets.ifTrue, targets.ifFalse].find(
    (target) => target !== undefined && target.index <= at.index,
  );
  if (back === undefined) return undefined;
  return problem(
    'LOOP',
    joinPath(entry.where, 'max_iterations'),
    `Branch "${entry.name}" jumps back from stage "${at.name}" to "${back.name}", a loop with no bound. Add max_iterations = N (how many times the branch may be taken per run).`,
  );
}

export function resolveBranch(entry: NamedEntry, outline: Outline, concurrency: Concurrency): ResolvedBranch {
  const problems: PreflightProblem[] = [];
  const condition = readCondition(entry, outline, problems);
  const targets = readTargets(entry, outline, problems);
  if (entry.table.if_true === undefined && entry.table.if_false === undefined) {
    problems.push(
      problem(
        'VALIDATION',
        entry.where,
        `Branch "${entry.name}" has neither if_true nor if_false; add the stage to jump to.`,
      ),
    );
  }
  for (const [field, key] of STAGE_FIELDS.slice(1)) {
    const target = targets[key];
    const refused = target === undefined ? undefined : intoGroup(entry, target, field, concurrency, outline);
    if (refused !== undefined) problems.push(refused);
  }
  const earliest = [targets.ifTrue, targets.ifFalse]
    .filter((target) => target !== undefined)
    .sort((a, b) => a.index - b.index)[0];
  const at = targets.after === undefined ? earliest : groupEnd(targets.after, concurrency, outline);
  if (at !== undefined) {
    const loop = loopProblem(entry, at, targets);
    if (loop !== undefined) problems.push(loop);
  }
  if (problems.length > 0 || condition === undefined || at === undefined) {
    return { entry, branch: undefined, problems };
  }
  const maxIterations = integerOf(entry.table.max_iterations);
  return {
    entry,
    problems,
    branch: {
      name: entry.name,
      condition,
      at: at.name,
      when: targets.after === undefined ? 'before' : 'after',
      ...(targets.ifTrue === undefined ? {} : { ifTrue: targets.ifTrue.name }),
      ...(targets.ifFalse === undefined ? {} : { ifFalse: targets.ifFalse.name }),
      ...(maxIterations === undefined ? {} : { maxIterations }),
    },
  };
}
