/**
 * A channel's workflow page: the current draft (masked TOML, highlighted), its review state and
 * the version history with each version's change as a diff.
 */
import { namesOf } from '../../access/review.js';
import { maskSecrets } from '../../document/redact.js';
import { workflowName } from '../../runtime/events-version.js';
import type { AccessRecord, Review } from '../../session/access-port.js';
import type { ChannelKey, HistoryEntry, SessionRecord } from '../../session/port.js';
import { type Html, html, join } from './html.js';
import { page } from './layout.js';
import { timeOf } from './run-timeline.js';
import { highlightToml } from './toml-highlight.js';
import { documentText, patchOf, renderPatch } from './workflow-diff.js';

export interface WorkflowView {
  readonly channel: ChannelKey;
  readonly session: SessionRecord;
  /** Newest first. */
  readonly history: readonly HistoryEntry[];
  readonly access: AccessRecord;
}

function reviewText(review: Review | null): Html {
  if (review === null) return html`<p>No version has been submitted for review.</p>`;
  const votes = review.votes.map(
    (vote) =>
      html`<li>${maskSecrets(vote.voter.name)} ${vote.choice === 'approve' ? 'approved' : 'rejected'} at ${timeOf(vote.at)}${vote.reason === undefined ? '' : html`: ${maskSecrets(vote.reason)}`}</li>`,
  );
  return html`<p>v${review.version} submitted by ${maskSecrets(review.submittedBy.name)} at ${timeOf(review.submittedAt)}:
<span class="badge" data-state="${review.state === 'approved' ? 'succeeded' : review.state === 'pending' ? 'waiting' : 'failed'}">${review.state}</span>
(${review.required} approval${review.required === 1 ? '' : 's'} needed)${review.reason === undefined ? '' : html` — ${maskSecrets(review.reason)}`}</p>
${votes.length === 0 ? '' : html`<ul>${votes}</ul>`}`;
}

function reviewSection(access: AccessRecord): Html {
  const approved = access.lastApproved;
  return html`<section aria-labelledby="h-review"><h2 id="h-review">Review</h2>${reviewText(access.review)}
${approved === null ? html`<p class="note">No version has been approved yet.</p>` : html`<p>Last approved: v${approved.version} by ${maskSecrets(namesOf(approved.approvedBy))} at ${timeOf(approved.at)}.</p>`}</section>`;
}

/** Each entry with the change from the one before it, when that one is still kept. */
function historySection(history: readonly HistoryEntry[]): Html {
  if (history.length === 0)
    return html`<section aria-labelledby="h-history"><h2 id="h-history">History</h2><p class="note">No version yet.</p></section>`;
  const texts = history.map((entry) => documentText(entry.document));
  const items = history.map((entry, index) => {
    const previous = history[index + 1];
    const before = previous?.version === entry.version - 1 ? (texts[index + 1] ?? '') : undefined;
    const diff =
      before === undefined && entry.version !== 1
        ? html`<p class="note">The version before is no longer kept.</p>`
        : renderPatch(patchOf(entry.version - 1, before ?? '', entry.version, texts[index] ?? ''));
    return html`<details><summary>v${entry.version} · ${maskSecrets(entry.change)} · ${maskSecrets(entry.by)} · ${timeOf(entry.at)}</summary>${diff}</details>`;
  });
  return html`<section aria-labelledby="h-history"><h2 id="h-history">History</h2><p class="note">Newest first; open a version to see what it changed.</p>${join(items)}</section>`;
}

export function workflowPage(view: WorkflowView, nonce: string): Html {
  const { session, channel } = view;
  const name = session.document === null ? 'No draft' : workflowName(session.document);
  const text = documentText(session.document);
  const draft =
    session.document === null
      ? html`<p>This channel has no draft.</p>`
      : html`<pre class="toml" tabindex="0" aria-label="The draft as TOML">${highlightToml(text)}</pre>`;
  return page(
    {
      title: `${maskSecrets(name)} · workflow`,
      header: html`<p class="note">${channel.platform} · ${channel.workspace} · ${channel.channel}</p>
<h1>${maskSecrets(name)} <span class="note">v${session.version}</span></h1>
<ul class="meta"><li>Last changed by ${maskSecrets(session.updatedBy ?? '–')}</li><li>${timeOf(session.updatedAt ?? undefined)}</li></ul>`,
      main: html`<section aria-labelledby="h-draft"><h2 id="h-draft">Current draft</h2>${draft}</section>
${reviewSection(view.access)}
${historySection(view.history)}`,
    },
    nonce,
  );
}
