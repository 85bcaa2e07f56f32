/**
 * The HTTP servers of `aitws serve`: platform routes (Slack events, Discord interactions) plus
 * liveness, readiness and Prometheus metrics. Routes are matched exactly; anything else is 404.
 * The front refuses before it reads: a body over the route's cap is refused from its
 * Content-Length (or as soon as a chunked one passes the cap), slow or idle connections are
 * closed, and the number of connections is bounded, so no handler sees an oversized request.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../logging.js';
import { BodyAborted, BodyTooLarge, declaredLength, hasBody, readBody, refuseAndClose } from './body.js';

/** What a route takes when it says nothing: more than a health probe, far less than an attack. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

const TOO_LARGE: Refusal = { status: 413, error: 'request body too large' };

export interface HttpRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** The largest body the route accepts (default DEFAULT_MAX_BODY_BYTES); larger is refused with 413. */
  readonly maxBodyBytes?: number;
  /**
   * Looks at the headers before the body is read: a refusal (say, a missing signature) is sent
   * and the body never read. Undefined lets the request through.
   */
  refuse?(request: IncomingMessage): Refusal | undefined;
  /** `body`: the whole request body, already read, never over maxBodyBytes. */
  handle(request: IncomingMessage, response: ServerResponse, body: Buffer): void | Promise<void>;
  /** Matches every path that starts with `path` (the webhook's `/hooks/…`). */
  readonly prefix?: boolean;
}

export interface Refusal {
  readonly status: number;
  readonly error: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface HttpLimits {
  /** The whole header must have arrived by then (slow-loris). */
  readonly headersTimeoutMs: number;
  /** The whole request must have arrived by then; also how long a socket may sit idle. */
  readonly requestTimeoutMs: number;
  /** Connections beyond this are closed as they are accepted. */
  readonly maxConnections: number;
}

export interface HttpServerOptions {
  readonly routes: readonly HttpRoute[];
  readonly limits: HttpLimits;
  readonly logger: Logger;
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  response.end(body);
}

export function json(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, 'application/json', JSON.stringify(value));
}

function matches(route: HttpRoute, path: string | undefined): boolean {
  if (path === undefined) return false;
  return route.prefix === true ? path.startsWith(route.path) : route.path === path;
}

export function healthRoutes(ready: () => Promise<boolean>): HttpRoute[] {
  return [
    { method: 'GET', path: '/healthz', handle: (_req, res) => json(res, 200, { status: 'ok' }) },
    {
      method: 'GET',
      path: '/readyz',
      async handle(_req, res) {
        const ok = await ready().catch(() => false);
        json(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready' });
      },
    },
  ];
}

export function metricsRoute(metrics: () => Promise<{ contentType: string; body: string }>): HttpRoute {
  return {
    method: 'GET',
    path: '/metrics',
    async handle(_req, res) {
      const { contentType, body } = await metrics();
      send(res, 200, contentType, body);
    },
  };
}

/** 404 or 405; a body the client is still sending is not drained for keep-alive, the socket closes. */
function noRoute(routes: readonly HttpRoute[], request: IncomingMessage, response: ServerResponse): void {
  const path = (request.url ?? '/').split('?')[0];
  const known = routes.some((r) => matches(r, path));
  const [status, error] = known ? [405, 'method not allowed'] : [404, 'not found'];
  if (hasBody(request)) refuseAndClose(request, response, { status, error });
  else json(response, status, { error });
}

/** The body within the route's cap, or undefined when the request was refused or abandoned. */
async function boundedBody(
  route: HttpRoute,
  request: IncomingMessage,
  response: ServerResponse,
  expectsContinue: boolean,
): Promise<Buffer | undefined> {
  const limit = route.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if ((declaredLength(request) ?? 0) > limit) {
    refuseAndClose(request, response, TOO_LARGE);
    return undefined;
  }
  const refusal = route.refuse?.(request);
  if (refusal !== undefined) {
    refuseAndClose(request, response, refusal);
    return undefined;
  }
  // Only now is a client that waits for "100 Continue" invited to send its body.
  if (expectsContinue) response.writeContinue();
  try {
    return await readBody(request, limit);
  } catch (error) {
    if (error instanceof BodyTooLarge) refuseAndClose(request, response, TOO_LARGE);
    else if (error instanceof BodyAborted) response.destroy();
    else throw error;
    return undefined;
  }
}

async function serve(
  options: HttpServerOptions,
  request: IncomingMessage,
  response: ServerResponse,
  expectsContinue: boolean,
): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  const route = options.routes.find((r) => matches(r, path) && r.method === request.method);
  if (route === undefined) {
    noRoute(options.routes, request, response);
    return;
  }
  try {
    const body = await boundedBody(route, request, response, expectsContinue);
    if (body !== undefined) await route.handle(request, response, body);
  } catch (error) {
    options.logger.error({ err: error, path }, 'HTTP route failed');
    if (!response.headersSent) json(response, 500, { error: 'internal error' });
    else response.end();
  }
}

/** Node checks the header and request timeouts on this period; a fifth of the header timeout keeps it close. */
function checkingInterval(limits: HttpLimits): number {
  return Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 5)));
}

export function createHttpServer(options: HttpServerOptions): Server {
  const { limits } = options;
  const server = createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: checkingInterval(limits),
  });
  server.maxConnections = limits.maxConnections;
  // No 'timeout' listener: Node destroys a socket idle this long, whatever state it is in.
  server.setTimeout(limits.requestTimeoutMs);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    void serve(options, request, response, false);
  });
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    void serve(options, request, response, true);
  });
  return server;
}
