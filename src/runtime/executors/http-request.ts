/**
 * `http.request`: one HTTP call to a declared `[[external_services]]` entry, and only to its origin.
 *
 *   with = { service = "Billing", method = "POST", path = "/invoices?draft=1",
 *            body = { amount = 3 }, headers = { "X-Token" = "${secret:BILLING_TOKEN}" }, auth = "bearer" }
 *
 * - The URL is the service's `url` (origin and base path) joined with `path` (http-target.ts).
 * - Redirects are followed by hand (at most `maxRedirects`) and only within the service's origin;
 *   any other is HTTP_REDIRECT_REFUSED and nothing is sent there.
 * - `${secret:NAME}` in header values is resolved at send time; `auth = "bearer"` sends the
 *   service's `api_key` as `Authorization: Bearer …`. Those values are masked in the output and in
 *   errors (a service may echo them), and never logged. Secrets elsewhere (body, path) are not
 *   resolved: they go as written.
 * - Every request carries `Idempotency-Key: <ctx.idempotencyKey>`, the same on every attempt.
 * - Output `{ status, headers, body }`: headers lower-case without cookies; body parsed JSON for a
 *   JSON content type, else text; at most `maxResponseBytes` (HTTP_RESPONSE_TOO_LARGE).
 * - A status outside 2xx is HTTP_STATUS, `retryable` (AitwsError.retryable) for 5xx and 429; an
 *   unreachable service is HTTP_FAILED, retryable.
 */
import { AitwsError } from '../../errors.js';
import type { ActionContext, Executor } from '../executor.js';
import type { JsonValue } from '../run-store.js';
import { checkHttpRequest, type HttpRequestParams, httpRequestParams } from './http-params.js';
import { bodyExcerpt, decodeBody, outputHeaders, readBody, SecretMask } from './http-response.js';
import { requestUrl, requireService, type ServiceTarget } from './http-target.js';

export type { HttpRequestParams } from './http-params.js';

export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
export const DEFAULT_MAX_REDIRECTS = 5;

export interface HttpRequestOptions {
  /** Larger bodies fail with HTTP_RESPONSE_TOO_LARGE. Default 1 MiB. */
  readonly maxResponseBytes?: number;
  /** Same-origin redirects followed before giving up. Default 5. */
  readonly maxRedirects?: number;
}

const SECRET_REFERENCES = /\$\{secret:([A-Za-z0-9_.-]+)\}/g;
const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

interface Outgoing {
  url: URL;
  method: string;
  headers: Headers;
  body: string | undefined;
}

export function createHttpRequestExecutor(options: HttpRequestOptions = {}): Executor<HttpRequestParams> {
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  return {
    type: 'http.request',
    summary: 'Calls a declared [[external_services]] entry: with.service, method, path, body, headers.',
    params: httpRequestParams,
    check: checkHttpRequest,
    async run(context, params) {
      const target = requireService(context.document, params.service);
      const mask = new SecretMask();
      const outgoing: Outgoing = {
        url: requestUrl(target, params.path),
        method: params.method,
        headers: requestHeaders(context, params, target, mask),
        body: requestBody(params.body),
      };
      const response = await send(context, target, outgoing, maxRedirects);
      const bytes = await guard(context, target, () => readBody(response, maxBytes, target.name));
      context.logger.debug(
        { service: target.name, method: params.method, path: params.path, status: response.status },
        'http.request answered',
      );
      if (response.status < 200 || response.status > 299)
        throw statusError(target, params, response, bytes, mask);
      const body: JsonValue =
        params.method === 'HEAD' ? '' : decodeBody(bytes, response.headers.get('content-type'), target.name);
      const output = { status: response.status, headers: outputHeaders(response.headers, mask), body };
      return { kind: 'done', output: mask.json(output) };
    },
  };
}

function requestHeaders(
  context: ActionContext,
  params: HttpRequestParams,
  target: ServiceTarget,
  mask: SecretMask,
): Headers {
  const headers = new Headers();
  for (const [name, value] of params.headers) {
    const resolved = value.replace(SECRET_REFERENCES, (_match, secret: string) =>
      mask.add(context.secret(secret)),
    );
    try {
      headers.append(name, resolved);
    } catch {
      // The value is not shown: it may hold a secret.
      throw new AitwsError('PARAMETER', `with.headers.${name} is not a valid header value.`);
    }
  }
  if (params.auth === 'bearer') headers.set('authorization', `Bearer ${bearerToken(context, target, mask)}`);
  if (params.body !== undefined && typeof params.body !== 'string' && !headers.has('content-type'))
    headers.set('content-type', 'application/json');
  headers.set('idempotency-key', context.idempotencyKey);
  return headers;
}

function bearerToken(context: ActionContext, target: ServiceTarget, mask: SecretMask): string {
  if (target.apiKey === undefined)
    throw new AitwsError('PARAMETER', `with.auth: the service "${target.name}" has no api_key.`);
  const token = target.apiKey.replace(SECRET_REFERENCES, (_match, secret: string) => context.secret(secret));
  return mask.add(token);
}

function requestBody(body: JsonValue | undefined): string | undefined {
  if (body === undefined) return undefined;
  return typeof body === 'string' ? body : JSON.stringify(body);
}

/** Sends, following redirects that stay on the service's origin. */
async function send(
  context: ActionContext,
  target: ServiceTarget,
  outgoing: Outgoing,
  maxRedirects: number,
): Promise<Response> {
  for (let hop = 0; ; hop += 1) {
    const { url, method, headers, body } = outgoing;
    const response = await guard(context, target, () =>
      fetch(url, { method, headers, body: body ?? null, redirect: 'manual', signal: context.signal }),
    );
    const location = response.headers.get('location');
    if (!REDIRECTS.has(response.status) || location === null) return response;
    await response.body?.cancel();
    outgoing.url = redirectTarget(target, url, location, hop, maxRedirects);
    const status = response.status;
    if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
      // What browsers do (RFC 9110 §15.4): the redirected request is a GET without the body.
      outgoing.method = method === 'HEAD' ? 'HEAD' : 'GET';
      outgoing.body = undefined;
      outgoing.headers.delete('content-type');
    }
  }
}

function redirectTarget(target: ServiceTarget, from: URL, location: string, hop: number, max: number): URL {
  if (hop >= max)
    throw new AitwsError(
      'HTTP_REDIRECT_REFUSED',
      `${target.name} redirected more than ${max} times; stopped.`,
    );
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    throw new AitwsError(
      'HTTP_REDIRECT_REFUSED',
      `${target.name} redirected to something that is not a URL.`,
    );
  }
  if (next.origin !== target.origin) {
    throw new AitwsError(
      'HTTP_REDIRECT_REFUSED',
      `${target.name} redirected to ${next.origin}; only its own origin ${target.origin} may be called.`,
      { hint: 'Point the service url at the final address, or add that service and call it instead.' },
    );
  }
  return next;
}

/** Runs a network step: the run's abort reason when aborted, HTTP_FAILED (retryable) on a network error. */
async function guard<T>(context: ActionContext, target: ServiceTarget, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (context.signal.aborted) throw context.signal.reason;
    if (error instanceof AitwsError) throw error;
    throw new AitwsError('HTTP_FAILED', `Could not reach ${target.name}: ${networkReason(error)}.`, {
      retryable: true,
    });
  }
}

/**
 * What went wrong under fetch's "fetch failed": the first error code down the chain of causes
 * (ECONNREFUSED, ENOTFOUND; a connection tried on several addresses fails with an AggregateError
 * of each), else the innermost message ("bad port").
 */
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

function statusError(
  target: ServiceTarget,
  params: HttpRequestParams,
  response: Response,
  bytes: Uint8Array,
  mask: SecretMask,
): AitwsError {
  const status = response.status;
  const retryable = status >= 500 || status === 429;
  const retryAfter = response.headers.get('retry-after');
  return new AitwsError(
    'HTTP_STATUS',
    mask.text(`${target.name} answered ${status} to ${params.method} ${params.path}.`),
    {
      retryable,
      details: bodyExcerpt(bytes, mask),
      ...(retryable && retryAfter !== null ? { hint: `The service asks to retry after ${retryAfter}.` } : {}),
    },
  );
}
