/**
 * Tab completion for the console: command names, then what each command takes next — a section
 * for /add, /remove and /show, that section's field names after it, a command or section after
 * /help, and TOML files and folders (inside the working directory) after /load and /save.
 */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AsyncCompleter, CompleterResult } from 'node:readline';
import { resolveSectionPath, SECTIONS } from '../../document/sections.js';
import { isInside } from './files.js';

const SECTION_COMMANDS = new Set(['add', 'remove', 'show']);
const FIELD_COMMANDS = new Set(['add', 'remove']);
const FILE_COMMANDS = new Set(['load', 'save']);

/** `roles`, …, and nested lists as `stages.actions`. */
function sectionPaths(): string[] {
  return SECTIONS.flatMap((section) => [
    section.name,
    ...(section.children ?? []).map((child) => `${section.name}.${child.name}`),
  ]);
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}

/** The `key=` names already typed, so they are not offered twice. */
function givenKeys(words: readonly string[]): Set<string> {
  const keys = words.map((word) => /^([A-Za-z_][\w.-]*)=/.exec(word)?.[1]);
  return new Set(keys.filter((key) => key !== undefined));
}

/** What may follow `/add SECTION` or `/remove SECTION`: `field=` (or a bare field to remove). */
function fieldNames(command: string, words: readonly string[]): string[] {
  const resolved = resolveSectionPath(words[1] ?? '');
  if (resolved === undefined) return [];
  const { section, child } = resolved;
  const given = givenKeys(words.slice(2, -1));
  const assignments = (names: readonly string[]) =>
    unique(names)
      .filter((name) => !given.has(name))
      .map((name) => `${name}=`);
  if (command === 'add') {
    const fields = (child?.fields ?? section.fields).map((field) => field.name);
    return assignments(child === undefined ? fields : [child.parentParam, ...fields]);
  }
  if (child !== undefined) return assignments([child.parentParam, child.key]);
  if (section.kind === 'list') return assignments([section.key ?? 'name']);
  // `/remove logging level` drops one field of a table.
  return words.length === 3 ? section.fields.map((field) => field.name) : [];
}

function candidates(command: string, words: readonly string[], commandNames: readonly string[]): string[] {
  const current = words.at(-1) ?? '';
  if (words.length === 2 && SECTION_COMMANDS.has(command)) return sectionPaths();
  if (words.length === 2 && command === 'help') return [...commandNames, ...sectionPaths(), 'sections'];
  // Inside a value (`name="Ad`) there is nothing to offer.
  if (words.length >= 3 && FIELD_COMMANDS.has(command) && !current.includes('='))
    return fieldNames(command, words);
  return [];
}

/** Completion of everything but file paths: the part that needs no disk. */
export function completeLine(line: string, commandNames: readonly string[]): CompleterResult {
  const words = line.trimStart().split(/\s+/);
  const current = words.at(-1) ?? '';
  if (words.length <= 1) {
    const typed = current.startsWith('/') ? current : `/${current}`;
    return [commandNames.map((name) => `/${name}`).filter((name) => name.startsWith(typed)), current];
  }
  const command = (words[0] ?? '').replace(/^\//, '').toLowerCase();
  return [candidates(command, words, commandNames).filter((name) => name.startsWith(current)), current];
}

async function isDirectory(folder: string, entry: Dirent): Promise<boolean> {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return (await stat(path.join(folder, entry.name))).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Folders (with a trailing `/`) and .toml files under `root` that start with `partial`. Nothing
 * outside the root is listed: /load and /save would refuse it anyway. Dotfiles only when asked.
 */
export async function completePath(root: string, partial: string): Promise<string[]> {
  if (path.isAbsolute(partial) || partial.split('/').includes('..')) return [];
  const slash = partial.lastIndexOf('/');
  const prefix = partial.slice(0, slash + 1);
  const base = partial.slice(slash + 1);
  const folder = path.resolve(root, prefix);
  if (!isInside(path.resolve(root), folder)) return [];
  let entries: Dirent[];
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch {
    return [];
  }
  const shown = entries.filter(
    (entry) => entry.name.startsWith(base) && (base.startsWith('.') || !entry.name.startsWith('.')),
  );
  const names = await Promise.all(
    shown.map(async (entry) => {
      if (await isDirectory(folder, entry)) return `${prefix}${entry.name}/`;
      return /\.toml$/i.test(entry.name) ? `${prefix}${entry.name}` : undefined;
    }),
  );
  return names.filter((name) => name !== undefined).sort();
}

/** Everything completeLine offers, plus paths after /load and /save. */
export async function complete(
  line: string,
  commandNames: readonly string[],
  fileRoot: string | undefined,
): Promise<CompleterResult> {
  const words = line.trimStart().split(/\s+/);
  const current = words.at(-1) ?? '';
  const command = (words[0] ?? '').replace(/^\//, '').toLowerCase();
  if (words.length !== 2 || !FILE_COMMANDS.has(command) || fileRoot === undefined || current.includes('='))
    return completeLine(line, commandNames);
  const files = await completePath(fileRoot, current);
  return [[...files, ...['name='].filter((name) => name.startsWith(current))], current];
}

/** For readline: a completer that never fails (a broken folder just offers nothing). */
export function createCompleter(
  commandNames: readonly string[],
  fileRoot: string | undefined,
): AsyncCompleter {
  return (line, callback) => {
    complete(line, commandNames, fileRoot).then(
      (result) => callback(null, result),
      () => callback(null, [[], '']),
    );
  };
}
