/** Accumulates a graph model's nodes, edges and clusters, naming them (`n1`, `cluster_1`). */
import type { GraphCluster, GraphEdge, GraphNode } from './model-types.js';

type NewNode = Omit<GraphNode, 'id'>;
type NewCluster = Omit<GraphCluster, 'id'>;

export class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  readonly edges: GraphEdge[] = [];
  readonly clusters: GraphCluster[] = [];
  readonly problems: string[] = [];
  readonly #problemSet = new Set<string>();
  readonly #missing = new Map<string, string>();
  #next = 0;

  node(node: NewNode): string {
    const id = `n${++this.#next}`;
    this.nodes.push({ id, ...node });
    return id;
  }

  cluster(cluster: NewCluster): string {
    const id = `cluster_${++this.#next}`;
    this.clusters.push({ id, ...cluster });
    return id;
  }

  edge(edge: GraphEdge): void {
    this.edges.push(edge);
  }

  /** The red "missing: NAME" node (one per kind and name). */
  missing(what: string, name: string): string {
    const key = `${what}\u0000${name}`;
    const known = this.#missing.get(key);
    if (known !== undefined) return known;
    const id = this.node({ kind: 'missing', lines: [`missing: ${name}`, `(no such ${what})`] });
    this.#missing.set(key, id);
    return id;
  }

  problem(where: string, message: string): void {
    const text = `${where}: ${message}`;
    if (this.#problemSet.has(text)) return;
    this.#problemSet.add(text);
    this.problems.push(text);
  }
}
