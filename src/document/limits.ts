/**
 * Size limits and forbidden keys (DESIGN §2): bad input never crashes the bot or bloats a session.
 * The same walk guards a freshly parsed file and an in-memory draft after an edit.
 */
import { LimitError, ValidationError } from '../errors.js';
import { previousEntry, SectionMemo, type SectionResult } from './section-memo.js';
import { getSection } from './sections.js';
import { entryLabel, isTable, joinPath } from './tree.js';
import type { AitwsDocument, Limits, TomlTable, TomlValue } from './types.js';

/** Keys that would reach Object.prototype or a constructor if any consumer ever merged carelessly. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const kib = bytes / 1024;
  if (kib < 1024) return `${Number.isInteger(kib) ? kib : kib.toFixed(1)} KiB`;
  const mib = kib / 1024;
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`;
}

/** Limits are in UTF-8 bytes: what a file, a Redis value or a chat message actually carries. */
function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

export function checkDocumentBytes(text: string, limits: Limits): void {
  // Each UTF-16 unit is at most three UTF-8 bytes, so a short enough text needs no count.
  if (text.length * 3 <= limits.documentBytes) return;
  // Each UTF-16 unit is at least one UTF-8 byte, so an over-long text is refused without a count.
  const counted = text.length <= limits.documentBytes;
  const bytes = counted ? utf8Bytes(text) : text.length;
  if (bytes > limits.documentBytes) {
    throw new LimitError(
      `The document is ${counted ? '' : 'at least '}${formatBytes(bytes)}; the limit is ${formatBytes(limits.documentBytes)}.`,
      'Split the workflow or remove sections it does not need.',
    );
  }
}

function forbiddenKey(key: string, path: string): ValidationError {
  return new ValidationError(
    [{ path: path === '' ? key : path, message: `the key "${key}" is not allowed`, code: 'FORBIDDEN_KEY' }],
    [],
    `The key "${key}"${path === '' ? '' : ` (at ${path})`} is not allowed in an aiTWS document.`,
  );
}

/** An entry of a list section that passed: the bytes it counted. */
interface MeasuredEntry {
  readonly node: TomlValue | undefined;
  readonly bytes: number;
}

/** A section that passed under `limits`: the bytes its value counted (its key is counted apart). */
interface MeasuredSection extends SectionResult {
  readonly limits: Limits;
  readonly bytes: number;
  readonly entries?: readonly MeasuredEntry[];
}

/** See section-memo.ts: an edit walks only the section, and the entries, it changed. */
const measuredSections = new SectionMemo<MeasuredSection>();

/** A list section's entries as they are walked, and the previous version's, to reuse. */
interface EntryLog {
  readonly previous: readonly MeasuredEntry[] | undefined;
  readonly measured: MeasuredEntry[];
}

/**
 * The walk builds no paths: `trail` holds the keys (strings) and list positions (numbers) from the
 * section down, and a path is rebuilt from it only for an error message.
 */
class Walk {
  /** A lower bound of the serialised size, so a huge in-memory draft fails before stringifying. */
  bytes = 0;
  private readonly trail: (string | number)[] = [];

  constructor(
    private readonly document: AitwsDocument,
    private readonly limits: Limits,
  ) {}

  /** `roles[Developer]` rather than `roles[#2]`: a section's own entries by its key field, others by `name`. */
  private path(): string {
    let path = '';
    let current: TomlValue | undefined = this.document;
    this.trail.forEach((step, depth) => {
      if (typeof step === 'number') {
        const item: TomlValue | undefined = Array.isArray(current) ? current[step] : undefined;
        const section = depth === 1 ? getSection(String(this.trail[0])) : undefined;
        path = joinPath(path, entryLabel(item, section?.key ?? 'name', step));
        current = item;
        return;
      }
      path = depth === 0 ? step : joinPath(path, step);
      current = isTable(current) ? current[step] : undefined;
    });
    return path;
  }

  private checkString(text: string, what: string): void {
    const { stringBytes } = this.limits;
    // At most 3 UTF-8 bytes per UTF-16 unit: short strings cannot be over and skip the count.
    const bytes = text.length * 3 <= stringBytes ? text.length : utf8Bytes(text);
    this.bytes += bytes;
    if (bytes > stringBytes) {
      throw new LimitError(
        `${what} at ${this.path()} is ${formatBytes(bytes)}; the limit is ${formatBytes(stringBytes)} per string.`,
        'Keep long text (prompts, documents) outside the workflow and refer to it.',
      );
    }
  }

  /**
   * Counts a value that cannot break a limit, and says so: a plain value, or a string too short
   * to be over (at most 3 UTF-8 bytes per UTF-16 unit). Such values are most of a document, and
   * the loops then skip `check` and the trail for them, which counts before the code is optimised.
   */
  private leaf(value: TomlValue | undefined): boolean {
    if (typeof value === 'string') {
      if (value.length * 3 > this.limits.stringBytes) return false;
      this.bytes += value.length;
      return true;
    }
    if (typeof value === 'object' && !(value instanceof Date)) return false;
    this.bytes += 1;
    return true;
  }

  check(value: TomlValue | undefined, depth: number): void {
    if (typeof value === 'string') {
      this.checkString(value, 'A string');
      return;
    }
    if (typeof value !== 'object' || value instanceof Date) {
      this.bytes += 1;
      return;
    }
    this.checkContainer(value, depth);
  }

  private checkTotal(): void {
    if (this.bytes > this.limits.documentBytes) {
      throw new LimitError(
        `The document is over ${formatBytes(this.limits.documentBytes)}, the limit.`,
        'Split the workflow or remove sections it does not need.',
      );
    }
  }

  private checkContainer(value: TomlTable | TomlValue[], depth: number, log?: EntryLog): void {
    const { limits } = this;
    if (depth > limits.nestingDepth) {
      throw new LimitError(
        `The value at ${this.path()} is nested ${depth} levels deep; the limit is ${limits.nestingDepth} levels of nesting.`,
        'Flatten the structure.',
      );
    }
    if (Array.isArray(value)) {
      if (value.length > limits.entriesPerList) {
        throw new LimitError(
          `${this.path()} has ${value.length} entries; the limit is ${limits.entriesPerList} per list.`,
          'Split the list or remove entries.',
        );
      }
      // Holes are skipped, as `forEach` skipped them, so the byte count stays what it was.
      for (let index = 0; index < value.length; index++) {
        if (!(index in value)) continue;
        const item = value[index];
        if (this.leaf(item)) continue;
        const known = previousEntry(log?.previous, index, item);
        if (known !== undefined) {
          this.bytes += known.bytes;
          this.checkTotal();
          log?.measured.push(known);
          continue;
        }
        const before = this.bytes;
        this.trail.push(index);
        this.check(item, depth + 1);
        this.trail.pop();
        log?.measured.push({ node: item, bytes: this.bytes - before });
      }
      return;
    }
    // Indexed loops here and in the other walks: they run before the code is optimised too.
    const keys = Object.keys(value);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] ?? '';
      if (FORBIDDEN_KEYS.has(key)) throw forbiddenKey(key, this.path());
      // The trail only needs the key where a message may name it.
      if (key.length * 3 <= limits.stringBytes) this.bytes += key.length;
      else {
        this.trail.push(key);
        this.checkString(key, 'A key');
        this.trail.pop();
      }
      this.checkTotal();
      const item = value[key];
      if (this.leaf(item)) continue;
      this.trail.push(key);
      this.check(item, depth + 1);
      this.trail.pop();
    }
  }

  /**
   * A section: unlike a nested key, its key is not held against the document size yet. `known`
   * is what the same value measured before; `previous` what an earlier version of it did.
   */
  section(
    key: string,
    value: TomlValue | undefined,
    known: MeasuredSection | undefined,
    previous: MeasuredSection | undefined,
  ): MeasuredSection {
    if (FORBIDDEN_KEYS.has(key)) throw forbiddenKey(key, '');
    this.trail.push(key);
    this.checkString(key, 'A key');
    const before = this.bytes;
    let entries: MeasuredEntry[] | undefined;
    if (known !== undefined) {
      this.bytes += known.bytes;
      this.checkTotal();
    } else if (Array.isArray(value)) {
      entries = [];
      this.checkContainer(value, 1, { previous: previous?.entries, measured: entries });
    } else {
      this.check(value, 1);
    }
    this.trail.pop();
    if (known !== undefined) return known;
    const bytes = this.bytes - before;
    return { node: value, limits: this.limits, bytes, ...(entries === undefined ? {} : { entries }) };
  }
}

/**
 * Checks limits on a parsed or edited document: entries per list, bytes per string and key,
 * nesting depth, and forbidden keys. Depth counts containers: `[logging]` is 1, a field of a
 * `[[stages.actions]]` entry sits at depth 4 (stages, the stage, actions, the action).
 * Returns a lower bound of the serialised size.
 */
export function checkStructure(document: AitwsDocument, limits: Limits): number {
  const walk = new Walk(document, limits);
  const pass = measuredSections.open(document);
  const underLimits = (measured: MeasuredSection | undefined) =>
    measured?.limits === limits ? measured : undefined;
  for (const key of Object.keys(document)) {
    const value = document[key];
    const known = underLimits(pass.find(key, value));
    pass.keep(key, walk.section(key, value, known, underLimits(pass.previous(key))));
  }
  pass.close();
  return walk.bytes;
}
