/**
 * Issue #18 benchmark: the whole cycle of shipping the sample workflow as a signed OCI artifact,
 * beside `skopeo copy` of that artifact between two registries. (a) is ours, in process: build the
 * package (canonical TOML, SBOM, provenance, three ECDSA signatures), push it to registry A (three
 * manifests with their blobs, three signature manifests, referrers through the referrers tag since
 * Distribution 2.8 has no referrers API), then pull and verify it from A as `aitws pull` does
 * (every manifest, blob, referrer and signature read back and checked). (b) is the peer:
 * `skopeo copy --all` of the same artifact from A to B, the artifact manifest and its two blobs
 * only (skopeo 1.9 copies no referrers or signatures), a skopeo process per copy. It makes 15
 * requests (seen through a logging proxy) against our 64, which is most of the ratio.
 *
 * Both registries are Debian's docker-registry on loopback, started here. Neither side finds its
 * blobs already there: ours pushes to a repository of its own each round (a registry answers a
 * blob HEAD per repository), skopeo's copy is deleted from B after each round (resetCopy). The two
 * sides take turns, the order swapped every round, and the verdict is the median of each round's
 * own ratio, so drift hits them alike.
 */

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateKeyPair } from '../src/oci/keys.js';
import { buildPackage, DEFAULT_CREATED } from '../src/oci/package.js';
import { pushPackage } from '../src/oci/package-publish.js';
import type { FetchLike } from '../src/oci/registry-auth.js';
import { RegistryClient } from '../src/oci/registry-client.js';
import type { Reference, StoredManifest } from '../src/oci/types.js';
import { verifyArtifact } from '../src/oci/verify.js';
import { registrySource } from '../src/oci/verify-source.js';
import { skopeo, startRegistry, type TestRegistry } from '../test/support/registry.js';
import { fmt, median } from './lib.js';

const SAMPLE_TOML = path.resolve(
  import.meta.dirname,
  import.meta.dirname.endsWith(path.join('dist', 'bench')) ? '../..' : '..',
  'test/fixtures/ai.toml',
);
const ROUNDS = 11;
const WARMUP = 2;
const TAG = '1.0';
const KEY = generateKeyPair();
const COPY_REPOSITORY = 'bench/copy';

interface Cycle {
  readonly text: string;
  readonly client: RegistryClient;
  readonly registry: TestRegistry;
}

interface Phases {
  readonly build: number;
  readonly push: number;
  readonly verify: number;
}

/** (a): package + push to A + pull + verify from A; throws unless every check passed. */
async function ourCycle(cycle: Cycle, repository: string): Promise<Phases> {
  const reference: Reference = { registry: cycle.registry.host, repository, tag: TAG };
  const started = performance.now();
  const pkg = buildPackage({
    text: cycle.text,
    name: `${reference.registry}/${reference.repository}`,
    privateKey: KEY.privateKey,
    created: DEFAULT_CREATED,
  });
  const built = performance.now();
  await pushPackage(cycle.client, reference, pkg);
  const pushed = performance.now();
  const result = await verifyArtifact(registrySource(cycle.client, reference), {
    publicKey: KEY.publicKey,
    keyName: 'bench key',
  });
  const verified = performance.now();
  const failed = result.checks.filter((check) => check.status === 'fail').map((check) => check.text);
  if (!result.ok || result.digest !== pkg.digest || result.toml === undefined)
    throw new Error(`oci bench: verification failed: ${failed.join('; ')}`);
  return { build: built - started, push: pushed - built, verify: verified - pushed };
}

/** (b): skopeo copy of the artifact (its manifest and blobs only) from A to a repository in B. */
async function skopeoCopy(source: string, target: string): Promise<void> {
  await skopeo(
    'copy',
    '--all',
    '--src-tls-verify=false',
    '--dest-tls-verify=false',
    `docker://${source}`,
    `docker://${target}`,
  );
}

/** Requests one cycle makes, counted on a client of its own (outside the timed rounds). */
async function requestsPerCycle(cycle: Cycle): Promise<number> {
  let requests = 0;
  const counting: FetchLike = (input, init) => {
    requests++;
    return fetch(input, init);
  };
  await ourCycle({ ...cycle, client: new RegistryClient({ fetch: counting }) }, 'bench/counted');
  return requests;
}

interface Samples {
  readonly ours: Phases[];
  readonly peer: number[];
}

async function rounds(cycle: Cycle, b: TestRegistry): Promise<Samples> {
  const seed = `${cycle.registry.host}/bench/seed:${TAG}`;
  await ourCycle(cycle, 'bench/seed');
  const source = await cycle.client.pullManifest({
    registry: cycle.registry.host,
    repository: 'bench/seed',
    tag: TAG,
  });
  const samples: Samples = { ours: [], peer: [] };
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    const a = () => ourCycle(cycle, `bench/ours-${round}`);
    const copy = async () => {
      const started = performance.now();
      await skopeoCopy(seed, `${b.host}/${COPY_REPOSITORY}:${TAG}`);
      const ms = performance.now() - started;
      await resetCopy(cycle.client, b, source);
      return ms;
    };
    let phases: Phases;
    let copied: number;
    if (round % 2 === 0) {
      phases = await a();
      copied = await copy();
    } else {
      copied = await copy();
      phases = await a();
    }
    if (round < WARMUP) continue;
    samples.ours.push(phases);
    samples.peer.push(copied);
  }
  return samples;
}

/**
 * After each copy, untimed: the copy is checked to be the artifact itself (same manifest digest),
 * then its manifest and blobs are deleted from B's repository. skopeo's blob-info cache remembers
 * where it put each blob and mounts it from there into any other repository of B; with the blobs
 * unlinked, every round's copy uploads them as the first one did (checked through a logging
 * proxy: the same 15 requests each time).
 */
async function resetCopy(client: RegistryClient, b: TestRegistry, source: StoredManifest): Promise<void> {
  const copied = await client.pullManifest({ registry: b.host, repository: COPY_REPOSITORY, tag: TAG });
  const digest = source.descriptor.digest;
  if (copied.descriptor.digest !== digest)
    throw new Error(`oci bench: skopeo's copy is ${copied.descriptor.digest}, not ${digest}`);
  const blobs = 'layers' in source.manifest ? [source.manifest.config, ...source.manifest.layers] : [];
  for (const path of [`manifests/${digest}`, ...blobs.map((blob) => `blobs/${blob.digest}`)]) {
    const response = await fetch(`http://${b.host}/v2/${COPY_REPOSITORY}/${path}`, { method: 'DELETE' });
    await response.body?.cancel();
    if (response.status !== 202)
      throw new Error(`oci bench: DELETE ${path} in B answered ${response.status}`);
  }
}

const total = (phases: Phases): number => phases.build + phases.push + phases.verify;

function report(samples: Samples, requests: number): void {
  const ours = samples.ours.map(total);
  const peer = median(samples.peer);
  const ratios = ours.map((ms, index) => ms / (samples.peer[index] ?? ms));
  const phase = (key: keyof Phases) => fmt(median(samples.ours.map((phases) => phases[key])), 1);
  console.log(
    `  sample: test/fixtures/ai.toml; ${ROUNDS} paired rounds (order swapped each round), ${WARMUP} warm-up`,
  );
  console.log(
    `  (a) package + push to A + pull + verify from A   median ${fmt(median(ours), 1)} ms  (${requests} HTTP requests)`,
  );
  console.log(
    `      build ${phase('build')} ms, push ${phase('push')} ms, pull + verify ${phase('verify')} ms`,
  );
  console.log(`  (b) skopeo copy --all A -> B (artifact manifest only)   median ${fmt(peer, 1)} ms`);
  console.log(
    `  (a)/(b): ${fmt(median(ratios), 2)}x (median of paired ratios; rounds ${fmt(Math.min(...ratios), 2)}-${fmt(Math.max(...ratios), 2)}x; ratio of medians ${fmt(median(ours) / peer, 2)}x)`,
  );
}

export async function benchOci(): Promise<void> {
  const [a, b] = await Promise.all([startRegistry(), startRegistry()]);
  try {
    const cycle: Cycle = {
      text: await readFile(SAMPLE_TOML, 'utf8'),
      client: new RegistryClient(),
      registry: a,
    };
    const requests = await requestsPerCycle(cycle);
    const samples = await rounds(cycle, b);
    report(samples, requests);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}
