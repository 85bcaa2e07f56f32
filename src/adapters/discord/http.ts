/**
 * HTTP interactions: `POST /discord/interactions`, stateless, so any number of processes can sit
 * behind a load balancer. Every request must carry a valid Ed25519 signature (Discord probes the
 * endpoint with bad ones and disables it if they are accepted); the first answer is the HTTP
 * response, later ones go through the webhook.
 */
import type { KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpRoute, Refusal } from '../../http/server.js';
import type { Logger } from '../../logging.js';
import type { CallbackBody } from './api.js';
import type { Transport } from './deliver.js';
import type { InteractionHandler } from './handler.js';
import { isValidSignature } from './verify.js';

export const INTERACTIONS_PATH = '/discord/interactions';
/**
 * Interactions are small: slash-command options (6,000 characters at most in all), ids and the
 * resolved users and channels; attachments travel as URLs. Anything bigger is not from Discord.
 */
export const MAX_INTERACTION_BYTES = 64 * 1024;

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

/** Without both signature headers nothing can be verified: refused before the body is read. */
function unsigned(request: IncomingMessage): Refusal | undefined {
  const signed =
    header(request, 'x-signature-ed25519') !== undefined &&
    header(request, 'x-signature-timestamp') !== undefined;
  return signed ? undefined : { status: 401, error: 'invalid request signature' };
}

export function interactionsRoute(options: InteractionsRouteOptions): HttpRoute {
  return {
    method: 'POST',
    path: INTERACTIONS_PATH,
    // The shared server refuses a larger body with 413, from its Content-Length or once a chunked
    // one passes the cap, and answers before closing, so the client sees the 413.
    maxBodyBytes: MAX_INTERACTION_BYTES,
    refuse: unsigned,
    async handle(request, response, body) {
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
