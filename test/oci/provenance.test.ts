/** SLSA v1 provenance in an in-toto v1 statement: fields, approvals, determinism, signed as DSSE. */
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { packageVersion } from '../../src/cli/version.js';
import { AitwsError } from '../../src/errors.js';
import { dsseSign, dsseVerify, envelopeBytes, parseEnvelope } from '../../src/oci/dsse.js';
import {
  AITWS_BUILD_TYPE,
  AITWS_BUILDER_ID,
  buildProvenance,
  IN_TOTO_MEDIA_TYPE,
  type ProvenanceAuditEntry,
  type ProvenanceInput,
} from '../../src/oci/provenance.js';
import { canonicalJson } from '../../src/runtime/ai/canonical.js';

const digest = (fill: string): string => `sha256:${fill.repeat(64)}`;
const ALICE = { id: 'U1', name: 'Alice' };
const BOB = { id: 'U2', name: 'Bob' };

const AUDIT: ProvenanceAuditEntry[] = [
  { id: '7', at: '2025-01-30T09:00:00Z', actor: BOB, kind: 'submit', command: '/review', versionAfter: 12 },
  {
    id: '8',
    at: '2025-01-30T10:00:00Z',
    actor: ALICE,
    kind: 'approve',
    command: 'approve',
    hash: digest('a'),
  },
  {
    id: '9',
    at: '2025-01-30T10:05:00Z',
    actor: BOB,
    kind: 'approved',
    command: 'approve',
    hash: digest('a'),
    detail: '2 of 2 approvals',
  },
];

function input(overrides: Partial<ProvenanceInput> = {}): ProvenanceInput {
  return {
    subjects: [{ name: 'registry.example/team/triage', digest: digest('1') }],
    workflow: { name: 'Triage', version: '1.0.0', approvedVersion: 12, contentHash: digest('a') },
    source: { uri: 'git+https://git.example/team/workflows.git', revision: 'abc123' },
    materials: [
      { name: 'prompts/classify.md', digest: digest('3'), mediaType: 'application/vnd.aitws.prompt.v1+text' },
      { name: 'ai.toml', digest: digest('2'), mediaType: 'application/vnd.aitws.workflow.v1+toml' },
    ],
    approval: {
      approvers: [
        { ...ALICE, at: '2025-01-30T10:00:00Z' },
        { ...BOB, at: '2025-01-30T10:05:00Z' },
      ],
      approvedAt: '2025-01-30T10:05:00Z',
      reviewId: 'r-42',
      required: 2,
    },
    audit: AUDIT,
    run: { invocationId: 'pkg-1', startedOn: '2025-01-31T12:00:00Z', finishedOn: '2025-01-31T12:00:03Z' },
    builderVersion: '1.2.3',
    ...overrides,
  };
}

describe('buildProvenance', () => {
  it('gives the same canonical bytes for the same input, whatever order materials come in', () => {
    const first = buildProvenance(input());
    expect(Buffer.from(first.bytes).equals(Buffer.from(buildProvenance(input()).bytes))).toBe(true);
    const reordered = buildProvenance(input({ materials: [...input().materials].reverse() }));
    expect(Buffer.from(reordered.bytes).equals(Buffer.from(first.bytes))).toBe(true);
    expect(Buffer.from(first.bytes).toString('utf8')).toBe(canonicalJson(first.statement));
    expect(first.mediaType).toBe(IN_TOTO_MEDIA_TYPE);
    const later = buildProvenance(input({ workflow: { ...input().workflow, approvedVersion: 13 } }));
    expect(Buffer.from(later.bytes).equals(Buffer.from(first.bytes))).toBe(false);
  });

  it('is an in-toto v1 statement about the artifact with a SLSA v1 predicate', () => {
    const { statement } = buildProvenance(input());
    expect(statement._type).toBe('https://in-toto.io/Statement/v1');
    expect(statement.predicateType).toBe('https://slsa.dev/provenance/v1');
    expect(statement.subject).toEqual([
      { name: 'registry.example/team/triage', digest: { sha256: '1'.repeat(64) } },
    ]);
    expect(statement.predicate.runDetails).toEqual({
      builder: { id: AITWS_BUILDER_ID, version: { aitws: '1.2.3' } },
      metadata: {
        invocationId: 'pkg-1',
        startedOn: '2025-01-31T12:00:00Z',
        finishedOn: '2025-01-31T12:00:03Z',
      },
    });
  });

  it('records the approved version, content hash, source and materials with digests', () => {
    const { buildDefinition } = buildProvenance(input()).statement.predicate;
    expect(buildDefinition.buildType).toBe(AITWS_BUILD_TYPE);
    expect(buildDefinition.externalParameters).toEqual({
      workflow: { name: 'Triage', version: '1.0.0', approvedVersion: 12, contentHash: digest('a') },
      source: { uri: 'git+https://git.example/team/workflows.git', revision: 'abc123' },
    });
    expect(buildDefinition.resolvedDependencies).toEqual([
      {
        name: 'ai.toml',
        digest: { sha256: '2'.repeat(64) },
        mediaType: 'application/vnd.aitws.workflow.v1+toml',
      },
      {
        name: 'prompts/classify.md',
        digest: { sha256: '3'.repeat(64) },
        mediaType: 'application/vnd.aitws.prompt.v1+text',
      },
    ]);
  });

  it('records the approvers and the audit entries of the approval, in audit order, without channels', () => {
    const withChannel = AUDIT.map((entry) => ({
      ...entry,
      channel: { platform: 'slack' as const, workspace: 'T1', channel: 'C1' },
    }));
    const { statement, bytes } = buildProvenance(input({ audit: withChannel }));
    expect(statement.predicate.buildDefinition.internalParameters).toEqual({
      approval: {
        reviewId: 'r-42',
        required: 2,
        approvedAt: '2025-01-30T10:05:00Z',
        approvers: [
          { id: 'U1', name: 'Alice', at: '2025-01-30T10:00:00Z' },
          { id: 'U2', name: 'Bob', at: '2025-01-30T10:05:00Z' },
        ],
      },
      audit: [
        {
          id: '7',
          at: '2025-01-30T09:00:00Z',
          actor: BOB,
          kind: 'submit',
          command: '/review',
          versionAfter: 12,
        },
        {
          id: '8',
          at: '2025-01-30T10:00:00Z',
          actor: ALICE,
          kind: 'approve',
          command: 'approve',
          hash: digest('a'),
        },
        {
          id: '9',
          at: '2025-01-30T10:05:00Z',
          actor: BOB,
          kind: 'approved',
          command: 'approve',
          hash: digest('a'),
          detail: '2 of 2 approvals',
        },
      ],
    });
    expect(Buffer.from(bytes).toString('utf8')).not.toContain('C1');
  });

  it("names the installed aitws when no builder version is given, and leaves out what wasn't given", () => {
    const { builderVersion, source, ...rest } = input();
    expect([builderVersion, source?.revision]).toEqual(['1.2.3', 'abc123']);
    const { statement } = buildProvenance(rest);
    expect(statement.predicate.runDetails.builder.version).toEqual({ aitws: packageVersion() });
    expect(statement.predicate.buildDefinition.externalParameters).not.toHaveProperty('source');
  });

  it('refuses bad digests, times, versions and an empty subject list', () => {
    const refuses = (overrides: Partial<ProvenanceInput>, message: RegExp): void => {
      expect(() => buildProvenance(input(overrides))).toThrow(AitwsError);
      expect(() => buildProvenance(input(overrides))).toThrow(message);
    };
    refuses({ subjects: [] }, /at least one subject/);
    refuses({ subjects: [{ name: 'x', digest: 'sha512:00' }] }, /digest of subject x/);
    refuses({ materials: [{ name: 'ai.toml', digest: 'A'.repeat(64) }] }, /digest of material ai.toml/);
    refuses(
      { run: { invocationId: 'i', startedOn: 'now', finishedOn: '2025-01-31T12:00:03Z' } },
      /startedOn/,
    );
    refuses({ workflow: { ...input().workflow, approvedVersion: 0 } }, /approved version 0/);
    refuses(
      { audit: [{ at: 'yesterday', actor: ALICE, kind: 'approve', command: 'approve' }] },
      /audit entry/,
    );
  });
});

describe('provenance in a DSSE envelope', () => {
  it('signs and verifies with P-256, and a changed statement fails', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const provenance = buildProvenance(input());
    const envelope = dsseSign(provenance.mediaType, provenance.bytes, (bytes) =>
      sign('sha256', bytes, privateKey),
    );
    const verifier = (bytes: Uint8Array, signature: Uint8Array): boolean =>
      verify('sha256', bytes, publicKey, signature);
    const stored = parseEnvelope(envelopeBytes(envelope), 'provenance');
    const result = dsseVerify(stored, verifier, IN_TOTO_MEDIA_TYPE);
    expect(result.ok && createHash('sha256').update(result.payload).digest('hex')).toBe(
      createHash('sha256').update(provenance.bytes).digest('hex'),
    );

    const forged = buildProvenance(input({ approval: { ...input().approval, required: 1 } }));
    const swapped = { ...stored, payload: Buffer.from(forged.bytes).toString('base64') };
    expect(dsseVerify(swapped, verifier, IN_TOTO_MEDIA_TYPE).ok).toBe(false);
  });
});
