/**
 * Publishing a built package (package.ts): pushed to a registry, the SBOM and provenance attached
 * as referrers (the referrers tag schema where the registry has no referrers API), or written as
 * an OCI image layout for air-gapped transfer.
 */
import { AitwsError } from '../errors.js';
import { signatureTag } from './cosign.js';
import { writeLayout } from './layout.js';
import type { PackagePart, WorkflowPackage } from './package.js';
import { formatReference } from './reference.js';
import { indexReferrers, type PushedReferrer, pushReferrer, referrersTag } from './referrers.js';
import type { RegistryClient } from './registry-client.js';
import type { Blob, Descriptor, Digest, Reference } from './types.js';

export interface PublishedLine {
  readonly label: string;
  readonly where: string;
  readonly digest: Digest;
}

/** Blob uploads in flight at once during one push. */
export const PUSH_CONCURRENCY = 4;

/**
 * Pushes the package with every digest checked, each blob once (the empty config `{}` that four of
 * its manifests name included), up to PUSH_CONCURRENCY uploads at a time. Each manifest goes as
 * soon as its own blobs are in and what it depends on is pushed: a signature after what it signs,
 * a referrer after its subject. Then the referrers of each subject go into its fallback index in
 * one update (the registry checks an index's manifests exist, so after them). On a failure the
 * uploads not yet started are not started, the ones in flight are waited for, and the first error
 * is thrown.
 */
export async function pushPackage(
  client: RegistryClient,
  reference: Reference,
  pkg: WorkflowPackage,
): Promise<PublishedLine[]> {
  const run = new Run();
  const blobs = new Map<Digest, Promise<unknown>>();
  const blob = (item: Blob): Promise<unknown> => {
    let pushed = blobs.get(item.descriptor.digest);
    if (pushed === undefined) {
      pushed = run.limited(() => client.pushBlob(reference, item));
      blobs.set(item.descriptor.digest, pushed);
    }
    return pushed;
  };
  const manifests = new Map<Digest, Promise<unknown>>();
  const referrers: Promise<PushedReferrer>[] = [];
  for (const [position, part] of pkg.parts.entries()) {
    const ready = Promise.all([
      ...part.blobs.map(blob),
      ...dependencies(part, pkg.parts.slice(0, position)).map((digest) => manifests.get(digest)),
    ]);
    const pushed = run.track(ready.then(() => run.unlessFailed(() => pushPart(client, reference, part))));
    manifests.set(part.stored.descriptor.digest, pushed);
    if (part.role === 'sbom' || part.role === 'provenance')
      referrers.push(pushed.then((result) => result as PushedReferrer));
  }
  const indexed = run.track(
    Promise.all(referrers).then((pushed) => indexReferrers(client, reference, pushed)),
  );
  await run.settled();
  const via = new Map((await indexed).map((entry) => [entry.descriptor.digest, entry.via]));
  const repository = `${reference.registry}/${reference.repository}`;
  return pkg.parts.map((part) => {
    const { digest } = part.stored.descriptor;
    if (part.role === 'artifact')
      return {
        label: part.label,
        where: formatReference({
          registry: reference.registry,
          repository: reference.repository,
          ...(reference.tag === undefined ? {} : { tag: reference.tag }),
        }),
        digest,
      };
    if (part.role === 'signature') return { label: part.label, where: `${repository}:${part.tag}`, digest };
    const how = via.get(digest) === 'api' ? 'referrers API' : `referrers tag ${referrersTag(pkg.digest)}`;
    return { label: part.label, where: `${repository}@${digest} (${how})`, digest };
  });
}

/** A part's manifest: the artifact under the reference's tag, a signature under its own, a referrer by digest. */
function pushPart(
  client: RegistryClient,
  reference: Reference,
  part: PackagePart,
): Promise<Descriptor | PushedReferrer> {
  const { bytes, descriptor } = part.stored;
  if (part.role === 'artifact')
    return client.pushManifest(reference, bytes, descriptor.mediaType, reference.tag ?? descriptor.digest);
  if (part.role === 'signature') return client.pushManifest(reference, bytes, descriptor.mediaType, part.tag);
  return pushReferrer(client, reference, bytes);
}

/**
 * The earlier parts whose manifests must be in the registry before this one: a signature's signed
 * part (every earlier one when its tag names none of them), a referrer's subject when it is in the
 * package.
 */
function dependencies(part: PackagePart, earlier: readonly PackagePart[]): Digest[] {
  const digests = earlier.map((other) => other.stored.descriptor.digest);
  if (part.role === 'artifact') return [];
  if (part.role === 'signature') {
    const signed = digests.find((digest) => signatureTag(digest) === part.tag);
    return signed === undefined ? digests : [signed];
  }
  const { manifest } = part.stored;
  const subject = 'subject' in manifest ? manifest.subject?.digest : undefined;
  return digests.filter((digest) => digest === subject);
}

/** The tasks of one push: a bound on uploads in flight, and the first failure among them. */
class Run {
  readonly #tasks: Promise<unknown>[] = [];
  readonly #waiting: (() => void)[] = [];
  #active = 0;
  #failure: { error: unknown } | undefined;

  track<T>(task: Promise<T>): Promise<T> {
    this.#tasks.push(
      task.catch((error: unknown) => {
        this.#failure ??= { error };
      }),
    );
    return task;
  }

  /** Starts `task` when fewer than PUSH_CONCURRENCY are running; never once something failed. */
  limited<T>(task: () => Promise<T>): Promise<T> {
    return this.track(this.#limited(task));
  }

  async #limited<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active < PUSH_CONCURRENCY) this.#active++;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await this.unlessFailed(task);
    } catch (error) {
      // Before the slot passes on, so the next in line sees it.
      this.#failure ??= { error };
      throw error;
    } finally {
      // The slot passes straight to the next in line, so none can slip in between.
      const next = this.#waiting.shift();
      if (next === undefined) this.#active--;
      else next();
    }
  }

  /** Nothing new starts once something failed. */
  unlessFailed<T>(task: () => Promise<T>): Promise<T> {
    return this.#failure === undefined ? task() : Promise.reject(this.#failure.error);
  }

  /** Waits for every task tracked so far (none is left running), then throws the first failure. */
  async settled(): Promise<void> {
    await Promise.all(this.#tasks);
    if (this.#failure !== undefined) throw this.#failure.error;
  }
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
