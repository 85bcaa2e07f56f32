/**
 * A run's step journal on disk: `steps.jsonl`, a header line naming the journal, then one line per
 * recorded step (the whole step as stored after that record). The latest line of a key is its
 * step; journal order is the order keys first appear. Appends are fsynced one by one; a crash
 * mid-append leaves a last line without its newline, which readers skip and the next append
 * (under the run's lock) cuts off.
 *
 * Appending must stay cheap in a 1,000-action run, so each store keeps the folded journal of the
 * runs it recently wrote and, under the lock, reads only the bytes appended since (by this or any
 * other process). The header carries a random journal id, so a run removed and created again
 * under the same id (whose new file may even reuse the old inode) is never mistaken for the old.
 */
import { randomUUID } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import { z } from 'zod';
import { parseStored, unreadableDataError } from '../session/codec.js';
import { errorCode, readIfExists } from '../session/file-io.js';
import { nextStep, type StepInput, type StepRecord } from './run-store.js';
import { decodeStep } from './run-store-codec.js';

const JOURNAL_FORMAT = 'aitws.run-steps/1';
const headerSchema = z.object({ format: z.literal(JOURNAL_FORMAT), journal: z.string() });
const NEWLINE = 0x0a;
/** Runs whose folded journal a store keeps in memory; the least recently written go first. */
const CACHED_RUNS = 32;

interface Folded {
  /** The header line, without its newline. */
  readonly header: string;
  /** Where the last complete line read ends. */
  offset: number;
  /** Step key → the step's latest line; Map order is journal order. */
  readonly steps: Map<string, string>;
}

/** The content of a new, empty journal. */
export function newJournal(): string {
  return `${JSON.stringify({ format: JOURNAL_FORMAT, journal: randomUUID() })}\n`;
}

/** Header check; `shown` names the file in errors. */
function checkHeader(line: string | undefined, shown: string): string {
  if (line === undefined) throw unreadableDataError(shown, 'its header line is missing');
  parseStored(headerSchema, line, shown);
  return line;
}

/** Complete lines of `text`, without the header, folded by key (no lock needed). */
function fold(lines: readonly string[], into: Map<string, string>, shown: string): void {
  for (const line of lines) into.set(decodeStep(line, shown).key, line);
}

/** The journal's steps, in journal order; null when the file does not exist. */
export async function readJournal(file: string, shown: string): Promise<StepRecord[] | null> {
  const text = await readIfExists(file);
  if (text === null) return null;
  const lines = text.split('\n');
  // After the last newline: an empty string, or a torn append that never completed.
  lines.pop();
  checkHeader(lines.shift(), shown);
  const steps = new Map<string, string>();
  fold(lines, steps, shown);
  return [...steps.values()].map((line) => decodeStep(line, shown));
}

async function readRange(handle: FileHandle, start: number, end: number): Promise<Buffer> {
  const bytes = Buffer.alloc(end - start);
  let read = 0;
  while (read < bytes.length) {
    const { bytesRead } = await handle.read(bytes, read, bytes.length - read, start + read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  return bytes.subarray(0, read);
}

export class JournalCache {
  readonly #runs = new Map<string, Folded>();

  forget(id: string): void {
    this.#runs.delete(id);
  }

  /**
   * Records `input` in run `id`'s journal `file` and returns the stored step (see nextStep).
   * The caller holds the run's lock.
   */
  async record(id: string, file: string, shown: string, input: StepInput): Promise<StepRecord> {
    let handle: FileHandle;
    try {
      handle = await open(file, 'r+');
    } catch (error) {
      // A run whose journal is gone lost its completed steps: starting afresh would repeat them.
      if (errorCode(error) === 'ENOENT') throw unreadableDataError(shown, 'the step journal is missing');
      throw error;
    }
    try {
      const folded = await this.#catchUp(id, handle, shown);
      const previous = folded.steps.get(input.key);
      const stored = previous === undefined ? undefined : decodeStep(previous, shown);
      const next = nextStep(stored, input);
      if (next === stored) return next;
      const line = JSON.stringify(next);
      await handle.write(`${line}\n`, folded.offset, 'utf8');
      await handle.sync();
      folded.offset += Buffer.byteLength(line, 'utf8') + 1;
      folded.steps.set(input.key, line);
      return decodeStep(line, shown);
    } catch (error) {
      // Whatever was folded before the failure is rebuilt from the file next time.
      this.#runs.delete(id);
      throw error;
    } finally {
      await handle.close();
    }
  }

  /** The folded journal, brought up to the end of the file; cuts off a torn last line. */
  async #catchUp(id: string, handle: FileHandle, shown: string): Promise<Folded> {
    const { size } = await handle.stat();
    let folded = this.#runs.get(id);
    if (folded !== undefined && !(await isSameJournal(handle, folded, size))) folded = undefined;
    const start = folded?.offset ?? 0;
    const bytes = await readRange(handle, start, size);
    const end = bytes.lastIndexOf(NEWLINE) + 1;
    if (end < bytes.length) await handle.truncate(start + end);
    const lines =
      end === 0
        ? []
        : bytes
            .subarray(0, end - 1)
            .toString('utf8')
            .split('\n');
    if (folded === undefined)
      folded = { header: checkHeader(lines.shift(), shown), offset: 0, steps: new Map() };
    fold(lines, folded.steps, shown);
    folded.offset = start + end;
    this.#runs.delete(id);
    this.#runs.set(id, folded);
    for (const oldest of this.#runs.keys()) {
      if (this.#runs.size <= CACHED_RUNS) break;
      this.#runs.delete(oldest);
    }
    return folded;
  }
}

async function isSameJournal(handle: FileHandle, folded: Folded, size: number): Promise<boolean> {
  if (size < folded.offset) return false;
  const expected = Buffer.from(`${folded.header}\n`, 'utf8');
  return (await readRange(handle, 0, expected.length)).equals(expected);
}
