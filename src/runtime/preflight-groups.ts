/**
 * `[[parallel_execution]]` groups: what each one's tasks are (actions of one stage, or stages),
 * and what keeps a group from running as one. Read by the plan compiler and by pre-flight.
 */
import { canonicalName } from '../document/entry-names.js';
import { joinPath } from '../document/tree.js';
import type { PreflightProblem } from './plan-types.js';
import { readMaxConcurrency, readTasks } from './preflight-fields.js';
import type { NamedEntry, Outline, OutlineAction, OutlineStage } from './preflight-outline.js';
import { problem, unknownName } from './preflight-report.js';

export type GroupTasks =
  | { readonly kind: 'actions'; readonly stage: OutlineStage; readonly tasks: readonly OutlineAction[] }
  | { readonly kind: 'stages'; readonly tasks: readonly OutlineStage[] };

export interface ResolvedGroup {
  readonly entry: NamedEntry;
  /** Undefined when the group cannot run (see `problems`). */
  readonly tasks: GroupTasks | undefined;
  readonly problems: readonly PreflightProblem[];
}

/** One action per name, or undefined (a missing or ambiguous name). */
function uniqueAction(outline: Outline, name: string): OutlineAction | undefined {
  const found = outline.actionsNamed(name);
  return found.length === 1 ? found[0] : undefined;
}

function byPlanOrder<T extends { readonly stageIndex?: number; readonly index: number }>(items: T[]): T[] {
  return items.sort((a, b) => (a.stageIndex ?? 0) - (b.stageIndex ?? 0) || a.index - b.index);
}

/** Whether the positions are consecutive (sorted first). */
function adjacent(positions: readonly number[]): boolean {
  return positions.every((position, i) => i === 0 || position === (positions[i - 1] ?? 0) + 1);
}

/** Actions of one stage when every task names an action and they share a stage; else stages. */
function classify(entry: NamedEntry, names: readonly string[], outline: Outline): ResolvedGroup {
  const where = joinPath(entry.where, 'tasks');
  const actions = names.map((name) => uniqueAction(outline, name));
  const stages = names.map((name) => outline.stages.get(name));
  if (actions.every((action) => action !== undefined)) {
    const stageNames = [...new Set(actions.map((action) => action.stage))];
    const [stageName] = stageNames;
    const stage = stageName === undefined ? undefined : outline.stages.get(stageName);
    if (stageNames.length === 1 && stage !== undefined) {
      return { entry, tasks: { kind: 'actions', stage, tasks: byPlanOrder([...actions]) }, problems: [] };
    }
    if (!stages.every((found) => found !== undefined)) {
      const message = `Parallel group "${entry.name}" has actions of different stages (${stageNames.map((name) => `"${name}"`).join(', ')}); a group runs actions of one stage, or whole stages. Split it into one group per stage, or list the stages instead.`;
      return { entry, tasks: undefined, problems: [problem('PARALLEL', where, message)] };
    }
  }
  if (stages.every((stage) => stage !== undefined)) {
    return { entry, tasks: { kind: 'stages', tasks: byPlanOrder([...stages]) }, problems: [] };
  }
  const message = `Parallel group "${entry.name}" mixes actions and stages; a group runs actions of one stage, or whole stages. Make one group of each.`;
  return { entry, tasks: undefined, problems: [problem('PARALLEL', where, message)] };
}

function missingTasks(entry: NamedEntry, names: readonly string[], outline: Outline): PreflightProblem[] {
  const where = joinPath(entry.where, 'tasks');
  const candidates = [...outline.actions.map((action) => action.name), ...outline.stages.names()];
  const problems: PreflightProblem[] = [];
  for (const name of names) {
    const found = outline.actionsNamed(name);
    if (found.length > 1) {
      const stages = found.map((action) => `"${action.stage}"`).join(', ');
      problems.push(
        problem(
          'REFERENCE',
          where,
          `Task "${name}" of parallel group "${entry.name}" is ambiguous: stages ${stages} each have an action of that name. Rename the actions so each name is used once.`,
        ),
      );
    } else if (found.length === 0 && outline.stages.get(name) === undefined) {
      const fix = `Name an action or a stage of this workflow in tasks of parallel group "${entry.name}".`;
      problems.push(unknownName(outline, where, 'action or stage', name, candidates, fix));
    }
  }
  return problems;
}

function gapProblem(entry: NamedEntry, tasks: GroupTasks, outline: Outline): PreflightProblem | undefined {
  const positions = tasks.tasks.map((task) => task.index);
  if (adjacent(positions)) return undefined;
  const first = positions[0] ?? 0;
  const last = positions[positions.length - 1] ?? 0;
  const inGroup = new Set(positions);
  const between =
    tasks.kind === 'actions'
      ? tasks.stage.actions.filter((action) => action.index > first && action.index < last)
      : outline.stages.entries.filter((stage) => stage.index > first && stage.index < last);
  const gap = between.filter((item) => !inGroup.has(item.index)).map((item) => `"${item.name}"`);
  const what = tasks.kind === 'actions' ? `actions of stage "${tasks.stage.name}"` : 'stages';
  return problem(
    'PARALLEL',
    joinPath(entry.where, 'tasks'),
    `The ${what} of parallel group "${entry.name}" are not next to each other: ${gap.join(', ')} come${gap.length === 1 ? 's' : ''} between them. Move ${gap.length === 1 ? 'it' : 'them'} before or after the group, or add ${gap.length === 1 ? 'it' : 'them'} to the group.`,
  );
}

const taskKey = (kind: GroupTasks['kind'], name: string): string => `${kind}\u0000${canonicalName(name)}`;

/** A task that an earlier group already has (`owner`: task key → group name). */
function sharedTask(
  entry: NamedEntry,
  tasks: GroupTasks,
  owner: ReadonlyMap<string, string>,
): PreflightProblem | undefined {
  for (const task of tasks.tasks) {
    const other = owner.get(taskKey(tasks.kind, task.name));
    if (other === undefined) continue;
    const message = `"${task.name}" is in parallel groups "${other}" and "${entry.name}"; a task belongs to one group. Remove it from one of them.`;
    return problem('PARALLEL', joinPath(entry.where, 'tasks'), message);
  }
  return undefined;
}

function resolveGroup(
  entry: NamedEntry,
  outline: Outline,
  owner: ReadonlyMap<string, string>,
): ResolvedGroup {
  const names = readTasks(entry.table.tasks);
  const missing = missingTasks(entry, names, outline);
  if (missing.length > 0) return { entry, tasks: undefined, problems: missing };
  const resolved = classify(entry, names, outline);
  if (resolved.tasks === undefined) return resolved;
  const concurrency = groupConcurrency(entry, resolved.tasks.tasks.length);
  const refusal =
    gapProblem(entry, resolved.tasks, outline) ??
    sharedTask(entry, resolved.tasks, owner) ??
    (concurrency.ok
      ? undefined
      : problem(
          'VALIDATION',
          joinPath(entry.where, 'max_concurrency'),
          `max_concurrency ${concurrency.message}.`,
        ));
  return refusal === undefined ? resolved : { entry, tasks: undefined, problems: [refusal] };
}

/** Every group with its tasks, or why it cannot run; a task in two groups is refused in the later one. */
export function resolveGroups(outline: Outline): ResolvedGroup[] {
  const owner = new Map<string, string>();
  return outline.groups.entries.map((entry) => {
    const resolved = resolveGroup(entry, outline, owner);
    const { tasks } = resolved;
    if (tasks !== undefined)
      for (const task of tasks.tasks) owner.set(taskKey(tasks.kind, task.name), entry.name);
    return resolved;
  });
}

/** `max_concurrency` of a group, default its task count. */
export function groupConcurrency(
  entry: NamedEntry,
  taskCount: number,
): ReturnType<typeof readMaxConcurrency> {
  return readMaxConcurrency(entry.table.max_concurrency, taskCount);
}

/** Which group runs each action and each stage concurrently with others (groups that can run). */
export interface Concurrency {
  readonly actionGroup: ReadonlyMap<OutlineAction, string>;
  readonly stageGroup: ReadonlyMap<OutlineStage, string>;
}

export function concurrencyOf(groups: readonly ResolvedGroup[]): Concurrency {
  const actionGroup = new Map<OutlineAction, string>();
  const stageGroup = new Map<OutlineStage, string>();
  for (const { entry, tasks } of groups) {
    if (tasks?.kind === 'actions') for (const action of tasks.tasks) actionGroup.set(action, entry.name);
    if (tasks?.kind === 'stages') for (const stage of tasks.tasks) stageGroup.set(stage, entry.name);
  }
  return { actionGroup, stageGroup };
}
