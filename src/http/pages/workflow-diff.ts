/**
 * A version's change as a unified diff, computed as /diff does (src/document/version-patch.ts):
 * both sides masked and rendered as TOML, within the same bounds. Lines are coloured by kind and
 * escaped.
 */
import { maskDocument, stringifyDocument } from '../../document/index.js';
import type { AitwsDocument } from '../../document/types.js';
import { versionPatch } from '../../document/version-patch.js';
import { type Html, html, join } from './html.js';

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
  return versionPatch({ version: fromVersion, text: before }, { version: toVersion, text: after });
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
