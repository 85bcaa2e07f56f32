/**
 * The run page's detail sections: each action's inputs and output, the AI calls, the approvals
 * and the audit entries. Every text goes through `mask` (the run's secret values and the usual
 * patterns) before it is escaped.
 */
import { stepName } from '../../commands/runs/run-text.js';
import type { RunRecord, StepRecord } from '../../runtime/run-store.js';
import type { AuditEntry } from '../../session/access-port.js';
import { type Html, html, join } from './html.js';
import { actionKey, actionsOf, type StepAi, type StepApproval } from './run-data.js';
import { type Mask, timeOf } from './run-timeline.js';

/** Pretty JSON, masked: what a <pre> shows. */
export function prettyJson(value: unknown, mask: Mask): string {
  return mask(JSON.stringify(value ?? null, null, 2) ?? 'null');
}

function outputOf(step: StepRecord, mask: Mask): Html {
  if (step.state === 'skipped') return html`<p class="note">Skipped.</p>`;
  if (step.state === 'failed')
    return html`<p>Failed: ${mask(step.error?.message ?? 'no reason recorded')}</p>`;
  if (step.state === 'started') return html`<p class="note">Not finished yet.</p>`;
  return html`<pre>${prettyJson(step.output, mask)}</pre>`;
}

export function actionsSection(run: RunRecord, steps: readonly StepRecord[], mask: Mask): Html {
  const actions = actionsOf(run.document);
  const items = steps.map((step) => {
    const action = actions.get(actionKey(step.key));
    const inputs = action?.with;
    return html`<details><summary>${stepName(step.key)}${action === undefined ? '' : html` <span class="note">(${String(action.type)})</span>`}</summary>
<h3>Inputs</h3>${inputs === undefined ? html`<p class="note">None.</p>` : html`<pre>${prettyJson(inputs, mask)}</pre>`}
<h3>Output</h3>${outputOf(step, mask)}</details>`;
  });
  return html`<section aria-labelledby="h-io"><h2 id="h-io">Inputs and outputs</h2>
<h3>Run inputs</h3><pre>${prettyJson(run.inputs, mask)}</pre>
${steps.length === 0 ? html`<p class="note">No action has run yet.</p>` : join(items)}</section>`;
}

function attemptsTable({ record }: StepAi, mask: Mask): Html {
  const rows = record.attempts.map(
    (
      attempt,
      index,
    ) => html`<tr><th scope="row">${index + 1}</th><td>${attempt.model}</td><td>${attempt.ok ? 'ok' : 'refused'}</td>
<td>${attempt.cached ? 'yes' : 'no'}</td><td>${mask(attempt.reasons.join('; ')) || '–'}</td></tr>`,
  );
  return html`<div class="table-wrap"><table><caption class="note">Requests made (repairs and fallbacks included)</caption>
<thead><tr><th scope="col">#</th><th scope="col">Model</th><th scope="col">Answer</th><th scope="col">Cached</th><th scope="col">Why it was refused</th></tr></thead>
<tbody>${join(rows)}</tbody></table></div>`;
}

function aiFacts({ record }: StepAi): Html {
  const facts: [string, string][] = [
    [
      'Model',
      record.model === record.configured_model
        ? record.model
        : `${record.model} (asked for ${record.configured_model})`,
    ],
    ['Mode', record.execution_mode],
    ['Confidence', record.confidence === undefined ? '–' : record.confidence.toFixed(2)],
    ['Attempts', String(record.attempts.length)],
    ['Repairs', String(record.repairs)],
    ['Cost', `$${record.cost_usd.toFixed(4)}`],
    ['Tokens', `${record.usage.input_tokens} in, ${record.usage.output_tokens} out`],
    ['Latency', `${record.latency_ms} ms`],
  ];
  return html`<dl class="meta">${facts.map(([term, value]) => html`<div><dt>${term}</dt><dd>${value}</dd></div>`)}</dl>`;
}

function aiCall(ai: StepAi, mask: Mask): Html {
  const { record } = ai;
  const switches = record.switches.map((s) => `${s.from} → ${s.to} (${s.kind}): ${s.reason}`);
  return html`<article class="ai-call" aria-labelledby="ai-${ai.step.key}">
<h3 id="ai-${ai.step.key}">${stepName(ai.step.key)}</h3>${aiFacts(ai)}
<details><summary>Prompt plan</summary><h4>System</h4><pre>${mask(record.system)}</pre>
<h4>Input as sent</h4><pre>${prettyJson(record.input, mask)}</pre></details>
<details open><summary>Response</summary><pre class="ai-response">${mask(record.response_text)}</pre>
${record.value === undefined ? '' : html`<h4>Parsed value</h4><pre>${prettyJson(record.value, mask)}</pre>`}</details>
<details><summary>Attempts and repairs</summary>${attemptsTable(ai, mask)}
${switches.length === 0 ? '' : html`<h4>Fallbacks</h4><ul>${switches.map((s) => html`<li>${mask(s)}</li>`)}</ul>`}</details>
</article>`;
}

export function aiSection(ais: readonly StepAi[], mask: Mask, snapshotUrl: string | undefined): Html {
  const download =
    snapshotUrl === undefined
      ? html`<p class="note">The execution snapshot can be downloaded once the run has finished.</p>`
      : html`<p><a href="${snapshotUrl}" download>Download the execution snapshot (JSON)</a></p>`;
  return html`<section aria-labelledby="h-ai"><h2 id="h-ai">AI calls</h2>${download}
${ais.length === 0 ? html`<p class="note">No AI call in this run.</p>` : join(ais.map((ai) => aiCall(ai, mask)))}</section>`;
}

function approval({ step, memo }: StepApproval, mask: Mask): Html {
  const votes = memo.votes.map(
    (
      vote,
    ) => html`<tr><th scope="row">${mask(vote.voter.name)}</th><td>${vote.choice === 'approve' ? 'approved' : 'rejected'}</td>
<td>${timeOf(vote.at)}</td><td>${mask(vote.reason ?? '') || '–'}</td></tr>`,
  );
  const decision =
    memo.decision === undefined
      ? html`<p>Waiting for ${memo.quorum} approval${memo.quorum === 1 ? '' : 's'} from ${memo.approvers.join(', ') || 'an approver'}, until ${timeOf(memo.until)}.</p>`
      : html`<p>${memo.decision.decision}${memo.decision.timedOut ? ' (by its timeout)' : ''} by ${mask(memo.decision.by.map((p) => p.name).join(', ') || '–')} at ${timeOf(memo.decision.at)}${memo.decision.reason === undefined ? '' : html`: ${mask(memo.decision.reason)}`}</p>`;
  return html`<h3>${stepName(step.key)}</h3>${decision}
${votes.length === 0 ? '' : html`<div class="table-wrap"><table><thead><tr><th scope="col">Who</th><th scope="col">Vote</th><th scope="col">When</th><th scope="col">Why</th></tr></thead><tbody>${join(votes)}</tbody></table></div>`}`;
}

export function approvalsSection(approvals: readonly StepApproval[], mask: Mask): Html {
  return html`<section aria-labelledby="h-approvals"><h2 id="h-approvals">Approvals</h2>
${approvals.length === 0 ? html`<p class="note">No approval step has been reached.</p>` : join(approvals.map((a) => approval(a, mask)))}</section>`;
}

export function auditSection(entries: readonly AuditEntry[], mask: Mask): Html {
  const rows = entries.map(
    (entry) => html`<tr><td>${timeOf(entry.at)}</td><td>${mask(entry.actor.name)}</td><td>${entry.kind}</td>
<td><code>${mask(entry.command)}</code>${entry.detail === undefined ? '' : html`<br><span class="note">${mask(entry.detail)}</span>`}</td></tr>`,
  );
  return html`<section aria-labelledby="h-audit"><h2 id="h-audit">Audit</h2>
${rows.length === 0 ? html`<p class="note">No audit entry names this run or its version.</p>` : html`<div class="table-wrap"><table><caption class="note">Entries about this run and the version it runs, newest first</caption><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Command</th></tr></thead><tbody>${join(rows)}</tbody></table></div>`}</section>`;
}
