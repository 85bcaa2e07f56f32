/**
 * `${secret:NAME}` values: from AITWS_SECRET_<NAME> or a file in the secrets directory, never from
 * outside it, each file read once; references replaced, and a missing one named without a value.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AitwsError } from '../../src/errors.js';
import {
  environmentSecrets,
  isSecretName,
  MAX_SECRET_FILE_BYTES,
  resolveSecretReferences,
  type SecretSource,
  secretReferences,
  secretVariable,
} from '../../src/runtime/secrets.js';

/** `${secret:NAME}`, written so that no string literal looks like a forgotten placeholder. */
const ref = (name: string): string => `\${secret:${name}}`;

let root: string;
let dir: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'aitws-secrets-'));
  dir = join(root, 'secrets');
  mkdirSync(dir);
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function thrown(action: () => unknown): AitwsError {
  try {
    action();
  } catch (error) {
    if (error instanceof AitwsError) return error;
    throw error;
  }
  throw new Error('expected an AitwsError');
}

describe('environmentSecrets', () => {
  it('reads AITWS_SECRET_<NAME>, upper-cased with other characters as "_"', () => {
    expect(secretVariable('db.password')).toBe('AITWS_SECRET_DB_PASSWORD');
    expect(secretVariable('api-key_2')).toBe('AITWS_SECRET_API_KEY_2');
    const secrets = environmentSecrets({ AITWS_SECRET_DB_PASSWORD: 'hunter2' });
    expect(secrets.get('db.password')).toBe('hunter2');
    expect(secrets.has('db.password')).toBe(true);
    expect(secrets.get('db-password')).toBe('hunter2');
    expect(secrets.has('other')).toBe(false);
    expect(secrets.get('other')).toBeUndefined();
  });

  it('reads a file named NAME in the secrets directory, without one trailing newline', () => {
    writeFileSync(join(dir, 'TOKEN'), 'abc\n');
    writeFileSync(join(dir, 'CRLF'), 'def\r\n');
    writeFileSync(join(dir, 'TWO'), 'ghi\n\n');
    writeFileSync(join(dir, 'EMPTY'), '');
    const secrets = environmentSecrets({}, dir);
    expect(secrets.get('TOKEN')).toBe('abc');
    expect(secrets.get('CRLF')).toBe('def');
    expect(secrets.get('TWO')).toBe('ghi\n');
    expect(secrets.has('EMPTY')).toBe(true);
    expect(secrets.get('EMPTY')).toBe('');
    expect(secrets.has('ABSENT')).toBe(false);
  });

  it('prefers the environment over a file', () => {
    writeFileSync(join(dir, 'TOKEN'), 'from-file');
    expect(environmentSecrets({ AITWS_SECRET_TOKEN: 'from-env' }, dir).get('TOKEN')).toBe('from-env');
  });

  it('reads each file at most once, its absence included', () => {
    writeFileSync(join(dir, 'TOKEN'), 'first');
    const secrets = environmentSecrets({}, dir);
    expect(secrets.get('TOKEN')).toBe('first');
    expect(secrets.has('LATER')).toBe(false);
    writeFileSync(join(dir, 'TOKEN'), 'second');
    writeFileSync(join(dir, 'LATER'), 'now here');
    expect(secrets.get('TOKEN')).toBe('first');
    expect(secrets.has('LATER')).toBe(false);
    expect(environmentSecrets({}, dir).get('TOKEN')).toBe('second');
  });

  it('never reads outside the secrets directory', () => {
    writeFileSync(join(root, 'outside'), 'leaked');
    writeFileSync(join(dir, '.hidden'), 'hidden');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'inner'), 'inner');
    const secrets = environmentSecrets({}, dir);
    for (const name of ['../outside', '..', '.', '.hidden', 'sub/inner', join(root, 'outside'), 'a\\b', '']) {
      expect(isSecretName(name)).toBe(false);
      expect(secrets.get(name)).toBeUndefined();
      expect(secrets.has(name)).toBe(false);
    }
    // A directory is not a secret either.
    expect(secrets.has('sub')).toBe(false);
  });

  it('reads no files without a directory', () => {
    writeFileSync(join(dir, 'TOKEN'), 'abc');
    expect(environmentSecrets({}).has('TOKEN')).toBe(false);
  });

  it('refuses a file too large to be a secret, without showing it', () => {
    writeFileSync(join(dir, 'BIG'), 'x'.repeat(MAX_SECRET_FILE_BYTES + 1));
    const error = thrown(() => environmentSecrets({}, dir).get('BIG'));
    expect(error.code).toBe('CONFIG');
    expect(error.message).toBe('The secret file BIG is larger than 64 KiB.');
  });

  it('does not hang on a FIFO in the secrets directory', () => {
    try {
      execFileSync('mkfifo', [join(dir, 'PIPE')]);
    } catch {
      return; // No mkfifo on this system: nothing to check.
    }
    expect(environmentSecrets({}, dir).has('PIPE')).toBe(false);
  });

  it('says how to configure a secret, without its value', () => {
    expect(environmentSecrets({}).describe?.('db.password')).toBe(
      'set AITWS_SECRET_DB_PASSWORD for the workers',
    );
    expect(environmentSecrets({}, dir).describe?.('TOKEN')).toBe(
      'set AITWS_SECRET_TOKEN for the workers or put a file named TOKEN in the secrets directory',
    );
  });
});

describe('secret references', () => {
  const source: SecretSource = environmentSecrets({ AITWS_SECRET_USER: 'ada', AITWS_SECRET_PASS: 'p@ss' });

  it('lists the names referenced, each once', () => {
    expect(secretReferences(`${ref('A')} and ${ref('B')} and ${ref('A')}`)).toEqual(['A', 'B']);
    expect(secretReferences('no secrets, {secret:X}, $secret:Y')).toEqual([]);
  });

  it('replaces every reference', () => {
    expect(
      resolveSecretReferences(`postgres://${ref('USER')}:${ref('PASS')}@db/${ref('USER')}`, source),
    ).toBe('postgres://ada:p@ss@db/ada');
    expect(resolveSecretReferences('plain text', source)).toBe('plain text');
  });

  it('throws SECRET_MISSING naming the missing secret, never a value', () => {
    const error = thrown(() => resolveSecretReferences(`${ref('PASS')} ${ref('MISSING')}`, source));
    expect(error.code).toBe('SECRET_MISSING');
    expect(error.message).toBe('The secret "MISSING" is not configured.');
    expect(error.hint).toBe('To fix it, set AITWS_SECRET_MISSING for the workers.');
    expect(`${error.message} ${error.hint}`).not.toContain('p@ss');
  });

  it('treats a reference whose name cannot be a secret as missing', () => {
    const error = thrown(() => resolveSecretReferences(ref('../PASS'), source));
    expect(error.code).toBe('SECRET_MISSING');
    expect(error.message).toBe('The secret "../PASS" is not configured.');
  });
});
