/**
 * Names in a picture. A step's state key is its journal key without `#iteration`
 * (src/runtime/plan.ts stepKey: `%`, `/` and `#` in a name percent-encoded), so `Train/Fit`.
 * SVG ids are `node-<stage>/<action>` for actions and `stage-<stage>` for stages, each name
 * sanitised: every character outside `A-Z a-z 0-9 . -` (the underscore too) becomes `_HEX_`
 * (its code point in upper-case hex), so two names never share an id and no id needs quoting.
 */
import { maskSecrets } from '../document/redact.js';
import { stepKey } from '../runtime/plan.js';

/** `stage/action` as the run journal writes it (names with `/`, `#` or `%` percent-encoded). */
export function stateKey(stage: string, action: string): string {
  return stepKey(stage, action, 0).replace(/#0$/, '');
}

/** One name as it appears in an SVG id; secrets masked first, as in every label of the picture. */
export function sanitiseName(name: string): string {
  let out = '';
  for (const character of maskSecrets(name)) {
    out += /^[A-Za-z0-9.-]$/.test(character)
      ? character
      : `_${(character.codePointAt(0) ?? 0).toString(16).toUpperCase()}_`;
  }
  return out;
}

/** The SVG `id` of an action's node: `node-<stage>/<action>`, both sanitised. */
export function actionNodeId(stage: string, action: string): string {
  return `node-${sanitiseName(stage)}/${sanitiseName(action)}`;
}

/** The SVG `id` of a stage: its node when collapsed, its cluster otherwise. */
export function stageNodeId(stage: string): string {
  return `stage-${sanitiseName(stage)}`;
}
