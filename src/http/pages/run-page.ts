/**
 * The run page: heading (workflow, version, state), the graph coloured by state, the timeline,
 * each action's inputs and outputs, the AI calls, approvals and audit entries. While the run is
 * not final, a small script follows its live stream and updates the badge, nodes and timeline.
 */
import { elapsedMs, stateWord } from '../../commands/runs/run-text.js';
import { durationText } from '../../runtime/progress.js';
import { isFinal } from '../../runtime/run-store.js';
import { type Html, html } from './html.js';
import { page } from './layout.js';
import type { RunView } from './run-data.js';
import { actionsSection, aiSection, approvalsSection, auditSection } from './run-sections.js';
import { type Mask, stateBadge, timelineTable, timeOf } from './run-timeline.js';

/** Where the page's own links go, each signed for the same person. */
export interface RunPageLinks {
  readonly events: string;
  readonly snapshot: string;
  readonly workflow: string;
}

/** Follows the run's stream: no framework, no eval, nothing but text and attributes set. */
export const LIVE_SCRIPT = `(function(){
var main=document.getElementById('main');var url=main&&main.getAttribute('data-events');
if(!url||!window.EventSource)return;var es=new EventSource(url);
es.addEventListener('update',function(e){var u=JSON.parse(e.data);var b=document.getElementById('run-state');
if(b){b.textContent=u.stateText;b.setAttribute('data-state',u.state);}
var rows=document.getElementById('timeline-rows');if(rows)rows.innerHTML=u.rows;
Object.keys(u.nodes).forEach(function(id){var n=document.getElementById(id);if(n)n.setAttribute('data-state',u.nodes[id]);});
main.setAttribute('data-live-state',u.state);if(u.final)es.close();});
es.addEventListener('end',function(){es.close();});})();`;

function header(view: RunView, links: RunPageLinks, now: Date, mask: Mask): Html {
  const { run } = view;
  return html`<p class="note">Run <code>${run.id}</code></p>
<h1>${mask(run.workflow.name)} <span class="note">v${run.workflow.version}</span> ${stateBadge(run)}</h1>
<ul class="meta">
<li>Started by ${mask(run.startedBy.name)}</li>
<li>Created ${timeOf(run.createdAt)}</li>
<li>${isFinal(run.state) ? 'Took' : 'Elapsed'} ${durationText(elapsedMs(run, now))}</li>
<li><a href="${links.workflow}">Workflow page</a></li>
</ul>
${run.error === undefined ? '' : html`<p role="alert">Error (${run.error.code}): ${mask(run.error.message)}</p>`}`;
}

export function runPage(
  view: RunView,
  graph: Html,
  links: RunPageLinks,
  now: Date,
  mask: Mask,
  nonce: string,
): Html {
  const { run } = view;
  const live = !isFinal(run.state);
  const main = html`<section aria-labelledby="h-graph"><h2 id="h-graph">Graph</h2><div class="graph">${graph}</div></section>
<section aria-labelledby="h-timeline"><h2 id="h-timeline">Timeline</h2>${timelineTable(run, view.steps, now, mask)}</section>
${actionsSection(run, view.steps, mask)}
${aiSection(view.ai, mask, isFinal(run.state) ? links.snapshot : undefined)}
${approvalsSection(view.approvals, mask)}
${auditSection(view.audit, mask)}`;
  return page(
    {
      title: `${mask(run.workflow.name)} v${run.workflow.version} · ${stateWord(run)}`,
      header: header(view, links, now, mask),
      main,
      ...(live ? { script: LIVE_SCRIPT, data: { events: links.events } } : {}),
    },
    nonce,
  );
}
