/** The packaging pipeline in memory: reproducible, validated, every part signed and linked. */
import { describe, expect, it } from 'vitest';
import { AitwsError } from '../../src/errors.js';
import { ANNOTATIONS } from '../../src/oci/annotations.js';
import { verifySignatures } from '../../src/oci/cosign.js';
import { generateKeyPair } from '../../src/oci/keys.js';
import {
  APPROVAL_ANNOTATION,
  buildPackage,
  DEFAULT_CREATED,
  defaultCreated,
  type PackageInput,
} from '../../src/oci/package.js';
import { IN_TOTO_MEDIA_TYPE } from '../../src/oci/provenance.js';
import { type ImageManifest, MEDIA_TYPES } from '../../src/oci/types.js';
import { AI_WORKFLOW, sampleToml } from './artifact-fixture.js';

const pair = generateKeyPair();
const input = (text = sampleToml(), extra: Partial<PackageInput> = {}): PackageInput => ({
  text,
  name: 'localhost:5000/team/wf',
  privateKey: pair.privateKey,
  created: DEFAULT_CREATED,
  ...extra,
});

describe('buildPackage', () => {
  it('gives the same artifact digest for the same content, however the file is laid out', () => {
    const first = buildPackage(input());
    const again = buildPackage(input(`\n\n${sampleToml()}\n# a trailing comment\n`));
    expect(again.digest).toBe(first.digest);
    expect(buildPackage(input(sampleToml(), { created: '2026-01-01T00:00:00Z' })).digest).not.toBe(
      first.digest,
    );
  });

  it('signs the artifact, the SBOM and the provenance, each a referrer of the artifact', () => {
    const pkg = buildPackage(input(AI_WORKFLOW));
    expect(pkg.parts.map((part) => part.label)).toEqual([
      'artifact',
      'signature of artifact',
      'SBOM',
      'signature of SBOM',
      'provenance',
      'signature of provenance',
    ]);
    for (const [index, part] of pkg.parts.entries()) {
      if (part.role !== 'signature') continue;
      const signed = pkg.parts[index - 1]?.stored.descriptor.digest ?? 'sha256:';
      expect(part.tag).toBe(`${signed.replace(':', '-')}.sig`);
      const checks = verifySignatures(
        signed as `sha256:${string}`,
        'localhost:5000/team/wf',
        {
          manifest: part.stored.manifest as ImageManifest,
          blobs: part.blobs,
        },
        pair.publicKey,
      );
      expect(checks.map((check) => check.ok)).toEqual([true]);
    }
    const [sbom, provenance] = [pkg.parts[2], pkg.parts[4]].map(
      (part) => part?.stored.manifest as ImageManifest,
    );
    expect(sbom?.artifactType).toBe(MEDIA_TYPES.cycloneDx);
    expect(provenance?.artifactType).toBe(IN_TOTO_MEDIA_TYPE);
    expect(sbom?.subject?.digest).toBe(pkg.digest);
    expect(provenance?.subject?.digest).toBe(pkg.digest);
    expect(provenance?.annotations?.[APPROVAL_ANNOTATION]).toMatch(/^none: packaged from a file/);
    expect(pkg.artifact.manifest.annotations?.[ANNOTATIONS.approvedBy]).toBeUndefined();
  });

  it('puts an in-toto statement about the artifact, with no approvers, in a DSSE envelope', () => {
    const pkg = buildPackage(input());
    const layer = pkg.parts[4]?.blobs.find((blob) => blob.descriptor.mediaType === MEDIA_TYPES.inTotoDsse);
    const envelope = JSON.parse(new TextDecoder().decode(layer?.content)) as {
      payload: string;
      payloadType: string;
    };
    expect(envelope.payloadType).toBe(IN_TOTO_MEDIA_TYPE);
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
    expect(statement.subject).toEqual([
      { name: 'localhost:5000/team/wf', digest: { sha256: pkg.digest.slice(7) } },
    ]);
    expect(statement.predicate.buildDefinition.internalParameters.approval).toMatchObject({
      approvers: [],
      required: 0,
    });
    expect(statement.predicate.buildDefinition.resolvedDependencies[0].name).toBe('workflow.toml');
  });

  it('refuses a workflow with validation errors, listing them', () => {
    const error = (() => {
      try {
        buildPackage(input('[metadata]\nname = "x"\nversion = 3\n'));
      } catch (thrown) {
        return thrown;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(AitwsError);
    expect((error as AitwsError).code).toBe('VALIDATION');
    expect((error as AitwsError).details.length).toBeGreaterThan(0);
  });
});

describe('defaultCreated', () => {
  it('is SOURCE_DATE_EPOCH when set, else the Unix epoch, and refuses anything else', () => {
    expect(defaultCreated({})).toBe('1970-01-01T00:00:00Z');
    expect(defaultCreated({ SOURCE_DATE_EPOCH: '1767225600' })).toBe('2026-01-01T00:00:00Z');
    expect(() => defaultCreated({ SOURCE_DATE_EPOCH: 'yesterday' })).toThrow(/not a count of seconds/);
  });
});
