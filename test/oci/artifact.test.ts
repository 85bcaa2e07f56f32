/**
 * The workflow artifact: an OCI 1.1 image manifest with our artifactType and the empty config, the
 * canonical TOML first and each referenced file as a titled layer, annotated per the manifest
 * contract, and reproducible: the same input gives the same bytes and digest.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { contentHash } from '../../src/access/content-hash.js';
import { parseDocument } from '../../src/document/index.js';
import { AitwsError } from '../../src/errors.js';
import { ANNOTATIONS, complianceProfile, manifestAnnotations } from '../../src/oci/annotations.js';
import {
  buildWorkflowArtifact,
  EMPTY_CONFIG_BYTES,
  EMPTY_CONFIG_DIGEST,
  WORKFLOW_TOML_TITLE,
} from '../../src/oci/artifact.js';
import { canonicalManifestBytes, isDigest, sha256Digest } from '../../src/oci/digest.js';
import { MEDIA_TYPES } from '../../src/oci/types.js';
import {
  AI_WORKFLOW,
  APPROVALS,
  CREATED,
  canonicalToml,
  FILES,
  REGISTRY,
  sampleToml,
  workflowInput,
} from './artifact-fixture.js';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

describe('digests', () => {
  it('is sha256 over the bytes, and only that form is a digest', () => {
    const bytes = new TextEncoder().encode('hello');
    expect(sha256Digest(bytes)).toBe(`sha256:${createHash('sha256').update('hello').digest('hex')}`);
    expect(isDigest(sha256Digest(bytes))).toBe(true);
    expect(isDigest(`sha256:${'A'.repeat(64)}`)).toBe(false);
    expect(isDigest(`sha512:${'a'.repeat(128)}`)).toBe(false);
    expect(isDigest(`sha256:${'a'.repeat(63)}`)).toBe(false);
    expect(isDigest(`sha256:../${'a'.repeat(61)}`)).toBe(false);
  });

  it('serialises a manifest as RFC 8785 canonical JSON whatever the key order', () => {
    const config = { size: 2, digest: EMPTY_CONFIG_DIGEST, mediaType: MEDIA_TYPES.emptyConfig };
    const one = canonicalManifestBytes({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config,
      layers: [],
    });
    const other = canonicalManifestBytes({
      layers: [],
      config,
      mediaType: MEDIA_TYPES.manifest,
      schemaVersion: 2,
    });
    expect(one).toEqual(other);
    expect(text(one)).toBe(
      `{"config":{"digest":"${EMPTY_CONFIG_DIGEST}","mediaType":"application/vnd.oci.empty.v1+json","size":2},"layers":[],"mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2}`,
    );
  });

  it('has the well-known digest for the empty config', () => {
    expect(sha256Digest(EMPTY_CONFIG_BYTES)).toBe(EMPTY_CONFIG_DIGEST);
  });
});

describe('buildWorkflowArtifact', () => {
  it('builds an OCI 1.1 artifact: our type, the empty config, the TOML first, files by path', () => {
    const input = workflowInput();
    const artifact = buildWorkflowArtifact(input);
    const { manifest } = artifact;
    expect(manifest.schemaVersion).toBe(2);
    expect(manifest.mediaType).toBe(MEDIA_TYPES.manifest);
    expect(manifest.artifactType).toBe('application/vnd.aitws.workflow.v1');
    expect(manifest.config).toEqual({
      mediaType: MEDIA_TYPES.emptyConfig,
      digest: EMPTY_CONFIG_DIGEST,
      size: 2,
    });
    expect(manifest.layers.map((layer) => layer.annotations?.[ANNOTATIONS.title])).toEqual([
      WORKFLOW_TOML_TITLE,
      'plugins/score.js',
      'prompts/summary.md',
      'skills/triage.tar',
    ]);
    expect(manifest.layers.map((layer) => layer.mediaType)).toEqual([
      MEDIA_TYPES.workflowToml,
      MEDIA_TYPES.plugin,
      MEDIA_TYPES.promptFile,
      MEDIA_TYPES.skill,
    ]);
    const tomlLayer = manifest.layers[0];
    expect(tomlLayer?.digest).toBe(sha256Digest(new TextEncoder().encode(input.toml)));
    expect(tomlLayer?.size).toBe(Buffer.byteLength(input.toml));
    expect(artifact.digest).toBe(sha256Digest(artifact.manifestBytes));
    expect(artifact.manifestBytes).toEqual(canonicalManifestBytes(manifest));
    expect(JSON.parse(text(artifact.manifestBytes))).toEqual(manifest);
    expect(artifact.descriptor).toEqual({
      mediaType: MEDIA_TYPES.manifest,
      digest: artifact.digest,
      size: artifact.manifestBytes.byteLength,
      artifactType: MEDIA_TYPES.workflowArtifact,
    });
  });

  it('returns every blob once with content matching its descriptor', () => {
    const input = workflowInput();
    const twin = { path: 'prompts/copy.md', mediaType: MEDIA_TYPES.promptFile, content: FILES[0].content };
    const artifact = buildWorkflowArtifact({ ...input, files: [...FILES, twin] });
    const digests = artifact.blobs.map((blob) => blob.descriptor.digest);
    expect(digests).toEqual([...new Set(digests)].sort());
    expect(digests).toContain(EMPTY_CONFIG_DIGEST);
    for (const layer of artifact.manifest.layers) expect(digests).toContain(layer.digest);
    expect(artifact.manifest.layers).toHaveLength(5);
    expect(artifact.blobs).toHaveLength(5);
    for (const blob of artifact.blobs) {
      expect(sha256Digest(blob.content)).toBe(blob.descriptor.digest);
      expect(blob.content.byteLength).toBe(blob.descriptor.size);
    }
  });

  it('is reproducible: the same input, files in any order, gives byte-identical manifests', () => {
    const input = workflowInput();
    const first = buildWorkflowArtifact(input);
    const again = buildWorkflowArtifact(workflowInput());
    const shuffled = buildWorkflowArtifact({
      ...input,
      files: [FILES[2], FILES[0], FILES[1]],
      approvals: { ...APPROVALS, by: [...APPROVALS.by].reverse() },
    });
    expect(again.manifestBytes).toEqual(first.manifestBytes);
    expect(shuffled.manifestBytes).toEqual(first.manifestBytes);
    expect(shuffled.digest).toBe(first.digest);
    expect(shuffled.blobs).toEqual(first.blobs);
  });

  it('changes digest when content, time or approvals change', () => {
    const base = buildWorkflowArtifact(workflowInput()).digest;
    const changed = [
      { ...workflowInput(), created: '2026-03-02T10:00:00Z' },
      { ...workflowInput(), approvals: { ...APPROVALS, version: 8 } },
      { ...workflowInput(), files: FILES.slice(1) },
      workflowInput(AI_WORKFLOW.replace('Summarise the claim.', 'Summarise it.')),
    ];
    const digests = changed.map((input) => buildWorkflowArtifact(input).digest);
    expect(new Set([base, ...digests]).size).toBe(5);
  });

  it('refuses a content hash that is not the TOML’s, and unsafe or repeated file paths', () => {
    const input = workflowInput();
    const otherHash = contentHash(parseDocument(canonicalToml(sampleToml())));
    expect(() => buildWorkflowArtifact({ ...input, contentHash: otherHash })).toThrow(/content hash/);
    for (const bad of ['../etc/passwd', '/abs', 'a//b', 'a/./b', 'C:/x', 'a\\b', '', WORKFLOW_TOML_TITLE]) {
      const file = { path: bad, mediaType: MEDIA_TYPES.promptFile, content: new Uint8Array() };
      expect(() => buildWorkflowArtifact({ ...input, files: [file] }), bad).toThrow(AitwsError);
    }
    expect(() => buildWorkflowArtifact({ ...input, files: [FILES[0], FILES[0]] })).toThrow(/given twice/);
    expect(() => buildWorkflowArtifact({ ...input, created: 'yesterday' })).toThrow(/RFC 3339/);
  });
});

describe('the manifest contract', () => {
  it('annotates the manifest with the standard keys, ours and the compliance profile', () => {
    const { manifest } = buildWorkflowArtifact(workflowInput());
    const annotations = manifest.annotations ?? {};
    expect(annotations).toEqual({
      'org.opencontainers.image.title': 'Claims triage',
      'org.opencontainers.image.version': '2.1.0',
      'org.opencontainers.image.created': CREATED,
      'org.opencontainers.image.source': 'https://github.com/example/claims',
      'org.opencontainers.image.revision': '0123456789abcdef0123456789abcdef01234567',
      'org.opencontainers.image.licenses': 'Apache-2.0',
      'dev.aitws.workflow.name': 'Claims triage',
      'dev.aitws.workflow.version': '2.1.0',
      'dev.aitws.content-hash': workflowInput().contentHash,
      'dev.aitws.approved-by': 'Ada Lovelace,Grace Hopper',
      'dev.aitws.approved-by-ids': 'U1,U2',
      'dev.aitws.approved-at': '2026-03-01T09:30:00Z',
      'dev.aitws.approved-version': '7',
      'dev.aitws.compliance.data-classifications': 'PHI,PII,PROPRIETARY,PUBLIC',
      'dev.aitws.compliance.model-providers': 'anthropic,on-prem',
      // Classify names no model: its ensemble's models are what it calls, not the default model.
      'dev.aitws.compliance.models': 'claude-haiku,claude-opus,claude-sonnet,local-llama,local-mistral',
      'dev.aitws.compliance.regions': 'eu,eu-west-1',
      'dev.aitws.ai-governance.data_privacy': 'GDPR',
      'dev.aitws.ai-governance.frameworks': 'EU_AI_Act,ISO_42001',
      'dev.aitws.ai-governance.human_oversight': 'true',
      'dev.aitws.ai-governance.reviews.cadence': '90 days',
      'dev.aitws.ai-governance.risk_level': '3',
    });
    expect(Object.keys(annotations)).toEqual(Object.keys(annotations).sort());
    for (const value of Object.values(annotations)) expect(typeof value).toBe('string');
  });

  it('reads the sample: its [ai_governance] fields, no AI steps, and leaves out what is not given', () => {
    const toml = canonicalToml(sampleToml());
    const hash = contentHash(parseDocument(toml));
    const annotations = manifestAnnotations({
      workflow: { name: 'Sample aiTWS Configuration', version: '1.0.0' },
      contentHash: hash,
      created: CREATED,
      compliance: complianceProfile(parseDocument(toml)),
    });
    expect(annotations).toMatchObject({
      'dev.aitws.ai-governance.data_privacy': 'GDPR',
      'dev.aitws.ai-governance.fairness': 'Algorithmic_Fairness_Act',
      'dev.aitws.ai-governance.transparency': 'AI_Transparency_Act',
      'dev.aitws.compliance.data-classifications': '',
      'dev.aitws.compliance.model-providers': '',
      'dev.aitws.compliance.models': '',
      'dev.aitws.compliance.regions': '',
    });
    for (const absent of ['source', 'revision', 'licenses'])
      expect(annotations).not.toHaveProperty(`org.opencontainers.image.${absent}`);
    for (const absent of ['approved-by', 'approved-by-ids', 'approved-at', 'approved-version'])
      expect(annotations).not.toHaveProperty(`dev.aitws.${absent}`);
  });

  it('names the provider that serves the default model of an action that names none', () => {
    const profile = complianceProfile(
      parseDocument(`
[[stages]]
name = "S"
[[stages.actions]]
name = "A"
type = "ai.invoke"
with = { prompt = "hi", fallback = ["local-llama"] }
`),
      { registry: REGISTRY, modelFallbacks: { 'local-llama': ['local-phi'] } },
    );
    expect(profile).toEqual({
      dataClassifications: [],
      modelProviders: ['anthropic', 'on-prem'],
      models: ['claude-default', 'local-llama', 'local-phi'],
      regions: [],
      aiGovernance: {},
    });
  });

  it('flattens [ai_governance] values of every TOML type to strings', () => {
    const profile = complianceProfile(
      parseDocument(`
[ai_governance]
last_audit = 2026-01-15
reviewed = 2026-01-15T08:00:00Z
ratio = 0.5
big = 9007199254740991
limit = inf
owners = [{ name = "risk" }, { name = "legal" }]
`),
    );
    expect(profile.aiGovernance).toEqual({
      big: '9007199254740991',
      last_audit: '2026-01-15',
      limit: 'inf',
      'owners.0.name': 'risk',
      'owners.1.name': 'legal',
      ratio: '0.5',
      // smol-toml's TomlDate prints an offset date-time with milliseconds.
      reviewed: '2026-01-15T08:00:00.000Z',
    });
  });

  it('refuses approvals without approvers and bad times', () => {
    const base = {
      workflow: { name: 'W', version: '1' },
      contentHash: `sha256:${'a'.repeat(64)}`,
      created: CREATED,
      compliance: complianceProfile({}),
    };
    expect(() => manifestAnnotations({ ...base, approvals: { ...APPROVALS, by: [] } })).toThrow(/approver/);
    expect(() => manifestAnnotations({ ...base, approvals: { ...APPROVALS, at: '2026-13-45' } })).toThrow(
      /RFC 3339/,
    );
    expect(() => manifestAnnotations({ ...base, contentHash: 'md5:abc' })).toThrow(/sha256/);
  });
});
