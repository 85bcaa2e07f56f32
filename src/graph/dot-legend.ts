/** The legend (the states, when a run is shown, and the kinds of step drawn) and the problem list. */
import { FONT, NEUTRAL, PROBLEM, quote, quoteLines, SHAPE, STATE_LABEL, STATE_PAINT } from './dot-style.js';
import { type GraphModel, NODE_STATES, type NodeKind } from './model-types.js';

/** How many problems the picture lists (all are in RenderedGraph.problems). */
export const PROBLEMS_SHOWN = 8;

const KIND_LEGEND: readonly (readonly [NodeKind, string])[] = [
  ['approval', 'approval'],
  ['ai', 'AI step'],
  ['branch', 'branch'],
  ['missing', 'missing'],
];

function legendNode(
  id: string,
  shape: string,
  label: string,
  paint: { fill: string; font: string; border: string },
): string {
  return `    ${id} [shape=${shape} style="filled,rounded" fillcolor=${quote(paint.fill)} fontcolor=${quote(paint.font)} color=${quote(paint.border)} label=${quote(label)} fontsize=9 height=0.3]`;
}

export function legend(model: GraphModel, withStates: boolean): string[] {
  const kinds = KIND_LEGEND.filter(([kind]) => model.nodes.some((node) => node.kind === kind));
  if (!withStates && kinds.length === 0) return [];
  const ids: string[] = [];
  const lines = [
    '  subgraph cluster_legend {',
    `    label="Legend" fontsize=10 style="rounded" color="#B0BEC5" fontname=${quote(FONT)} id="legend"`,
  ];
  if (withStates) {
    for (const state of NODE_STATES) {
      ids.push(`legend_${state}`);
      lines.push(legendNode(`legend_${state}`, 'box', STATE_LABEL[state], STATE_PAINT[state]));
    }
  }
  for (const [kind, label] of kinds) {
    ids.push(`legend_${kind}`);
    lines.push(
      legendNode(
        `legend_${kind}`,
        kind === 'missing' ? 'box' : SHAPE[kind],
        label,
        kind === 'missing' ? PROBLEM : NEUTRAL,
      ),
    );
  }
  if (ids.length > 1) lines.push(`    ${ids.join(' -> ')} [style=invis]`);
  lines.push('  }');
  return lines;
}

export function problemList(model: GraphModel): string[] {
  const { problems } = model;
  if (problems.length === 0) return [];
  const shown = problems.slice(0, PROBLEMS_SHOWN);
  const more = problems.length - shown.length;
  const text = [
    `Problems (${problems.length}):`,
    ...shown.map((problem) => `• ${problem}`),
    ...(more > 0 ? [`… and ${more} more`] : []),
  ];
  const label = quoteLines(text, true, 80);
  return [
    `  problems [shape=note style=filled fillcolor=${quote(PROBLEM.fill)} fontcolor=${quote(PROBLEM.font)} color=${quote(PROBLEM.border)} fontsize=10 id="problems" label=${label}]`,
  ];
}

/** The picture's title, saying when it is collapsed. */
export function titleLabel(model: GraphModel): string {
  const lines = [model.title];
  if (model.collapsed)
    lines.push(`collapsed: ${model.actionCount} actions in ${model.stageCount} stages, one node per stage`);
  return quoteLines(lines, false, 100);
}
