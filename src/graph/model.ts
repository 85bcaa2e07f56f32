/**
 * A workflow document as a neutral graph model (model-types.ts): stages by `order` with their
 * actions in sequence, parallel groups, branches, triggers and handlers, and what is wrong with
 * them drawn where it is (unreachable stages, names that point at nothing) and listed. Reads the
 * document the way the runtime does (src/runtime/preflight-*.ts), so the picture is what runs.
 */
import type { AitwsDocument } from '../document/types.js';
import type { PlannedBranch } from '../runtime/plan-types.js';
import { resolveBranch } from '../runtime/preflight-branches.js';
import { checkTriggers } from '../runtime/preflight-events.js';
import { concurrencyOf, type ResolvedGroup, resolveGroups } from '../runtime/preflight-groups.js';
import { type Outline, type OutlineAction, readOutline } from '../runtime/preflight-outline.js';
import { GraphBuilder } from './builder.js';
import { drawBranches } from './model-branches.js';
import { drawEvents } from './model-events.js';
import { type FlowContext, runsOf, type Segment, stageStepSegments } from './model-flow.js';
import { jumps, type StageStep, unreachableStages } from './model-reach.js';
import type { GraphModel } from './model-types.js';

/** Above this many actions, each stage is drawn as one node. */
export const COLLAPSE_ABOVE = 150;

export interface ModelOptions {
  readonly title?: string;
  /** Collapse whatever the size (default: above COLLAPSE_ABOVE actions). */
  readonly collapse?: boolean;
}

function titleOf(document: AitwsDocument, options: ModelOptions): string {
  if (options.title !== undefined) return options.title;
  const metadata = document.metadata;
  const name =
    typeof metadata === 'object' && !Array.isArray(metadata) && !(metadata instanceof Date)
      ? metadata.name
      : undefined;
  return typeof name === 'string' && name !== '' ? name : 'Workflow';
}

/** A group that cannot run: a node with an edge to each task (red to the ones that do not exist). */
function unresolvedGroup(
  builder: GraphBuilder,
  outline: Outline,
  group: ResolvedGroup,
  actionNodes: ReadonlyMap<OutlineAction, string>,
  stageSegments: ReadonlyMap<string, Segment>,
): void {
  const id = builder.node({
    kind: 'group',
    lines: [`parallel: ${group.entry.name}`, '(cannot run)'],
    problem: true,
  });
  const tasks = group.entry.table.tasks;
  if (!Array.isArray(tasks)) return;
  for (const task of tasks) {
    if (typeof task !== 'string') continue;
    const [action] = outline.actionsNamed(task);
    const stage = outline.stages.get(task);
    const to =
      action !== undefined
        ? actionNodes.get(action)
        : stage === undefined
          ? undefined
          : stageSegments.get(stage.name)?.entry[0];
    if (to !== undefined) builder.edge({ from: id, to, kind: 'task' });
    else builder.edge({ from: id, to: builder.missing('action or stage', task), kind: 'missing' });
  }
}

/** start → each step → end, except after a step whose branches leave no way on in order. */
function chainSteps(
  builder: GraphBuilder,
  steps: readonly StageStep[],
  segments: readonly Segment[],
  branches: readonly PlannedBranch[],
): string {
  const start = builder.node({ kind: 'start', lines: ['start'] });
  const end = builder.node({ kind: 'end', lines: ['end'] });
  let previous: string | undefined = start;
  segments.forEach((segment, index) => {
    if (previous !== undefined)
      for (const entry of segment.entry) builder.edge({ from: previous, to: entry, kind: 'next' });
    const last = steps[index]?.at(-1);
    previous =
      last === undefined || jumps(steps, branches, last.name, 'after').onward ? segment.exit : undefined;
  });
  if (previous !== undefined) builder.edge({ from: previous, to: end, kind: 'next' });
  return start;
}

export function buildModel(document: AitwsDocument, options: ModelOptions = {}): GraphModel {
  const outline = readOutline(document);
  const builder = new GraphBuilder();
  const groups = resolveGroups(outline);
  const concurrency = concurrencyOf(groups);
  const resolved = outline.branches.entries.map((entry) => resolveBranch(entry, outline, concurrency));
  const branches = resolved.flatMap((branch) => (branch.branch === undefined ? [] : [branch.branch]));
  const steps = runsOf(outline.stages.entries, (stage) => concurrency.stageGroup.get(stage));
  const unreachable = new Set(unreachableStages(steps, branches));
  for (const found of [
    ...groups.flatMap((group) => group.problems),
    ...resolved.flatMap((branch) => branch.problems),
    ...checkTriggers(outline),
  ])
    builder.problem(found.where, found.message);
  for (const name of unreachable)
    builder.problem(
      `stages[${name}]`,
      `Stage "${name}" is never reached: the branches before it always jump past it.`,
    );
  const collapsed = options.collapse ?? outline.actions.length > COLLAPSE_ABOVE;
  const flow: FlowContext = {
    builder,
    concurrency,
    collapsed,
    unreachable,
    stageSegments: new Map(),
    actionNodes: new Map(),
  };
  const segments = stageStepSegments(flow, steps);
  const start = chainSteps(builder, steps, segments, branches);
  const stepSegments = new Map<string, Segment>();
  steps.forEach((step, index) => {
    const segment = segments[index];
    if (segment !== undefined) for (const stage of step) stepSegments.set(stage.name, segment);
  });
  drawBranches({ builder, outline, start, stageSegments: flow.stageSegments, stepSegments, steps: segments });
  for (const group of groups)
    if (group.tasks === undefined)
      unresolvedGroup(builder, outline, group, flow.actionNodes, flow.stageSegments);
  drawEvents({ builder, outline, start, actionNodes: flow.actionNodes });
  return {
    title: titleOf(document, options),
    nodes: builder.nodes,
    edges: builder.edges,
    clusters: builder.clusters,
    problems: builder.problems,
    collapsed,
    actionCount: outline.actions.length,
    stageCount: outline.stages.entries.length,
  };
}
