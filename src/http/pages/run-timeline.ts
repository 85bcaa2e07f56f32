/**
 * The parts of the run page that change while it runs: the state badge, the timeline rows and the
 * state of each graph node. The page renders them once; the live stream (run-events.ts) sends them
 * again whenever the run or its journal changes.
 */

import { stateWord, stepName } from '../../commands/runs/run-text.js';
import { durationText } from '../../runtime/progress.js';
import type { RunRecord, StepRecord } from '../../runtime/run-store.js';
import { type Html, html, join } from './html.js';

export type Mask = (text: string) => string;

/** `2025-01-02 10:11:12 UTC` in a <time> element. */
export function timeOf(iso: string | undefined): Html {
  if (iso === undefined) return html`–`;
  const shown = /^\d{4}-\d\d-\d\dT/.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC` : iso;
  return html`<time datetime="${iso}">${shown}</time>`;
}

export function stateBadge(run: RunRecord): Html {
  return html`<span id="run-state" class="badge" data-state="${run.state}" role="status">${stateWord(run)}</span>`;
}

/** What a step's row says its state is: a started step the run waits on is waiting. */
export function stepState(run: RunRecord, step: StepRecord): string {
  if (step.state !== 'started') return step.state;
  if (run.waitingFor?.key === step.key) return 'waiting';
  return run.state === 'running' || run.state === 'queued' ? 'running' : run.state;
}

function durationOf(step: StepRecord, now: Date): string {
  const start = Date.parse(step.startedAt);
  const end = step.finishedAt === undefined ? now.getTime() : Date.parse(step.finishedAt);
  if (Number.isNaN(start) || Number.isNaN(end)) return '–';
  return `${durationText(end - start)}${step.finishedAt === undefined ? ' so far' : ''}`;
}

function row(run: RunRecord, step: StepRecord, now: Date, mask: Mask): Html {
  const state = stepState(run, step);
  const error =
    step.error === undefined ? '' : html`<br><span class="note">${mask(step.error.message)}</span>`;
  return html`<tr data-key="${step.key}">
<th scope="row" data-label="Action">${stepName(step.key)}</th>
<td data-label="State"><span class="badge" data-state="${state}">${state.replace('_', ' ')}</span>${error}</td>
<td data-label="Started">${timeOf(step.startedAt)}</td>
<td data-label="Duration">${durationOf(step, now)}</td>
<td data-label="Attempts">${step.attempt}</td>
</tr>`;
}

/** The <tbody> content: one row per journaled step, in the order they were first recorded. */
export function timelineRows(run: RunRecord, steps: readonly StepRecord[], now: Date, mask: Mask): Html {
  if (steps.length === 0) return html`<tr><td colspan="5" class="note">No action has started yet.</td></tr>`;
  return join(steps.map((step) => row(run, step, now, mask)));
}

export function timelineTable(run: RunRecord, steps: readonly StepRecord[], now: Date, mask: Mask): Html {
  return html`<div class="table-wrap"><table class="timeline">
<caption class="note">Actions in the order they started</caption>
<thead><tr><th scope="col">Action</th><th scope="col">State</th><th scope="col">Started</th><th scope="col">Duration</th><th scope="col">Attempts</th></tr></thead>
<tbody id="timeline-rows" aria-live="polite">${timelineRows(run, steps, now, mask)}</tbody>
</table></div>`;
}

/** What the live stream sends: enough to update the badge, the nodes and the timeline. */
export interface LiveUpdate {
  readonly state: string;
  readonly stateText: string;
  readonly final: boolean;
  readonly nodes: Record<string, string>;
  /** The timeline's <tbody> content, escaped and masked. */
  readonly rows: string;
}
