/** The packaging pipeline in memory: reproducible, validated, every part signed and linked. */
import { describe, expect, it } from 'vitest';
import { AitwsError } from '../../src/errors.js';
import { ANNOTATIONS } from '../../src/oci/annotations.js';
import { verifySignatures } from '../../src/oci/cosign-verify.js';
import { generateKeyPair } from '../../src/oci/keys.js';
import {
  buildPackage,
  DEFAULT_CREATED,
  defaultCreated,
  type PackageApproval,
  type PackageInput,
  type WorkflowPackage,
} from '../../src/oci/package.js';
import { APPROVAL_ANNOTATION } from '../../src/oci/package-referrers.js';
import { IN_TOTO_MEDIA_TYPE, type InTotoStatement } from '../../src/oci/provenance.js';
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

interface ApprovalParameters {
  readonly approval: unknown;
  readonly audit: readonly { readonly kind: string }[];
}

function approvalAnnotation(part: WorkflowPackage['parts'][number] | undefined): string | undefined {
  const manifest = part?.stored.manifest as ImageManifest | undefined;
  return manifest?.annotations?.[APPROVAL_ANNOTATION];
}

/** The provenance statement as a verifier reads it: the DSSE envelope's payload. */
function statementOf(pkg: WorkflowPackage): InTotoStatement {
  const layer = pkg.parts[4]?.blobs.find((blob) => blob.descriptor.mediaType === MEDIA_TYPES.inTotoDsse);
  const envelope = JSON.parse(new TextDecoder().decode(layer?.content)) as {
    payload: string;
    payloadType: string;
  };
  expect(envelope.payloadType).toBe(IN_TOTO_MEDIA_TYPE);
  return JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as InTotoStatement;
}

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
    const statement = statementOf(pkg);
    expect(statement.subject).toEqual([
      { name: 'localhost:5000/team/wf', digest: { sha256: pkg.digest.slice(7) } },
    ]);
    expect(statement.predicate.buildDefinition.internalParameters.approval).toMatchObject({
      approvers: [],
      required: 0,
    });
    expect(statement.predicate.buildDefinition.resolvedDependencies[0]?.name).toBe('workflow.toml');
  });

  it('carries an approval into the annotations, the provenance and the referrers', () => {
    const ann = { id: 'UANN', name: 'Ann' };
    const abe = { id: 'UABE', name: 'Abe' };
    const channel = { platform: 'slack', workspace: 'T1', channel: 'C1' } as const;
    const entry = (id: string, kind: 'submit' | 'approve' | 'approved', actor: typeof ann, at: string) => ({
      id,
      at,
      channel,
      actor,
      kind,
      command: `/${kind}`,
      versionAfter: 4,
      hash: 'sha256:ab',
    });
    const approval: PackageApproval = {
      version: 4,
      at: '2026-03-02T10:05:00.000Z',
      by: [ann, abe],
      required: 2,
      audit: [
        entry('1', 'submit', { id: 'UDANA', name: 'Dana' }, '2026-03-02T10:00:00.000Z'),
        entry('2', 'approve', ann, '2026-03-02T10:01:00.000Z'),
        entry('3', 'approve', abe, '2026-03-02T10:05:00.000Z'),
        entry('4', 'approved', abe, '2026-03-02T10:05:00.000Z'),
      ],
    };
    const pkg = buildPackage(input(sampleToml(), { approval, created: approval.at }));
    const annotations = pkg.artifact.manifest.annotations ?? {};
    // Ordered by id, so the order of the votes does not change the bytes.
    expect(annotations[ANNOTATIONS.approvedBy]).toBe('Abe,Ann');
    expect(annotations[ANNOTATIONS.approvedByIds]).toBe('UABE,UANN');
    expect(annotations[ANNOTATIONS.approvedVersion]).toBe('4');
    expect(annotations[ANNOTATIONS.approvedAt]).toBe(approval.at);
    for (const part of [pkg.parts[2], pkg.parts[4]])
      expect(approvalAnnotation(part)).toBe('v4 approved by Ann, Abe at 2026-03-02T10:05:00.000Z');
    const statement = statementOf(pkg);
    expect(statement.predicate.buildDefinition.externalParameters.workflow).toMatchObject({
      approvedVersion: 4,
    });
    const internal = statement.predicate.buildDefinition.internalParameters as unknown as ApprovalParameters;
    expect(internal.approval).toEqual({
      required: 2,
      approvedAt: approval.at,
      approvers: [
        { id: 'UANN', name: 'Ann', at: '2026-03-02T10:01:00.000Z' },
        { id: 'UABE', name: 'Abe', at: '2026-03-02T10:05:00.000Z' },
      ],
    });
    expect(internal.audit.map((item) => item.kind)).toEqual(['submit', 'approve', 'approve', 'approved']);
    // The channel names an internal place: it stays out of what is published.
    expect(JSON.stringify(internal.audit)).not.toContain('C1');
    expect(buildPackage(input(sampleToml(), { approval, created: approval.at })).digest).toBe(pkg.digest);
    expect(buildPackage(input(sampleToml(), { created: approval.at })).digest).not.toBe(pkg.digest);
  });

  it('says what the caller gives when there is no approval', () => {
    const pkg = buildPackage(input(sampleToml(), { noApproval: 'none: not reviewed' }));
    expect(approvalAnnotation(pkg.parts[4])).toBe('none: not reviewed');
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
