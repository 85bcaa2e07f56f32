/**
 * The workflow as a picture (issue #19): a document, and optionally a run's step states, drawn as
 * SVG or PNG. Stages by `order` (clusters of their actions in sequence; one node per stage above
 * COLLAPSE_ABOVE actions), parallel groups, branches (true/false), triggers and handlers;
 * approvals (hexagon) and AI steps (component shape) marked; problems drawn in red where they are
 * (a "missing: NAME" node for a name that points at nothing, dashed unreachable stages) and
 * listed in `problems`.
 *
 * SVG ids, for a page that finds and recolours nodes:
 * - an action's node: `node-<stage>/<action>` (actionNodeId), each name sanitised: every character
 *   outside `A-Z a-z 0-9 . -` (underscore included) becomes `_HEX_`, its code point in upper-case
 *   hex (`Fine tune` → `Fine_20_tune`);
 * - a stage (its cluster, or its node when collapsed): `stage-<stage>` (stageNodeId);
 * - the problem list `problems`, the legend `legend`, the whole graph `workflow`.
 * Each node's `class` is its kind (`action`, `approval`, `ai`, `stage`, …) plus `state-<state>`
 * when states were given.
 *
 * States are keyed `stage/action` as the run journal writes step keys, without `#iteration`
 * (stateKey; names with `/`, `#` or `%` percent-encoded): nodeStatesOf derives them from a run.
 */
import type { AitwsDocument } from '../document/types.js';
import type { RunRecord, StepRecord } from '../runtime/run-store.js';
import { toDot } from './dot.js';
import { buildModel } from './model.js';
import type { NodeState as ModelNodeState } from './model-types.js';
import { dotToSvg, svgSize, svgToPng } from './render.js';
import { nodeStatesOf as statesOfRun } from './states.js';

export type NodeState = 'done' | 'running' | 'waiting' | 'failed' | 'skipped' | 'pending';

export interface GraphOptions {
  readonly states?: ReadonlyMap<string, NodeState>;
  readonly title?: string;
}

export interface RenderedGraph {
  readonly format: 'svg' | 'png';
  readonly content: Uint8Array;
  readonly contentType: 'image/svg+xml' | 'image/png';
  readonly width: number;
  readonly height: number;
  readonly collapsed: boolean;
  readonly problems: readonly string[];
}

export { type Paint, STATE_PAINT } from './dot-style.js';
export { actionNodeId, stageNodeId, stateKey } from './ids.js';
export { COLLAPSE_ABOVE } from './model.js';
export { MAX_PNG_SIDE } from './render.js';

/** The DOT source of the picture (what renderGraph lays out). */
export function graphDot(
  document: AitwsDocument,
  options: GraphOptions = {},
): { dot: string; collapsed: boolean; problems: readonly string[] } {
  const model = buildModel(document, options.title === undefined ? {} : { title: options.title });
  const states: ReadonlyMap<string, ModelNodeState> | undefined = options.states;
  return { dot: toDot(model, states), collapsed: model.collapsed, problems: model.problems };
}

/** The workflow drawn as SVG (UTF-8 bytes) or PNG. */
export async function renderGraph(
  document: AitwsDocument,
  format: 'svg' | 'png',
  options: GraphOptions = {},
): Promise<RenderedGraph> {
  const { dot, collapsed, problems } = graphDot(document, options);
  const svg = await dotToSvg(dot);
  if (format === 'svg') {
    const size = svgSize(svg);
    return {
      format,
      content: new TextEncoder().encode(svg),
      contentType: 'image/svg+xml',
      ...size,
      collapsed,
      problems,
    };
  }
  const png = svgToPng(svg);
  return {
    format,
    content: png.content,
    contentType: 'image/png',
    width: png.width,
    height: png.height,
    collapsed,
    problems,
  };
}

/** A run's step states, keyed `stage/action` (the latest iteration of each step wins). */
export function nodeStatesOf(run: RunRecord, steps: readonly StepRecord[]): Map<string, NodeState> {
  return statesOfRun(run, steps);
}
