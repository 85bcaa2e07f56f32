/**
 * Rules for the workspace library that every store shares, so /save name=… behaves the same on
 * files and on Redis: which names are valid, how they sort, and how much one workspace may keep.
 */
import { AitwsError, LimitError } from '../errors.js';

const SAVED_NAME = /^[A-Za-z0-9 _.-]{1,64}$/;

/** Throws a USAGE error unless `name` is 1–64 letters, digits, spaces, `_`, `.` or `-`. */
export function assertSavedName(name: string): void {
  if (SAVED_NAME.test(name) && name.trim() !== '') return;
  throw new AitwsError('USAGE', `"${name.slice(0, 80)}" is not a valid name for a saved workflow.`, {
    hint: 'Use 1 to 64 letters, digits, spaces, "_", "." or "-", for example name="baseline-v2".',
  });
}

/** listNamed order: by code unit, so every store sorts identically regardless of locale. */
export function compareSavedNames(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/**
 * How much one workspace library may hold. Without a cap anyone in a chat could fill the store
 * (300 saves grew Redis by 113 MB). Bytes are those of each saved entry as the store keeps it.
 */
export interface LibraryLimits {
  readonly maxEntries: number;
  readonly maxBytes: number;
}

export const DEFAULT_LIBRARY_LIMITS: LibraryLimits = { maxEntries: 100, maxBytes: 8 * 1024 * 1024 };

/** What a library holds now, and what the save would change. */
export interface LibraryUsage {
  readonly entries: number;
  readonly bytes: number;
  /** Bytes of the entry the save replaces; null when the name is new. */
  readonly replacedBytes: number | null;
  readonly newBytes: number;
}

export type LibraryVerdict = 'ok' | 'entries' | 'bytes';

/**
 * Whether a save fits. A replacement never adds an entry, and its old bytes are given back first.
 * A save that does not grow the library is always allowed, so a library already over a lowered
 * cap (or written before caps existed) can still be trimmed by replacing entries with smaller ones.
 */
export function libraryVerdict(limits: LibraryLimits, usage: LibraryUsage): LibraryVerdict {
  const entries = usage.replacedBytes === null ? usage.entries + 1 : usage.entries;
  if (usage.replacedBytes === null && entries > limits.maxEntries) return 'entries';
  const bytes = usage.bytes - (usage.replacedBytes ?? 0) + usage.newBytes;
  if (bytes > limits.maxBytes && bytes > usage.bytes) return 'bytes';
  return 'ok';
}

const MIB = 1024 * 1024;

function formatBytes(bytes: number): string {
  if (bytes >= MIB) return `${Number((bytes / MIB).toFixed(1))} MiB`;
  if (bytes >= 1024) return `${Number((bytes / 1024).toFixed(1))} KiB`;
  return `${bytes} bytes`;
}

/** The LIMIT error for a refused save: names the cap, and says what a chat user can do about it. */
export function libraryFullError(
  verdict: Exclude<LibraryVerdict, 'ok'>,
  limits: LibraryLimits,
  newBytes: number,
): LimitError {
  const reuse =
    'Reuse the name of a saved workflow you no longer need (see /saved): saving under it replaces that entry.';
  if (verdict === 'entries') {
    return new LimitError(
      `The workspace library is full: it holds at most ${limits.maxEntries} saved workflows. Nothing was saved.`,
      `${reuse} Or ask whoever runs the bot to raise AITWS_LIBRARY_MAX_ENTRIES.`,
    );
  }
  if (newBytes > limits.maxBytes) {
    return new LimitError(
      `This draft takes ${formatBytes(newBytes)} in the library, more than the ${formatBytes(limits.maxBytes)} a workspace may keep in all. Nothing was saved.`,
      'Save it to a file with /save PATH instead, or ask whoever runs the bot to raise AITWS_LIBRARY_MAX_BYTES.',
    );
  }
  return new LimitError(
    `The workspace library is full: it holds at most ${formatBytes(limits.maxBytes)} of saved workflows. Nothing was saved.`,
    `${reuse} Or ask whoever runs the bot to raise AITWS_LIBRARY_MAX_BYTES.`,
  );
}

/** Validates store options: whole numbers of at least 1. */
export function libraryLimits(options: Partial<LibraryLimits>, owner: string): LibraryLimits {
  const limits: LibraryLimits = {
    maxEntries: options.maxEntries ?? DEFAULT_LIBRARY_LIMITS.maxEntries,
    maxBytes: options.maxBytes ?? DEFAULT_LIBRARY_LIMITS.maxBytes,
  };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new AitwsError(
        'CONFIG',
        `${owner} library ${name} must be a whole number of at least 1 (got ${value}).`,
      );
    }
  }
  return limits;
}
