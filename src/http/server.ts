/**
 * The one HTTP server of `aitws serve`: platform routes (Slack events, Discord interactions) plus
 * liveness, readiness and Prometheus metrics. Routes are matched exactly; anything else is 404.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../logging.js';

export interface HttpRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  handle(request: IncomingMessage, response: ServerResponse): void | Promise<void>;
}

export interface OpsServerOptions {
  readonly routes: readonly HttpRoute[];
  readonly ready: () => Promise<boolean>;
  readonly metrics: () => Promise<{ contentType: string; body: string }>;
  readonly logger: Logger;
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  response.end(body);
}

function json(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, 'application/json', JSON.stringify(value));
}

export function createOpsServer(options: OpsServerOptions): Server {
  const builtIn: HttpRoute[] = [
    { method: 'GET', path: '/healthz', handle: (_req, res) => json(res, 200, { status: 'ok' }) },
    {
      method: 'GET',
      path: '/readyz',
      async handle(_req, res) {
        const ready = await options.ready().catch(() => false);
        json(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' });
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      async handle(_req, res) {
        const { contentType, body } = await options.metrics();
        send(res, 200, contentType, body);
      },
    },
  ];
  const routes = [...builtIn, ...options.routes];
  return createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const route = routes.find((r) => r.path === path && r.method === request.method);
    if (route === undefined) {
      const known = routes.some((r) => r.path === path);
      json(response, known ? 405 : 404, { error: known ? 'method not allowed' : 'not found' });
      return;
    }
    Promise.resolve(route.handle(request, response)).catch((error: unknown) => {
      options.logger.error({ err: error, path }, 'HTTP route failed');
      if (!response.headersSent) json(response, 500, { error: 'internal error' });
      else response.end();
    });
  });
}
