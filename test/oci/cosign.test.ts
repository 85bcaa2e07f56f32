/**
 * cosign's key-based signature format: the payload and manifest checked field by field against
 * cosign's documented format, sign → verify, each kind of failure with its reason, and openssl as
 * an independent second implementation in both directions.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COSIGN_SIGNATURE_ANNOTATION,
  signatureManifest,
  signatureTag,
  signBlob,
  simpleSigningPayload,
  verifyBlob,
} from '../../src/oci/cosign.js';
import { type SignatureCheck, verifySignatures } from '../../src/oci/cosign-verify.js';
import { sha256Digest } from '../../src/oci/digest.js';
import { generateKeyPair, readPrivateKey, readPublicKey } from '../../src/oci/keys.js';
import type { Blob, Descriptor, Digest, ImageManifest } from '../../src/oci/types.js';

const SUBJECT: Digest = `sha256:${'d34db33f'.repeat(8)}`;
const OTHER: Digest = `sha256:${'0123abcd'.repeat(8)}`;
const REPO = 'localhost:5000/team/digest';
const signer = generateKeyPair();
const stranger = generateKeyPair();

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-cosign-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8');
}

function failure(check: SignatureCheck | undefined): { reason: string; message: string } {
  if (check === undefined || check.ok)
    throw new Error(`expected a failed check, got ${JSON.stringify(check)}`);
  return { reason: check.reason, message: check.message };
}

function onlyLayer(manifest: ImageManifest): Descriptor {
  const [layer, ...rest] = manifest.layers;
  if (layer === undefined || rest.length > 0) throw new Error('one layer expected');
  return layer;
}

function openssl(args: readonly string[]): { ok: boolean; output: string } {
  try {
    return { ok: true, output: execFileSync('openssl', [...args], { encoding: 'utf8', stdio: 'pipe' }) };
  } catch (error) {
    const output = error instanceof Error && 'stdout' in error ? String(error.stdout) : String(error);
    return { ok: false, output };
  }
}

describe('the simple-signing payload', () => {
  it("is byte for byte what sigstore's payload.Cosign marshals", () => {
    expect(text(simpleSigningPayload(SUBJECT, 'example.com/test/image'))).toBe(
      `{"critical":{"identity":{"docker-reference":"example.com/test/image"},"image":{"docker-manifest-digest":"${SUBJECT}"},"type":"cosign container image signature"},"optional":null}`,
    );
    // Go sorts map keys and escapes <, > and & in strings.
    expect(text(simpleSigningPayload(SUBJECT, REPO, { timestamp: '1458239713', creator: 'a<b>&c' }))).toBe(
      `{"critical":{"identity":{"docker-reference":"${REPO}"},"image":{"docker-manifest-digest":"${SUBJECT}"},"type":"cosign container image signature"},"optional":{"creator":"a\\u003cb\\u003e\\u0026c","timestamp":"1458239713"}}`,
    );
  });

  it("has the fields of cosign's documented example, and no others", () => {
    const payload: unknown = JSON.parse(text(simpleSigningPayload(SUBJECT, REPO, { creator: 'aitws' })));
    expect(payload).toEqual({
      critical: {
        identity: { 'docker-reference': REPO },
        image: { 'docker-manifest-digest': SUBJECT },
        type: 'cosign container image signature',
      },
      optional: { creator: 'aitws' },
    });
  });

  it('refuses a subject that is not a sha256 digest', () => {
    expect(() => simpleSigningPayload('sha256:ABC' as Digest, REPO)).toThrow(/is not a sha256 digest/);
    expect(() => signatureTag('sha512:00' as Digest)).toThrow(/is not a sha256 digest/);
  });
});

describe('the signature manifest', () => {
  const signed = signatureManifest(SUBJECT, REPO, signer.privateKey, { creator: 'aitws' });
  const [config, payload] = signed.blobs;

  it("is stored under cosign's tag sha256-<hex>.sig", () => {
    expect(signed.tag).toBe(`sha256-${'d34db33f'.repeat(8)}.sig`);
  });

  it('is an OCI image manifest laid out as cosign pushes one', () => {
    expect(text(signed.manifestBytes)).toMatch(
      /^\{"schemaVersion":2,"mediaType":"application\/vnd\.oci\.image\.manifest\.v1\+json","config":\{"mediaType":"application\/vnd\.oci\.image\.config\.v1\+json","size":\d+,"digest":"sha256:[0-9a-f]{64}"\},"layers":\[\{"mediaType":"application\/vnd\.dev\.cosign\.simplesigning\.v1\+json","size":\d+,"digest":"sha256:[0-9a-f]{64}","annotations":\{"dev\.cosignproject\.cosign\/signature":"[A-Za-z0-9+/]+=*"\}\}\]\}$/,
    );
    expect(JSON.parse(text(signed.manifestBytes))).toEqual(signed.manifest);
  });

  it('has blobs matching their descriptors: the config names the payload as its one diff_id', () => {
    if (config === undefined || payload === undefined) throw new Error('two blobs expected');
    for (const blob of signed.blobs) {
      expect(blob.descriptor.digest).toBe(sha256Digest(blob.content));
      expect(blob.descriptor.size).toBe(blob.content.length);
    }
    expect(signed.manifest.config).toEqual(config.descriptor);
    expect(signed.manifest.layers).toEqual([payload.descriptor]);
    expect(text(payload.content)).toBe(text(simpleSigningPayload(SUBJECT, REPO, { creator: 'aitws' })));
    expect(JSON.parse(text(config.content))).toEqual({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: [{ created: '0001-01-01T00:00:00Z' }],
      os: '',
      rootfs: { type: 'layers', diff_ids: [payload.descriptor.digest] },
      config: {},
    });
  });
});

describe('verifySignatures', () => {
  const signed = signatureManifest(SUBJECT, REPO, signer.privateKey);
  const stored = { manifest: signed.manifest, blobs: signed.blobs };
  const layer: Descriptor = onlyLayer(signed.manifest);

  function withPayload(content: Uint8Array, digest: Digest = layer.digest) {
    const descriptor: Descriptor = { ...layer, digest, size: content.length };
    const manifest: ImageManifest = { ...signed.manifest, layers: [descriptor] };
    return { manifest, blobs: [{ descriptor, content }] };
  }

  it('accepts the signature with the signing public key', () => {
    const [check] = verifySignatures(SUBJECT, REPO, stored, signer.publicKey);
    expect(check).toEqual({
      ok: true,
      layer: 0,
      payloadDigest: layer.digest,
      dockerReference: REPO,
      sameRepository: true,
      optional: null,
    });
  });

  it('still accepts it from another repository, as cosign ignores docker-reference', () => {
    const [check] = verifySignatures(SUBJECT, 'mirror.example/copy', stored, signer.publicKey);
    expect(check).toMatchObject({ ok: true, sameRepository: false, dockerReference: REPO });
  });

  it('rejects another key', () => {
    const { reason, message } = failure(verifySignatures(SUBJECT, REPO, stored, stranger.publicKey)[0]);
    expect(reason).toBe('wrong-key');
    expect(message).toMatch(/does not verify with this public key/);
  });

  it('rejects a payload altered in storage', () => {
    const tampered = Buffer.from(text(signed.blobs[1]?.content ?? new Uint8Array()).replace(SUBJECT, OTHER));
    const { reason, message } = failure(
      verifySignatures(SUBJECT, REPO, withPayload(tampered), signer.publicKey)[0],
    );
    expect(reason).toBe('payload-digest-mismatch');
    expect(message).toMatch(/does not match its digest .*altered/);
  });

  it('rejects a payload altered together with its descriptor, as the signature no longer fits', () => {
    const tampered = simpleSigningPayload(OTHER, REPO);
    const checks = verifySignatures(
      OTHER,
      REPO,
      withPayload(tampered, sha256Digest(tampered)),
      signer.publicKey,
    );
    expect(failure(checks[0]).reason).toBe('wrong-key');
  });

  it('rejects a valid signature over another artifact', () => {
    const { reason, message } = failure(verifySignatures(OTHER, REPO, stored, signer.publicKey)[0]);
    expect(reason).toBe('wrong-subject');
    expect(message).toBe(`The signature is for ${SUBJECT}, not for ${OTHER}.`);
  });

  it('rejects a mangled signature, a missing payload, a layer with no signature and a foreign payload', () => {
    const annotate = (signature: string | undefined): ImageManifest => ({
      ...signed.manifest,
      layers: [
        {
          ...layer,
          annotations: signature === undefined ? {} : { [COSIGN_SIGNATURE_ANNOTATION]: signature },
        },
      ],
    });
    const mangled = { manifest: annotate('not base64!'), blobs: signed.blobs };
    expect(failure(verifySignatures(SUBJECT, REPO, mangled, signer.publicKey)[0]).reason).toBe(
      'bad-signature',
    );
    const truncated = { manifest: annotate('MEUCIQ=='), blobs: signed.blobs };
    expect(failure(verifySignatures(SUBJECT, REPO, truncated, signer.publicKey)[0]).reason).toBe(
      'bad-signature',
    );
    const unsigned = { manifest: annotate(undefined), blobs: signed.blobs };
    expect(failure(verifySignatures(SUBJECT, REPO, unsigned, signer.publicKey)[0]).reason).toBe(
      'not-a-signature',
    );
    const missing = { manifest: signed.manifest, blobs: [] };
    expect(failure(verifySignatures(SUBJECT, REPO, missing, signer.publicKey)[0]).message).toMatch(/missing/);
    const foreign = Buffer.from('{"critical":{"type":"atomic container signature"}}');
    const other = withPayload(foreign, sha256Digest(foreign));
    const resigned: ImageManifest = {
      ...other.manifest,
      layers: other.manifest.layers.map((d) => ({
        ...d,
        annotations: { [COSIGN_SIGNATURE_ANNOTATION]: signBlob(foreign, signer.privateKey) },
      })),
    };
    const blobs: Blob[] = [{ descriptor: onlyLayer(resigned), content: foreign }];
    expect(
      failure(verifySignatures(SUBJECT, REPO, { manifest: resigned, blobs }, signer.publicKey)[0]).reason,
    ).toBe('payload-invalid');
  });

  it('checks each of several signatures in one manifest on its own', () => {
    const second = signatureManifest(SUBJECT, REPO, stranger.privateKey);
    const both = {
      manifest: { ...signed.manifest, layers: [...signed.manifest.layers, ...second.manifest.layers] },
      blobs: [...signed.blobs, ...second.blobs],
    };
    const checks = verifySignatures(SUBJECT, REPO, both, stranger.publicKey);
    expect(checks.map((check) => (check.ok ? 'ok' : check.reason))).toEqual(['wrong-key', 'ok']);
  });
});

describe('signBlob and verifyBlob (cosign sign-blob)', () => {
  const sbom = Buffer.from('{"bomFormat":"CycloneDX","specVersion":"1.6"}');

  it('sign and verify, and refuse altered content, another key or a mangled signature', () => {
    const signature = signBlob(sbom, signer.privateKey);
    expect(verifyBlob(sbom, signature, signer.publicKey)).toEqual({ ok: true });
    expect(verifyBlob(sbom, `${signature}\n`, signer.publicKey)).toEqual({ ok: true });
    expect(verifyBlob(Buffer.from(`${sbom} `), signature, signer.publicKey)).toMatchObject({
      ok: false,
      reason: 'wrong-key',
    });
    expect(verifyBlob(sbom, signature, stranger.publicKey)).toMatchObject({ ok: false, reason: 'wrong-key' });
    expect(verifyBlob(sbom, signature.slice(8), signer.publicKey)).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
  });
});

describe('openssl as a second implementation', () => {
  async function files(name: string, payload: Uint8Array, signature: string, publicKeyPem: string) {
    const base = path.join(dir, name);
    await writeFile(`${base}.json`, payload);
    await writeFile(`${base}.sig.der`, Buffer.from(signature, 'base64'));
    await writeFile(`${base}.pub.pem`, publicKeyPem);
    return base;
  }

  function opensslVerify(base: string, pub = `${base}.pub.pem`) {
    return openssl(['dgst', '-sha256', '-verify', pub, '-signature', `${base}.sig.der`, `${base}.json`]);
  }

  it('verifies our manifest signature over the payload: Verified OK', async () => {
    const signed = signatureManifest(SUBJECT, REPO, signer.privateKey);
    const signature = signed.manifest.layers[0]?.annotations?.[COSIGN_SIGNATURE_ANNOTATION] ?? '';
    const base = await files(
      'manifest',
      signed.blobs[1]?.content ?? new Uint8Array(),
      signature,
      signer.publicKeyPem,
    );
    expect(opensslVerify(base)).toEqual({ ok: true, output: 'Verified OK\n' });
    await writeFile(`${base}.other.pem`, stranger.publicKeyPem);
    expect(opensslVerify(base, `${base}.other.pem`)).toEqual({ ok: false, output: 'Verification failure\n' });
  });

  it('verifies our sign-blob signature over an SBOM: Verified OK', async () => {
    const sbom = Buffer.from('{"bomFormat":"CycloneDX"}\n');
    const base = await files('blob', sbom, signBlob(sbom, signer.privateKey), signer.publicKeyPem);
    expect(opensslVerify(base).output).toBe('Verified OK\n');
  });

  it('signs a payload we verify, with a key pair openssl made', async () => {
    const key = path.join(dir, 'ossl.key');
    const pub = path.join(dir, 'ossl.pub');
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
    openssl(['pkey', '-in', key, '-pubout', '-out', pub]);
    const payload = simpleSigningPayload(SUBJECT, REPO);
    const payloadFile = path.join(dir, 'ossl-payload.json');
    await writeFile(payloadFile, payload);
    const sigFile = path.join(dir, 'ossl.sig');
    expect(openssl(['dgst', '-sha256', '-sign', key, '-out', sigFile, payloadFile]).ok).toBe(true);
    const signature = (await readFile(sigFile)).toString('base64');
    const publicKey = await readPublicKey(pub);
    expect(verifyBlob(payload, signature, publicKey)).toEqual({ ok: true });
    // Ours signs with openssl's key, and openssl checks it.
    const ours = signBlob(payload, await readPrivateKey(key));
    const base = await files('ours-with-ossl-key', payload, ours, await readFile(pub, 'utf8'));
    expect(opensslVerify(base).output).toBe('Verified OK\n');
  });
});
