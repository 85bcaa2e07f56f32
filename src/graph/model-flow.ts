/**
 * The run's flow as nodes and edges: start, each stage (a cluster of its actions in sequence, or
 * one node when collapsed), parallel groups of actions or stages (a cluster, ending in a join),
 * and end. A segment is where flow enters (one node, or each task of a group) and leaves.
 */
import type { Concurrency } from '../runtime/preflight-groups.js';
import type { OutlineAction, OutlineStage } from '../runtime/preflight-outline.js';
import type { GraphBuilder } from './builder.js';
import { actionNodeId, stageNodeId, stateKey } from './ids.js';
import type { StageStep } from './model-reach.js';
import type { NodeKind } from './model-types.js';

export interface Segment {
  readonly entry: readonly string[];
  readonly exit: string;
}

export interface FlowContext {
  readonly builder: GraphBuilder;
  readonly concurrency: Concurrency;
  readonly collapsed: boolean;
  readonly unreachable: ReadonlySet<string>;
  /** Filled here: each stage's segment, each action's node (its stage's when collapsed). */
  readonly stageSegments: Map<string, Segment>;
  readonly actionNodes: Map<OutlineAction, string>;
}

function actionKind(type: unknown): NodeKind {
  if (type === 'human.approval') return 'approval';
  if (type === 'ai.invoke') return 'ai';
  return 'action';
}

function actionLines(action: OutlineAction): string[] {
  const type = action.table.type;
  const kind = actionKind(type);
  const lines = [action.name];
  if (kind === 'approval') lines.push('approval (human.approval)');
  else if (kind === 'ai') lines.push('AI step (ai.invoke)');
  else if (typeof type === 'string') lines.push(type);
  return lines;
}

/** Consecutive items that share a group (undefined: none) form one step. */
export function runsOf<T>(items: readonly T[], groupOf: (item: T) => string | undefined): T[][] {
  const runs: T[][] = [];
  let current: string | undefined;
  for (const item of items) {
    const group = groupOf(item);
    const last = runs[runs.length - 1];
    if (last !== undefined && group !== undefined && group === current) last.push(item);
    else runs.push([item]);
    current = group;
  }
  return runs;
}

/** Segments in sequence: each one's exit to the next one's entries. */
export function chain(builder: GraphBuilder, segments: readonly Segment[]): void {
  for (let i = 1; i < segments.length; i++) {
    const from = segments[i - 1];
    const to = segments[i];
    if (from === undefined || to === undefined) continue;
    for (const entry of to.entry) builder.edge({ from: from.exit, to: entry, kind: 'next' });
  }
}

/** Parallel members: a cluster around them (made by `inner`) and a join node after them. */
function parallel(
  context: FlowContext,
  name: string,
  parent: string | undefined,
  members: readonly ((cluster: string) => Segment)[],
): Segment {
  const { builder } = context;
  const cluster = builder.cluster({
    kind: 'parallel',
    lines: [`parallel: ${name}`],
    ...(parent === undefined ? {} : { parent }),
  });
  const segments = members.map((member) => member(cluster));
  const join = builder.node({
    kind: 'join',
    lines: [],
    ...(parent === undefined ? {} : { cluster: parent }),
  });
  for (const segment of segments) builder.edge({ from: segment.exit, to: join, kind: 'next' });
  return { entry: segments.flatMap((segment) => segment.entry), exit: join };
}

function actionNode(context: FlowContext, action: OutlineAction, cluster: string): Segment {
  const id = context.builder.node({
    kind: actionKind(action.table.type),
    lines: actionLines(action),
    domId: actionNodeId(action.stage, action.name),
    stateKey: stateKey(action.stage, action.name),
    cluster,
  });
  context.actionNodes.set(action, id);
  return { entry: [id], exit: id };
}

function expandedStage(context: FlowContext, stage: OutlineStage, parent: string | undefined): Segment {
  const { builder, concurrency } = context;
  const unreachable = context.unreachable.has(stage.name);
  const cluster = builder.cluster({
    kind: 'stage',
    lines: [stageTitle(stage), ...(unreachable ? ['(unreachable)'] : [])],
    domId: stageNodeId(stage.name),
    ...(parent === undefined ? {} : { parent }),
    ...(unreachable ? { problem: true } : {}),
  });
  if (stage.actions.length === 0) {
    const id = builder.node({ kind: 'empty', lines: ['(no actions)'], cluster });
    return { entry: [id], exit: id };
  }
  const steps = runsOf(stage.actions, (action) => concurrency.actionGroup.get(action));
  const segments = steps.map((step) => {
    const [only] = step;
    const group = concurrency.actionGroup.get(step[0] as OutlineAction);
    if (step.length === 1 && only !== undefined && group === undefined)
      return actionNode(context, only, cluster);
    return parallel(
      context,
      group ?? '',
      cluster,
      step.map((action) => (inner: string) => actionNode(context, action, inner)),
    );
  });
  chain(builder, segments);
  const first = segments[0];
  const last = segments[segments.length - 1];
  return { entry: first?.entry ?? [], exit: last?.exit ?? '' };
}

function stageTitle(stage: OutlineStage): string {
  return stage.order === undefined ? `Stage ${stage.name}` : `Stage ${stage.order}: ${stage.name}`;
}

function collapsedStage(context: FlowContext, stage: OutlineStage, parent: string | undefined): Segment {
  const unreachable = context.unreachable.has(stage.name);
  const count = stage.actions.length;
  const id = context.builder.node({
    kind: 'stage',
    lines: [
      stageTitle(stage),
      `${count} action${count === 1 ? '' : 's'}`,
      ...(unreachable ? ['(unreachable)'] : []),
    ],
    domId: stageNodeId(stage.name),
    actionKeys: stage.actions.map((action) => stateKey(action.stage, action.name)),
    ...(parent === undefined ? {} : { cluster: parent }),
    ...(unreachable ? { problem: true } : {}),
  });
  for (const action of stage.actions) context.actionNodes.set(action, id);
  return { entry: [id], exit: id };
}

function stageSegment(context: FlowContext, stage: OutlineStage, parent: string | undefined): Segment {
  const segment = context.collapsed
    ? collapsedStage(context, stage, parent)
    : expandedStage(context, stage, parent);
  context.stageSegments.set(stage.name, segment);
  return segment;
}

/** Every stage step as a segment, in plan order (not yet chained). */
export function stageStepSegments(context: FlowContext, steps: readonly StageStep[]): Segment[] {
  return steps.map((step) => {
    const [only] = step;
    const group = only === undefined ? undefined : context.concurrency.stageGroup.get(only);
    if (step.length === 1 && only !== undefined && group === undefined)
      return stageSegment(context, only, undefined);
    return parallel(
      context,
      group ?? '',
      undefined,
      step.map((stage) => (inner: string) => stageSegment(context, stage, inner)),
    );
  });
}
