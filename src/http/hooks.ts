/**
 * The signed webhook: `POST /hooks/<workspace>/<channel>/<event>` raises `event` (an `[[events]]`
 * entry's name, or its type) in that channel, with the body's JSON object as the event's data.
 * Signing and the channel secret: hooks-sign.ts. The platform is not in the path: the signature is
 * checked with the channel's secret on each platform, and the one that matches says which channel.
 *
 * Answers: 401 for a missing, stale or wrong signature (before anything about the channel is
 * looked up); 400 for a body that is not a JSON object or an unusable event id; 404 when the
 * channel has no runnable workflow or no such event; 200 `{ duplicate: true }` for an event id
 * already handled (nothing is started again); 202 with what the event fired.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logging.js';
import type { Delivery, EventRouter } from '../runtime/events.js';
import { findEventEntry } from '../runtime/events-match.js';
import type { VersionSource } from '../runtime/events-version.js';
import type { JsonObject } from '../runtime/run-store.js';
import type { ChannelKey } from '../session/port.js';
import {
  channelSecret,
  EVENT_ID_HEADER,
  SIGNATURE_HEADER,
  signatureMatches,
  TIMESTAMP_HEADER,
  timestampProblem,
  WEBHOOK_PLATFORMS,
} from './hooks-sign.js';
import { type HttpRoute, json, type Refusal } from './server.js';

export const HOOKS_PATH = '/hooks/';
/** An event's data is small: a few fields for templates and run inputs. */
export const DEFAULT_HOOK_BODY_BYTES = 64 * 1024;
const EVENT_ID = /^[\x21-\x7e]{1,200}$/;

export interface HooksRouteOptions {
  /** AITWS_WEBHOOK_SECRET, the master the channel secrets derive from. */
  readonly secret: string;
  readonly router: Pick<EventRouter, 'deliver'>;
  readonly versions: VersionSource;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly maxBodyBytes?: number;
}

/** A route matching every path under /hooks/ (see the report: HttpRoute gains `prefix`). */
export type PrefixRoute = HttpRoute & { readonly prefix: true };

interface HookPath {
  readonly workspace: string;
  readonly channel: string;
  readonly event: string;
}

function hookPath(request: IncomingMessage): HookPath | undefined {
  const path = (request.url ?? '').split('?')[0] ?? '';
  if (!path.startsWith(HOOKS_PATH)) return undefined;
  const parts = path.slice(HOOKS_PATH.length).split('/');
  if (parts.length !== 3) return undefined;
  try {
    const [workspace, channel, event] = parts.map((part) => decodeURIComponent(part));
    if (workspace === undefined || channel === undefined || event === undefined) return undefined;
    if (channel === '' || event === '') return undefined;
    return { workspace, channel, event };
  } catch {
    return undefined;
  }
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function hooksRoute(options: HooksRouteOptions): PrefixRoute {
  const now = options.now ?? (() => new Date());
  return {
    method: 'POST',
    path: HOOKS_PATH,
    prefix: true,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_HOOK_BODY_BYTES,
    refuse(request): Refusal | undefined {
      if (hookPath(request) === undefined) return { status: 404, error: 'not found' };
      const stale = timestampProblem(header(request, TIMESTAMP_HEADER), now());
      if (stale !== undefined) return { status: 401, error: stale };
      if (header(request, SIGNATURE_HEADER) === undefined)
        return { status: 401, error: `missing ${SIGNATURE_HEADER} header` };
      return undefined;
    },
    handle: (request, response, body) => handleHook(options, now, request, response, body),
  };
}

async function handleHook(
  options: HooksRouteOptions,
  now: () => Date,
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer,
): Promise<void> {
  const path = hookPath(request);
  const timestamp = header(request, TIMESTAMP_HEADER) ?? '';
  const given = header(request, SIGNATURE_HEADER) ?? '';
  const stale = timestampProblem(timestamp, now());
  if (path === undefined) return json(response, 404, { error: 'not found' });
  if (stale !== undefined) return json(response, 401, { error: stale });
  const channel = signedChannel(options.secret, path, timestamp, body, given);
  if (channel === undefined) return json(response, 401, { error: 'bad signature' });
  const data = bodyObject(body);
  if (data === undefined) return json(response, 400, { error: 'the body must be a JSON object' });
  const id = eventId(header(request, EVENT_ID_HEADER) ?? data.id, given);
  if (id === undefined)
    return json(response, 400, { error: 'the event id must be 1 to 200 printable characters' });
  const version = await options.versions(channel);
  if (version === null) return json(response, 404, { error: 'this channel has no workflow to run' });
  const entry = findEventEntry(version.document, path.event);
  if (entry === undefined) return json(response, 404, { error: `the workflow has no event "${path.event}"` });
  const delivery = await options.router.deliver(
    channel,
    { type: entry.type, id: `hook:${id}`, data },
    { by: { id: 'aitws:webhook', name: 'webhook' }, version },
  );
  options.logger.info(
    { channel, event: entry.type, eventId: id, duplicate: delivery.duplicate },
    'Webhook event received',
  );
  if (delivery.duplicate) return json(response, 200, { duplicate: true, id });
  return json(response, 202, summary(delivery, id));
}

function signedChannel(
  master: string,
  path: HookPath,
  timestamp: string,
  body: Buffer,
  given: string,
): ChannelKey | undefined {
  // Every platform's key is checked (no early exit): the time taken says nothing about which matched.
  let found: ChannelKey | undefined;
  for (const platform of WEBHOOK_PLATFORMS) {
    const channel: ChannelKey = { platform, workspace: path.workspace, channel: path.channel };
    if (signatureMatches(channelSecret(master, channel), timestamp, body, given)) found ??= channel;
  }
  return found;
}

function bodyObject(body: Buffer): JsonObject | undefined {
  if (body.length === 0) return {};
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as JsonObject)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The sender's id; without one, the signature itself (a byte-for-byte replay is still caught). */
function eventId(given: unknown, signature: string): string | undefined {
  if (given === undefined) return signature.trim();
  const text = typeof given === 'number' ? String(given) : given;
  return typeof text === 'string' && EVENT_ID.test(text) ? text : undefined;
}

function summary(delivery: Delivery, id: string): JsonObject {
  const runs: string[] = [];
  const triggers = delivery.fired.map((fired) => {
    const outcome = fired.outcome;
    if (outcome.kind === 'run') runs.push(outcome.runId);
    return {
      trigger: fired.trigger,
      handler: fired.handler ?? null,
      outcome: outcome.kind,
      ...(outcome.kind === 'run' ? { run_id: outcome.runId } : {}),
      ...(outcome.kind === 'action' ? { ok: outcome.result.ok } : {}),
      ...(outcome.kind === 'refused' ? { reason: outcome.reason } : {}),
    };
  });
  return { id, event: delivery.type, triggers, runs, woken: [...delivery.woken] };
}
