/**
 * The neutral graph model of a workflow (model.ts builds it, dot.ts draws it). Labels here are
 * raw user text: whoever writes a format escapes them.
 */

export type NodeState = 'done' | 'running' | 'waiting' | 'failed' | 'skipped' | 'pending';

export const NODE_STATES: readonly NodeState[] = [
  'done',
  'running',
  'waiting',
  'failed',
  'skipped',
  'pending',
];

export type NodeKind =
  | 'start'
  | 'end'
  | 'action'
  | 'approval'
  | 'ai'
  | 'stage'
  | 'empty'
  | 'join'
  | 'branch'
  | 'group'
  | 'event'
  | 'schedule'
  | 'handler'
  | 'missing'
  | 'problems';

export interface GraphNode {
  /** The DOT node name (`n12`): never user text. */
  readonly id: string;
  readonly kind: NodeKind;
  /** Label lines, raw. */
  readonly lines: readonly string[];
  /** The SVG id (ids.ts), for actions and stages. */
  readonly domId?: string;
  /** Action: its state key (`stage/action`). */
  readonly stateKey?: string;
  /** Collapsed stage: its actions' state keys. */
  readonly actionKeys?: readonly string[];
  /** The cluster it is drawn in. */
  readonly cluster?: string;
  /** Drawn as a problem (unreachable stage, unresolved group). */
  readonly problem?: boolean;
}

export type EdgeKind =
  | 'next'
  | 'true'
  | 'false'
  | 'before'
  | 'trigger'
  | 'runs'
  | 'on_error'
  | 'task'
  | 'missing';

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
  /** Raw. */
  readonly label?: string;
}

export interface GraphCluster {
  /** The DOT subgraph name (`cluster_3`). */
  readonly id: string;
  readonly kind: 'stage' | 'parallel';
  readonly lines: readonly string[];
  readonly domId?: string;
  readonly parent?: string;
  readonly problem?: boolean;
}

export interface GraphModel {
  readonly title: string;
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  readonly clusters: readonly GraphCluster[];
  /** `where: what`, each once, in the order found. */
  readonly problems: readonly string[];
  /** One node per stage (more than COLLAPSE_ABOVE actions). */
  readonly collapsed: boolean;
  readonly actionCount: number;
  readonly stageCount: number;
}
