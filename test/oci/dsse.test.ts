/** DSSE envelopes: the spec's PAE and signature vector, a P-256 round trip, and what must fail. */
import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AitwsError } from '../../src/errors.js';
import {
  type DsseEnvelope,
  type DsseVerifier,
  dsseSign,
  dsseVerify,
  envelopeBytes,
  pae,
  parseEnvelope,
} from '../../src/oci/dsse.js';

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');
const bytesOf = (value: string): Uint8Array => new TextEncoder().encode(value);

/** The test vector of the DSSE protocol (secure-systems-lab/dsse, protocol.md, "Test Vectors"). */
const SPEC = {
  payloadType: 'http://example.com/HelloWorld',
  body: 'hello world',
  pae: 'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
  x: 46950820868899156662930047687818585632848591499744589407958293238635476079160n,
  y: 5640078356564379163099075877009565129882514886557779369047442380624545832820n,
  envelope: {
    payload: 'aGVsbG8gd29ybGQ=',
    payloadType: 'http://example.com/HelloWorld',
    signatures: [
      { sig: 'A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA==' },
    ],
  },
} as const;

function coordinate(value: bigint): string {
  return Buffer.from(value.toString(16).padStart(64, '0'), 'hex').toString('base64url');
}

const specKey = createPublicKey({
  key: { kty: 'EC', crv: 'P-256', x: coordinate(SPEC.x), y: coordinate(SPEC.y) },
  format: 'jwk',
});

/** The spec's signatures are raw r||s (IEEE P1363); cosign and openssl use DER, node's default. */
function verifierFor(key: KeyObject, encoding: 'der' | 'ieee-p1363' = 'der'): DsseVerifier {
  return (bytes, signature) => verify('sha256', bytes, { key, dsaEncoding: encoding }, signature);
}

function p256(): { readonly privateKey: KeyObject; readonly publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

describe('pae', () => {
  it('encodes the spec example exactly', () => {
    expect(text(pae(SPEC.payloadType, bytesOf(SPEC.body)))).toBe(SPEC.pae);
  });

  it('counts bytes, not characters, and frames an empty body', () => {
    expect(text(pae('t/ü', bytesOf('é')))).toBe('DSSEv1 4 t/ü 2 é');
    expect(text(pae('t', new Uint8Array()))).toBe('DSSEv1 1 t 0 ');
  });

  it('keeps binary payloads byte for byte', () => {
    const body = new Uint8Array([0, 255, 10, 32]);
    expect([...pae('b', body).slice(-4)]).toEqual([0, 255, 10, 32]);
  });
});

describe('dsseVerify', () => {
  it("accepts the spec's own envelope with the spec's key", () => {
    const result = dsseVerify(SPEC.envelope, verifierFor(specKey, 'ieee-p1363'));
    expect(result).toEqual({ ok: true, payloadType: SPEC.payloadType, payload: bytesOf(SPEC.body) });
  });

  it("refuses the spec's envelope with its payload changed by one letter", () => {
    const tampered = { ...SPEC.envelope, payload: Buffer.from('hello World').toString('base64') };
    expect(dsseVerify(tampered, verifierFor(specKey, 'ieee-p1363')).ok).toBe(false);
  });
});

describe('dsseSign and dsseVerify with P-256', () => {
  const { privateKey, publicKey } = p256();
  const signer = (bytes: Uint8Array): Uint8Array => sign('sha256', bytes, privateKey);
  const payload = bytesOf('{"_type":"https://in-toto.io/Statement/v1"}');
  const TYPE = 'application/vnd.in-toto+json';

  it('round-trips through the stored bytes', () => {
    const envelope = dsseSign(TYPE, payload, signer, 'sha256:key');
    expect(envelope.payloadType).toBe(TYPE);
    expect(Buffer.from(envelope.payload, 'base64').equals(Buffer.from(payload))).toBe(true);
    expect(envelope.signatures).toHaveLength(1);
    expect(envelope.signatures[0]?.keyid).toBe('sha256:key');
    const read = parseEnvelope(envelopeBytes(envelope), 'attestation.json');
    expect(read).toEqual(envelope);
    expect(dsseVerify(read, verifierFor(publicKey), TYPE)).toEqual({
      ok: true,
      payloadType: TYPE,
      payload,
      keyid: 'sha256:key',
    });
  });

  it('signs the PAE, which openssl verifies as a second implementation', async () => {
    const envelope = dsseSign(TYPE, payload, signer);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-dsse-'));
    try {
      await writeFile(path.join(dir, 'pae.bin'), pae(TYPE, payload));
      await writeFile(path.join(dir, 'sig.der'), Buffer.from(envelope.signatures[0]?.sig ?? '', 'base64'));
      await writeFile(path.join(dir, 'key.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
      const out = execFileSync(
        'openssl',
        ['dgst', '-sha256', '-verify', 'key.pub', '-signature', 'sig.der', 'pae.bin'],
        { cwd: dir, encoding: 'utf8' },
      );
      expect(out.trim()).toBe('Verified OK');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a tampered payload, a swapped payload type, another key and an unexpected type', () => {
    const envelope = dsseSign(TYPE, payload, signer);
    const verifier = verifierFor(publicKey);
    const tampered: DsseEnvelope = { ...envelope, payload: Buffer.from('{"_type":"x"}').toString('base64') };
    expect(dsseVerify(tampered, verifier)).toEqual({
      ok: false,
      reason: 'none of its 1 signature verifies with the key',
    });
    expect(dsseVerify({ ...envelope, payloadType: 'application/json' }, verifier).ok).toBe(false);
    expect(dsseVerify(envelope, verifierFor(p256().publicKey)).ok).toBe(false);
    expect(dsseVerify(envelope, verifier, 'application/vnd.cyclonedx+json')).toEqual({
      ok: false,
      reason: `the payload type is ${TYPE}, not application/vnd.cyclonedx+json`,
    });
  });

  it('refuses an envelope without signatures, with a garbled signature or a payload that is not base64', () => {
    const envelope = dsseSign(TYPE, payload, signer);
    const verifier = verifierFor(publicKey);
    expect(dsseVerify({ ...envelope, signatures: [] }, verifier)).toEqual({
      ok: false,
      reason: 'the envelope has no signature',
    });
    expect(dsseVerify({ ...envelope, signatures: [{ sig: 'AAAA' }] }, verifier).ok).toBe(false);
    expect(dsseVerify({ ...envelope, payload: 'not base64!' }, verifier)).toEqual({
      ok: false,
      reason: 'the payload is not base64',
    });
  });

  it('accepts one good signature among bad ones, and URL-safe base64', () => {
    const envelope = dsseSign(TYPE, payload, signer, 'good');
    const good = envelope.signatures[0]?.sig ?? '';
    const urlSafe = Buffer.from(good, 'base64').toString('base64url');
    const result = dsseVerify(
      {
        ...envelope,
        signatures: [
          { keyid: 'bad', sig: 'AAAA' },
          { keyid: 'good', sig: urlSafe },
        ],
      },
      verifierFor(publicKey),
    );
    expect(result.ok && result.keyid).toBe('good');
  });

  it('refuses an empty payload type', () => {
    expect(() => dsseSign('', payload, signer)).toThrow(AitwsError);
  });
});

describe('parseEnvelope', () => {
  it('refuses what is not an envelope, saying what is wrong', () => {
    const parse = (value: string): DsseEnvelope => parseEnvelope(bytesOf(value), 'att.json');
    expect(() => parse('nope')).toThrow('att.json is not a DSSE envelope: it is not JSON.');
    expect(() => parse('[]')).toThrow(/not an object/);
    expect(() => parse('{"payloadType":"t","payload":1,"signatures":[]}')).toThrow(/must be strings/);
    expect(() => parse('{"payloadType":"t","payload":"","signatures":[{"sig":1}]}')).toThrow(/signatures/);
  });

  it('keeps only the envelope fields', () => {
    const read = parseEnvelope(
      bytesOf('{"payloadType":"t","payload":"","signatures":[{"sig":"AA==","extra":1}],"x":2}'),
      'att.json',
    );
    expect(read).toEqual({ payloadType: 't', payload: '', signatures: [{ sig: 'AA==' }] });
  });
});
