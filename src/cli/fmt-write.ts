/**
 * Replacing a formatted file so that an editor, a concurrent `git` or a crash sees its old bytes
 * or its new ones, never half a file; the file keeps its permissions, and a symbolic link keeps
 * pointing where it did (the file it names is replaced, not the link).
 */
import { randomBytes } from 'node:crypto';
import { open, realpath, rename, rm, stat } from 'node:fs/promises';

export async function replaceFile(file: string, content: string): Promise<void> {
  const target = await realpath(file);
  const { mode } = await stat(target);
  const temporary = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(content, 'utf8');
      // Set after creation: the mode given to open is cut down by the umask.
      await handle.chmod(mode & 0o7777);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } finally {
    await rm(temporary, { force: true });
  }
}
