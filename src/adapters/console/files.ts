/**
 * File access for the console's /load and /save, confined to one root directory: a path that
 * leaves it (.., an absolute path elsewhere, or a symlink pointing out) is refused, and so is one
 * inside a reserved directory (the session store's data dir), however it is reached.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FileAccess } from '../../commands/types.js';
import { AitwsError, LimitError } from '../../errors.js';

function forbidden(requested: string): AitwsError {
  return new AitwsError(
    'PATH_FORBIDDEN',
    `"${requested}" is outside the working directory; nothing was read or written.`,
    {
      hint: 'Use a path inside the directory the console was started in, e.g. workflow.toml or flows/retrain.toml.',
    },
  );
}

function reservedPath(requested: string, shown: string): AitwsError {
  return new AitwsError(
    'PATH_FORBIDDEN',
    `"${requested}" is inside the session store (${shown}); nothing was read or written.`,
    {
      hint: 'The store changes only through commands. Save and load drafts elsewhere, e.g. workflow.toml.',
    },
  );
}

/** True when `candidate` is `root` or below it (a sibling named "..x" is not). */
export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  if (relative === '') return true;
  return relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/** The deepest existing ancestor's real path, so a symlinked directory can't smuggle a write out. */
async function realExistingAncestor(target: string): Promise<string> {
  let current = target;
  for (;;) {
    try {
      return path.join(await realpath(current), path.relative(current, target));
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
      const parent = path.dirname(current);
      if (parent === current) return target;
      current = parent;
    }
  }
}

interface Confinement {
  readonly root: string;
  /** Absolute directories refused even inside the root. */
  readonly reserved: readonly string[];
}

/**
 * Refuses `resolved` (or its real path) inside a reserved directory, compared both as written
 * and through symlinks, so neither a link into the store nor a link that is the store gets past.
 */
async function refuseReserved(
  confinement: Confinement,
  requested: string,
  resolved: string,
  real: string,
): Promise<void> {
  for (const reserved of confinement.reserved) {
    const realReserved = await realExistingAncestor(reserved);
    if (isInside(reserved, resolved) || isInside(realReserved, real)) {
      const relative = path.relative(confinement.root, reserved);
      throw reservedPath(requested, isInside(confinement.root, reserved) ? relative : reserved);
    }
  }
}

async function confine(confinement: Confinement, requested: string): Promise<string> {
  if (requested.length === 0 || requested.includes('\0')) throw forbidden(requested.replace(/\0/g, '\\0'));
  const rootPath = confinement.root;
  const resolved = path.resolve(rootPath, requested);
  if (!isInside(rootPath, resolved)) throw forbidden(requested);
  const realRoot = await realpath(rootPath);
  const real = await realExistingAncestor(resolved);
  if (!isInside(realRoot, real)) throw forbidden(requested);
  await refuseReserved(confinement, requested, resolved, real);
  return resolved;
}

/** The size of the regular file at `resolved`, or the error to show for `requested`. */
async function fileSize(resolved: string, requested: string, rootPath: string): Promise<number> {
  try {
    const info = await stat(resolved);
    if (!info.isFile()) {
      throw new AitwsError('FILE_IO', `"${requested}" is not a file.`, {
        hint: 'Give the path of a .toml file.',
      });
    }
    return info.size;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') {
      throw new AitwsError('FILE_NOT_FOUND', `There is no file "${requested}".`, {
        hint: `Paths are relative to ${rootPath}.`,
      });
    }
    throw error;
  }
}

async function readConfined(confinement: Confinement, maxBytes: number, requested: string): Promise<string> {
  const resolved = await confine(confinement, requested);
  const size = await fileSize(resolved, requested, confinement.root);
  if (size > maxBytes) {
    throw new LimitError(`"${requested}" is ${size} bytes; the limit for a document is ${maxBytes} bytes.`);
  }
  const handle = await open(resolved, 'r');
  try {
    return await handle.readFile({ encoding: 'utf8' });
  } finally {
    await handle.close();
  }
}

/**
 * Written beside the target, then renamed over it (replace) or hard-linked to its name (which
 * fails if the name exists, with no window in which another writer's file could be lost), so a
 * crash never leaves half a file.
 */
async function writeAtomically(
  resolved: string,
  content: string | Uint8Array,
  replace: boolean,
): Promise<void> {
  const temporary = `${resolved}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temporary, 'wx');
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (replace) await rename(temporary, resolved);
    else await link(temporary, resolved);
  } finally {
    await rm(temporary, { force: true });
  }
}

async function writeConfined(
  confinement: Confinement,
  requested: string,
  content: string | Uint8Array,
  replace: boolean,
): Promise<string> {
  const resolved = await confine(confinement, requested);
  await mkdir(path.dirname(resolved), { recursive: true });
  try {
    await writeAtomically(resolved, content, replace);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') {
      throw new AitwsError('ALREADY_EXISTS', `"${requested}" already exists; it was left as it is.`);
    }
    if (errorCode(error) === 'EISDIR') {
      throw new AitwsError('FILE_IO', `"${requested}" is a directory.`, {
        hint: 'Give a file name, e.g. workflow.toml.',
      });
    }
    throw error;
  }
  return path.relative(confinement.root, resolved);
}

export interface ConfinedFilesOptions {
  /** Directories nothing may be read from or written to, e.g. the session store's data dir. */
  readonly reserved?: readonly string[];
}

export function createConfinedFiles(
  root: string,
  maxBytes: number,
  options: ConfinedFilesOptions = {},
): FileAccess {
  const confinement: Confinement = {
    root: path.resolve(root),
    reserved: (options.reserved ?? []).map((dir) => path.resolve(dir)),
  };
  return {
    read: (requested) => readConfined(confinement, maxBytes, requested),
    write: (requested, content, options) =>
      writeConfined(confinement, requested, content, options?.replace === true),
  };
}
