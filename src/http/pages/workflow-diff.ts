/**
 * A version's change as a unified diff, the way /diff computes it (src/commands/builtin/diff.ts):
 * both sides masked and rendered as TOML, the `diff` package with the same bounds on changed
 * lines and time, and the patch's own header dropped. Lines are coloured by kind and escaped.
 */
import { createTwoFilesPatch } from 'diff';
import { maskDocument, stringifyDocument } from '../../document/index.js';
import type { AitwsDocument } from '../../document/types.js';
import { type Html, html, join } from './html.js';

/** The same bounds as /diff: past them a patch is not worth reading and costs too much. */
const MAX_CHANGED_LINES = 500;
const DIFF_TIMEOUT_MS = 100;

export function documentText(document: AitwsDocument | null): string {
  return document === null ? '' : stringifyDocument(maskDocument(document));
}

/** The patch from `before` to `after` (masked TOML texts), or undefined past the bounds. */
export function patchOf(
  fromVersion: number,
  before: string,
  toVersion: number,
  after: string,
): string | undefined {
  const patch = createTwoFilesPatch(`v${fromVersion}`, `v${toVersion}`, before, after, '', '', {
    context: 3,
    maxEditLength: MAX_CHANGED_LINES,
    timeout: DIFF_TIMEOUT_MS,
  });
  if (patch === undefined) return undefined;
  const lines = patch.split('\n');
  return lines
    .slice(lines.findIndex((each) => each.startsWith('+++')) + 1)
    .join('\n')
    .trim();
}

function diffLine(text: string): Html {
  if (text.startsWith('+')) return html`<span class="diff-add">${text}</span>`;
  if (text.startsWith('-')) return html`<span class="diff-del">${text}</span>`;
  if (text.startsWith('@@')) return html`<span class="diff-hunk">${text}</span>`;
  return html`${text}\n`;
}

/** A <pre> of the patch, or a line saying why there is none. */
export function renderPatch(patch: string | undefined): Html {
  if (patch === undefined) return html`<p class="note">Too many changes to show as a patch.</p>`;
  if (patch === '') return html`<p class="note">No change to the document.</p>`;
  return html`<pre class="diff">${join(patch.split('\n').map(diffLine))}</pre>`;
}
