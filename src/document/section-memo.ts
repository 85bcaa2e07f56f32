/**
 * What a pass over a document (validation, limits, size bound, encoding) found per section,
 * carried to the next version of the draft, so an edit costs what it changed rather than what the
 * draft holds.
 *
 * Results are kept per document, only for a deeply frozen one (frozen.ts), keyed by section name
 * with the section node they were computed from. A document derived from a kept one (an edit:
 * `derivedFrom`) reuses a section's result when its node is the very same object, which, being
 * part of a frozen tree, has not changed. The parent link is only a hint: every reuse is decided
 * by node identity, so a wrong or missing link costs time, never correctness.
 *
 * Results live in a map on the document's note (see frozen.ts) rather than on each node: looking
 * up 25 sections through their root stays in a few cache lines, where a lookup per node touched
 * every node of the draft. An edited version takes its parent's map over (see `open`).
 */
import { type FrozenNote, noteOf } from './frozen.js';
import type { AitwsDocument, TomlValue } from './types.js';

/**
 * Records that `document` was made from `parent` by an edit (a hint; see above). Only the link
 * from the newest version is kept: once a version has a successor, its own passes are done, so
 * dropping its link keeps a draft's history from staying alive through a chain of parents.
 */
export function derivedFrom(document: AitwsDocument, parent: AitwsDocument): void {
  const note = noteOf(document);
  if (note === undefined || document === parent) return;
  note.parent = parent;
  const parentNote = noteOf(parent);
  if (parentNote !== undefined) parentNote.parent = undefined;
}

/** A pass's result for one section; `node` is the section value it was computed from. */
export interface SectionResult {
  readonly node: TomlValue | undefined;
}

/**
 * One pass over one document's sections. `find` answers from what the document itself or its
 * parent kept; `keep` records an answer; `close` keeps them when the document is deeply frozen.
 */
export class SectionPass<R extends SectionResult> {
  readonly #own: ReadonlyMap<string, R> | undefined;
  readonly #parent: ReadonlyMap<string, R> | undefined;
  readonly #keep: Map<string, R> | undefined;
  readonly #store: (kept: Map<string, R>) => void;

  constructor(
    own: ReadonlyMap<string, R> | undefined,
    parent: ReadonlyMap<string, R> | undefined,
    keep: Map<string, R> | undefined,
    store: (kept: Map<string, R>) => void,
  ) {
    this.#own = own;
    this.#parent = parent;
    this.#keep = keep;
    this.#store = store;
  }

  /** True when nothing can be reused: a caller may then prefer one pass over the whole document. */
  get fresh(): boolean {
    return this.#own === undefined && this.#parent === undefined;
  }

  /** The kept result for `node` under `key`, if it is the same node. */
  find(key: string, node: TomlValue | undefined): R | undefined {
    const own = this.#own?.get(key);
    if (own !== undefined && own.node === node) return own;
    const parent = this.#parent?.get(key);
    return parent !== undefined && parent.node === node ? parent : undefined;
  }

  /**
   * The parent's result for `key` whatever its node: a changed list section can still reuse what
   * was found for its unchanged entries, which are frozen nodes of the parent, by their identity.
   */
  previous(key: string): R | undefined {
    return this.#parent?.get(key);
  }

  /**
   * Keeps `result` for `key`. Callers write `find(…) ?? compute(previous(…))` then `keep` inline
   * rather than passing a callback: a closure per section per pass was a good part of what an
   * edit allocated.
   */
  keep(key: string, result: R): void {
    this.#keep?.set(key, result);
  }

  close(): void {
    if (this.#keep !== undefined) this.#store(this.#keep);
  }
}

let memos = 0;

/**
 * A map taken over from version to version keeps the keys of sections since removed (harmless, as
 * they no longer match); past this many keys a version starts a map of its own.
 */
const MAX_SHARED_KEYS = 256;

export class SectionMemo<R extends SectionResult> {
  /** This pass's slot in the notes of frozen documents (frozen.ts). */
  readonly #slot = memos++;

  open(document: AitwsDocument): SectionPass<R> {
    const note = noteOf(document);
    const own = this.#kept(note);
    const inherited = this.#kept(noteOf(note?.parent));
    // A document already kept has nothing new to keep; one that may still change keeps nothing.
    // Otherwise the parent's map is taken over and updated in place: a map per version was most of
    // what an edit left for the garbage collector. The parent may still be read (a late command on
    // it), which is safe, as every result is matched by node identity; it may only miss.
    const keep =
      own !== undefined || note === undefined
        ? undefined
        : inherited instanceof Map && inherited.size <= MAX_SHARED_KEYS
          ? (inherited as Map<string, R>)
          : new Map<string, R>();
    return new SectionPass(own, inherited, keep, (kept) => {
      if (note === undefined) return;
      note.kept ??= [];
      note.kept[this.#slot] = kept;
    });
  }

  #kept(note: FrozenNote | undefined): ReadonlyMap<string, R> | undefined {
    const kept = note?.kept?.[this.#slot];
    // Only this memo writes its slot, and it writes a Map<string, R>.
    return kept instanceof Map ? (kept as ReadonlyMap<string, R>) : undefined;
  }
}

/**
 * Finds the kept entry for `entries[index]` among a previous version's entries: at the same
 * position, or one off (an entry added or removed before it). By identity, as sections are.
 */
export function previousEntry<E extends { readonly node: unknown }>(
  previous: readonly E[] | undefined,
  index: number,
  node: unknown,
): E | undefined {
  if (previous === undefined) return undefined;
  const same = previous[index];
  if (same !== undefined && same.node === node) return same;
  const after = previous[index + 1];
  if (after !== undefined && after.node === node) return after;
  const before = previous[index - 1];
  return before !== undefined && before.node === node ? before : undefined;
}
