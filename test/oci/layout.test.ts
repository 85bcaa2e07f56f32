/**
 * OCI image layouts: write and read back an artifact with its referrers, tags added and moved,
 * every blob checked on read (a tampered, missing or symlinked-out blob is refused), and skopeo as
 * a second, independent implementation reading what we write and writing what we read.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AitwsError } from '../../src/errors.js';
import {
  buildWorkflowArtifact,
  EMPTY_CONFIG,
  EMPTY_CONFIG_BYTES,
  storedManifest,
} from '../../src/oci/artifact.js';
import { canonicalManifestBytes, describeBlob, sha256Digest } from '../../src/oci/digest.js';
import { readLayout, writeLayout } from '../../src/oci/layout.js';
import { type Blob, type ImageManifest, MEDIA_TYPES, type StoredManifest } from '../../src/oci/types.js';
import { AI_WORKFLOW, workflowInput } from './artifact-fixture.js';

const SKOPEO = '/usr/bin/skopeo';
const artifact = buildWorkflowArtifact(workflowInput());
const ENTRIES = { manifest: storedManifest(artifact), blobs: artifact.blobs };

let scratch: string;
let count = 0;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'aitws-layout-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function freshDir(): string {
  count += 1;
  return path.join(scratch, `layout-${count}`);
}

/** A manifest over one layer, as the SBOM and provenance referrers are written. */
function referrer(
  artifactType: string,
  content: string,
  subject?: StoredManifest,
): { stored: StoredManifest; blob: Blob } {
  const bytes = new TextEncoder().encode(content);
  const layer = describeBlob(artifactType, bytes);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    artifactType,
    config: EMPTY_CONFIG,
    layers: [layer],
    ...(subject === undefined ? {} : { subject: subject.descriptor }),
  };
  const manifestBytes = canonicalManifestBytes(manifest);
  return {
    stored: {
      descriptor: describeBlob(MEDIA_TYPES.manifest, manifestBytes, { artifactType }),
      bytes: manifestBytes,
      manifest,
    },
    blob: { descriptor: layer, content: bytes },
  };
}

function blobPath(dir: string, digest: string): string {
  return path.join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
}

async function rejection(promise: Promise<unknown>): Promise<AitwsError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof AitwsError)) throw new Error(`expected an AitwsError, got ${String(error)}`);
  return error;
}

describe('writeLayout and readLayout', () => {
  it('writes oci-layout, index.json and one file per blob, and reads the same artifact back', async () => {
    const dir = freshDir();
    expect(await writeLayout(dir, ENTRIES, { tag: '2.1.0' })).toBe(artifact.digest);
    expect(JSON.parse(await readFile(path.join(dir, 'oci-layout'), 'utf8'))).toEqual({
      imageLayoutVersion: '1.0.0',
    });
    const index = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8'));
    expect(index).toEqual({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.index,
      manifests: [
        {
          mediaType: MEDIA_TYPES.manifest,
          digest: artifact.digest,
          size: artifact.manifestBytes.byteLength,
          artifactType: MEDIA_TYPES.workflowArtifact,
          annotations: { 'org.opencontainers.image.ref.name': '2.1.0' },
        },
      ],
    });
    const files = (await readdir(path.join(dir, 'blobs', 'sha256'))).sort();
    const expected = [artifact.digest, ...artifact.blobs.map((blob) => blob.descriptor.digest)];
    expect(files).toEqual(expected.map((digest) => digest.slice(7)).sort());
    expect(new Uint8Array(await readFile(blobPath(dir, artifact.digest)))).toEqual(artifact.manifestBytes);

    const read = await readLayout(dir, '2.1.0');
    expect(read.tag).toBe('2.1.0');
    expect(read.manifest.descriptor.digest).toBe(artifact.digest);
    expect(read.manifest.bytes).toEqual(artifact.manifestBytes);
    expect(read.manifest.manifest).toEqual(artifact.manifest);
    expect(read.referrers).toEqual([]);
    const byDigest = (blobs: readonly Blob[]) =>
      [...blobs].sort((a, b) => (a.descriptor.digest < b.descriptor.digest ? -1 : 1));
    expect(byDigest(read.blobs).map((blob) => blob.content)).toEqual(
      byDigest(artifact.blobs).map((blob) => blob.content),
    );
    expect((await readLayout(dir)).manifest.descriptor.digest).toBe(artifact.digest);
  });

  it('stores referrers beside the artifact and finds them by subject and by cosign tag', async () => {
    const dir = freshDir();
    const subject = storedManifest(artifact);
    const sbom = referrer(MEDIA_TYPES.cycloneDx, '{"bomFormat":"CycloneDX"}', subject);
    const signature = referrer(MEDIA_TYPES.cosignSimpleSigning, '{"critical":{}}');
    const signatureTag = `${artifact.digest.replace(':', '-')}.sig`;
    await writeLayout(
      dir,
      {
        ...ENTRIES,
        referrers: [sbom.stored, { ...signature.stored, tag: signatureTag }],
        blobs: [
          ...artifact.blobs,
          sbom.blob,
          signature.blob,
          { descriptor: EMPTY_CONFIG, content: EMPTY_CONFIG_BYTES },
        ],
      },
      { tag: 'latest' },
    );
    const other = buildWorkflowArtifact(workflowInput(AI_WORKFLOW.replace('2.1.0', '2.2.0')));
    await writeLayout(dir, { manifest: storedManifest(other), blobs: other.blobs }, { tag: 'next' });

    const read = await readLayout(dir, 'latest');
    expect(read.referrers.map((found) => found.descriptor.digest)).toEqual([
      sbom.stored.descriptor.digest,
      signature.stored.descriptor.digest,
    ]);
    expect(read.referrers[1]?.tag).toBe(signatureTag);
    expect(read.referrers[0]?.bytes).toEqual(sbom.stored.bytes);
    const digests = read.blobs.map((blob) => blob.descriptor.digest);
    expect(digests).toContain(sbom.blob.descriptor.digest);
    expect(digests).toContain(signature.blob.descriptor.digest);
    expect((await readLayout(dir, 'next')).referrers).toEqual([]);
    const untagged = await rejection(readLayout(dir));
    expect(untagged.code).toBe('USAGE');
    expect(untagged.message).toContain(`latest, next, ${signatureTag}`);
    expect((await rejection(readLayout(dir, 'nope'))).code).toBe('FILE_NOT_FOUND');
  });

  it('keeps other tags when adding one, and moves a tag written again', async () => {
    const dir = freshDir();
    const other = buildWorkflowArtifact(workflowInput(AI_WORKFLOW.replace('2.1.0', '2.2.0')));
    await writeLayout(dir, ENTRIES, { tag: 'stable' });
    await writeLayout(dir, { manifest: storedManifest(other), blobs: other.blobs }, { tag: 'edge' });
    await writeLayout(dir, ENTRIES, { tag: 'stable' });
    expect((await readLayout(dir, 'stable')).manifest.descriptor.digest).toBe(artifact.digest);
    await writeLayout(dir, { manifest: storedManifest(other), blobs: [] }, { tag: 'stable' });
    expect((await readLayout(dir, 'stable')).manifest.descriptor.digest).toBe(other.digest);
    const index = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8'));
    expect(
      index.manifests.map(
        (entry: { annotations: Record<string, string> }) =>
          entry.annotations['org.opencontainers.image.ref.name'],
      ),
    ).toEqual(['edge', 'stable']);
  });

  it('refuses what it cannot write: a bad tag, a missing blob, a wrong digest, a foreign directory', async () => {
    expect((await rejection(writeLayout(freshDir(), ENTRIES, { tag: '../x' }))).code).toBe('USAGE');
    const sameTag = { ...referrer(MEDIA_TYPES.cycloneDx, '{}').stored, tag: 't' };
    expect(
      (await rejection(writeLayout(freshDir(), { ...ENTRIES, referrers: [sameTag] }, { tag: 't' }))).message,
    ).toMatch(/given to two manifests/);
    const missing = await rejection(
      writeLayout(freshDir(), { ...ENTRIES, blobs: artifact.blobs.slice(1) }, { tag: 't' }),
    );
    expect(missing.message).toMatch(/was not given/);
    const [first, ...rest] = artifact.blobs as [Blob, ...Blob[]];
    const forged = { descriptor: first.descriptor, content: new TextEncoder().encode('forged') };
    expect(
      (await rejection(writeLayout(freshDir(), { ...ENTRIES, blobs: [forged, ...rest] }, { tag: 't' }))).code,
    ).toBe('VALIDATION');
    const foreign = freshDir();
    await mkdir(foreign);
    await writeFile(path.join(foreign, 'notes.txt'), 'mine');
    expect((await rejection(writeLayout(foreign, ENTRIES, { tag: 't' }))).code).toBe('ALREADY_EXISTS');
    expect(await readdir(foreign)).toEqual(['notes.txt']);
  });
});

describe('reading a layout that was tampered with', () => {
  async function written(): Promise<string> {
    const dir = freshDir();
    await writeLayout(dir, ENTRIES, { tag: 'v1' });
    return dir;
  }

  it('refuses a changed layer, a changed manifest and a missing blob', async () => {
    const layer = artifact.manifest.layers[0]?.digest as string;
    const dir = await written();
    await writeFile(blobPath(dir, layer), '[metadata]\nname = "evil"\n');
    const tampered = await rejection(readLayout(dir, 'v1'));
    expect(tampered.code).toBe('VALIDATION');
    expect(tampered.message).toContain(`Blob ${layer}`);
    expect(tampered.message).toContain('does not match its digest');

    const manifestDir = await written();
    const bytes = await readFile(blobPath(manifestDir, artifact.digest), 'utf8');
    await writeFile(blobPath(manifestDir, artifact.digest), bytes.replace('Ada Lovelace', 'Eve Mallory!'));
    expect((await rejection(readLayout(manifestDir, 'v1'))).message).toContain(`Blob ${artifact.digest}`);

    const missingDir = await written();
    await rm(blobPath(missingDir, layer));
    expect((await rejection(readLayout(missingDir, 'v1'))).code).toBe('FILE_NOT_FOUND');
  });

  it('refuses a blob or the blobs folder symlinked out of the directory', async () => {
    const layer = artifact.manifest.layers[0]?.digest as string;
    const outsideFile = path.join(scratch, 'outside-blob');
    const dir = await written();
    await writeFile(outsideFile, await readFile(blobPath(dir, layer)));
    await rm(blobPath(dir, layer));
    await symlink(outsideFile, blobPath(dir, layer));
    expect((await rejection(readLayout(dir, 'v1'))).code).toBe('PATH_FORBIDDEN');

    const folderDir = await written();
    const outsideFolder = path.join(scratch, 'outside-blobs');
    await rm(outsideFolder, { recursive: true, force: true });
    await writeLayout(outsideFolder, ENTRIES, { tag: 'v1' });
    await rm(path.join(folderDir, 'blobs'), { recursive: true });
    await symlink(path.join(outsideFolder, 'blobs'), path.join(folderDir, 'blobs'));
    expect((await rejection(readLayout(folderDir, 'v1'))).code).toBe('PATH_FORBIDDEN');
    expect((await rejection(writeLayout(folderDir, ENTRIES, { tag: 'v2' }))).code).toBe('PATH_FORBIDDEN');
  });

  it('refuses an index entry whose digest would leave blobs/sha256', async () => {
    const dir = await written();
    const index = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8'));
    index.manifests[0].digest = `sha256:../../../${'a'.repeat(55)}`;
    await writeFile(path.join(dir, 'index.json'), JSON.stringify(index));
    const error = await rejection(readLayout(dir, 'v1'));
    expect(error.code).toBe('PARSE');
    expect(error.details.join(' ')).toContain('not a sha256 digest');
  });
});

describe('skopeo, a second implementation', () => {
  beforeAll(() => {
    if (!existsSync(SKOPEO))
      throw new Error(
        `skopeo is required at ${SKOPEO} for these tests (Debian: apt-get install skopeo; .ci/run installs it).`,
      );
  });

  const skopeo = (...args: string[]): Buffer =>
    execFileSync(SKOPEO, ['--insecure-policy', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });

  it('shows our manifest bytes and annotations with skopeo inspect --raw', async () => {
    const dir = freshDir();
    await writeLayout(dir, ENTRIES, { tag: '2.1.0' });
    const raw = skopeo('inspect', '--raw', `oci:${dir}:2.1.0`);
    expect(new Uint8Array(raw)).toEqual(artifact.manifestBytes);
    expect(sha256Digest(new Uint8Array(raw))).toBe(artifact.digest);
    expect(JSON.parse(raw.toString('utf8')).annotations['dev.aitws.approved-by-ids']).toBe('U1,U2');
  });

  it('copies our layout to another with skopeo copy, which we read back with the same digest', async () => {
    const dir = freshDir();
    const copy = freshDir();
    await writeLayout(dir, ENTRIES, { tag: '2.1.0' });
    skopeo('copy', `oci:${dir}:2.1.0`, `oci:${copy}:2.1.0`);
    const read = await readLayout(copy, '2.1.0');
    expect(read.manifest.descriptor.digest).toBe(artifact.digest);
    expect(read.manifest.bytes).toEqual(artifact.manifestBytes);
    expect(read.blobs.map((blob) => blob.descriptor.digest).sort()).toEqual(
      artifact.blobs.map((blob) => blob.descriptor.digest).sort(),
    );
    const back = freshDir();
    skopeo('copy', `oci:${copy}:2.1.0`, `oci:${back}:again`);
    expect((await readLayout(back, 'again')).manifest.bytes).toEqual(artifact.manifestBytes);
  });
});
