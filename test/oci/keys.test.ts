/** Signing key files: generation, owner-only modes, no overwriting, clear errors, openssl reads them. */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEYS_USAGE, keysCommand } from '../../src/cli/keys-command.js';
import { AitwsError } from '../../src/errors.js';
import {
  generateKeyPair,
  keyId,
  parsePrivateKey,
  readPrivateKey,
  readPublicKey,
  writeKeyPair,
} from '../../src/oci/keys.js';
import type { Output } from '../../src/output.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-keys-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function modeOf(file: string): Promise<number> {
  return (await stat(file)).mode & 0o777;
}

async function rejection(promise: Promise<unknown>): Promise<AitwsError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof AitwsError)) throw new Error(`expected an AitwsError, got ${String(error)}`);
  return error;
}

function openssl(args: readonly string[]): string {
  return execFileSync('openssl', [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('generateKeyPair', () => {
  it('makes an ECDSA P-256 pair as PKCS#8 and SPKI PEM', () => {
    const pair = generateKeyPair();
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
    expect(pair.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
    expect(pair.privateKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(keyId(pair.publicKey)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(keyId(generateKeyPair().publicKey)).not.toBe(keyId(pair.publicKey));
  });
});

describe('writeKeyPair', () => {
  it('writes PREFIX.key owner-only and PREFIX.pub readable, and reads them back', async () => {
    const prefix = path.join(dir, 'release');
    const pair = await writeKeyPair(prefix);
    expect(await modeOf(`${prefix}.key`)).toBe(0o600);
    expect(await modeOf(`${prefix}.pub`)).toBe(0o644);
    expect(await readFile(`${prefix}.key`, 'utf8')).toBe(pair.privateKeyPem);
    const publicKey = await readPublicKey(`${prefix}.pub`);
    expect(keyId(publicKey)).toBe(keyId(pair.publicKey));
    const privateKey = await readPrivateKey(`${prefix}.key`);
    expect(privateKey.type).toBe('private');
  });

  it('gives exactly 0600 and 0644 whatever the umask', async () => {
    for (const umask of [0o000, 0o077]) {
      const prefix = path.join(dir, `umask-${umask.toString(8)}`);
      const previous = process.umask(umask);
      try {
        await writeKeyPair(prefix);
      } finally {
        process.umask(previous);
      }
      expect(await modeOf(`${prefix}.key`)).toBe(0o600);
      expect(await modeOf(`${prefix}.pub`)).toBe(0o644);
    }
  });

  it('writes files openssl reads as a P-256 key pair', async () => {
    const prefix = path.join(dir, 'ossl');
    await writeKeyPair(prefix);
    expect(openssl(['pkey', '-in', `${prefix}.key`, '-noout', '-text'])).toMatch(/NIST CURVE: P-256/);
    const derived = openssl(['pkey', '-in', `${prefix}.key`, '-pubout']);
    expect(derived).toBe(await readFile(`${prefix}.pub`, 'utf8'));
  });

  it('refuses an existing PREFIX.key and writes nothing', async () => {
    const prefix = path.join(dir, 'taken');
    await writeFile(`${prefix}.key`, 'precious');
    const error = await rejection(writeKeyPair(prefix));
    expect(error.code).toBe('ALREADY_EXISTS');
    expect(error.message).toContain(`${prefix}.key already exists`);
    expect(await readFile(`${prefix}.key`, 'utf8')).toBe('precious');
    await expect(stat(`${prefix}.pub`)).rejects.toThrow(/ENOENT/);
  });

  it('refuses an existing PREFIX.pub and leaves no private key behind', async () => {
    const prefix = path.join(dir, 'half');
    await writeFile(`${prefix}.pub`, 'someone else');
    const error = await rejection(writeKeyPair(prefix));
    expect(error.code).toBe('ALREADY_EXISTS');
    expect(await readFile(`${prefix}.pub`, 'utf8')).toBe('someone else');
    await expect(stat(`${prefix}.key`)).rejects.toThrow(/ENOENT/);
  });

  it('does not follow a symlink planted where the private key goes', async () => {
    const prefix = path.join(dir, 'planted');
    const target = path.join(dir, 'world-readable');
    await symlink(target, `${prefix}.key`);
    expect((await rejection(writeKeyPair(prefix))).code).toBe('ALREADY_EXISTS');
    await expect(stat(target)).rejects.toThrow(/ENOENT/);
  });

  it('makes a missing folder, closed to others, and says so when it cannot', async () => {
    await writeKeyPair(path.join(dir, 'made', 'deeper', 'k'));
    expect((await stat(path.join(dir, 'made', 'deeper', 'k.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dir, 'made', 'deeper'))).mode & 0o777).toBe(0o700);
    await writeFile(path.join(dir, 'plain-file'), 'not a folder');
    const error = await rejection(writeKeyPair(path.join(dir, 'plain-file', 'k')));
    expect(error.code).toBe('FILE_IO');
    expect(error.message).toMatch(/Could not create .*k\.key/);
  });
});

describe('reading keys', () => {
  async function file(name: string, text: string): Promise<string> {
    const where = path.join(dir, name);
    await writeFile(where, text);
    return where;
  }

  it('says when the file is missing or unreadable', async () => {
    const missing = await rejection(readPublicKey(path.join(dir, 'nope.pub')));
    expect(missing.code).toBe('FILE_NOT_FOUND');
    expect(missing.hint).toContain('aitws keys generate');
    await mkdir(path.join(dir, 'a-dir'));
    expect((await rejection(readPrivateKey(path.join(dir, 'a-dir')))).code).toBe('FILE_IO');
  });

  it('tells a public key given for signing, and a private key given for verifying', async () => {
    const pair = generateKeyPair();
    const pub = await file('x.pub', pair.publicKeyPem);
    const key = await file('x.key', pair.privateKeyPem);
    expect((await rejection(readPrivateKey(pub))).message).toMatch(
      /this is a public key; signing needs the private key/,
    );
    expect((await rejection(readPublicKey(key))).message).toMatch(
      /this is a private key; verifying needs the public key/,
    );
  });

  it('refuses keys that are not ECDSA P-256, naming what they are', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const rsaPub = await file('rsa.pub', rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const p384Key = await file(
      'p384.key',
      p384.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    );
    expect((await rejection(readPublicKey(rsaPub))).message).toMatch(
      /this is a rsa key; signatures need an ECDSA P-256 key/,
    );
    expect((await rejection(readPrivateKey(p384Key))).message).toMatch(/curve secp384r1, not P-256/);
  });

  it("explains that cosign's encrypted private keys cannot be read", async () => {
    const cosignKey = await file(
      'cosign.key',
      '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnt9fQ==\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n',
    );
    const error = await rejection(readPrivateKey(cosignKey));
    expect(error.message).toMatch(/cosign-encrypted private key .*XSalsa20/);
    expect(error.hint).toContain('cosign import-key-pair --key PREFIX.key');
  });

  it('refuses passphrase-protected PKCS#8 and text that is no PEM at all', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const encrypted = pair.privateKey
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' })
      .toString();
    expect((await rejection(readPrivateKey(await file('enc.key', encrypted)))).message).toMatch(
      /passphrase-protected/,
    );
    expect((await rejection(readPublicKey(await file('junk.pub', 'hello')))).message).toMatch(
      /not a PEM public key/,
    );
    expect(() =>
      parsePrivateKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', 'bad.key'),
    ).toThrow(/bad\.key: the private key cannot be read/);
  });

  it('reads the SEC1 "EC PRIVATE KEY" files openssl ecparam writes', async () => {
    const key = path.join(dir, 'sec1.key');
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
    expect(await readFile(key, 'utf8')).toContain('BEGIN EC PRIVATE KEY');
    expect((await readPrivateKey(key)).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });
});

describe('aitws keys generate', () => {
  function recorder(): Output & { readonly lines: string[] } {
    const lines: string[] = [];
    return { lines, out: (line) => lines.push(line), err: (line) => lines.push(line) };
  }

  it('writes the pair under --out and says how to verify', async () => {
    const io = recorder();
    const prefix = path.join(dir, 'team');
    expect(await keysCommand(['generate', '--out', prefix], {}, io)).toBe(0);
    expect(await modeOf(`${prefix}.key`)).toBe(0o600);
    const publicKey = await readPublicKey(`${prefix}.pub`);
    expect(io.lines.join('\n')).toContain(`public key ${keyId(publicKey)}`);
    expect(io.lines.join('\n')).toContain(`cosign verify --key ${prefix}.pub`);
    const again = await rejection(keysCommand(['generate', '--out', prefix], {}, recorder()));
    expect(again.code).toBe('ALREADY_EXISTS');
  });

  it('defaults to aitws.key and aitws.pub in the working directory', async () => {
    const before = process.cwd();
    process.chdir(dir);
    try {
      expect(await keysCommand(['generate'], {}, recorder())).toBe(0);
    } finally {
      process.chdir(before);
    }
    expect(await modeOf(path.join(dir, 'aitws.key'))).toBe(0o600);
    expect(await modeOf(path.join(dir, 'aitws.pub'))).toBe(0o644);
  });

  it('shows the usage without a subcommand, and refuses an empty prefix', async () => {
    const io = recorder();
    expect(await keysCommand([], {}, io)).not.toBe(0);
    expect(io.lines.join('\n')).toContain(KEYS_USAGE);
    expect((await rejection(keysCommand(['generate', '--out', ''], {}, io))).code).toBe('USAGE');
  });
});
