/**
 * Deeply frozen document trees. Edits copy only along the changed path (edit.ts), so a new version
 * of a draft shares every unchanged section and entry with the version before it; once frozen,
 * those shared nodes can carry what was computed from them to the next version (section-memo.ts).
 *
 * Each frozen node carries a note (a hidden, non-enumerable property set just before freezing):
 * its rough size, and for a document what passes over it kept. A note on the node itself, rather
 * than an entry in a WeakMap, costs the garbage collector nothing special: weak maps holding a
 * node per edit made every young-generation collection slower, and that showed as latency.
 */

const NOTE = Symbol('aitws.frozen');

/** What is known about a deeply frozen node. */
export class FrozenNote {
  /** The version this document was edited from, while passes over it may still use it. */
  parent: object | undefined;
  /** Per pass (section-memo.ts), what it kept for this document; only documents get one. */
  kept: unknown[] | undefined;

  constructor(
    /** Rough heap bytes of the subtree; only meant to keep caches within the right order of magnitude. */
    readonly size: number,
  ) {}
}

/** Nodes someone else had already made non-extensible: their notes are kept aside. */
const foreignNotes = new WeakMap<object, FrozenNote>();

/** The note of a node that went through freezeDeep; undefined for any other value. */
export function noteOf(value: unknown): FrozenNote | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const note: unknown = Reflect.get(value, NOTE);
  return note instanceof FrozenNote ? note : foreignNotes.get(value);
}

function leafSize(value: unknown): number {
  return typeof value === 'string' ? 16 + 2 * value.length : 16;
}

function sizeOf(value: unknown): number {
  return noteOf(value)?.size ?? leafSize(value);
}

/**
 * Freezes `value` and everything under it; returns the subtree's rough heap size. Subtrees frozen
 * before are not walked again, so freezing a new version costs only its changed nodes. Recursive:
 * documents come from smol-toml, which refuses nesting deeper than 1,000 levels.
 *
 * `parent`, a frozen earlier version of `value` (the draft it was edited from), makes that cheaper
 * still: a member that is the parent's own member is known frozen, and its size is accounted for in
 * the parent's, so only changed members are looked at.
 */
export function freezeDeep(value: unknown, parent?: unknown): number {
  if (!isNode(value)) return leafSize(value);
  const known = noteOf(value);
  if (known !== undefined) return known.size;
  const parentNote = noteOf(parent);
  const size =
    isNode(parent) && parentNote !== undefined
      ? freezeAgainst(value, parent, parentNote.size)
      : freezeMembers(value);
  const note = new FrozenNote(size);
  if (Object.isExtensible(value)) {
    Object.defineProperty(value, NOTE, { value: note });
  } else {
    // Someone froze (or sealed) it shallowly already; its members were frozen above all the same.
    foreignNotes.set(value, note);
  }
  Object.freeze(value);
  return size;
}

/** True when `value` went through freezeDeep: neither it nor anything under it can change. */
export function isFrozenDeep(value: object): boolean {
  return noteOf(value) !== undefined;
}

/** A table or a list: its members are read by key (a list's keys are its indexes). */
function isNode(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null;
}

function freezeMembers(value: object): number {
  // A frozen node is not necessarily deeply frozen: every member goes through freezeDeep.
  let size = 64;
  for (const [key, child] of Object.entries(value)) size += leafSize(key) + freezeDeep(child);
  return size;
}

/** `members`' size from its frozen parent's, walking only the members that differ. */
function freezeAgainst(
  members: Readonly<Record<string, unknown>>,
  parent: Readonly<Record<string, unknown>>,
  parentSize: number,
): number {
  let size = parentSize;
  let shared = 0;
  for (const key of Object.keys(members)) {
    const child = members[key];
    if (Object.hasOwn(parent, key)) {
      shared += 1;
      const before = parent[key];
      if (child === before) continue;
      size += freezeDeep(child, before) - sizeOf(before);
    } else {
      size += leafSize(key) + freezeDeep(child);
    }
  }
  const parentKeys = Object.keys(parent);
  // Usually every key of the parent is still there (an edit replaced a member): nothing to take off.
  if (parentKeys.length === shared) return size;
  for (const key of parentKeys) {
    if (!Object.hasOwn(members, key)) size -= leafSize(key) + sizeOf(parent[key]);
  }
  return size;
}
