/**
 * The client against a real registry (Debian's docker-registry 2.8, the CNCF Distribution server)
 * and a second, independent tool reading what it wrote (skopeo).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AitwsError } from '../../src/errors.js';
import { referrersTag } from '../../src/oci/referrers.js';
import { RegistryClient } from '../../src/oci/registry-client.js';
import { type Descriptor, MEDIA_TYPES, type Reference } from '../../src/oci/types.js';
import {
  type SampleArtifact,
  sampleArtifact,
  skopeo,
  startRegistry,
  type TestRegistry,
} from '../support/registry.js';

let registry: TestRegistry;
let client: RegistryClient;
let scratch: string;

beforeAll(async () => {
  registry = await startRegistry();
  client = new RegistryClient();
  scratch = await mkdtemp(path.join(os.tmpdir(), 'aitws-registry-test-'));
});

afterAll(async () => {
  await registry?.stop();
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

const at = (repository: string, tag?: string): Reference => ({
  registry: registry.host,
  repository,
  ...(tag === undefined ? {} : { tag }),
});

async function push(reference: Reference, artifact: SampleArtifact): Promise<Descriptor> {
  await client.pushBlob(reference, artifact.config);
  await client.pushBlob(reference, artifact.layer);
  return client.pushManifest(reference, artifact.manifestBytes, MEDIA_TYPES.manifest);
}

async function refusal(promise: Promise<unknown>): Promise<AitwsError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof AitwsError)) throw new Error(`expected an AitwsError, got ${String(error)}`);
  return error;
}

describe('push and pull against docker-registry', () => {
  it('pushes blobs and an OCI 1.1 artifact manifest and pulls them back byte-identical', async () => {
    const artifact = sampleArtifact('name = "hello"\n');
    const reference = at('team/hello', '1.0');
    expect(await client.pushBlob(reference, artifact.layer)).toBe('uploaded');
    expect(await client.pushBlob(reference, artifact.layer)).toBe('exists');
    const pushed = await push(reference, artifact);
    expect(pushed).toEqual({
      mediaType: MEDIA_TYPES.manifest,
      digest: artifact.manifestDigest,
      size: artifact.manifestBytes.byteLength,
    });

    const byTag = await client.pullManifest(reference);
    expect(Buffer.from(byTag.bytes).equals(Buffer.from(artifact.manifestBytes))).toBe(true);
    expect(byTag.descriptor.digest).toBe(artifact.manifestDigest);
    expect(byTag.descriptor.artifactType).toBe(MEDIA_TYPES.workflowArtifact);
    expect(byTag.manifest).toEqual(JSON.parse(new TextDecoder().decode(artifact.manifestBytes)));

    const byDigest = await client.pullManifest({ ...at('team/hello'), digest: artifact.manifestDigest });
    expect(byDigest.descriptor.digest).toBe(artifact.manifestDigest);
    const layer = await client.pullBlob(reference, artifact.layer.descriptor);
    expect(new TextDecoder().decode(layer.content)).toBe('name = "hello"\n');
    const config = await client.pullBlob(reference, artifact.config.descriptor);
    expect(new TextDecoder().decode(config.content)).toBe('{}');
  });

  it('refuses to push a blob whose bytes are not its digest, before sending anything', async () => {
    const artifact = sampleArtifact('one');
    const lying = { descriptor: artifact.layer.descriptor, content: new TextEncoder().encode('two') };
    const error = await refusal(client.pushBlob(at('team/lying', 'x'), lying));
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toMatch(/does not match its digest/);
  });

  it('refuses to push a manifest to a digest it does not have', async () => {
    const artifact = sampleArtifact('pinned');
    const other = sampleArtifact('other');
    await push(at('team/pinned', '1'), artifact);
    const reference = { ...at('team/pinned'), digest: other.manifestDigest };
    const error = await refusal(client.pushManifest(reference, artifact.manifestBytes, MEDIA_TYPES.manifest));
    expect(error.code).toBe('VALIDATION');
  });

  it('reports a missing tag as HTTP_STATUS and findManifest as undefined', async () => {
    const error = await refusal(client.pullManifest(at('team/none', 'nope')));
    expect(error.code).toBe('HTTP_STATUS');
    expect(error.message).toContain(`${registry.host}/team/none:nope is not in the registry`);
    expect(await client.findManifest(at('team/none', 'nope'))).toBeUndefined();
  });

  it('passes the registry error code on when it refuses a manifest', async () => {
    const artifact = sampleArtifact('blobs never pushed');
    const error = await refusal(
      client.pushManifest(at('team/unpushed', '1'), artifact.manifestBytes, MEDIA_TYPES.manifest),
    );
    expect(error.code).toBe('HTTP_STATUS');
    expect(error.details.join('\n')).toMatch(/MANIFEST_BLOB_UNKNOWN/);
  });
});

describe('skopeo reads what the client wrote', () => {
  it('skopeo inspect --raw shows our exact manifest bytes', async () => {
    const artifact = sampleArtifact('inspected');
    await push(at('team/inspect', 'v1'), artifact);
    const raw = await skopeo(
      'inspect',
      '--raw',
      '--tls-verify=false',
      `docker://${registry.host}/team/inspect:v1`,
    );
    expect(raw).toBe(new TextDecoder().decode(artifact.manifestBytes));
  });

  it('skopeo copy to an OCI layout keeps the digest and the layer', async () => {
    const artifact = sampleArtifact('copied');
    await push(at('team/copy', 'v1'), artifact);
    const layout = path.join(scratch, 'layout');
    await skopeo(
      'copy',
      '--src-tls-verify=false',
      `docker://${registry.host}/team/copy:v1`,
      `oci:${layout}:v1`,
    );
    const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as {
      manifests: Descriptor[];
    };
    expect(index.manifests[0]?.digest).toBe(artifact.manifestDigest);
    const blobs = path.join(layout, 'blobs', 'sha256');
    const manifest = await readFile(path.join(blobs, artifact.manifestDigest.slice(7)));
    expect(manifest.equals(Buffer.from(artifact.manifestBytes))).toBe(true);
    const layer = await readFile(path.join(blobs, artifact.layer.descriptor.digest.slice(7)), 'utf8');
    expect(layer).toBe('copied');
  });
});

describe('referrers on docker-registry 2.8 (no referrers API: the referrers tag schema)', () => {
  it('attaches referrers through the sha256-<hex> index tag and finds them, filtered by type', async () => {
    const reference = at('team/referred', '1.0');
    const subject = await push(reference, sampleArtifact('subject'));
    expect((await client.referrers(reference, subject.digest)).descriptors).toEqual([]);

    const sbom = sampleArtifact('{"bomFormat":"CycloneDX"}', {
      artifactType: MEDIA_TYPES.cycloneDx,
      layerType: MEDIA_TYPES.cycloneDx,
      subject,
    });
    await client.pushBlob(reference, sbom.layer);
    const attached = await client.attachReferrer(reference, sbom.manifestBytes);
    expect(attached.via).toBe('tag');
    expect(attached.descriptor).toMatchObject({
      digest: sbom.manifestDigest,
      artifactType: MEDIA_TYPES.cycloneDx,
    });
    // Attaching again does not add it twice.
    await client.attachReferrer(reference, sbom.manifestBytes);

    const provenance = sampleArtifact('{"_type":"https://in-toto.io/Statement/v1"}', {
      artifactType: MEDIA_TYPES.inTotoDsse,
      layerType: MEDIA_TYPES.inTotoDsse,
      subject,
    });
    await client.pushBlob(reference, provenance.layer);
    await client.attachReferrer(reference, provenance.manifestBytes);

    const all = await client.referrers(reference, subject.digest);
    expect(all.via).toBe('tag');
    expect(all.descriptors.map((entry) => entry.digest)).toEqual([
      sbom.manifestDigest,
      provenance.manifestDigest,
    ]);
    const sboms = await client.referrers(reference, subject.digest, MEDIA_TYPES.cycloneDx);
    expect(sboms.descriptors.map((entry) => entry.digest)).toEqual([sbom.manifestDigest]);
    expect(sboms.descriptors[0]?.annotations).toEqual({ 'org.opencontainers.image.title': 'sample' });

    expect((await client.pullManifest(reference)).descriptor.digest).toBe(subject.digest);
    // The fallback index is an ordinary tag: another tool sees it.
    const tags = JSON.parse(
      await skopeo('list-tags', '--tls-verify=false', `docker://${registry.host}/team/referred`),
    );
    expect(tags.Tags).toContain(referrersTag(subject.digest));
    const pulled = await client.pullManifest({ ...at('team/referred'), digest: sbom.manifestDigest });
    expect(pulled.manifest).toMatchObject({ subject: { digest: subject.digest } });
  });

  it('refuses to attach a manifest without a subject', async () => {
    const error = await refusal(
      client.attachReferrer(at('team/referred', 'x'), sampleArtifact('lone').manifestBytes),
    );
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toMatch(/no subject/);
  });
});
