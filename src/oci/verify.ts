/**
 * Verifying a workflow artifact (issue #18 point 6, `aitws verify`): one check per line, so the
 * output reads as a report and the exit status as a verdict (an init container's gate). Checked:
 * the manifest and every blob against their digests, the TOML against the content hash its
 * manifest claims, the cosign signature with the given key, an SBOM and a provenance referrer each
 * present and signed, the provenance's DSSE envelope and its subject, and then the policy.
 *
 * Errors while reading a part become failed checks (a tampered blob is a verdict, not a crash);
 * only a source that cannot be reached at all is thrown to the caller.
 */
import { type KeyObject, verify as verifySignature } from 'node:crypto';
import { contentHash } from '../access/content-hash.js';
import { parseDocument } from '../document/index.js';
import { AitwsError } from '../errors.js';
import { ANNOTATIONS } from './annotations.js';
import { WORKFLOW_TOML_TITLE } from './artifact.js';
import { signatureTag } from './cosign.js';
import { verifySignatures } from './cosign-verify.js';
import { dsseVerify, parseEnvelope } from './dsse.js';
import { type Policy, policyChecks, signaturesRequired } from './policy.js';
import { IN_TOTO_MEDIA_TYPE, type InTotoStatement } from './provenance.js';
import type { Blob, Descriptor, Digest, ImageManifest, StoredManifest } from './types.js';
import { MEDIA_TYPES } from './types.js';
import type { VerifySource } from './verify-source.js';

export interface Check {
  /** `note`: a failed check the policy does not require (require_signature: false). */
  readonly status: 'pass' | 'fail' | 'note';
  readonly text: string;
}

export interface VerifyOptions {
  readonly publicKey: KeyObject;
  /** How lines name the key: the file it came from. */
  readonly keyName: string;
  readonly policy?: Policy;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly checks: readonly Check[];
  readonly digest?: Digest;
  /** The workflow TOML layer, when it was read and matched its digest. */
  readonly toml?: Uint8Array;
}

const SYMBOLS = { pass: '✔', fail: '✖', note: '–' } as const;

export function formatCheck(check: Check): string {
  return `${SYMBOLS[check.status]} ${check.text}`;
}

const pass = (text: string): Check => ({ status: 'pass', text });
const fail = (text: string): Check => ({ status: 'fail', text });

function reason(error: unknown): string {
  if (error instanceof AitwsError) return error.message;
  throw error;
}

class Run {
  readonly checks: Check[] = [];
  constructor(
    readonly source: VerifySource,
    readonly options: VerifyOptions,
  ) {}

  add(check: Check): boolean {
    this.checks.push(check);
    return check.status !== 'fail';
  }

  /** A signature check; downgraded to a note when the policy says signatures are optional. */
  signed(ok: boolean, text: string): boolean {
    if (ok) return this.add(pass(text));
    return this.add({ status: signaturesRequired(this.options.policy) ? 'fail' : 'note', text });
  }

  async blobs(manifest: ImageManifest, what: string): Promise<Blob[] | undefined> {
    const found: Blob[] = [];
    for (const descriptor of [manifest.config, ...manifest.layers]) {
      try {
        found.push(await this.source.blob(descriptor));
      } catch (error) {
        this.add(fail(`${what} ${descriptor.digest}: ${reason(error)}`));
        return undefined;
      }
    }
    return found;
  }
}

export async function verifyArtifact(source: VerifySource, options: VerifyOptions): Promise<VerifyResult> {
  const run = new Run(source, options);
  let artifact: StoredManifest;
  try {
    artifact = await source.artifact();
  } catch (error) {
    if (!(error instanceof AitwsError) || error.code !== 'VALIDATION') throw error;
    run.add(fail(`manifest digest: ${error.message}`));
    return { ok: false, checks: run.checks };
  }
  const digest = artifact.descriptor.digest;
  run.add(pass(`manifest digest ${digest}`));
  const manifest = artifact.manifest;
  if (!('layers' in manifest) || manifest.artifactType !== MEDIA_TYPES.workflowArtifact) {
    run.add(fail(`artifact type: ${source.name} is not an aitws workflow artifact`));
    return { ok: false, checks: run.checks, digest };
  }
  const toml = await checkLayers(run, manifest);
  await checkSignature(run, 'signature', digest);
  await checkSbom(run, digest);
  const statement = await checkProvenance(run, digest);
  if (options.policy !== undefined)
    for (const check of policyChecks(options.policy, { annotations: manifest.annotations ?? {}, statement }))
      run.add(check);
  const ok = run.checks.every((check) => check.status !== 'fail');
  return { ok, checks: run.checks, digest, ...(toml === undefined ? {} : { toml }) };
}

function titleOf(descriptor: Descriptor): string {
  return descriptor.annotations?.[ANNOTATIONS.title] ?? descriptor.mediaType;
}

async function checkLayers(run: Run, manifest: ImageManifest): Promise<Uint8Array | undefined> {
  let toml: Uint8Array | undefined;
  for (const descriptor of [manifest.config, ...manifest.layers]) {
    const name = descriptor === manifest.config ? 'config' : `layer ${titleOf(descriptor)}`;
    try {
      const blob = await run.source.blob(descriptor);
      run.add(pass(`${name} ${descriptor.digest}`));
      if (descriptor.mediaType === MEDIA_TYPES.workflowToml && toml === undefined) toml = blob.content;
    } catch (error) {
      run.add(fail(`${name} ${descriptor.digest}: ${reason(error)}`));
    }
  }
  if (toml === undefined) {
    if (!manifest.layers.some((layer) => layer.mediaType === MEDIA_TYPES.workflowToml))
      run.add(fail(`workflow TOML: the artifact has no ${WORKFLOW_TOML_TITLE} layer`));
    return undefined;
  }
  const claimed = manifest.annotations?.[ANNOTATIONS.contentHash];
  let actual: string;
  try {
    actual = contentHash(parseDocument(new TextDecoder('utf-8', { fatal: true }).decode(toml)));
  } catch (error) {
    run.add(fail(`content hash: the TOML layer cannot be read (${reason(error)})`));
    return undefined;
  }
  return run.add(
    actual === claimed
      ? pass(`content hash ${actual}`)
      : fail(`content hash: the TOML hashes to ${actual}, the manifest says ${String(claimed)}`),
  )
    ? toml
    : undefined;
}

/** cosign's rule: any one signature in the `.sig` manifest verifying with the key is enough. */
async function checkSignature(run: Run, label: string, digest: Digest): Promise<boolean> {
  const { source, options } = run;
  let stored: StoredManifest | undefined;
  try {
    stored = await source.signature(digest);
  } catch (error) {
    return run.signed(false, `${label}: ${signatureTag(digest)} cannot be read (${reason(error)})`);
  }
  if (stored === undefined || !('layers' in stored.manifest))
    return run.signed(false, `${label}: no signature (${signatureTag(digest)} not found)`);
  const blobs = await run.blobs(stored.manifest, `${label} payload`);
  if (blobs === undefined) return false;
  const results = verifySignatures(
    digest,
    source.name,
    { manifest: stored.manifest, blobs },
    options.publicKey,
  );
  if (results.some((result) => result.ok)) return run.signed(true, `${label}: signed by ${options.keyName}`);
  const problem = results.find((result) => !result.ok && result.reason !== 'wrong-key');
  const why = problem !== undefined && !problem.ok ? ` (${problem.message})` : '';
  return run.signed(false, `${label}: no signature verifies with ${options.keyName}${why}`);
}

/** The referrers of the artifact of one kind, each with its manifest; unreadable ones fail. */
async function referrersOf(run: Run, digest: Digest, kind: string): Promise<StoredManifest[]> {
  const found: StoredManifest[] = [];
  let listed: readonly Descriptor[];
  try {
    listed = await run.source.referrers(digest);
  } catch (error) {
    run.add(fail(`referrers: cannot be listed (${reason(error)})`));
    return found;
  }
  for (const descriptor of listed) {
    if (descriptor.artifactType !== undefined && descriptor.artifactType !== kind) continue;
    try {
      const stored = await run.source.manifest(descriptor);
      if ('layers' in stored.manifest && stored.manifest.artifactType === kind) found.push(stored);
    } catch (error) {
      run.add(fail(`referrer ${descriptor.digest}: ${reason(error)}`));
    }
  }
  return found;
}

async function checkSbom(run: Run, digest: Digest): Promise<void> {
  const [sbom] = await referrersOf(run, digest, MEDIA_TYPES.cycloneDx);
  if (sbom === undefined) {
    run.add(fail('SBOM: no CycloneDX SBOM refers to the artifact'));
    return;
  }
  const blobs = await run.blobs(sbom.manifest as ImageManifest, 'SBOM');
  if (blobs !== undefined) run.add(pass(`SBOM ${sbom.descriptor.digest} (CycloneDX)`));
  await checkSignature(run, 'SBOM signature', sbom.descriptor.digest);
}

async function checkProvenance(run: Run, digest: Digest): Promise<InTotoStatement | undefined> {
  const [provenance] = await referrersOf(run, digest, IN_TOTO_MEDIA_TYPE);
  if (provenance === undefined) {
    run.add(fail('provenance: no in-toto provenance refers to the artifact'));
    return undefined;
  }
  const manifest = provenance.manifest as ImageManifest;
  const blobs = await run.blobs(manifest, 'provenance');
  const envelopeBlob = blobs?.find((blob) => blob.descriptor.mediaType === MEDIA_TYPES.inTotoDsse);
  if (blobs !== undefined)
    run.add(
      envelopeBlob === undefined
        ? fail('provenance: no DSSE envelope layer')
        : pass(`provenance ${provenance.descriptor.digest} (in-toto, DSSE)`),
    );
  await checkSignature(run, 'provenance signature', provenance.descriptor.digest);
  if (envelopeBlob === undefined) return undefined;
  return checkEnvelope(run, envelopeBlob.content, digest);
}

function checkEnvelope(run: Run, bytes: Uint8Array, digest: Digest): InTotoStatement | undefined {
  const { publicKey, keyName } = run.options;
  let statement: InTotoStatement;
  let signed: boolean;
  try {
    const envelope = parseEnvelope(bytes, 'The provenance layer');
    const verified = dsseVerify(
      envelope,
      (data, signature) => verifySignature('sha256', data, { key: publicKey, dsaEncoding: 'der' }, signature),
      IN_TOTO_MEDIA_TYPE,
    );
    signed = verified.ok;
    statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as InTotoStatement;
    run.signed(verified.ok, `provenance envelope: ${verified.ok ? `signed by ${keyName}` : verified.reason}`);
  } catch (error) {
    run.add(
      fail(
        `provenance envelope: ${error instanceof SyntaxError ? 'the payload is not JSON' : reason(error)}`,
      ),
    );
    return undefined;
  }
  const hex = digest.slice('sha256:'.length);
  const subjects = Array.isArray(statement.subject) ? statement.subject : [];
  const named = subjects.some((subject) => subject?.digest?.sha256 === hex);
  run.add(
    named
      ? pass(`provenance subject ${digest}`)
      : fail(`provenance subject: the provenance is not about ${digest}`),
  );
  return named && (signed || !signaturesRequired(run.options.policy)) ? statement : undefined;
}
