/**
 * File access inside one OCI image layout directory. Every path is built from a digest (checked
 * to be sha256 and hex, so it cannot hold `..` or a separator) or a fixed name, and every file is
 * resolved before it is read or written: a symlink pointing out of the directory is refused, and
 * every blob read is checked against its digest and size, so a tampered layout cannot pass.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AitwsError } from '../errors.js';
import { digestHex, sha256Digest } from './digest.js';
import type { Descriptor } from './types.js';

export const LAYOUT_LIMITS = Object.freeze({
  /** What registries commonly accept for a manifest, and plenty for index.json. */
  manifestBytes: 4 * 1024 * 1024,
  blobBytes: 256 * 1024 * 1024,
});

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

function outside(dir: string, file: string): AitwsError {
  return new AitwsError(
    'PATH_FORBIDDEN',
    `${file} in the OCI layout ${dir} leads outside it; nothing was read.`,
    {
      hint: 'A layout must hold its own files: replace the symlink by the file it points to.',
    },
  );
}

function ioError(what: string, error: unknown): AitwsError {
  if (error instanceof AitwsError) return error;
  if (errorCode(error) === 'ENOENT')
    return new AitwsError('FILE_NOT_FOUND', `${what} does not exist.`, { cause: error });
  return new AitwsError('FILE_IO', `${what} could not be read or written.`, {
    cause: error,
    retryable: true,
  });
}

/** The layout directory's real path; `create` makes it (and its parents) when missing. */
export async function layoutRoot(dir: string, create: boolean): Promise<string> {
  try {
    if (create) await mkdir(dir, { recursive: true });
    const root = await realpath(dir);
    if (!(await stat(root)).isDirectory())
      throw new AitwsError('USAGE', `${dir} is not a directory.`, { hint: 'Give an OCI layout directory.' });
    return root;
  } catch (error) {
    throw ioError(`The directory ${dir}`, error);
  }
}

export async function isEmptyDirectory(root: string): Promise<boolean> {
  return (await readdir(root)).length === 0;
}

export function blobFile(root: string, digest: string): string {
  return path.join(root, 'blobs', 'sha256', digestHex(digest));
}

/** The file's bytes, if it resolves inside the root, is a regular file and is at most `max` bytes. */
export async function readConfined(root: string, file: string, max: number): Promise<Uint8Array> {
  const shown = path.relative(root, file);
  try {
    const real = await realpath(file);
    if (!isInside(root, real)) throw outside(root, shown);
    const handle = await open(real, 'r');
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new AitwsError('PARSE', `${shown} in ${root} is not a file.`);
      if (info.size > max)
        throw new AitwsError('LIMIT', `${shown} in ${root} is ${info.size} bytes; at most ${max} are read.`);
      return new Uint8Array(await handle.readFile());
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw ioError(`${shown} in the OCI layout ${root}`, error);
  }
}

/** A blob's bytes, refused unless they have the descriptor's size and digest. */
export async function readBlob(root: string, descriptor: Descriptor, max: number): Promise<Uint8Array> {
  if (descriptor.size > max)
    throw new AitwsError(
      'LIMIT',
      `Blob ${descriptor.digest} is ${descriptor.size} bytes; at most ${max} are read.`,
    );
  const bytes = await readConfined(root, blobFile(root, descriptor.digest), max);
  if (bytes.byteLength !== descriptor.size || sha256Digest(bytes) !== descriptor.digest)
    throw new AitwsError(
      'VALIDATION',
      `Blob ${descriptor.digest} in the OCI layout ${root} does not match its digest or size: it was changed or is corrupt.`,
      { hint: 'Copy the artifact again from its source; do not use this layout.' },
    );
  return bytes;
}

/** True when the blob is already there with the right content (so it need not be written again). */
export async function hasBlob(root: string, descriptor: Descriptor): Promise<boolean> {
  try {
    await readBlob(root, descriptor, LAYOUT_LIMITS.blobBytes);
    return true;
  } catch (error) {
    if (error instanceof AitwsError && error.code === 'PATH_FORBIDDEN') throw error;
    return false;
  }
}

/**
 * Writes through a temporary file and a rename, so a reader never sees half a file, and a symlink
 * at the destination is replaced rather than written through. The parent must resolve inside root.
 */
export async function writeConfined(root: string, file: string, bytes: Uint8Array): Promise<void> {
  const parent = path.dirname(file);
  try {
    await mkdir(parent, { recursive: true });
    if (!isInside(root, await realpath(parent))) throw outside(root, path.relative(root, parent));
    const temporary = path.join(parent, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(temporary, bytes, { flag: 'wx', mode: 0o644 });
      await rename(temporary, file);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  } catch (error) {
    throw ioError(`${path.relative(root, file)} in the OCI layout ${root}`, error);
  }
}
