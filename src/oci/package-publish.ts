/**
 * Publishing a built package (package.ts): pushed to a registry, the SBOM and provenance attached
 * as referrers (the referrers tag schema where the registry has no referrers API), or written as
 * an OCI image layout for air-gapped transfer.
 */
import { AitwsError } from '../errors.js';
import { writeLayout } from './layout.js';
import type { WorkflowPackage } from './package.js';
import { formatReference } from './reference.js';
import { referrersTag } from './referrers.js';
import type { RegistryClient } from './registry-client.js';
import type { Digest, Reference } from './types.js';

export interface PublishedLine {
  readonly label: string;
  readonly where: string;
  readonly digest: Digest;
}

/** Blobs first, then each manifest: a signature is never pushed before what it signs. */
export async function pushPackage(
  client: RegistryClient,
  reference: Reference,
  pkg: WorkflowPackage,
): Promise<PublishedLine[]> {
  const lines: PublishedLine[] = [];
  const repository = `${reference.registry}/${reference.repository}`;
  for (const part of pkg.parts) {
    for (const blob of part.blobs) await client.pushBlob(reference, blob);
    const { bytes, descriptor } = part.stored;
    if (part.role === 'artifact') {
      await client.pushManifest(reference, bytes, descriptor.mediaType, reference.tag ?? descriptor.digest);
      lines.push({
        label: part.label,
        where: formatReference({
          registry: reference.registry,
          repository: reference.repository,
          ...(reference.tag === undefined ? {} : { tag: reference.tag }),
        }),
        digest: descriptor.digest,
      });
    } else if (part.role === 'signature') {
      await client.pushManifest(reference, bytes, descriptor.mediaType, part.tag);
      lines.push({ label: part.label, where: `${repository}:${part.tag}`, digest: descriptor.digest });
    } else {
      const attached = await client.attachReferrer(reference, bytes);
      const via = attached.via === 'api' ? 'referrers API' : `referrers tag ${referrersTag(pkg.digest)}`;
      lines.push({
        label: part.label,
        where: `${repository}@${descriptor.digest} (${via})`,
        digest: descriptor.digest,
      });
    }
  }
  return lines;
}

/** The package as an OCI image layout, the artifact under `tag`, signatures under their own tags. */
export async function writePackageLayout(
  dir: string,
  tag: string,
  pkg: WorkflowPackage,
): Promise<PublishedLine[]> {
  const [artifact, ...others] = pkg.parts;
  if (artifact === undefined) throw new AitwsError('VALIDATION', 'The package has no artifact.');
  await writeLayout(
    dir,
    {
      manifest: artifact.stored,
      referrers: others.map((part) =>
        part.tag === undefined ? part.stored : { ...part.stored, tag: part.tag },
      ),
      blobs: pkg.parts.flatMap((part) => part.blobs),
    },
    { tag },
  );
  return pkg.parts.map((part) => ({
    label: part.label,
    where: `oci-layout:${dir}${part.role === 'artifact' ? `:${tag}` : part.tag === undefined ? '' : `:${part.tag}`}`,
    digest: part.stored.descriptor.digest,
  }));
}
