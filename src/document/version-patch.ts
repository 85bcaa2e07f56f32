/**
 * The unified diff between two versions of a document (masked TOML texts), bounded so that no
 * diff can stall the process: /diff in chat and the workflow page both show it.
 */
import { createTwoFilesPatch } from 'diff';

/**
 * Myers' diff costs about (changed lines)²: two 232 KB versions that differ everywhere took seconds
 * of CPU, and no other channel got an answer meanwhile. A patch with more changed lines than this
 * is past reading in chat anyway, so the diff gives up there (some 20 ms of CPU on two versions at
 * the size limit; 1,000 lines took 70 ms, too long a pause for the other channels) and the reply
 * summarises instead.
 */
export const MAX_CHANGED_LINES = 500;
/**
 * Wall-clock backstop for what the line bound does not catch (very long lines). A busy machine can
 * hit it on a diff that would otherwise fit: the reply is then the summary, which is still right.
 */
const DIFF_TIMEOUT_MS = 100;

export interface VersionText {
  readonly version: number;
  readonly text: string;
}

/** The unified diff without its file header, or undefined when it would cost more than the bounds. */
export function versionPatch(from: VersionText, to: VersionText): string | undefined {
  const patch = createTwoFilesPatch(`v${from.version}`, `v${to.version}`, from.text, to.text, '', '', {
    context: 3,
    maxEditLength: MAX_CHANGED_LINES,
    timeout: DIFF_TIMEOUT_MS,
  });
  if (patch === undefined) return undefined;
  // Drop the patch's own header (index line, ---/+++ names): ours says v-numbers instead.
  const lines = patch.split('\n');
  return lines
    .slice(lines.findIndex((line) => line.startsWith('+++')) + 1)
    .join('\n')
    .trim();
}
