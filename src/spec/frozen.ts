/**
 * Deeply frozen document trees. Edits copy only along the changed path (edit.ts), so a new version
 * of a draft shares every unchanged section and entry with the version before it; once frozen,
 * those shared nodes can carry what was computed from them to the next version (section-memo.ts).
 */

/** Nodes frozen here with all their descendants, with a rough size of each subtree in heap bytes. */
const frozenSizes = new WeakMap<object, number>();

/** Rough V8 costs; only meant to keep caches' memory within the right order of magnitude. */
function leafSize(value: unknown): number {
  return typeof value === 'string' ? 16 + 2 * value.length : 16;
}

/**
 * Freezes `value` and everything under it; returns the subtree's rough heap size. Subtrees frozen
 * before are not walked again, so freezing a new version costs only its changed nodes. Recursive:
 * documents come from smol-toml, which refuses nesting deeper than 1,000 levels.
 */
export function freezeDeep(value: unknown): number {
  if (typeof value !== 'object' || value === null) return leafSize(value);
  const known = frozenSizes.get(value);
  if (known !== undefined) return known;
  // Object.isFrozen alone would not do: someone may have frozen a node shallowly.
  let size = 64;
  for (const [key, child] of Object.entries(value)) size += leafSize(key) + freezeDeep(child);
  Object.freeze(value);
  frozenSizes.set(value, size);
  return size;
}

/** True when `value` went through freezeDeep: neither it nor anything under it can change. */
export function isFrozenDeep(value: object): boolean {
  return frozenSizes.has(value);
}
