/**
 * The console's line history on disk (`<data dir>/console_history`), so the up arrow reaches
 * commands from earlier sessions. One line per entry, oldest first; readable by its owner only.
 * A line holding a secret (anything the core would mask in its own history) stays in memory for
 * this session and is never written.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { normalizeChatText } from '../../commands/grammar/index.js';
import { historyLine } from '../../commands/history-line.js';

/** Entries kept, in memory and on disk. */
export const HISTORY_SIZE = 500;
/** A longer line is kept for this session only: recalling it is rare, rewriting it on every command is not. */
const LONGEST_SAVED_LINE = 2000;

export interface HistoryFile {
  /** Newest first, as readline takes it. */
  readonly entries: string[];
  /** Writes readline's history (newest first); reports the first failure, then stops trying. */
  save(history: readonly string[]): void;
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

function readEntries(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return lines.slice(-HISTORY_SIZE).reverse();
}

/** Whether `line` may be written to disk: the core's history would keep it exactly as typed. */
function savable(line: string, cache: Map<string, boolean>): boolean {
  const known = cache.get(line);
  if (known !== undefined) return known;
  const text = normalizeChatText(line);
  const result = line.length <= LONGEST_SAVED_LINE && !/[\r\n]/.test(line) && historyLine(text) === text;
  cache.set(line, result);
  return result;
}

/** Written beside the file and renamed over it, created 0600, so no one else reads it even briefly. */
function writeEntries(file: string, lines: readonly string[]): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, lines.map((line) => `${line}\n`).join(''), { mode: 0o600, flag: 'wx' });
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * The history at `file`. An unreadable file is reported once through `warn` and the console goes
 * on without it, as it does when the history cannot be written.
 */
export function openHistoryFile(file: string, warn: (message: string) => void): HistoryFile {
  let broken = false;
  const fail = (doing: string, error: unknown) => {
    broken = true;
    const reason = errorCode(error) ?? (error instanceof Error ? error.message : String(error));
    warn(`Line history is off for this session: could not ${doing} ${file} (${reason}).`);
  };
  let entries: string[] = [];
  try {
    entries = readEntries(file);
  } catch (error) {
    fail('read', error);
  }
  const cache = new Map<string, boolean>();
  return {
    entries,
    save(history) {
      if (broken) return;
      try {
        writeEntries(
          file,
          [...history].reverse().filter((line) => savable(line, cache)),
        );
      } catch (error) {
        fail('write', error);
      }
    },
  };
}
