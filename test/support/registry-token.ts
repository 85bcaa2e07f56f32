/**
 * A token server for the registry's token auth, on loopback: it checks Basic credentials and
 * issues the JWT Distribution expects (ES256, the signing certificate in `x5c`, an `access` claim
 * per requested repository scope), signed by a fresh key whose certificate the registry trusts.
 * It records each request (never the password) so tests can see what the client asked for.
 */
import { execFile } from 'node:child_process';
import { randomUUID, sign } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TokenAuthConfig } from './registry.js';

const run = promisify(execFile);

export interface TokenRequest {
  readonly user: string | undefined;
  readonly service: string | null;
  readonly scope: string | null;
}

export interface TokenServerOptions {
  /** user → password; these get every action they ask for. */
  readonly users?: Readonly<Record<string, string>>;
  /** Anonymous requests get pull (else 401). */
  readonly anonymousPull?: boolean;
  readonly expiresInSeconds?: number;
}

export interface TokenServer extends TokenAuthConfig {
  readonly requests: readonly TokenRequest[];
  stop(): Promise<void>;
}

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

export async function startTokenServer(options: TokenServerOptions = {}): Promise<TokenServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-token-'));
  const certificateFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  await run('openssl', [
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'],
    ...['-subj', '/CN=aitws-test-token', '-keyout', keyFile, '-out', certificateFile],
  ]);
  const key = await readFile(keyFile, 'utf8');
  const der = (await readFile(certificateFile, 'utf8')).replace(/-----[^-]+-----|\s/g, '');
  const service = 'aitws-test-registry';
  const issuer = 'aitws-test-issuer';
  const requests: TokenRequest[] = [];
  const issue = (user: string | undefined, scopes: readonly string[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const access = scopes.flatMap((scope) => grant(scope, user !== undefined));
    const header = { alg: 'ES256', typ: 'JWT', x5c: [der] };
    const claims = {
      iss: issuer,
      sub: user ?? '',
      aud: service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const signed = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    return `${signed}.${base64url(sign('sha256', Buffer.from(signed), { key, dsaEncoding: 'ieee-p1363' }))}`;
  };
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://token');
    const user = authenticate(request.headers.authorization, options.users ?? {});
    requests.push({
      user: user === false ? undefined : user,
      service: url.searchParams.get('service'),
      scope: url.searchParams.get('scope'),
    });
    if (user === false || (user === undefined && options.anonymousPull !== true)) {
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"unauthorized"}');
      return;
    }
    const token = issue(
      user,
      url.searchParams.getAll('scope').flatMap((scope) => scope.split(' ')),
    );
    const body = { token, access_token: token, expires_in: options.expiresInSeconds ?? 300 };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certificateFile,
    requests,
    async stop() {
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `repository:name:pull,push` → the access entry; anonymous callers get pull only. */
function grant(scope: string, authenticated: boolean): { type: string; name: string; actions: string[] }[] {
  const match = /^(repository):(.+):([a-z*,]+)$/.exec(scope);
  if (match?.[1] === undefined || match[2] === undefined || match[3] === undefined) return [];
  const actions = match[3].split(',').filter((action) => authenticated || action === 'pull');
  return [{ type: match[1], name: match[2], actions }];
}

/** The user name for good credentials, undefined for none, false for wrong ones. */
function authenticate(
  header: string | undefined,
  users: Readonly<Record<string, string>>,
): string | undefined | false {
  if (header === undefined) return undefined;
  const [scheme, encoded] = header.split(' ');
  if (scheme?.toLowerCase() !== 'basic' || encoded === undefined) return false;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = decoded.slice(0, colon);
  return colon > 0 && Object.hasOwn(users, user) && users[user] === decoded.slice(colon + 1) ? user : false;
}
