/**
 * verifyArtifact against a real docker-registry and against OCI layouts: a good package passes
 * every check; a tampered layer, a wrong key, a missing signature, a missing SBOM and a policy
 * wanting more approvers each fail with a line saying so.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/oci/keys.js';
import { buildPackage, DEFAULT_CREATED, type WorkflowPackage } from '../../src/oci/package.js';
import { pushPackage, writePackageLayout } from '../../src/oci/package-publish.js';
import type { Policy } from '../../src/oci/policy.js';
import { RegistryClient } from '../../src/oci/registry-client.js';
import type { Reference } from '../../src/oci/types.js';
import { formatCheck, type VerifyResult, verifyArtifact } from '../../src/oci/verify.js';
import { layoutSource, registrySource } from '../../src/oci/verify-source.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { sampleToml } from './artifact-fixture.js';

const pair = generateKeyPair();
const client = new RegistryClient();
let registry: TestRegistry;
let scratch: string;
let repoCount = 0;

beforeAll(async () => {
  registry = await startRegistry();
  scratch = await mkdtemp(path.join(os.tmpdir(), 'aitws-verify-'));
});
afterAll(async () => {
  await registry?.stop();
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

/** Blobs are shared by every repository of a registry: a test that changes one uses its own text. */
function fresh(text = sampleToml()): { reference: Reference; pkg: WorkflowPackage } {
  repoCount += 1;
  const reference = { registry: registry.host, repository: `team/wf${repoCount}`, tag: '1.0' };
  const pkg = buildPackage({
    text,
    name: `${registry.host}/${reference.repository}`,
    privateKey: pair.privateKey,
    created: DEFAULT_CREATED,
  });
  return { reference, pkg };
}

async function verifyAt(
  reference: Reference,
  options: { key?: typeof pair.publicKey; policy?: Policy } = {},
) {
  return verifyArtifact(registrySource(client, reference), {
    publicKey: options.key ?? pair.publicKey,
    keyName: 'key.pub',
    ...(options.policy === undefined ? {} : { policy: options.policy }),
  });
}

const lines = (result: VerifyResult): string[] => result.checks.map(formatCheck);
const failed = (result: VerifyResult): string[] => lines(result).filter((line) => line.startsWith('✖'));

describe('verify against docker-registry', () => {
  it('passes a package pushed as it was built, with a line per check', async () => {
    const { reference, pkg } = fresh();
    await pushPackage(client, reference, pkg);
    const result = await verifyAt(reference);
    expect(failed(result)).toEqual([]);
    expect(result.ok).toBe(true);
    expect(lines(result)).toEqual(
      expect.arrayContaining([
        `✔ manifest digest ${pkg.digest}`,
        '✔ signature: signed by key.pub',
        '✔ SBOM signature: signed by key.pub',
        '✔ provenance signature: signed by key.pub',
        '✔ provenance envelope: signed by key.pub',
        `✔ provenance subject ${pkg.digest}`,
      ]),
    );
    expect(new TextDecoder().decode(result.toml)).toContain('[metadata]');
  });

  it('fails a layer changed in the registry', async () => {
    const { reference, pkg } = fresh(sampleToml().replace('Sample aiTWS', 'Tampered aiTWS'));
    await pushPackage(client, reference, pkg);
    const toml = pkg.artifact.manifest.layers[0];
    const hex = toml?.digest.slice(7) ?? '';
    const file = path.join(
      registry.dir,
      'data/docker/registry/v2/blobs/sha256',
      hex.slice(0, 2),
      hex,
      'data',
    );
    const content = await readFile(file, 'utf8');
    await writeFile(file, content.replace('Tampered', 'Tampxred'));
    const result = await verifyAt(reference);
    expect(result.ok).toBe(false);
    expect(failed(result)).toEqual([
      expect.stringMatching(/^✖ layer workflow\.toml sha256:[0-9a-f]{64}: .*does not match its digest/),
    ]);
    expect(result.toml).toBeUndefined();
  });

  it('fails every signature with another key', async () => {
    const { reference, pkg } = fresh();
    await pushPackage(client, reference, pkg);
    const result = await verifyAt(reference, { key: generateKeyPair().publicKey });
    expect(failed(result)).toEqual([
      '✖ signature: no signature verifies with key.pub',
      '✖ SBOM signature: no signature verifies with key.pub',
      '✖ provenance signature: no signature verifies with key.pub',
      '✖ provenance envelope: none of its 1 signature verifies with the key',
    ]);
  });

  it('fails an artifact whose signature was never pushed', async () => {
    const { reference, pkg } = fresh();
    await pushPackage(client, reference, {
      ...pkg,
      parts: pkg.parts.filter((part) => part.label !== 'signature of artifact'),
    });
    const result = await verifyAt(reference);
    expect(failed(result)).toEqual([
      `✖ signature: no signature (${pkg.digest.replace(':', '-')}.sig not found)`,
    ]);
  });

  it('fails an artifact without an SBOM', async () => {
    const { reference, pkg } = fresh();
    await pushPackage(client, reference, {
      ...pkg,
      parts: pkg.parts.filter((part) => !part.label.includes('SBOM')),
    });
    const result = await verifyAt(reference);
    expect(failed(result)).toEqual(['✖ SBOM: no CycloneDX SBOM refers to the artifact']);
  });

  it('applies a policy: two approvers wanted, none recorded; builder and data classes judged', async () => {
    const { reference, pkg } = fresh();
    await pushPackage(client, reference, pkg);
    const result = await verifyAt(reference, {
      policy: { min_approvers: 2, builder_id: 'https://aitws.dev/builder', forbidden_data_classes: ['PHI'] },
    });
    expect(failed(result)).toEqual(['✖ policy min_approvers 2: 0 approvers in the provenance']);
    expect(lines(result)).toContain('✔ policy builder_id https://aitws.dev/builder');
    expect(lines(result)).toContain('✔ policy forbidden_data_classes: none of PHI handled');
  });

  it('notes rather than fails a missing signature when the policy does not require one', async () => {
    const { reference, pkg } = fresh();
    await pushPackage(client, reference, {
      ...pkg,
      parts: pkg.parts.filter((part) => part.role !== 'signature'),
    });
    const result = await verifyAt(reference, { policy: { require_signature: false } });
    expect(result.ok).toBe(true);
    expect(lines(result).filter((line) => line.startsWith('–'))).toHaveLength(3);
  });
});

describe('verify an OCI layout', () => {
  it('passes the layout aitws writes, and fails it once a blob is changed', async () => {
    const { pkg } = fresh(sampleToml().replace('Sample aiTWS', 'Layout aiTWS'));
    const dir = path.join(scratch, 'layout');
    await writePackageLayout(dir, '1.0', pkg);
    const source = await layoutSource(dir, '1.0');
    const good = await verifyArtifact(source, { publicKey: pair.publicKey, keyName: 'key.pub' });
    expect(failed(good)).toEqual([]);
    const hex = pkg.artifact.manifest.layers[0]?.digest.slice(7) ?? '';
    await writeFile(path.join(dir, 'blobs/sha256', hex), 'name = "changed"\n');
    const bad = await verifyArtifact(await layoutSource(dir), {
      publicKey: pair.publicKey,
      keyName: 'key.pub',
    });
    expect(failed(bad)).toEqual([
      expect.stringMatching(/^✖ layer workflow\.toml .*does not match its digest/),
    ]);
  });
});
