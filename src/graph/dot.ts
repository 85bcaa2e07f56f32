/**
 * A graph model as Graphviz DOT. Every label is user text escaped for a quoted string (never an
 * HTML label); node names are ours (`n12`); the SVG id of an action is `node-<stage>/<action>`
 * (ids.ts). With states, nodes are filled by state and a legend says which colour is which.
 */

import { legend, problemList, titleLabel } from './dot-legend.js';
import {
  EDGE_STYLE,
  FONT,
  NEUTRAL,
  type Paint,
  PROBLEM,
  quote,
  quoteLines,
  SHAPE,
  STATE_LABEL,
  STATE_PAINT,
} from './dot-style.js';
import type { GraphCluster, GraphEdge, GraphModel, GraphNode, NodeState } from './model-types.js';

export type States = ReadonlyMap<string, NodeState>;

/** A collapsed stage's state: the most pressing of its actions'. */
function summaryState(counts: ReadonlyMap<NodeState, number>, total: number): NodeState {
  for (const state of ['failed', 'running', 'waiting'] as const)
    if ((counts.get(state) ?? 0) > 0) return state;
  const done = counts.get('done') ?? 0;
  const skipped = counts.get('skipped') ?? 0;
  if (total > 0 && skipped === total) return 'skipped';
  if (done > 0 && done + skipped === total) return 'done';
  return 'pending';
}

function stageSummary(node: GraphNode, states: States): { state: NodeState; line: string } {
  const keys = node.actionKeys ?? [];
  const counts = new Map<NodeState, number>();
  for (const key of keys) {
    const state = states.get(key) ?? 'pending';
    counts.set(state, (counts.get(state) ?? 0) + 1);
  }
  const parts = [...counts].map(([state, count]) => `${count} ${STATE_LABEL[state]}`);
  return { state: summaryState(counts, keys.length), line: parts.join(' · ') };
}

function nodeState(node: GraphNode, states: States | undefined): { state?: NodeState; extra?: string } {
  if (states === undefined) return {};
  if (node.stateKey !== undefined) return { state: states.get(node.stateKey) ?? 'pending' };
  if (node.kind === 'stage') {
    const { state, line } = stageSummary(node, states);
    return { state, extra: line };
  }
  return {};
}

function paintOf(node: GraphNode, state: NodeState | undefined): Paint {
  if (node.kind === 'missing' || node.problem === true) return PROBLEM;
  if (state !== undefined) return STATE_PAINT[state];
  return NEUTRAL;
}

function styleOf(node: GraphNode): string {
  if (node.kind === 'missing') return 'filled,dashed,bold';
  if (node.problem === true) return 'filled,dashed';
  if (node.kind === 'action' || node.kind === 'stage') return 'filled,rounded';
  return 'filled';
}

function nodeLine(node: GraphNode, states: States | undefined): string {
  const { state, extra } = nodeState(node, states);
  const paint = paintOf(node, state);
  const lines = extra === undefined || extra === '' ? node.lines : [...node.lines, extra];
  const attributes = [
    `shape=${SHAPE[node.kind]}`,
    `style=${quote(styleOf(node))}`,
    `fillcolor=${quote(paint.fill)}`,
    `fontcolor=${quote(paint.font)}`,
    `color=${quote(paint.border)}`,
    node.kind === 'join' ? 'width=0.08 label=""' : `label=${quoteLines(lines)}`,
  ];
  if (node.domId !== undefined) attributes.push(`id=${quote(node.domId)}`);
  const classes = [node.kind, ...(state === undefined ? [] : [`state-${state}`])];
  attributes.push(`class=${quote(classes.join(' '))}`);
  if (node.kind === 'start' || node.kind === 'end') attributes.push('width=0.5 fixedsize=true fontsize=9');
  return `${node.id} [${attributes.join(' ')}]`;
}

function edgeLine(edge: GraphEdge): string {
  const label = edge.label === undefined ? '' : ` label=${quoteLines([edge.label], false, 40)}`;
  return `  ${edge.from} -> ${edge.to} [${EDGE_STYLE[edge.kind]}${label}]`;
}

function clusterHeader(cluster: GraphCluster, indent: string): string[] {
  const style =
    cluster.problem === true
      ? `style="rounded,dashed,filled" color=${quote(PROBLEM.border)} fontcolor=${quote(PROBLEM.font)} fillcolor="#FFF5F5"`
      : cluster.kind === 'stage'
        ? 'style="rounded,filled" color="#546E7A" fillcolor="#FAFAFA" fontcolor="#263238"'
        : 'style="rounded,dashed,filled" color="#00838F" fillcolor="#E0F7FA" fontcolor="#004D40"';
  const id = cluster.domId === undefined ? '' : ` id=${quote(cluster.domId)}`;
  return [`${indent}subgraph ${cluster.id} {`, `${indent}  label=${quoteLines(cluster.lines)} ${style}${id}`];
}

function writeClusters(model: GraphModel, states: States | undefined): string[] {
  const children = new Map<string | undefined, GraphCluster[]>();
  for (const cluster of model.clusters) {
    const list = children.get(cluster.parent) ?? [];
    list.push(cluster);
    children.set(cluster.parent, list);
  }
  const members = new Map<string | undefined, GraphNode[]>();
  for (const node of model.nodes) {
    const list = members.get(node.cluster) ?? [];
    list.push(node);
    members.set(node.cluster, list);
  }
  const out: string[] = [];
  const write = (parent: string | undefined, indent: string): void => {
    for (const node of members.get(parent) ?? []) out.push(`${indent}${nodeLine(node, states)}`);
    for (const cluster of children.get(parent) ?? []) {
      out.push(...clusterHeader(cluster, indent));
      write(cluster.id, `${indent}  `);
      out.push(`${indent}}`);
    }
  };
  write(undefined, '  ');
  return out;
}

export function toDot(model: GraphModel, states?: States): string {
  const font = quote(FONT);
  return [
    'digraph workflow {',
    `  graph [fontname=${font} label=${titleLabel(model)} labelloc=t fontsize=16 rankdir=TB nodesep=0.3 ranksep=0.35 bgcolor="white" id="workflow"]`,
    `  node [fontname=${font} fontsize=11 margin="0.12,0.06"]`,
    `  edge [fontname=${font} fontsize=9 arrowsize=0.7]`,
    ...writeClusters(model, states),
    ...model.edges.map(edgeLine),
    ...legend(model, states !== undefined),
    ...problemList(model),
    '}',
    '',
  ].join('\n');
}
