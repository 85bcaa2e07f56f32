/**
 * `aitws package`, `verify` and `pull` as commands, against a real docker-registry, with skopeo
 * as the independent reader: it sees our manifest and annotations, and copies the artifact, its
 * referrers (one by one, by digest: skopeo 1.9 copies no referrers itself) and its signature tags
 * into an OCI layout that `aitws verify oci-layout:DIR` still passes.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageCommand } from '../../src/cli/package-command.js';
import { pullCommand } from '../../src/cli/pull-command.js';
import { verifyCommand } from '../../src/cli/verify-command.js';
import { writeKeyPair } from '../../src/oci/keys.js';
import { type ImageManifest, MEDIA_TYPES } from '../../src/oci/types.js';
import { layoutSource } from '../../src/oci/verify-source.js';
import type { Output } from '../../src/output.js';
import { skopeo, startRegistry, type TestRegistry } from '../support/registry.js';
import { startTokenServer } from '../support/registry-token.js';

let registry: TestRegistry;
let dir: string;

beforeAll(async () => {
  registry = await startRegistry();
  dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-oci-cli-'));
  await writeKeyPair(path.join(dir, 'key'));
  await copyFile(new URL('../fixtures/ai.toml', import.meta.url), path.join(dir, 'ai.toml'));
});
afterAll(async () => {
  await registry?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

interface Ran {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

async function run(
  command: (args: readonly string[], env: Record<string, string>, io: Output) => Promise<number>,
  args: string[],
  env: Record<string, string> = {},
): Promise<Ran> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await command(args, env, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err };
}

const file = (name: string): string => path.join(dir, name);
const packageTo = (ref: string, ...extra: string[]) =>
  run(packageCommand, [file('ai.toml'), '--ref', ref, '--key', file('key.key'), ...extra]);

describe('aitws package, verify, pull', () => {
  it('packages reproducibly, skopeo reads it, verify passes and pull writes the TOML once', async () => {
    const ref = `${registry.host}/team/claims:1.0`;
    const first = await packageTo(ref, '--source', 'https://example.com/repo', '--license', 'MIT');
    expect(first.code).toBe(0);
    const digest = first.out[0]?.replace('digest ', '') ?? '';
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(first.out.filter((line) => line.startsWith('pushed '))).toHaveLength(6);
    const again = await packageTo(
      `${registry.host}/team/claims:1.1`,
      '--source',
      'https://example.com/repo',
      '--license',
      'MIT',
    );
    expect(again.out[0]).toBe(`digest ${digest}`);

    const raw = JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${ref}`));
    expect(raw.artifactType).toBe('application/vnd.aitws.workflow.v1');
    expect(raw.annotations).toMatchObject({
      'org.opencontainers.image.title': 'Sample aiTWS Configuration',
      'org.opencontainers.image.created': '1970-01-01T00:00:00Z',
      'org.opencontainers.image.source': 'https://example.com/repo',
      'org.opencontainers.image.licenses': 'MIT',
      'dev.aitws.content-hash': expect.stringMatching(/^sha256:/),
    });

    const verified = await run(verifyCommand, [ref, '--key', file('key.pub')]);
    expect(verified.code).toBe(0);
    expect(verified.out.filter((line) => line.startsWith('✖'))).toEqual([]);
    expect(verified.out[0]).toBe(`✔ manifest digest ${digest}`);

    const pulled = await run(pullCommand, [ref, '--key', file('key.pub'), '--output', file('pulled.toml')]);
    expect(pulled.code).toBe(0);
    expect(await readFile(file('pulled.toml'), 'utf8')).toContain('name = "Sample aiTWS Configuration"');
    const refused = await run(pullCommand, [ref, '--key', file('key.pub'), '--output', file('pulled.toml')]);
    expect(refused.code).toBe(2);
    expect(refused.err[0]).toMatch(/already exists/);
    expect(
      (await run(pullCommand, [ref, '--key', file('key.pub'), '--output', file('pulled.toml'), '--force']))
        .code,
    ).toBe(0);
  });

  it('still verifies after skopeo copies the artifact, its referrers and signatures to an OCI layout', async () => {
    const ref = `${registry.host}/team/copied:1.0`;
    const packaged = await packageTo(ref);
    const layout = file('copied');
    const flags = ['--preserve-digests', '--dest-oci-accept-uncompressed-layers', '--src-tls-verify=false'];
    await skopeo('copy', '--all', ...flags, `docker://${ref}`, `oci:${layout}:1.0`);
    for (const line of packaged.out.slice(2)) {
      const words = line.split(' ');
      const [where = '', digest = ''] = words.slice(-2);
      const source = line.includes('.sig ') ? where : `${registry.host}/team/copied@${digest}`;
      const target = line.includes('.sig ') ? `oci:${layout}:${where.split(':').at(-1)}` : `oci:${layout}`;
      await skopeo('copy', ...flags, `docker://${source}`, target);
    }
    const verified = await run(verifyCommand, [`oci-layout:${layout}:1.0`, '--key', file('key.pub')]);
    expect(verified.out.filter((line) => line.startsWith('✖'))).toEqual([]);
    expect(verified.code).toBe(0);

    const artifactOnly = file('artifact-only');
    await skopeo('copy', '--all', ...flags, `docker://${ref}`, `oci:${artifactOnly}:1.0`);
    const bare = await run(verifyCommand, [`oci-layout:${artifactOnly}`, '--key', file('key.pub')]);
    expect(bare.code).toBe(1);
    expect(bare.out).toContain('✖ SBOM: no CycloneDX SBOM refers to the artifact');
  });

  it('fails with 1 on a policy wanting two approvers, and 2 on usage or unreadable input', async () => {
    const ref = `${registry.host}/team/policy:1.0`;
    expect((await packageTo(ref)).code).toBe(0);
    await writeFile(file('policy.json'), JSON.stringify({ min_approvers: 2 }));
    const judged = await run(verifyCommand, [ref, '--key', file('key.pub'), '--policy', file('policy.json')]);
    expect(judged.code).toBe(1);
    expect(judged.out).toContain('✖ policy min_approvers 2: 0 approvers in the provenance');
    const pulled = await run(pullCommand, [
      ref,
      '--key',
      file('key.pub'),
      '--policy',
      file('policy.json'),
      '--output',
      file('no.toml'),
    ]);
    expect(pulled.code).toBe(1);
    await expect(readFile(file('no.toml'))).rejects.toThrow();

    await writeFile(file('bad-policy.json'), JSON.stringify({ min_aprovers: 2 }));
    expect(
      (await run(verifyCommand, [ref, '--key', file('key.pub'), '--policy', file('bad-policy.json')])).code,
    ).toBe(2);
    expect((await run(verifyCommand, [ref])).code).toBe(2);
    expect((await run(verifyCommand, [ref, '--key', file('key.key')])).err[0]).toMatch(
      /this is a private key/,
    );
    await writeFile(file('broken.toml'), '[metadata]\nname = "x"\nversion = 3\n');
    const refused = await run(packageCommand, [file('broken.toml'), '--ref', ref, '--key', file('key.key')]);
    expect(refused.code).toBe(2);
    expect(refused.err[0]).toMatch(/error\(s\); nothing was packaged/);
  });

  it('takes registry credentials from a secret with --credentials, never as text', async () => {
    const password = 'cli-registry-password';
    const tokens = await startTokenServer({ users: { robot: password } });
    const guarded = await startRegistry({ tokenAuth: tokens });
    try {
      const ref = `${guarded.host}/team/guarded:1.0`;
      const env = { AITWS_SECRET_REGISTRY: `robot:${password}` };
      const credentials = ['--credentials', '$' + '{secret:registry}'];
      const anonymous = await packageTo(ref);
      expect(anonymous.code).toBe(2);
      const pushed = await run(
        packageCommand,
        [file('ai.toml'), '--ref', ref, '--key', file('key.key'), ...credentials],
        env,
      );
      expect(pushed.code, pushed.err.join('\n')).toBe(0);
      const verified = await run(verifyCommand, [ref, '--key', file('key.pub'), ...credentials], env);
      expect(verified.code).toBe(0);
      expect(tokens.requests.filter((request) => request.user === 'robot').length).toBeGreaterThan(0);
      const typed = await run(verifyCommand, [
        ref,
        '--key',
        file('key.pub'),
        '--credentials',
        `robot:${password}`,
      ]);
      expect(typed.code).toBe(2);
      expect(typed.err.join('\n')).toContain('secret reference');
      expect(typed.err.join('\n')).not.toContain(password);
      const missing = await run(verifyCommand, [ref, '--key', file('key.pub'), ...credentials]);
      expect(missing.code).toBe(2);
      expect(missing.err.join('\n')).toContain('AITWS_SECRET_REGISTRY');
    } finally {
      await guarded.stop();
      await tokens.stop();
    }
  });

  it('packages a skill folder as one skill layer the SBOM lists', async () => {
    const skill = file('skills/triage-helper');
    await mkdir(path.join(skill, 'scripts'), { recursive: true });
    await writeFile(
      path.join(skill, 'SKILL.md'),
      '---\nname: triage-helper\ndescription: Sorts tickets by urgency.\n---\n',
    );
    await writeFile(path.join(skill, 'scripts', 'sort.py'), 'print("sorted")\n');
    const layout = file('skill-layout');
    const made = await packageTo(
      `${registry.host}/team/skill:1.0`,
      '--file',
      'skills/triage-helper',
      '--output',
      `oci-layout:${layout}`,
    );
    expect(made.code, made.err.join('\n')).toBe(0);
    const source = await layoutSource(layout, '1.0');
    const manifest = (await source.artifact()).manifest as ImageManifest;
    const layer = manifest.layers.find((entry) => entry.mediaType === MEDIA_TYPES.skill);
    expect(layer?.annotations?.['org.opencontainers.image.title']).toBe('skills/triage-helper.tar');
    const verified = await run(verifyCommand, [`oci-layout:${layout}:1.0`, '--key', file('key.pub')]);
    expect(verified.code, verified.out.join('\n')).toBe(0);
    const sbomLine = made.out.find((line) => line.startsWith('wrote SBOM '));
    const sbomDigest = sbomLine?.split(' ').at(-1) ?? '';
    const sbomManifest = JSON.parse(
      await readFile(path.join(layout, 'blobs', 'sha256', sbomDigest.slice(7)), 'utf8'),
    );
    const sbomLayer = sbomManifest.layers[0].digest as string;
    const sbom = await readFile(path.join(layout, 'blobs', 'sha256', sbomLayer.slice(7)), 'utf8');
    expect(sbom).toContain('skills/triage-helper.tar');
  });
});
