/**
 * The run's graph on its page: src/graph draws the document with the run's node states, and each
 * action node gets a `data-state` the stylesheet colours and the live stream changes. The SVG is
 * inlined (no <img>, so the nodes can be found by id), masked like every text of the page, with
 * anything before <svg> (the XML prolog, the doctype) dropped.
 */
import { actionNodeId, type NodeState, nodeStatesOf, renderGraph, stateKey } from '../../graph/index.js';
import type { Logger } from '../../logging.js';
import type { RunRecord, StepRecord } from '../../runtime/run-store.js';
import { Html, html } from './html.js';
import { actionsOf } from './run-data.js';
import type { Mask } from './run-timeline.js';

/** SVG node id (`node-<stage>/<action>`) → its state, for every action of the run's document. */
export function nodeStates(run: RunRecord, steps: readonly StepRecord[]): Record<string, NodeState> {
  const states = nodeStatesOf(run, steps);
  const byId: Record<string, NodeState> = {};
  for (const key of actionsOf(run.document).keys()) {
    const slash = key.indexOf('/');
    const stage = key.slice(0, slash);
    const action = key.slice(slash + 1);
    byId[actionNodeId(stage, action)] = states.get(stateKey(stage, action)) ?? 'pending';
  }
  return byId;
}

function unescapeXml(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Each node group `<g id="node-…"` gains `data-state` and keyboard focus. */
function withStates(svg: string, states: Readonly<Record<string, string>>): string {
  return svg.replace(/<g id="([^"]*)"/g, (whole, id: string) => {
    const state = states[unescapeXml(id)];
    return state === undefined ? whole : `${whole} data-state="${state}" tabindex="0"`;
  });
}

/** Where the graph goes: the SVG, or a line saying why there is none. */
export async function graphOf(
  run: RunRecord,
  steps: readonly StepRecord[],
  mask: Mask,
  logger: Logger,
): Promise<Html> {
  try {
    const states = nodeStatesOf(run, steps);
    const rendered = await renderGraph(run.document, 'svg', { states });
    const text = new TextDecoder().decode(rendered.content);
    const start = text.indexOf('<svg');
    if (start === -1) return html`<p class="note">The graph could not be drawn.</p>`;
    const svg = withStates(mask(text.slice(start)), nodeStates(run, steps));
    const labelled = svg.replace(
      '<svg',
      '<svg role="img" aria-label="The workflow graph, nodes coloured by state"',
    );
    return new Html(labelled);
  } catch (error) {
    logger.warn({ err: error, run: run.id }, 'the run page could not draw the graph');
    return html`<p class="note">The graph could not be drawn.</p>`;
  }
}
