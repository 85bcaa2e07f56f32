/**
 * A real OCI registry for tests: Debian's `docker-registry` (the CNCF Distribution server, 2.8)
 * started per call on a free loopback port with filesystem storage in a temp dir, optionally with
 * token auth pointed at a token server of the test's own (test/support/registry-token.ts). Basic
 * auth through htpasswd is not offered: Distribution wants bcrypt, and nothing on a plain Debian
 * machine makes bcrypt hashes offline. Every registry started here is killed when the test process
 * exits.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { accessSync, constants, existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Blob, type Descriptor, type Digest, MEDIA_TYPES } from '../../src/oci/types.js';
import { closedPort } from './ports.js';

const run = promisify(execFile);

function program(name: string, env: string, apt: string): string {
  const override = process.env[env];
  const candidates = override !== undefined && override !== '' ? [override] : [`/usr/bin/${name}`];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter))
    if (dir !== '') candidates.push(path.join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // The next one.
    }
  }
  throw new Error(`${name} not found: install ${apt} (apt-get install ${apt}), or set ${env}`);
}

export const registryBinary = (): string =>
  program('docker-registry', 'DOCKER_REGISTRY_BIN', 'docker-registry');
export const skopeoBinary = (): string => program('skopeo', 'SKOPEO_BIN', 'skopeo');

/** Runs skopeo and returns its stdout; a failure carries skopeo's stderr. */
export async function skopeo(...args: string[]): Promise<string> {
  try {
    return (await run(skopeoBinary(), args, { maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (error) {
    const stderr =
      typeof error === 'object' && error !== null && 'stderr' in error ? String(error.stderr) : '';
    throw new Error(`skopeo ${args.join(' ')} failed: ${stderr}`, { cause: error });
  }
}

export interface TokenAuthConfig {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** PEM of the certificate whose key signs the tokens. */
  readonly certificateFile: string;
}

export interface RegistryOptions {
  readonly tokenAuth?: TokenAuthConfig;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`, the `registry` of a Reference. */
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  stop(): Promise<void>;
}

const SETPRIV = '/usr/bin/setpriv';
const PDEATHSIG = existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'SIGKILL'] : [];
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function configYaml(dir: string, port: number, marker: string, options: RegistryOptions): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(path.join(dir, 'data'))}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${JSON.stringify(randomUUID())}`,
    '  headers:',
    `    X-Aitws-Test-Registry: [${JSON.stringify(marker)}]`,
  ];
  const token = options.tokenAuth;
  if (token !== undefined)
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${JSON.stringify(token.realm)}`,
      `    service: ${JSON.stringify(token.service)}`,
      `    issuer: ${JSON.stringify(token.issuer)}`,
      `    rootcertbundle: ${JSON.stringify(token.certificateFile)}`,
    );
  return `${lines.join('\n')}\n`;
}

export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const binary = registryBinary();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-registry-'));
  try {
    for (let attempt = 1; ; attempt++) {
      const port = await closedPort();
      const marker = randomUUID();
      const config = path.join(dir, 'config.yml');
      await writeFile(config, configYaml(dir, port, marker, options));
      const child = await launch(binary, config, port, marker).catch((error: unknown) => {
        if (attempt >= 3) throw error;
        return undefined;
      });
      if (child !== undefined) return control(child, port, dir);
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function control(child: ChildProcess, port: number, dir: string): TestRegistry {
  return {
    host: `127.0.0.1:${port}`,
    port,
    dir,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function launch(binary: string, config: string, port: number, marker: string): Promise<ChildProcess> {
  const [command = binary, ...launcherArgs] = [...PDEATHSIG, binary];
  const child = spawn(command, [...launcherArgs, 'serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  for (const until = Date.now() + 10_000; Date.now() < until; ) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}): ${stderr}`);
    if (await answers(port, marker)) return child;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`docker-registry did not answer on port ${port} within 10 s: ${stderr}`);
}

/** Ours, not another server that took the port first: it answers with our marker header. */
async function answers(port: number, marker: string): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/v2/`);
    await response.body?.cancel();
    return response.headers.get('x-aitws-test-registry') === marker;
  } catch {
    return false;
  }
}

export interface SampleArtifact {
  readonly config: Blob;
  readonly layer: Blob;
  readonly manifestBytes: Uint8Array;
  readonly manifestDigest: Digest;
}

function blobOf(mediaType: string, content: Uint8Array): Blob {
  const digest: Digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;
  return { descriptor: { mediaType, digest, size: content.byteLength }, content };
}

/**
 * A small OCI 1.1 artifact built by hand: the empty config, one layer, our artifactType, and a
 * `subject` when it is a referrer of another manifest.
 */
export function sampleArtifact(
  text: string,
  options: { artifactType?: string; layerType?: string; subject?: Descriptor } = {},
): SampleArtifact {
  const config = blobOf(MEDIA_TYPES.emptyConfig, new TextEncoder().encode('{}'));
  const layer = blobOf(options.layerType ?? MEDIA_TYPES.workflowToml, new TextEncoder().encode(text));
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    artifactType: options.artifactType ?? MEDIA_TYPES.workflowArtifact,
    config: config.descriptor,
    layers: [layer.descriptor],
    ...(options.subject === undefined ? {} : { subject: options.subject }),
    annotations: { 'org.opencontainers.image.title': 'sample' },
  };
  const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest));
  const manifestDigest: Digest = `sha256:${createHash('sha256').update(manifestBytes).digest('hex')}`;
  return { config, layer, manifestBytes, manifestDigest };
}
