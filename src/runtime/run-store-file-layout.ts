/**
 * Where the file run store keeps a run and how each file is written and read back (see
 * run-store-file.ts for the layout). Reads validate what they find; a file that is missing reads
 * as null, so a run removed between two reads simply reads as gone.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { AitwsError } from '../errors.js';
import { parseStored } from '../session/codec.js';
import { errorCode, readIfExists } from '../session/file-io.js';
import { storageName } from '../session/file-store-channel.js';
import {
  changedFields,
  type JsonObject,
  type NewRun,
  type RunChange,
  type RunRecord,
  type StepMemo,
} from './run-store.js';
import {
  changeSchema,
  decodeMemo,
  fixedOf,
  fixedSchema,
  fixedToJson,
  type RunFixed,
  revisionSchema,
  runOf,
  type StoredChange,
} from './run-store-codec.js';

const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;
const RUN_FORMAT = 'aitws.run/1';
const RECORD_FORMAT = 'aitws.run-record/1';
const runFileSchema = fixedSchema.extend({ format: z.literal(RUN_FORMAT) });
const recordFileSchema = z.object({
  format: z.literal(RECORD_FORMAT),
  revision: revisionSchema,
  change: changeSchema,
});
const memoFileSchema = z.object({ key: z.string() });
/** How replies name the data directory: the variable that sets it, never its absolute path. */
const DATA_DIR_LABEL = '$AITWS_DATA_DIR';

export interface RunFiles {
  readonly id: string;
  readonly dir: string;
  readonly run: string;
  readonly record: string;
  readonly steps: string;
  readonly memos: string;
  readonly lock: string;
}

export interface StoredState {
  readonly revision: number;
  readonly change: StoredChange;
}

export function isRunId(id: string): boolean {
  return RUN_ID.test(id);
}

/** USAGE unless `id` is a safe path component. */
export function assertRunId(id: string): void {
  if (isRunId(id)) return;
  throw new AitwsError('USAGE', `"${id.slice(0, 80)}" is not a usable run id.`, {
    hint: 'A run id is 1 to 64 letters, digits, "-" or "_".',
  });
}

export function encodeFixed(run: NewRun): string {
  return JSON.stringify({ format: RUN_FORMAT, ...fixedToJson(run) });
}

export function encodeRecord(revision: number, change: RunChange): string {
  return JSON.stringify({ format: RECORD_FORMAT, revision, change: changedFields(change) });
}

export function encodeMemo(key: string, revision: number, value: JsonObject): string {
  return JSON.stringify({ key, revision, value });
}

export async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

export class RunLayout {
  readonly dataDir: string;
  readonly runsDir: string;

  constructor(dataDir: string) {
    this.dataDir = dataDir;
    this.runsDir = path.join(dataDir, 'runs');
  }

  /** A run's files; USAGE for an unusable id. */
  files(id: string): RunFiles {
    assertRunId(id);
    const dir = path.join(this.runsDir, id);
    return {
      id,
      dir,
      run: path.join(dir, 'run.json'),
      record: path.join(dir, 'record.json'),
      steps: path.join(dir, 'steps.jsonl'),
      memos: path.join(dir, 'memos'),
      lock: `${dir}.lock`,
    };
  }

  memoFile(files: RunFiles, key: string): string {
    return path.join(files.memos, `${storageName([key])}.json`);
  }

  /** A file as errors show it: relative to the data directory's variable. */
  shown(file: string): string {
    return path.join(DATA_DIR_LABEL, path.relative(this.dataDir, file));
  }

  /** The run directories (anything else under runs/ is skipped). */
  async runIds(): Promise<string[]> {
    try {
      const entries = await readdir(this.runsDir, { withFileTypes: true });
      return entries.filter((entry) => entry.isDirectory() && isRunId(entry.name)).map((entry) => entry.name);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw error;
    }
  }

  decodeState(text: string, files: RunFiles): StoredState {
    return parseStored(recordFileSchema, text, this.shown(files.record));
  }

  decodeFixed(text: string, files: RunFiles): RunFixed {
    const source = this.shown(files.run);
    return fixedOf(parseStored(runFileSchema, text, source), source);
  }

  async readState(files: RunFiles): Promise<StoredState | null> {
    const text = await readIfExists(files.record);
    return text === null ? null : this.decodeState(text, files);
  }

  async readFixed(files: RunFiles): Promise<RunFixed | null> {
    const text = await readIfExists(files.run);
    return text === null ? null : this.decodeFixed(text, files);
  }

  async readRun(files: RunFiles): Promise<RunRecord | null> {
    const state = await this.readState(files);
    if (state === null) return null;
    const fixed = await this.readFixed(files);
    // Removed between the two reads, or another id's run on a case-insensitive file system.
    if (fixed === null || fixed.id !== files.id) return null;
    return runOf(fixed, state.change, state.revision);
  }

  async readMemo(files: RunFiles, key: string): Promise<StepMemo | null> {
    const file = this.memoFile(files, key);
    const text = await readIfExists(file);
    if (text === null) return null;
    const source = this.shown(file);
    // The file name is a hash of the key; the key inside tells a collision from the real one.
    if (parseStored(memoFileSchema, text, source).key !== key) return null;
    return decodeMemo(text, source);
  }
}
