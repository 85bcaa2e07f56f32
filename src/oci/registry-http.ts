/**
 * HTTP to registries: which URLs may be spoken to (https, or plain HTTP only to loopback or when
 * told `plainHttp`), the 401 → authenticate → retry dance, redirects, and bodies read up to a cap.
 *
 * Redirects: a GET of a blob may go anywhere (registries hand blobs to storage such as S3), but the
 * Authorization header never leaves the registry's origin. Anything else is followed only within
 * the registry's origin.
 */
import { AitwsError } from '../errors.js';
import { isLoopbackRegistry } from './reference.js';
import { type CredentialSource, type FetchLike, RegistryAuth } from './registry-auth.js';
import type { Reference } from './types.js';

export interface RegistryHttpOptions {
  /** Plain HTTP to any registry (`--plain-http`); otherwise only to localhost/127.0.0.1/[::1]. */
  readonly plainHttp?: boolean;
  readonly credentials?: CredentialSource;
  readonly fetch?: FetchLike;
}

export interface RegistryRequest {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT';
  /** Below `/v2/<repository>/`, or an absolute URL the registry gave (an upload location). */
  readonly path: string | URL;
  readonly push?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
  /** A blob download: redirects to other hosts are followed (without credentials). */
  readonly blob?: boolean;
}

const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

export class RegistryHttp {
  readonly #plainHttp: boolean;
  readonly #fetch: FetchLike;
  readonly #auth: RegistryAuth;
  /**
   * Per registry and scope: the first request while it is under way (any that come meanwhile wait
   * for it, so concurrent requests earn one token, not one each), then `true` once one went through.
   */
  readonly #opened = new Map<string, Promise<unknown> | true>();

  constructor(options: RegistryHttpOptions = {}) {
    this.#plainHttp = options.plainHttp === true;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#auth = new RegistryAuth({
      fetch: this.#fetch,
      allowUrl: (url) => this.allows(url),
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    });
  }

  /** https always; http only to loopback or with plainHttp. */
  allows(url: URL): boolean {
    if (url.protocol === 'https:') return true;
    return url.protocol === 'http:' && (this.#plainHttp || isLoopbackRegistry(url.host));
  }

  base(reference: Reference): URL {
    const scheme = this.#plainHttp || isLoopbackRegistry(reference.registry) ? 'http' : 'https';
    return new URL(`${scheme}://${reference.registry}/v2/${reference.repository}/`);
  }

  /** The registry's response (any status but an unanswerable 401); the caller reads the body. */
  async send(reference: Reference, request: RegistryRequest): Promise<Response> {
    const scope = `repository:${reference.repository}:${request.push === true ? 'pull,push' : 'pull'}`;
    const key = `${reference.registry} ${scope}`;
    const opened = this.#opened.get(key);
    if (opened === true) return this.#exchange(reference, request, scope);
    if (opened !== undefined) {
      await opened.catch(() => undefined);
      return this.send(reference, request);
    }
    const first = this.#exchange(reference, request, scope);
    this.#opened.set(key, first);
    try {
      const response = await first;
      this.#opened.set(key, true);
      return response;
    } catch (error) {
      // The next request tries afresh (its own 401 and token when that is what failed).
      this.#opened.delete(key);
      throw error;
    }
  }

  async #exchange(reference: Reference, request: RegistryRequest, scope: string): Promise<Response> {
    const origin = this.base(reference).origin;
    let url = this.#resolve(reference, request.path);
    let authorization = this.#auth.cached(reference.registry, scope);
    for (let hop = 0, retried = false; ; ) {
      const sameOrigin = url.origin === origin;
      const response = await this.#fetchOnce(reference, url, request, sameOrigin ? authorization : undefined);
      if (response.status === 401 && sameOrigin) {
        await response.body?.cancel();
        if (retried)
          throw (await this.#auth.explainRefusal(reference.registry)) ?? refusedAfterAuth(reference);
        retried = true;
        authorization = await this.#auth.respond(
          reference.registry,
          scope,
          response.headers.get('www-authenticate'),
        );
        continue;
      }
      const location = response.headers.get('location');
      if (!REDIRECTS.has(response.status) || location === null || request.method === 'HEAD') return response;
      await response.body?.cancel();
      hop += 1;
      url = this.#redirect(reference, url, location, request, hop);
    }
  }

  /** A URL the registry gave (Location of an upload) checked like any other. */
  resolveLocation(reference: Reference, location: string | null): URL {
    if (location === null)
      throw new AitwsError('HTTP_FAILED', `The registry ${reference.registry} gave no upload location.`);
    const url = this.#resolve(reference, location, this.base(reference));
    if (url.origin !== this.base(reference).origin)
      throw new AitwsError(
        'HTTP_REDIRECT_REFUSED',
        `The registry ${reference.registry} wants the upload sent to ${url.origin}; aitws only sends to the registry itself.`,
      );
    return url;
  }

  #resolve(reference: Reference, path: string | URL, base = this.base(reference)): URL {
    let url: URL;
    try {
      url = typeof path === 'string' ? new URL(path, base) : path;
    } catch {
      throw new AitwsError(
        'HTTP_FAILED',
        `The registry ${reference.registry} gave an address that is not a URL.`,
      );
    }
    if (!this.allows(url)) throw plainHttpRefused(reference, url);
    return url;
  }

  #redirect(reference: Reference, from: URL, location: string, request: RegistryRequest, hop: number): URL {
    if (hop > MAX_REDIRECTS)
      throw new AitwsError(
        'HTTP_REDIRECT_REFUSED',
        `The registry ${reference.registry} redirected too often.`,
      );
    const next = this.#resolve(reference, location, from);
    const crossOrigin = next.origin !== this.base(reference).origin;
    if (crossOrigin && !(request.blob === true && request.method === 'GET'))
      throw new AitwsError(
        'HTTP_REDIRECT_REFUSED',
        `The registry ${reference.registry} redirected a ${request.method} to ${next.origin}; only blob downloads may leave the registry.`,
      );
    return next;
  }

  async #fetchOnce(
    reference: Reference,
    url: URL,
    request: RegistryRequest,
    authorization: string | undefined,
  ): Promise<Response> {
    const headers = new Headers(request.headers);
    if (authorization !== undefined) headers.set('authorization', authorization);
    try {
      return await this.#fetch(url, {
        method: request.method,
        headers,
        body: request.body ?? null,
        redirect: 'manual',
      });
    } catch (error) {
      throw new AitwsError(
        'HTTP_FAILED',
        `Could not reach the registry ${reference.registry}: ${networkReason(error)}.`,
        {
          retryable: true,
          ...(url.protocol === 'https:'
            ? { hint: 'For a registry that only speaks plain HTTP, use --plain-http.' }
            : {}),
        },
      );
    }
  }
}

function refusedAfterAuth(reference: Reference): AitwsError {
  return new AitwsError(
    'HTTP_STATUS',
    `The registry ${reference.registry} refused access to ${reference.repository} (401).`,
    {
      hint: 'Check the credentials for this registry and their push/pull rights on the repository.',
    },
  );
}

function plainHttpRefused(reference: Reference, url: URL): AitwsError {
  return new AitwsError(
    'HTTP_REDIRECT_REFUSED',
    `Refused plain HTTP to ${url.host} (registry ${reference.registry}): only localhost is spoken to without TLS.`,
    { hint: 'Use https, or --plain-http when you trust the network between you and the registry.' },
  );
}

/** The first error code down fetch's chain of causes (ECONNREFUSED, ENOTFOUND), else a message. */
function networkReason(error: unknown): string {
  let current = error;
  while (current instanceof Error) {
    const code = 'code' in current ? current.code : undefined;
    if (typeof code === 'string') return code;
    const next: unknown = current instanceof AggregateError ? current.errors[0] : current.cause;
    if (!(next instanceof Error)) return current.message;
    current = next;
  }
  return 'the request failed';
}
