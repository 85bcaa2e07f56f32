/**
 * Where `${secret:NAME}` values come from. A document names secrets, never holds them: the values
 * live with the workers (environment variables, or files such as a mounted Kubernetes secret), so
 * a chat user who can edit a workflow can make it use a secret but never read one.
 *
 * `AITWS_SECRET_<NAME>` (NAME upper-cased, anything but letters and digits turned into `_`) wins
 * over a file named NAME in the secrets directory. Values never appear in errors.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { AitwsDocument } from '../document/types.js';
import { AitwsError } from '../errors.js';
import { encodeDocument } from '../session/codec-values.js';

export interface SecretSource {
  has(name: string): boolean;
  /** The value; undefined when the secret is not configured. */
  get(name: string): string | undefined;
  /** How an operator configures `name` (for messages: where, never what). */
  describe?(name: string): string;
}

/** What a secret's name may be: it is a file name too, so no separators and no leading dot. */
export const SECRET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;

/** `${secret:NAME}` anywhere in a text; the name is checked separately (see SECRET_NAME). */
const REFERENCE = /\$\{secret:([^}]*)\}/g;

/** A secret file larger than this is not a secret but a mistake (a wrong mount, a log file). */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** `AITWS_SECRET_DB_PASSWORD` for `db.password`. */
export function secretVariable(name: string): string {
  return `AITWS_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** The names of every `${secret:NAME}` in `text`, each once, in order. */
export function secretReferences(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(REFERENCE)) {
    const name = match[1] ?? '';
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** Every secret a document refers to, anywhere in it. */
export function documentSecretNames(document: AitwsDocument): Set<string> {
  return new Set(secretReferences(JSON.stringify(encodeDocument(document))));
}

type Environment = Readonly<Record<string, string | undefined>>;

/** Where no secret is configured: every `${secret:…}` is reported missing. */
export const NO_SECRETS: SecretSource = { has: () => false, get: () => undefined };

/** The secrets the configuration names: AITWS_SECRET_* read once at start, and the secrets directory. */
export function configuredSecrets(settings: {
  readonly secretVariables: Readonly<Record<string, string>>;
  readonly secretsDir?: string | undefined;
}): SecretSource {
  const env = Object.fromEntries(
    Object.entries(settings.secretVariables).map(([name, value]) => [secretVariable(name), value]),
  );
  return environmentSecrets(env, settings.secretsDir);
}

/**
 * Secrets from `env` and, when `dir` is given, from files in it. A file is read at most once (its
 * value, or its absence, is kept) and loses one trailing newline, which editors and `echo` add.
 */
export function environmentSecrets(env: Environment, dir?: string): SecretSource {
  const files = new Map<string, string | undefined>();
  const fromFile = (name: string): string | undefined => {
    if (dir === undefined) return undefined;
    if (files.has(name)) return files.get(name);
    const value = readSecretFile(dir, name);
    files.set(name, value);
    return value;
  };
  const get = (name: string): string | undefined => {
    if (!isSecretName(name)) return undefined;
    return env[secretVariable(name)] ?? fromFile(name);
  };
  return {
    get,
    has: (name) => get(name) !== undefined,
    describe: (name) =>
      `set ${secretVariable(name)} for the workers${dir === undefined ? '' : ` or put a file named ${name} in the secrets directory`}`,
  };
}

function readSecretFile(dir: string, name: string): string | undefined {
  let fd: number;
  try {
    // Non-blocking: opening a FIFO someone put there must not hang the worker.
    fd = openSync(join(dir, name), constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if (isAbsent(error)) return undefined;
    throw unreadable(name, error);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return undefined;
    if (stat.size > MAX_SECRET_FILE_BYTES) {
      throw new AitwsError(
        'CONFIG',
        `The secret file ${name} is larger than ${MAX_SECRET_FILE_BYTES / 1024} KiB.`,
        {
          hint: 'A secret file holds only the value; check that the secrets directory is the right one.',
        },
      );
    }
    const buffer = Buffer.alloc(stat.size);
    let read = 0;
    while (read < stat.size) {
      const count = readSync(fd, buffer, read, stat.size - read, read);
      if (count === 0) break;
      read += count;
    }
    return buffer
      .subarray(0, read)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  } catch (error) {
    if (error instanceof AitwsError) throw error;
    throw unreadable(name, error);
  } finally {
    closeSync(fd);
  }
}

function isAbsent(error: unknown): boolean {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

function unreadable(name: string, cause: unknown): AitwsError {
  return new AitwsError('CONFIG', `The secret file ${name} cannot be read.`, {
    hint: 'Check the permissions of the secrets directory and its files.',
    cause,
  });
}

/** The error for a secret that is not configured: names it, never shows a value. */
export function secretMissing(name: string, source: SecretSource): AitwsError {
  const how = source.describe?.(name);
  return new AitwsError('SECRET_MISSING', `The secret ${JSON.stringify(name)} is not configured.`, {
    ...(how === undefined ? {} : { hint: `To fix it, ${how}.` }),
  });
}

/** `text` with every `${secret:NAME}` replaced by its value; SECRET_MISSING names the first absent one. */
export function resolveSecretReferences(text: string, source: SecretSource): string {
  return text.replace(REFERENCE, (_reference, name: string) => {
    const value = isSecretName(name) ? source.get(name) : undefined;
    if (value === undefined) throw secretMissing(name, source);
    return value;
  });
}
