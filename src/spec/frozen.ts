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
 *
 * `parent`, a frozen earlier version of `value` (the draft it was edited from), makes that cheaper
 * still: a member that is the parent's own member is known frozen, and its size is accounted for in
 * the parent's, so only changed members are looked at. Looking every member up instead touched
 * every node of the draft, which was most of an edit's cost.
 */
export function freezeDeep(value: unknown, parent?: unknown): number {
  if (!isNode(value)) return leafSize(value);
  const known = frozenSizes.get(value);
  if (known !== undefined) return known;
  const parentSize = isNode(parent) ? frozenSizes.get(parent) : undefined;
  const size =
    isNode(parent) && parentSize !== undefined
      ? freezeAgainst(value, parent, parentSize)
      : freezeMembers(value);
  Object.freeze(value);
  frozenSizes.set(value, size);
  return size;
}

/** A table or a list: its members are read by key (a list's keys are its indexes). */
function isNode(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null;
}

function freezeMembers(value: object): number {
  // Object.isFrozen alone would not do: someone may have frozen a node shallowly.
  let size = 64;
  for (const [key, child] of Object.entries(value)) size += leafSize(key) + freezeDeep(child);
  return size;
}

/** `value`'s size from its frozen parent's, walking only the members that differ. */
function freezeAgainst(
  members: Readonly<Record<string, unknown>>,
  parent: Readonly<Record<string, unknown>>,
  parentSize: number,
): number {
  let size = parentSize;
  for (const key of Object.keys(members)) {
    const child = members[key];
    if (Object.hasOwn(parent, key)) {
      const before = parent[key];
      if (child === before) continue;
      size += freezeDeep(child, before) - freezeDeep(before);
    } else {
      size += leafSize(key) + freezeDeep(child);
    }
  }
  for (const key of Object.keys(parent)) {
    if (!Object.hasOwn(members, key)) size -= leafSize(key) + freezeDeep(parent[key]);
  }
  return size;
}

/** True when `value` went through freezeDeep: neither it nor anything under it can change. */
export function isFrozenDeep(value: object): boolean {
  return frozenSizes.has(value);
}
