/**
 * Registry auth: the Bearer token flow against docker-registry with token auth and a token server
 * of our own, credentials from the Docker config file, and Basic auth against a loopback server.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AitwsError } from '../../src/errors.js';
import { generateKeyPair } from '../../src/oci/keys.js';
import { buildPackage, DEFAULT_CREATED } from '../../src/oci/package.js';
import { pushPackage } from '../../src/oci/package-publish.js';
import {
  type CredentialSource,
  dockerConfigCredentials,
  explicitCredentials,
  parseChallenge,
} from '../../src/oci/registry-auth.js';
import { RegistryClient } from '../../src/oci/registry-client.js';
import { MEDIA_TYPES, type Reference } from '../../src/oci/types.js';
import { sampleArtifact, startRegistry, type TestRegistry } from '../support/registry.js';
import { startTokenServer, type TokenServer } from '../support/registry-token.js';
import { sampleToml } from './artifact-fixture.js';

const PASSWORD = 'pa55-w0rd-never-shown';

async function refusal(promise: Promise<unknown>): Promise<AitwsError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof AitwsError)) throw new Error(`expected an AitwsError, got ${String(error)}`);
  return error;
}

function shown(error: AitwsError): string {
  return [error.message, error.hint ?? '', ...error.details].join('\n');
}

describe('parseChallenge', () => {
  it('reads Bearer parameters, commas inside quotes included', () => {
    const header =
      'Bearer realm="https://auth.example.io/token",service="registry.example.io",scope="repository:a/b:pull,push"';
    expect(parseChallenge(header)).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example.io/token',
        service: 'registry.example.io',
        scope: 'repository:a/b:pull,push',
      },
    });
  });

  it('reads Basic, unquoted values, escapes and spacing', () => {
    expect(parseChallenge('Basic realm="a \\"b\\" c"')).toEqual({
      scheme: 'basic',
      params: { realm: 'a "b" c' },
    });
    expect(parseChallenge('bearer  realm=https://t.io/x , service=svc')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://t.io/x', service: 'svc' },
    });
    expect(parseChallenge('')).toBeUndefined();
  });
});

describe('Bearer token flow against docker-registry with token auth', () => {
  let tokens: TokenServer;
  let registry: TestRegistry;
  let config: string;

  beforeAll(async () => {
    tokens = await startTokenServer({ users: { alice: PASSWORD }, anonymousPull: true });
    registry = await startRegistry({ tokenAuth: tokens });
    config = await mkdtemp(path.join(os.tmpdir(), 'aitws-docker-config-'));
  });

  afterAll(async () => {
    await registry?.stop();
    await tokens?.stop();
    if (config !== undefined) await rm(config, { recursive: true, force: true });
  });

  const at = (repository: string, tag: string): Reference => ({ registry: registry.host, repository, tag });

  async function pushWith(credentials: CredentialSource, reference: Reference, text: string): Promise<void> {
    const client = new RegistryClient({ credentials });
    const artifact = sampleArtifact(text);
    await client.pushBlob(reference, artifact.config);
    await client.pushBlob(reference, artifact.layer);
    await client.pushManifest(reference, artifact.manifestBytes, MEDIA_TYPES.manifest);
  }

  it('fetches a token with the credentials, for the push scope, once, and pushes', async () => {
    const before = tokens.requests.length;
    await pushWith(
      explicitCredentials(registry.host, { username: 'alice', password: PASSWORD }),
      at('team/auth', '1'),
      'x',
    );
    const asked = tokens.requests.slice(before);
    expect(asked).toEqual([
      { user: 'alice', service: tokens.service, scope: 'repository:team/auth:pull,push' },
    ]);
    // Pulled anonymously: the token server grants pull to anyone.
    const pulled = await new RegistryClient().pullManifest(at('team/auth', '1'));
    expect(pulled.descriptor.artifactType).toBe(MEDIA_TYPES.workflowArtifact);
    expect(tokens.requests.at(-1)).toEqual({
      user: undefined,
      service: tokens.service,
      scope: 'repository:team/auth:pull',
    });
  });

  it('earns one token for a whole package push, its uploads concurrent', async () => {
    const reference = at('team/package', '1.0');
    const before = tokens.requests.length;
    const statuses: number[] = [];
    const client = new RegistryClient({
      credentials: explicitCredentials(registry.host, { username: 'alice', password: PASSWORD }),
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (new URL(String(input)).host === registry.host) statuses.push(response.status);
        return response;
      },
    });
    const pkg = buildPackage({
      text: sampleToml(),
      name: `${registry.host}/team/package`,
      privateKey: generateKeyPair().privateKey,
      created: DEFAULT_CREATED,
    });
    await pushPackage(client, reference, pkg);
    expect(tokens.requests.slice(before)).toEqual([
      { user: 'alice', service: tokens.service, scope: 'repository:team/package:pull,push' },
    ]);
    expect(statuses.filter((status) => status === 401)).toHaveLength(1);
  });

  it('says credentials are missing when pushing anonymously, and never sends them to another registry', async () => {
    const elsewhere = explicitCredentials('other.example.io', { username: 'alice', password: PASSWORD });
    const before = tokens.requests.length;
    const error = await refusal(pushWith(elsewhere, at('team/anon', '1'), 'y'));
    expect(error.code).toBe('HTTP_STATUS');
    expect(error.hint).toMatch(/credentials for this registry|docker login/);
    expect(tokens.requests.slice(before).every((request) => request.user === undefined)).toBe(true);
  });

  it('reports refused credentials without showing them', async () => {
    const wrong = explicitCredentials(registry.host, { username: 'alice', password: `${PASSWORD}-wrong` });
    const error = await refusal(pushWith(wrong, at('team/wrong', '1'), 'z'));
    expect(error.message).toMatch(/token service of .* refused the credentials/);
    expect(shown(error)).not.toContain(PASSWORD);
    expect(shown(error)).not.toContain(Buffer.from(`alice:${PASSWORD}-wrong`).toString('base64'));
  });

  it('reads the credentials from the Docker config file (DOCKER_CONFIG), keyed with or without a scheme', async () => {
    const auth = Buffer.from(`alice:${PASSWORD}`).toString('base64');
    await writeFile(
      path.join(config, 'config.json'),
      JSON.stringify({ auths: { [`http://${registry.host}/v1/`]: { auth } } }),
    );
    const source = dockerConfigCredentials({ env: { DOCKER_CONFIG: config } });
    expect(await source(registry.host)).toEqual({ credentials: { username: 'alice', password: PASSWORD } });
    await pushWith(source, at('team/docker-config', '1'), 'from config');
    expect(tokens.requests.at(-1)?.user).toBe('alice');
  });

  it('names the credential helper it does not run when that is where the credentials are', async () => {
    await writeFile(
      path.join(config, 'config.json'),
      JSON.stringify({ credHelpers: { [registry.host]: 'secretservice' } }),
    );
    const source = dockerConfigCredentials({ dir: config });
    expect((await source(registry.host)).credentials).toBeUndefined();
    const error = await refusal(pushWith(source, at('team/helper', '1'), 'h'));
    expect(error.hint).toMatch(/credential helper "secretservice", which aitws does not run/);
  });
});

describe('Docker config file', () => {
  it('has nothing for a missing file, and reports a broken one without quoting it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-docker-config-'));
    try {
      expect(await dockerConfigCredentials({ dir })('r.io')).toEqual({});
      await writeFile(path.join(dir, 'config.json'), `{"auths": {"r.io": {"auth": "${PASSWORD}"`);
      const error = await refusal(dockerConfigCredentials({ dir })('r.io'));
      expect(error.code).toBe('CONFIG');
      expect(shown(error)).not.toContain(PASSWORD);
      await writeFile(
        path.join(dir, 'config.json'),
        JSON.stringify({ auths: { 'r.io': { auth: 'bm9jb2xvbg==' } } }),
      );
      expect((await refusal(dockerConfigCredentials({ dir })('r.io'))).message).toMatch(
        /not base64 of "user:password"/,
      );
      const hub = Buffer.from('u:p').toString('base64');
      await writeFile(
        path.join(dir, 'config.json'),
        JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: hub } } }),
      );
      expect(await dockerConfigCredentials({ dir })('registry-1.docker.io')).toEqual({
        credentials: { username: 'u', password: 'p' },
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Basic auth', () => {
  it('answers a Basic challenge with the credentials and caches them for the registry', async () => {
    const seen: (string | undefined)[] = [];
    const server = http.createServer((request, response) => {
      seen.push(request.headers.authorization);
      if (request.headers.authorization !== `Basic ${Buffer.from(`bob:${PASSWORD}`).toString('base64')}`) {
        response.writeHead(401, { 'www-authenticate': 'Basic realm="test"' }).end();
        return;
      }
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const client = new RegistryClient({
        credentials: explicitCredentials(host, { username: 'bob', password: PASSWORD }),
      });
      const reference = { registry: host, repository: 'team/basic', tag: '1' };
      expect(await client.findManifest(reference)).toBeUndefined();
      expect(await client.findManifest(reference)).toBeUndefined();
      expect(seen.map((value) => value?.split(' ')[0])).toEqual([undefined, 'Basic', 'Basic']);

      const wrong = new RegistryClient({
        credentials: explicitCredentials(host, { username: 'bob', password: 'nope' }),
      });
      const error = await refusal(wrong.pullManifest(reference));
      expect(error.message).toMatch(/refused access to team\/basic \(401\)/);
      expect(error.hint).toMatch(/Check the credentials/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
