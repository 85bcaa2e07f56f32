/**
 * One channel's directory in the file store (src/session/file-store.ts):
 *
 *   <dataDir>/channels/<label>.<hash>/current.json        the current record: the truth
 *   <dataDir>/channels/<label>.<hash>/v00000042.json      one file per retained version
 *   <dataDir>/channels/<label>.<hash>/current.json.lock   held while writing
 *
 * Every file holds one entry in the same form (format, key, version, meta, document), so a write
 * serialises once and stores the same bytes twice, as its version file and over current.json: both
 * are written and fsynced first, then renamed into place, current.json last. A crash in between
 * leaves a version file newer than current.json: an orphan that readers never look at
 * (they only go back from the current version) and that the next write of that version replaces.
 * A write therefore costs one document, however long the history is.
 *
 * Version files at or below the current version never change again; only trimming removes them.
 */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import {
  decodeDocument,
  historyEntryMetaSchema,
  type JsonValue,
  parseStored,
  unreadableDataError,
} from './codec.js';
import { readIfExists, removeIfPresent, replaceFilesAtomic } from './file-io.js';
import { type ChangeToWrite, type ChannelKey, type HistoryEntry, markersOf, type Platform } from './port.js';

export const PLATFORMS = ['console', 'slack', 'discord'] as const satisfies readonly Platform[];

const ENTRY_FORMAT = 'aitws.channel-entry/1';
const CURRENT_FILE = 'current.json';
const VERSION_FILE = /^v(\d+)\.json$/;

const entryFileSchema = historyEntryMetaSchema.extend({
  format: z.literal(ENTRY_FORMAT),
  key: z.object({ platform: z.enum(PLATFORMS), workspace: z.string(), channel: z.string() }),
  document: z.unknown(),
});

/**
 * `<label>.<hash>`: a lower-cased, character-filtered label for people plus a SHA-256 of the exact
 * parts, so no key can leave its directory, collide with another (also on case-insensitive file
 * systems) or exceed name limits.
 */
export function storageName(parts: readonly string[]): string {
  const label = parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .slice(0, 48);
  // JSON keeps the parts apart: ("a:b", "c") and ("a", "b:c") must not share a name.
  const digest = createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
  return `${label}.${digest}`;
}

/** `v00000042.json`; wider numbers simply grow (the pattern accepts any number of digits). */
export function versionFileName(version: number): string {
  return `v${String(version).padStart(8, '0')}.json`;
}

export interface ChannelFiles {
  readonly key: ChannelKey;
  readonly dir: string;
  readonly current: string;
  readonly lock: string;
}

export function channelFiles(channelsDir: string, key: ChannelKey): ChannelFiles {
  const dir = path.join(channelsDir, storageName([key.platform, key.workspace, key.channel]));
  const current = path.join(dir, CURRENT_FILE);
  return { key, dir, current, lock: `${current}.lock` };
}

export function versionFile(channel: ChannelFiles, version: number): string {
  return path.join(channel.dir, versionFileName(version));
}

/**
 * The entry stored in `file`, or null when there is none. `version`, when given, is the one the
 * file name promises. Anything else is an unreadable-data error naming the file.
 */
async function readEntry(
  channel: ChannelFiles,
  file: string,
  version?: number,
): Promise<HistoryEntry | null> {
  const text = await readIfExists(file);
  if (text === null) return null;
  const stored = parseStored(entryFileSchema, text, file);
  const { platform, workspace, channel: id } = stored.key;
  const { key } = channel;
  if (platform !== key.platform || workspace !== key.workspace || id !== key.channel) {
    throw unreadableDataError(file, `it belongs to another channel (${platform}:${workspace}:${id})`);
  }
  if (version !== undefined && stored.version !== version) {
    throw unreadableDataError(file, `it holds version ${stored.version} instead of ${version}`);
  }
  const document = stored.document === null ? null : decodeDocument(stored.document, file);
  const entry: HistoryEntry = {
    version: stored.version,
    document,
    at: stored.at,
    by: stored.by,
    change: stored.change,
  };
  return { ...entry, ...markersOf(stored) };
}

/** The current entry, fully decoded: a write must not bury an unreadable draft under a new version. */
export function readCurrent(channel: ChannelFiles): Promise<HistoryEntry | null> {
  return readEntry(channel, channel.current);
}

export function readVersion(channel: ChannelFiles, version: number): Promise<HistoryEntry | null> {
  return readEntry(channel, versionFile(channel, version), version);
}

/** Stores `change` as `version`: its version file, then current.json. Call under the lock. */
export async function commitVersion(
  channel: ChannelFiles,
  version: number,
  change: ChangeToWrite,
  document: JsonValue,
): Promise<void> {
  const { platform, workspace, channel: id } = channel.key;
  const { at, by } = change;
  const content = {
    format: ENTRY_FORMAT,
    key: { platform, workspace, channel: id },
    version,
    at,
    by,
    change: change.change,
    ...markersOf(change),
    document,
  };
  const text = JSON.stringify(content);
  // Both are flushed before either is renamed; the version file goes into place first.
  await replaceFilesAtomic([
    { file: versionFile(channel, version), content: text },
    { file: channel.current, content: text },
  ]);
}

/**
 * Removes the version files below `oldestKept`. Best effort: the write has already happened, and a
 * file left behind is outside every reader's window; a later write retries.
 */
export async function trimVersions(channel: ChannelFiles, oldestKept: number): Promise<void> {
  if (oldestKept <= 1) return;
  try {
    const names = await readdir(channel.dir);
    const old = names.filter((name) => {
      const digits = VERSION_FILE.exec(name)?.[1];
      return digits !== undefined && Number(digits) < oldestKept;
    });
    await Promise.all(
      old.map((name) => removeIfPresent(path.join(channel.dir, name)).catch(() => undefined)),
    );
  } catch {
    // Best effort, as above.
  }
}
