/**
 * Issue #18 benchmark: the whole cycle of shipping the sample workflow as a signed OCI artifact,
 * beside `skopeo copy` of that artifact between two registries. (a) is ours, in process: build the
 * package (canonical TOML, SBOM, provenance, three ECDSA signatures), push it to registry A (three
 * manifests with their blobs, three signature manifests, referrers through the referrers tag since
 * Distribution 2.8 has no referrers API), then pull and verify it from A as `aitws pull` does
 * (every manifest, blob, referrer and signature read back and checked). (b) is the peer:
 * `skopeo copy --all` of the same artifact from A to B, the artifact manifest and its two blobs
 * only (skopeo 1.9 copies no referrers or signatures), a skopeo process per copy. Both sides'
 * requests are counted once, outside the timed rounds: ours on a counting fetch (push apart from
 * pull + verify), skopeo's through a counting proxy in front of each registry.
 *
 * Both registries are Debian's docker-registry on loopback, started here. Neither side finds its
 * blobs already there: ours pushes to a repository of its own each round (a registry answers a
 * blob mount per repository), skopeo's copy is deleted from B after each round (resetCopy). Ours
 * makes a new client each cycle, as `aitws package --push` and `aitws verify` each do (a client
 * remembers which repositories have no referrers API). The two
 * sides take turns, the order swapped every round, and the verdict is the median of each round's
 * own ratio, so drift hits them alike.
 */

import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
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
  readonly registry: TestRegistry;
  /** Counting requests (requestsPerCycle); Node's fetch otherwise. */
  readonly fetch?: FetchLike;
  /** Told when the push is done and pull + verify begin. */
  readonly pushed?: () => void;
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
  const client = new RegistryClient(cycle.fetch === undefined ? {} : { fetch: cycle.fetch });
  const pkg = buildPackage({
    text: cycle.text,
    name: `${reference.registry}/${reference.repository}`,
    privateKey: KEY.privateKey,
    created: DEFAULT_CREATED,
  });
  const built = performance.now();
  await pushPackage(client, reference, pkg);
  const pushed = performance.now();
  cycle.pushed?.();
  const result = await verifyArtifact(
    registrySource(new RegistryClient(cycle.fetch === undefined ? {} : { fetch: cycle.fetch }), reference),
    {
      publicKey: KEY.publicKey,
      keyName: 'bench key',
    },
  );
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

interface Requests {
  readonly push: number;
  readonly verify: number;
  readonly skopeo: number;
}

/** Requests one cycle of each side makes (outside the timed rounds). */
async function requestsPerCycle(cycle: Cycle, b: TestRegistry): Promise<Requests> {
  const counts = { push: 0, verify: 0 };
  let phase: keyof typeof counts = 'push';
  const counting: FetchLike = (input, init) => {
    counts[phase]++;
    return fetch(input, init);
  };
  await ourCycle(
    {
      ...cycle,
      fetch: counting,
      pushed: () => {
        phase = 'verify';
      },
    },
    'bench/counted',
  );
  const [fromA, toB] = await Promise.all([countingProxy(cycle.registry.host), countingProxy(b.host)]);
  try {
    await skopeoCopy(`${fromA.host}/bench/counted:${TAG}`, `${toB.host}/${COPY_REPOSITORY}:${TAG}`);
  } finally {
    await Promise.all([fromA.close(), toB.close()]);
  }
  const source = await new RegistryClient().pullManifest({
    registry: cycle.registry.host,
    repository: 'bench/counted',
    tag: TAG,
  });
  await resetCopy(b, source);
  return { ...counts, skopeo: fromA.requests() + toB.requests() };
}

interface CountingProxy {
  readonly host: string;
  requests(): number;
  close(): Promise<void>;
}

/**
 * Passes every request on to `target` as it came (the Host header too, so the registry's upload
 * locations point back through the proxy), counting them.
 */
async function countingProxy(target: string): Promise<CountingProxy> {
  const [hostname, port] = target.split(':');
  let requests = 0;
  const server = http.createServer((incoming, outgoing) => {
    requests++;
    const forwarded = http.request(
      {
        hostname,
        port: Number(port),
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

interface Samples {
  readonly ours: Phases[];
  readonly peer: number[];
}

async function rounds(cycle: Cycle, b: TestRegistry): Promise<Samples> {
  const seed = `${cycle.registry.host}/bench/seed:${TAG}`;
  await ourCycle(cycle, 'bench/seed');
  const source = await new RegistryClient().pullManifest({
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
      await resetCopy(b, source);
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
async function resetCopy(b: TestRegistry, source: StoredManifest): Promise<void> {
  const copied = await new RegistryClient().pullManifest({
    registry: b.host,
    repository: COPY_REPOSITORY,
    tag: TAG,
  });
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

function report(samples: Samples, requests: Requests): void {
  const ours = samples.ours.map(total);
  const peer = median(samples.peer);
  const ratios = ours.map((ms, index) => ms / (samples.peer[index] ?? ms));
  const phase = (key: keyof Phases) => fmt(median(samples.ours.map((phases) => phases[key])), 1);
  console.log(
    `  sample: test/fixtures/ai.toml; ${ROUNDS} paired rounds (order swapped each round), ${WARMUP} warm-up`,
  );
  console.log(
    `  (a) package + push to A + pull + verify from A   median ${fmt(median(ours), 1)} ms  (${requests.push + requests.verify} HTTP requests)`,
  );
  console.log(
    `      build ${phase('build')} ms, push ${phase('push')} ms (${requests.push} requests), pull + verify ${phase('verify')} ms (${requests.verify} requests)`,
  );
  console.log(
    `  (b) skopeo copy --all A -> B (artifact manifest only)   median ${fmt(peer, 1)} ms  (${requests.skopeo} HTTP requests)`,
  );
  console.log(
    `  (a)/(b): ${fmt(median(ratios), 2)}x (median of paired ratios; rounds ${fmt(Math.min(...ratios), 2)}-${fmt(Math.max(...ratios), 2)}x; ratio of medians ${fmt(median(ours) / peer, 2)}x)`,
  );
}

export async function benchOci(): Promise<void> {
  const [a, b] = await Promise.all([startRegistry(), startRegistry()]);
  try {
    const cycle: Cycle = { text: await readFile(SAMPLE_TOML, 'utf8'), registry: a };
    const requests = await requestsPerCycle(cycle, b);
    const samples = await rounds(cycle, b);
    report(samples, requests);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}
