/**
 * What a real registry does not do on purpose: lie about digests, answer too much, send aitws to
 * plain HTTP elsewhere, redirect, or have the referrers API. Small HTTP servers on loopback play
 * those registries; each records what it was sent.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AitwsError } from '../../src/errors.js';
import { generateKeyPair } from '../../src/oci/keys.js';
import { buildPackage, DEFAULT_CREATED } from '../../src/oci/package.js';
import { PUSH_CONCURRENCY, pushPackage } from '../../src/oci/package-publish.js';
import { explicitCredentials } from '../../src/oci/registry-auth.js';
import { MAX_MANIFEST_BYTES, RegistryClient } from '../../src/oci/registry-client.js';
import { MEDIA_TYPES, type Reference } from '../../src/oci/types.js';
import { sampleArtifact } from '../support/registry.js';
import { sampleToml } from './artifact-fixture.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
}

interface Fake {
  readonly host: string;
  readonly seen: Seen[];
}

type Handler = (request: http.IncomingMessage, response: http.ServerResponse, body: Buffer) => void;

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function fake(handler: Handler, address = '127.0.0.1'): Promise<Fake> {
  const seen: Seen[] = [];
  const server = http.createServer((request, response) => {
    seen.push({
      method: request.method ?? '',
      url: request.url ?? '',
      authorization: request.headers.authorization,
    });
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => handler(request, response, Buffer.concat(chunks)));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  return { host: `${address}:${(server.address() as AddressInfo).port}`, seen };
}

async function refusal(promise: Promise<unknown>): Promise<AitwsError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof AitwsError)) throw new Error(`expected an AitwsError, got ${String(error)}`);
  return error;
}

const artifact = sampleArtifact('the real content');
const ref = (host: string, extra: Partial<Reference> = { tag: '1' }): Reference => ({
  registry: host,
  repository: 'team/wf',
  ...extra,
});

describe('digests are checked against the bytes', () => {
  it('detects a Docker-Content-Digest that is not the digest of the bytes served', async () => {
    const registry = await fake((_request, response) => {
      response.writeHead(200, {
        'content-type': MEDIA_TYPES.manifest,
        'docker-content-digest': sampleArtifact('something else').manifestDigest,
      });
      response.end(artifact.manifestBytes);
    });
    const error = await refusal(new RegistryClient().pullManifest(ref(registry.host)));
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toMatch(/does not match its digest/);
  });

  it('detects other bytes served for a manifest asked for by digest', async () => {
    const other = sampleArtifact('tampered');
    const registry = await fake((_request, response) => {
      response.writeHead(200, { 'content-type': MEDIA_TYPES.manifest }).end(other.manifestBytes);
    });
    const error = await refusal(
      new RegistryClient().pullManifest(ref(registry.host, { digest: artifact.manifestDigest })),
    );
    expect(error.message).toContain(`expected ${artifact.manifestDigest}, got ${other.manifestDigest}`);
  });

  it('detects a tampered blob, a short one, and a long one (not read past its size)', async () => {
    let body = Buffer.from('the real contenT');
    const registry = await fake((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    });
    const client = new RegistryClient();
    const descriptor = artifact.layer.descriptor;
    expect((await refusal(client.pullBlob(ref(registry.host), descriptor))).message).toMatch(
      /does not match its digest/,
    );
    body = Buffer.from('the real');
    expect((await refusal(client.pullBlob(ref(registry.host), descriptor))).message).toMatch(
      /has 8 bytes, not the 16/,
    );
    body = Buffer.from('the real content, and more');
    expect((await refusal(client.pullBlob(ref(registry.host), descriptor))).code).toBe(
      'HTTP_RESPONSE_TOO_LARGE',
    );
  });

  it('caps a manifest at 4 MiB even when the registry does not say how long it is', async () => {
    const registry = await fake((_request, response) => {
      response.writeHead(200, { 'content-type': MEDIA_TYPES.manifest });
      const chunk = Buffer.alloc(256 * 1024, 0x20);
      for (let sent = 0; sent <= MAX_MANIFEST_BYTES; sent += chunk.byteLength) response.write(chunk);
      response.end();
    });
    const error = await refusal(new RegistryClient().pullManifest(ref(registry.host)));
    expect(error.code).toBe('HTTP_RESPONSE_TOO_LARGE');
  });

  it('refuses a manifest that is not an OCI manifest or index', async () => {
    const registry = await fake((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' });
      response.end('{"schemaVersion":2,"config":{},"layers":[]}');
    });
    const error = await refusal(new RegistryClient().pullManifest(ref(registry.host)));
    expect(error.message).toMatch(/aitws reads OCI image manifests and indexes only/);
  });
});

describe('plain HTTP only to loopback unless plainHttp', () => {
  it('speaks TLS to 127.0.0.2 (not loopback by name) and never sends it a plain HTTP request', async () => {
    const registry = await fake((_request, response) => response.writeHead(404).end(), '127.0.0.2');
    const error = await refusal(new RegistryClient().findManifest(ref(registry.host)));
    expect(error.code).toBe('HTTP_FAILED');
    expect(error.hint).toMatch(/--plain-http/);
    expect(registry.seen).toEqual([]);
    expect(await new RegistryClient({ plainHttp: true }).findManifest(ref(registry.host))).toBeUndefined();
    expect(registry.seen.map((request) => request.url)).toEqual(['/v2/team/wf/manifests/1']);
  });

  it('refuses an upload location over plain HTTP on another host, and one on another origin', async () => {
    const elsewhere = await fake((_request, response) => response.writeHead(201).end(), '127.0.0.2');
    let location = `http://${elsewhere.host}/upload`;
    const registry = await fake((request, response) => {
      if (request.method === 'HEAD') response.writeHead(404).end();
      else response.writeHead(202, { location }).end();
    });
    const client = new RegistryClient();
    const error = await refusal(client.pushBlob(ref(registry.host), artifact.layer));
    expect(error.code).toBe('HTTP_REDIRECT_REFUSED');
    expect(error.message).toMatch(/Refused plain HTTP to 127\.0\.0\.2/);
    location = `http://localhost:${elsewhere.host.split(':')[1]}/upload`;
    expect((await refusal(client.pushBlob(ref(registry.host), artifact.layer))).message).toMatch(
      /only sends to the registry itself/,
    );
    expect(elsewhere.seen).toEqual([]);
  });

  it('refuses a token service over plain HTTP on another host, sending it nothing', async () => {
    const tokens = await fake(
      (_request, response) => response.writeHead(200).end('{"token":"t"}'),
      '127.0.0.2',
    );
    const registry = await fake((_request, response) => {
      response
        .writeHead(401, { 'www-authenticate': `Bearer realm="http://${tokens.host}/token",service="s"` })
        .end();
    });
    const client = new RegistryClient({
      credentials: explicitCredentials(registry.host, { username: 'u', password: 'p' }),
    });
    const error = await refusal(client.findManifest(ref(registry.host)));
    expect(error.code).toBe('HTTP_REDIRECT_REFUSED');
    expect(tokens.seen).toEqual([]);
  });
});

describe('redirects', () => {
  it('follows a blob download to storage elsewhere without the Authorization header', async () => {
    const storage = await fake((_request, response) => response.writeHead(200).end(artifact.layer.content));
    const storageUrl = `http://localhost:${storage.host.split(':')[1]}/bucket/object`;
    const registry = await fake((request, response) => {
      if (request.headers.authorization === undefined)
        response.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
      else if (request.url?.includes('/blobs/') === true)
        response.writeHead(307, { location: storageUrl }).end();
      else response.writeHead(307, { location: `${storageUrl}-manifest` }).end();
    });
    const client = new RegistryClient({
      credentials: explicitCredentials(registry.host, { username: 'u', password: 'p' }),
    });
    const blob = await client.pullBlob(ref(registry.host), artifact.layer.descriptor);
    expect(Buffer.from(blob.content).toString()).toBe('the real content');
    expect(registry.seen.at(-1)?.authorization).toMatch(/^Basic /);
    expect(storage.seen).toEqual([{ method: 'GET', url: '/bucket/object', authorization: undefined }]);

    const error = await refusal(client.pullManifest(ref(registry.host)));
    expect(error.code).toBe('HTTP_REDIRECT_REFUSED');
    expect(error.message).toMatch(/only blob downloads may leave the registry/);
    expect(storage.seen).toHaveLength(1);
  });
});

describe('a registry with the referrers API', () => {
  it('lists referrers from the API (filtering again) and attaches without touching a tag', async () => {
    const subject = artifact.manifestDigest;
    const sbom = sampleArtifact('{}', {
      artifactType: MEDIA_TYPES.cycloneDx,
      subject: { mediaType: MEDIA_TYPES.manifest, digest: subject, size: artifact.manifestBytes.byteLength },
    });
    const index = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.index,
      manifests: [
        {
          mediaType: MEDIA_TYPES.manifest,
          digest: sbom.manifestDigest,
          size: 1,
          artifactType: MEDIA_TYPES.cycloneDx,
        },
        { mediaType: MEDIA_TYPES.manifest, digest: subject, size: 1, artifactType: MEDIA_TYPES.inTotoDsse },
      ],
    };
    const registry = await fake((request, response) => {
      if (request.url?.startsWith(`/v2/team/wf/referrers/${subject}`) === true)
        response.writeHead(200, { 'content-type': MEDIA_TYPES.index }).end(JSON.stringify(index));
      else if (request.method === 'PUT')
        response
          .writeHead(201, { 'oci-subject': subject, 'docker-content-digest': sbom.manifestDigest })
          .end();
      else response.writeHead(404).end();
    });
    const client = new RegistryClient();
    const listed = await client.referrers(ref(registry.host), subject, MEDIA_TYPES.cycloneDx);
    expect(listed).toEqual({ via: 'api', descriptors: [index.manifests[0]] });
    expect(registry.seen[0]?.url).toBe(
      `/v2/team/wf/referrers/${subject}?artifactType=${encodeURIComponent(MEDIA_TYPES.cycloneDx)}`,
    );
    const attached = await client.attachReferrer(ref(registry.host), sbom.manifestBytes);
    expect(attached.via).toBe('api');
    expect(registry.seen.filter((request) => request.method === 'PUT').map((request) => request.url)).toEqual(
      [`/v2/team/wf/manifests/${sbom.manifestDigest}`],
    );
  });
});

describe('blob uploads', () => {
  it('uploads plainly to a registry that will not hear of mounting', async () => {
    const registry = await fake((request, response) => {
      const url = new URL(request.url ?? '/', 'http://x');
      if (request.method === 'POST' && url.searchParams.has('mount')) response.writeHead(400).end();
      else if (request.method === 'POST')
        response.writeHead(202, { location: '/v2/team/wf/uploads/1' }).end();
      else response.writeHead(201, { 'docker-content-digest': artifact.layer.descriptor.digest }).end();
    });
    expect(await new RegistryClient().pushBlob(ref(registry.host), artifact.layer)).toBe('uploaded');
    const mount = new URLSearchParams({ mount: artifact.layer.descriptor.digest, from: 'team/wf' });
    expect(registry.seen.map((request) => `${request.method} ${request.url}`)).toEqual([
      `POST /v2/team/wf/blobs/uploads/?${mount}`,
      'POST /v2/team/wf/blobs/uploads/',
      `PUT /v2/team/wf/uploads/1?digest=${encodeURIComponent(artifact.layer.descriptor.digest)}`,
    ]);
  });

  it('stops a package push at the first failed upload: no manifest, no further upload', async () => {
    const registry = await fake((request, response) => {
      if (request.method === 'POST')
        response.writeHead(202, { location: `/v2/team/wf/uploads/${Math.random()}` }).end();
      else response.writeHead(500).end('{"errors":[{"code":"UNKNOWN","message":"disk full"}]}');
    });
    const pkg = buildPackage({
      text: sampleToml(),
      name: `${registry.host}/team/wf`,
      privateKey: generateKeyPair().privateKey,
      created: DEFAULT_CREATED,
    });
    const error = await refusal(pushPackage(new RegistryClient(), ref(registry.host), pkg));
    expect(error.code).toBe('HTTP_STATUS');
    expect(error.message).toMatch(/answered 500 uploading sha256:/);
    expect(error.details).toEqual(['UNKNOWN: disk full']);
    expect(registry.seen.filter((request) => request.url.includes('/manifests/'))).toEqual([]);
    // The first uploads started together; once one failed, none of the others queued behind them.
    expect(registry.seen.filter((request) => request.method === 'POST')).toHaveLength(PUSH_CONCURRENCY);
  });
});
