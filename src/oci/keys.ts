/**
 * Signing keys for offline, key-based signatures (issue #18): ECDSA P-256, the scheme cosign's
 * signature spec requires every implementation to support. The private key is PKCS#8 PEM and the
 * public key SPKI PEM, so `cosign verify --key aitws.pub` and `openssl` read them as they are, and
 * `cosign import-key-pair --key aitws.key` turns the private key into cosign's own format.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { type FileHandle, mkdir, open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { AitwsError } from '../errors.js';

/** OpenSSL's name for P-256 (secp256r1), as node:crypto reports it. */
const P256 = 'prime256v1';
const PRIVATE_KEY_MODE = 0o600;
const PUBLIC_KEY_MODE = 0o644;

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** PKCS#8, unencrypted: the file's owner-only mode is what protects it. */
  readonly privateKeyPem: string;
  /** SPKI (`-----BEGIN PUBLIC KEY-----`). */
  readonly publicKeyPem: string;
}

export function generateKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: P256 });
  return {
    privateKey,
    publicKey,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** `sha256:` + hex of the public key's DER: a short name to show which key signed. */
export function keyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(der).digest('hex')}`;
}

async function createExclusive(file: string, mode: number): Promise<FileHandle> {
  try {
    // `--out keys/team` in a fresh checkout: the folder is made, closed to others like the key.
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new AitwsError('FILE_IO', `Could not create ${file}: ${messageOf(error)}`, { cause: error });
  }
  try {
    // O_EXCL: never follows a planted symlink and never replaces a key someone relies on; the mode
    // is applied at creation, so the private key is not readable by others even for a moment.
    return await open(file, 'wx', mode);
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'EEXIST')
      throw new AitwsError('ALREADY_EXISTS', `${file} already exists; it was left as it is.`, {
        hint: 'Choose another prefix with --out, or move the old key pair away first.',
      });
    throw new AitwsError('FILE_IO', `Could not create ${file}: ${messageOf(error)}`, { cause: error });
  }
}

/**
 * Writes `PREFIX.key` (0600) and `PREFIX.pub` (0644) and returns the pair. Refuses, writing
 * nothing, when either file exists.
 */
export async function writeKeyPair(prefix: string, pair: KeyPair = generateKeyPair()): Promise<KeyPair> {
  const keyFile = `${prefix}.key`;
  const pubFile = `${prefix}.pub`;
  const keyHandle = await createExclusive(keyFile, PRIVATE_KEY_MODE);
  let pubHandle: FileHandle;
  try {
    pubHandle = await createExclusive(pubFile, PUBLIC_KEY_MODE);
  } catch (error) {
    await keyHandle.close();
    await unlink(keyFile);
    throw error;
  }
  try {
    // A umask can only take bits away; chmod makes the modes exact whatever it is.
    await keyHandle.chmod(PRIVATE_KEY_MODE);
    await keyHandle.writeFile(pair.privateKeyPem);
    await pubHandle.chmod(PUBLIC_KEY_MODE);
    await pubHandle.writeFile(pair.publicKeyPem);
  } finally {
    await keyHandle.close();
    await pubHandle.close();
  }
  return pair;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function readPem(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT')
      throw new AitwsError('FILE_NOT_FOUND', `There is no key file ${file}.`, {
        hint: 'Create a key pair with: aitws keys generate --out PREFIX',
      });
    throw new AitwsError('FILE_IO', `Could not read the key file ${file}: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

/** The PEM labels in a file (`PUBLIC KEY`, `PRIVATE KEY`, …), to say what a wrong file holds. */
function pemLabels(text: string): readonly string[] {
  return [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map((match) => match[1] ?? '');
}

function keyError(file: string, message: string, hint?: string): AitwsError {
  return new AitwsError('FILE_IO', `${file}: ${message}`, hint === undefined ? {} : { hint });
}

/**
 * cosign's own private keys are encrypted with scrypt and NaCl secretbox (XSalsa20-Poly1305).
 * node:crypto has no XSalsa20, and we add no cryptography dependency, so they cannot be read.
 */
const COSIGN_ENCRYPTED = /^ENCRYPTED (SIGSTORE|COSIGN) PRIVATE KEY$/;

function refusePrivateLabels(file: string, labels: readonly string[]): void {
  if (labels.some((label) => COSIGN_ENCRYPTED.test(label)))
    throw keyError(
      file,
      "this is a cosign-encrypted private key (scrypt + XSalsa20-Poly1305), which aitws cannot decrypt: node's crypto has no XSalsa20.",
      'Create a key pair with aitws keys generate; cosign verifies its signatures with cosign verify --key PREFIX.pub, and cosign import-key-pair --key PREFIX.key lets cosign sign with it too.',
    );
  if (labels.includes('ENCRYPTED PRIVATE KEY'))
    throw keyError(
      file,
      'this private key is passphrase-protected, which aitws does not support.',
      'Decrypt it with: openssl pkcs8 -in KEY -out PLAIN.key (then chmod 600 PLAIN.key)',
    );
  if (labels.includes('PUBLIC KEY') || labels.includes('CERTIFICATE'))
    throw keyError(file, 'this is a public key; signing needs the private key (PREFIX.key).');
  if (labels.length === 0) throw keyError(file, 'this is not a PEM key file.');
}

/** The key must be ECDSA on P-256: the one scheme every cosign-compatible verifier supports. */
function requireP256(file: string, key: KeyObject): KeyObject {
  if (key.asymmetricKeyType !== 'ec')
    throw keyError(
      file,
      `this is a ${key.asymmetricKeyType ?? 'non-asymmetric'} key; signatures need an ECDSA P-256 key.`,
      'Create one with: aitws keys generate',
    );
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve !== P256)
    throw keyError(
      file,
      `this ECDSA key is on curve ${curve ?? 'unknown'}, not P-256.`,
      'Create one with: aitws keys generate',
    );
  return key;
}

/** A private key from PEM text; `source` names it in errors. */
export function parsePrivateKey(pem: string, source: string): KeyObject {
  refusePrivateLabels(source, pemLabels(pem));
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw keyError(source, `the private key cannot be read (${messageOf(error)}).`);
  }
  return requireP256(source, key);
}

/** A public key from PEM text (SPKI); a private key here is refused, not silently derived from. */
export function parsePublicKey(pem: string, source: string): KeyObject {
  const labels = pemLabels(pem);
  if (labels.some((label) => label.endsWith('PRIVATE KEY')))
    throw keyError(
      source,
      'this is a private key; verifying needs the public key (PREFIX.pub), and the private key should not leave the signer.',
    );
  if (!labels.includes('PUBLIC KEY'))
    throw keyError(source, 'this is not a PEM public key (-----BEGIN PUBLIC KEY-----).');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw keyError(source, `the public key cannot be read (${messageOf(error)}).`);
  }
  return requireP256(source, key);
}

export async function readPrivateKey(file: string): Promise<KeyObject> {
  return parsePrivateKey(await readPem(file), file);
}

export async function readPublicKey(file: string): Promise<KeyObject> {
  return parsePublicKey(await readPem(file), file);
}
