/**
 * Registry authentication: the distribution token flow (a 401 with `WWW-Authenticate: Bearer
 * realm=…,service=…,scope=…`, a token fetched from the realm, with basic credentials when we have
 * them, cached per registry and scope until it expires) and plain Basic auth. Credentials and
 * tokens never appear in errors or logs: messages name the registry and the status only.
 */
import { AitwsError } from '../errors.js';
import { readCapped } from './registry-body.js';
import { type CredentialSource, noCredentials, type RegistryCredentials } from './registry-credentials.js';

export type { CredentialLookup, CredentialSource, RegistryCredentials } from './registry-credentials.js';
export { dockerConfigCredentials, explicitCredentials, noCredentials } from './registry-credentials.js';

export interface Challenge {
  /** Lowercase: `bearer` or `basic` (others are refused). */
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/**
 * The first challenge of a `WWW-Authenticate` value. Quoted values may hold commas
 * (`scope="repository:a:pull,push"`) and backslash escapes.
 */
export function parseChallenge(header: string): Challenge | undefined {
  const scheme = /^\s*([A-Za-z][A-Za-z0-9._~+/-]*)\s*/.exec(header);
  if (scheme?.[1] === undefined) return undefined;
  const params: Record<string, string> = {};
  const param = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*(?:,|$)/y;
  param.lastIndex = scheme[0].length;
  for (let match = param.exec(header); match !== null; match = param.exec(header)) {
    const key = match[1]?.toLowerCase();
    if (key === undefined) break;
    params[key] = match[2] === undefined ? (match[3] ?? '') : match[2].replace(/\\(.)/g, '$1');
    if (param.lastIndex >= header.length) break;
  }
  return { scheme: scheme[1].toLowerCase(), params };
}

export type FetchLike = (input: URL, init: RequestInit) => Promise<Response>;

export interface RegistryAuthOptions {
  readonly credentials?: CredentialSource;
  readonly fetch?: FetchLike;
  /** Whether a URL may be spoken to (plain HTTP only to loopback unless allowed). */
  readonly allowUrl: (url: URL) => boolean;
  readonly now?: () => number;
}

const MAX_TOKEN_RESPONSE = 64 * 1024;
const DEFAULT_TOKEN_SECONDS = 60;
/** A token is renewed this long before it expires, so it does not lapse in flight. */
const RENEW_MARGIN_MS = 10_000;

interface CachedAuthorization {
  readonly header: string;
  readonly until: number;
}

export class RegistryAuth {
  readonly #credentials: CredentialSource;
  readonly #fetch: FetchLike;
  readonly #allowUrl: (url: URL) => boolean;
  readonly #now: () => number;
  readonly #cache = new Map<string, CachedAuthorization>();

  constructor(options: RegistryAuthOptions) {
    this.#credentials = options.credentials ?? noCredentials;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#allowUrl = options.allowUrl;
    this.#now = options.now ?? Date.now;
  }

  /** The Authorization value already earned for this registry and scope, if any. */
  cached(registry: string, scope: string): string | undefined {
    for (const key of [
      `basic ${registry}`,
      `bearer ${registry} ${scope}`,
      `bearer ${registry} ${pushScope(scope)}`,
    ]) {
      const entry = this.#cache.get(key);
      if (entry !== undefined && entry.until > this.#now()) return entry.header;
    }
    return undefined;
  }

  /** Why a registry still says 401 when it is because aitws has no credentials for it. */
  async explainRefusal(registry: string): Promise<AitwsError | undefined> {
    const lookup = await this.#credentials(registry);
    return lookup.credentials === undefined ? needsCredentials(registry, lookup.notice) : undefined;
  }

  /** Answers a 401's challenge: the Authorization value to retry with. */
  async respond(registry: string, scope: string, header: string | null): Promise<string> {
    const challenge = header === null ? undefined : parseChallenge(header);
    if (challenge === undefined)
      throw new AitwsError(
        'HTTP_STATUS',
        `The registry ${registry} asks for authentication without saying how.`,
      );
    const lookup = await this.#credentials(registry);
    if (challenge.scheme === 'basic') {
      if (lookup.credentials === undefined) throw needsCredentials(registry, lookup.notice);
      const value = `Basic ${basic(lookup.credentials)}`;
      this.#cache.set(`basic ${registry}`, { header: value, until: Number.POSITIVE_INFINITY });
      return value;
    }
    if (challenge.scheme !== 'bearer')
      throw new AitwsError(
        'HTTP_STATUS',
        `The registry ${registry} asks for "${challenge.scheme}" authentication, which aitws does not speak.`,
      );
    const token = await this.#token(registry, challenge, scope, lookup.credentials, lookup.notice);
    this.#cache.set(`bearer ${registry} ${scope}`, { header: `Bearer ${token.value}`, until: token.until });
    return `Bearer ${token.value}`;
  }

  async #token(
    registry: string,
    challenge: Challenge,
    scope: string,
    credentials: RegistryCredentials | undefined,
    notice: string | undefined,
  ): Promise<{ value: string; until: number }> {
    const realm = tokenRealm(registry, challenge, this.#allowUrl);
    const service = challenge.params.service;
    if (service !== undefined) realm.searchParams.set('service', service);
    // Ours is what the next requests need too (pull and push); the registry's may be narrower.
    realm.searchParams.append('scope', scope);
    const asked = challenge.params.scope;
    if (asked !== undefined && asked !== scope && asked !== scope.replace(/,push$/, ''))
      realm.searchParams.append('scope', asked);
    const headers = new Headers({ accept: 'application/json' });
    if (credentials !== undefined) headers.set('authorization', `Basic ${basic(credentials)}`);
    let response: Response;
    try {
      response = await this.#fetch(realm, { method: 'GET', headers, redirect: 'manual' });
    } catch {
      throw new AitwsError(
        'HTTP_FAILED',
        `Could not reach the token service of ${registry} (${realm.host}).`,
        {
          retryable: true,
        },
      );
    }
    const text = await readSmall(response, registry);
    if (response.status === 401 || response.status === 403) {
      throw credentials === undefined
        ? needsCredentials(registry, notice)
        : new AitwsError('HTTP_STATUS', `The token service of ${registry} refused the credentials.`, {
            hint: 'Check the user name and password (or token) for this registry.',
          });
    }
    if (response.status !== 200)
      throw new AitwsError('HTTP_STATUS', `The token service of ${registry} answered ${response.status}.`, {
        retryable: response.status >= 500 || response.status === 429,
      });
    return this.#parseToken(registry, text);
  }

  #parseToken(registry: string, text: string): { value: string; until: number } {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const value = typeof record.token === 'string' ? record.token : record.access_token;
    if (typeof value !== 'string' || value === '' || /[\s,]/.test(value))
      throw new AitwsError('HTTP_FAILED', `The token service of ${registry} gave no usable token.`);
    const seconds =
      typeof record.expires_in === 'number' && record.expires_in > 0
        ? record.expires_in
        : DEFAULT_TOKEN_SECONDS;
    return { value, until: this.#now() + seconds * 1000 - Math.min(RENEW_MARGIN_MS, seconds * 500) };
  }
}

/** A token for pull and push serves a pull too. */
function pushScope(scope: string): string {
  return scope.endsWith(':pull') ? `${scope},push` : scope;
}

function basic(credentials: RegistryCredentials): string {
  return Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
}

function tokenRealm(registry: string, challenge: Challenge, allowUrl: (url: URL) => boolean): URL {
  const realm = challenge.params.realm;
  let url: URL | undefined;
  try {
    url = realm === undefined ? undefined : new URL(realm);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    throw new AitwsError('HTTP_STATUS', `The registry ${registry} named no usable token service.`);
  if (!allowUrl(url))
    throw new AitwsError(
      'HTTP_REDIRECT_REFUSED',
      `The registry ${registry} sends aitws to a token service over plain HTTP (${url.host}); refused.`,
      { hint: 'Plain HTTP is used only for localhost, or with --plain-http when you trust the network.' },
    );
  return url;
}

async function readSmall(response: Response, registry: string): Promise<string> {
  const bytes = await readCapped(
    response,
    MAX_TOKEN_RESPONSE,
    `The answer of the token service of ${registry}`,
  );
  return new TextDecoder().decode(bytes);
}

export function needsCredentials(registry: string, notice: string | undefined): AitwsError {
  return new AitwsError(
    'HTTP_STATUS',
    `The registry ${registry} wants credentials, and aitws has none for it.`,
    {
      hint:
        notice ?? `Run "docker login ${registry}" (aitws reads ~/.docker/config.json) or pass credentials.`,
    },
  );
}
