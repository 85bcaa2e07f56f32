/**
 * HTTP interactions: `POST /discord/interactions`, stateless, so any number of processes can sit
 * behind a load balancer. Every request must carry a valid Ed25519 signature (Discord probes the
 * endpoint with bad ones and disables it if they are accepted); the first answer is the HTTP
 * response, later ones go through the webhook.
 */
import type { KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpRoute } from '../../http/server.js';
import type { Logger } from '../../logging.js';
import type { CallbackBody } from './api.js';
import type { Transport } from './deliver.js';
import type { InteractionHandler } from './handler.js';
import { isValidSignature } from './verify.js';

export const INTERACTIONS_PATH = '/discord/interactions';
/** Interactions are small (attachments travel as URLs); anything bigger is not from Discord. */
const MAX_BODY_BYTES = 1024 * 1024;

class BodyTooLarge extends Error {}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge());
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

function httpTransport(response: ServerResponse): Transport {
  return {
    initialFiles: false,
    async initial(body: CallbackBody) {
      if (response.headersSent) throw new Error('this interaction was already answered');
      send(response, 200, body);
    },
    async duplicate() {
      send(response, 409, { error: 'interaction already handled' });
    },
  };
}

export interface InteractionsRouteOptions {
  readonly publicKey: KeyObject;
  /** Still loading at start-up (see wiring.ts); each request waits for it. */
  readonly handler: InteractionHandler | Promise<InteractionHandler>;
  readonly logger: Logger;
  readonly nowSeconds?: () => number;
}

export function interactionsRoute(options: InteractionsRouteOptions): HttpRoute {
  return {
    method: 'POST',
    path: INTERACTIONS_PATH,
    async handle(request, response) {
      let body: Buffer;
      try {
        body = await readBody(request);
      } catch (error) {
        if (error instanceof BodyTooLarge) send(response, 413, { error: 'request body too large' });
        else options.logger.debug({ err: error }, 'Discord: interaction request aborted');
        return;
      }
      const signed = isValidSignature(
        options.publicKey,
        header(request, 'x-signature-ed25519'),
        header(request, 'x-signature-timestamp'),
        body,
        options.nowSeconds?.(),
      );
      if (!signed) {
        send(response, 401, { error: 'invalid request signature' });
        return;
      }
      let raw: unknown;
      try {
        raw = JSON.parse(body.toString('utf8'));
      } catch {
        send(response, 400, { error: 'body is not JSON' });
        return;
      }
      const handler = await options.handler;
      await handler.handle(raw, httpTransport(response));
      if (!response.headersSent) send(response, 400, { error: 'not an interaction aitws can answer' });
    },
  };
}
