/**
 * `[[branches]]` in the picture: a diamond per branch, entered after its `after` stage (or, with
 * no `after`, just before its earliest target), with a green "true" and a red "false" edge to the
 * stages it jumps to; a name that points at nothing goes to a red "missing: NAME" node.
 */
import { readName } from '../runtime/preflight-fields.js';
import type { NamedEntry, Outline } from '../runtime/preflight-outline.js';
import type { GraphBuilder } from './builder.js';
import type { Segment } from './model-flow.js';

export interface BranchContext {
  readonly builder: GraphBuilder;
  readonly outline: Outline;
  readonly start: string;
  /** Each stage's own segment. */
  readonly stageSegments: ReadonlyMap<string, Segment>;
  /** Each stage's step (its parallel group's, for a member). */
  readonly stepSegments: ReadonlyMap<string, Segment>;
  /** Step segments in plan order. */
  readonly steps: readonly Segment[];
}

function nameIn(entry: NamedEntry, field: string): string | undefined {
  const read = readName(entry.table[field], 'a stage');
  return read.ok ? read.value : undefined;
}

function decisionLines(entry: NamedEntry): string[] {
  const { condition, max_iterations: max } = entry.table;
  const lines = [`branch: ${entry.name}`];
  if (typeof condition === 'string') lines.push(`if ${condition}`);
  if (typeof max === 'number' || typeof max === 'bigint') lines.push(`at most ${max} times`);
  return lines;
}

/** The edge into the diamond: from the `after` stage, or from just before the earliest target. */
function entryEdge(context: BranchContext, entry: NamedEntry, decision: string): void {
  const { builder, outline } = context;
  const after = nameIn(entry, 'after');
  if (after !== undefined) {
    const stage = outline.stages.get(after);
    const segment = stage === undefined ? undefined : context.stepSegments.get(stage.name);
    if (segment !== undefined) builder.edge({ from: segment.exit, to: decision, kind: 'next' });
    else
      builder.edge({ from: builder.missing('stage', after), to: decision, kind: 'missing', label: 'after' });
    return;
  }
  const targets = ['if_true', 'if_false']
    .map((field) => nameIn(entry, field))
    .map((name) => (name === undefined ? undefined : outline.stages.get(name)))
    .filter((stage) => stage !== undefined)
    .sort((a, b) => a.index - b.index);
  const earliest = targets[0];
  if (earliest === undefined) return;
  const step = context.stepSegments.get(earliest.name);
  const index = step === undefined ? -1 : context.steps.indexOf(step);
  const from = index > 0 ? context.steps[index - 1]?.exit : context.start;
  if (from !== undefined) builder.edge({ from, to: decision, kind: 'before', label: 'before' });
}

function targetEdge(
  context: BranchContext,
  entry: NamedEntry,
  decision: string,
  field: 'if_true' | 'if_false',
): void {
  const { builder, outline } = context;
  const name = nameIn(entry, field);
  if (name === undefined) return;
  const label = field === 'if_true' ? 'true' : 'false';
  const stage = outline.stages.get(name);
  const to = stage === undefined ? undefined : context.stageSegments.get(stage.name)?.entry[0];
  if (to !== undefined) builder.edge({ from: decision, to, kind: label, label });
  else builder.edge({ from: decision, to: builder.missing('stage', name), kind: 'missing', label });
}

export function drawBranches(context: BranchContext): void {
  for (const entry of context.outline.branches.entries) {
    const decision = context.builder.node({ kind: 'branch', lines: decisionLines(entry) });
    entryEdge(context, entry, decision);
    targetEdge(context, entry, decision, 'if_true');
    targetEdge(context, entry, decision, 'if_false');
  }
}
