/**
 * pushPackage against a real docker-registry (2.8, no referrers API), every request it sends
 * recorded: each blob found or uploaded once with no HEAD (the empty config `{}` four manifests
 * name included), nothing uploaded again on a second push, and the order a registry needs kept
 * while blobs and manifests go concurrently: a manifest after its blobs, a signature after what it
 * signs, a referrer after its subject, the referrers tag after the referrers it lists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_CONFIG } from '../../src/oci/artifact.js';
import { signatureTag } from '../../src/oci/cosign.js';
import { generateKeyPair } from '../../src/oci/keys.js';
import { buildPackage, DEFAULT_CREATED, type WorkflowPackage } from '../../src/oci/package.js';
import { pushPackage } from '../../src/oci/package-publish.js';
import { referrersTag } from '../../src/oci/referrers.js';
import type { FetchLike } from '../../src/oci/registry-auth.js';
import { RegistryClient } from '../../src/oci/registry-client.js';
import type { Digest, Reference } from '../../src/oci/types.js';
import { verifyArtifact } from '../../src/oci/verify.js';
import { registrySource } from '../../src/oci/verify-source.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { sampleToml } from './artifact-fixture.js';

const pair = generateKeyPair();
let registry: TestRegistry;

beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(async () => {
  await registry?.stop();
});

interface Sent {
  readonly method: string;
  readonly url: URL;
  readonly status: number;
}

/** A client whose every request (and the answer's status) lands in `sent`, in the order answered. */
function recording(): { client: RegistryClient; sent: Sent[] } {
  const sent: Sent[] = [];
  const fetchAndRecord: FetchLike = async (input, init) => {
    const response = await fetch(input, init);
    sent.push({ method: init?.method ?? 'GET', url: new URL(String(input)), status: response.status });
    return response;
  };
  return { client: new RegistryClient({ fetch: fetchAndRecord }), sent };
}

function packageFor(repository: string): { reference: Reference; pkg: WorkflowPackage } {
  const reference = { registry: registry.host, repository, tag: '1.0' };
  const pkg = buildPackage({
    text: sampleToml(),
    name: `${registry.host}/${repository}`,
    privateKey: pair.privateKey,
    created: DEFAULT_CREATED,
  });
  return { reference, pkg };
}

const distinctBlobs = (pkg: WorkflowPackage): Set<Digest> =>
  new Set(pkg.parts.flatMap((part) => part.blobs.map((blob) => blob.descriptor.digest)));
const mountsOf = (sent: readonly Sent[], digest: Digest): Sent[] =>
  sent.filter((request) => request.method === 'POST' && request.url.searchParams.get('mount') === digest);
/** When the blob's upload (PUT …?digest=) or the manifest's PUT was answered. */
const uploadedAt = (sent: readonly Sent[], digest: Digest): number =>
  sent.findIndex((request) => request.method === 'PUT' && request.url.searchParams.get('digest') === digest);
const manifestAt = (sent: readonly Sent[], key: string): number =>
  sent.findIndex((request) => request.method === 'PUT' && request.url.pathname.endsWith(`/manifests/${key}`));

describe('pushPackage against docker-registry', () => {
  it('sends each blob once with no HEAD, in the order a registry needs, and verifies', async () => {
    const { reference, pkg } = packageFor('push/first');
    const { client, sent } = recording();
    await pushPackage(client, reference, pkg);

    const blobs = distinctBlobs(pkg);
    expect(blobs.has(EMPTY_CONFIG.digest)).toBe(true);
    const sharing = pkg.parts.filter((part) =>
      part.blobs.some((blob) => blob.descriptor.digest === EMPTY_CONFIG.digest),
    );
    expect(sharing.length).toBeGreaterThan(1);
    expect(sent.filter((request) => request.method === 'HEAD')).toEqual([]);
    for (const digest of blobs) {
      expect(mountsOf(sent, digest).map((request) => request.status)).toEqual([202]);
      expect(uploadedAt(sent, digest)).toBeGreaterThanOrEqual(0);
    }
    // Per new blob: the mount that starts its upload, the upload. Per manifest: its PUT. Then the
    // referrers tag read (404: none yet) and written once for both referrers.
    expect(sent).toHaveLength(2 * blobs.size + pkg.parts.length + 2);
    const tag = referrersTag(pkg.digest);
    expect(sent.filter((request) => request.url.pathname.endsWith(`/manifests/${tag}`))).toMatchObject([
      { method: 'GET', status: 404 },
      { method: 'PUT', status: 201 },
    ]);

    const at = (key: string): number => manifestAt(sent, key);
    for (const part of pkg.parts) {
      const { digest } = part.stored.descriptor;
      const own =
        part.role === 'artifact' ? '1.0' : part.role === 'signature' ? (part.tag as string) : digest;
      expect(at(own)).toBeGreaterThanOrEqual(0);
      for (const blob of part.blobs) expect(uploadedAt(sent, blob.descriptor.digest)).toBeLessThan(at(own));
      if (part.role === 'sbom' || part.role === 'provenance') {
        expect(at('1.0')).toBeLessThan(at(own));
        expect(at(own)).toBeLessThan(at(tag));
      }
      if (part.role !== 'signature') expect(at(own)).toBeLessThan(at(signatureTag(digest)));
    }

    const listed = await client.referrers(reference, pkg.digest);
    expect(listed.via).toBe('tag');
    expect(listed.descriptors.map((entry) => entry.digest)).toEqual(
      pkg.parts
        .filter((part) => part.role === 'sbom' || part.role === 'provenance')
        .map((part) => part.stored.descriptor.digest),
    );
    const result = await verifyArtifact(registrySource(new RegistryClient(), reference), {
      publicKey: pair.publicKey,
      keyName: 'key.pub',
    });
    expect(result.checks.filter((check) => check.status === 'fail')).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('uploads nothing again when the same package is pushed again, and leaves the referrers tag', async () => {
    const { reference, pkg } = packageFor('push/again');
    await pushPackage(new RegistryClient(), reference, pkg);
    const { client, sent } = recording();
    await pushPackage(client, reference, pkg);

    const blobs = distinctBlobs(pkg);
    for (const digest of blobs)
      expect(mountsOf(sent, digest).map((request) => request.status)).toEqual([201]);
    expect(
      sent.filter((request) => request.url.pathname.includes('/blobs/uploads/') && request.method === 'PUT'),
    ).toEqual([]);
    // One request per blob, the manifests, one read of the referrers tag (both already listed).
    expect(sent).toHaveLength(blobs.size + pkg.parts.length + 1);
    expect((await client.referrers(reference, pkg.digest)).descriptors).toHaveLength(2);
  });

  it('asks a repository without the referrers API once per client', async () => {
    const { reference, pkg } = packageFor('push/listed');
    await pushPackage(new RegistryClient(), reference, pkg);
    const { client, sent } = recording();
    await client.referrers(reference, pkg.digest);
    await client.referrers(reference, pkg.digest);
    expect(sent.map((request) => `${request.method} ${request.url.pathname.split('/').at(-2)}`)).toEqual([
      'GET referrers',
      'GET manifests',
      'GET manifests',
    ]);
  });
});
