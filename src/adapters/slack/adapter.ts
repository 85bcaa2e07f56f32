/**
 * The Slack platform adapter: a Bolt app whose listeners ack, hand the work to the core, and
 * answer when it is done (a quick slash command answers in its ack). HTTP mode mounts Bolt's
 * request listener on the shared server (Bolt never opens a port of its own); Socket Mode connects
 * out through apps.connections.open.
 */

import type { IncomingMessage } from 'node:http';
import {
  App,
  type AuthorizeResult,
  type Logger as BoltLogger,
  HTTPReceiver,
  SocketModeReceiver,
  webApi,
} from '@slack/bolt';
import type { Dispatcher } from '../../commands/dispatch.js';
import type { SlackConfig } from '../../config.js';
import { maskSecrets } from '../../document/redact.js';
import type { Limits } from '../../document/types.js';
import { AitwsError } from '../../errors.js';
import type { HttpRoute, Refusal } from '../../http/server.js';
import type { Logger } from '../../logging.js';
import type { InteractionStore } from '../../session/interaction-port.js';
import { within } from '../../timing.js';
import { createInOrder } from '../in-order.js';
import type { PlatformAdapter } from '../platform.js';
import { boltLogger } from './bolt-logger.js';
import {
  type BotIdentity,
  type HandlerDeps,
  isSignedRequest,
  SIGNATURE_WINDOW_SECONDS,
  type SignedRequest,
  signedRequest,
} from './context.js';
import { BUTTON_ACTION_PATTERN, LOAD_MODAL_ID, LOAD_SHORTCUT_ID, SLASH_COMMAND } from './declared.js';
import { RESPONSE_URL_TIMEOUT_MS } from './deliver.js';
import { handleButton } from './on-button.js';
import { handleAppMention, handleSlashCommand } from './on-command.js';
import { handleLoadShortcut, handleLoadSubmission } from './on-load.js';

export const EVENTS_PATH = '/slack/events';
/**
 * Slack's requests are small JSON or form bodies; the largest is a message shortcut or mention
 * carrying a long message (40,000 characters at most, sent as text and again as blocks, escaped).
 * Bolt's own 4 MB default let an unsigned body be buffered whole before its signature was checked.
 */
export const MAX_SLACK_BODY_BYTES = 256 * 1024;
const WEB_API_TIMEOUT_MS = 10_000;
/** How long stop() waits for answers already under way before the store is closed under them. */
const DRAIN_TIMEOUT_MS = 10_000;

export interface SlackAdapterOptions {
  readonly slack: SlackConfig;
  readonly dispatcher: Dispatcher;
  readonly interactions: InteractionStore;
  readonly limits: Limits;
  readonly logger: Logger;
}

export interface SlackAdapter extends PlatformAdapter {
  readonly mode: 'http' | 'socket';
  /** After start(): the mode, bot user and workspace, for the start-up line. */
  connectedAs(): string;
  /** Resolves when every answer under way has been sent (tests, benchmarks, shutdown). */
  idle(): Promise<void>;
}

/**
 * Bolt refuses signatures older than five minutes but not ones from the future, which a captured
 * request could be replayed with later; both are refused here before Bolt sees the request.
 */
export function withinReplayWindow(header: string | string[] | undefined, nowMs = Date.now()): boolean {
  if (typeof header !== 'string' || !/^\d{1,12}$/.test(header)) return false;
  return Math.abs(Number(header) - nowMs / 1000) <= SIGNATURE_WINDOW_SECONDS;
}

/** The Web API base URL with the trailing slash WebClient needs. */
export function slackApiUrl(configured: string | undefined): string | undefined {
  if (configured === undefined) return undefined;
  return configured.endsWith('/') ? configured : `${configured}/`;
}

/** Who the bot token speaks for, as auth.test says, for the start-up line. */
interface Workspace {
  readonly team: string | undefined;
  readonly teamId: string | undefined;
  readonly user: string | undefined;
}

function identityOf(result: webApi.AuthTestResponse): BotIdentity {
  return {
    ...(result.bot_id === undefined ? {} : { botId: result.bot_id }),
    ...(result.user_id === undefined ? {} : { botUserId: result.user_id }),
  };
}

function identityCache(client: webApi.WebClient, logger: Logger) {
  let identity: BotIdentity = {};
  let pending: Promise<void> | undefined;
  const refresh = (): Promise<void> => {
    pending ??= client.auth
      .test()
      .then((result) => {
        identity = identityOf(result);
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'Slack auth.test failed; will retry'))
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
  return {
    /** At start: a token Slack refuses, or a Slack out of reach, stops the start instead of being retried unseen. */
    async verify(): Promise<Workspace> {
      const result = await client.auth.test();
      identity = identityOf(result);
      return { team: result.team, teamId: result.team_id, user: result.user };
    },
    refresh,
    get: (): BotIdentity => {
      // Never on the ack path: a missing identity is fetched in the background.
      if (identity.botUserId === undefined) void refresh();
      return identity;
    },
  };
}

const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';

const TOKEN_HINTS = {
  SLACK_BOT_TOKEN: 'use the Bot User OAuth Token (xoxb-…) from OAuth & Permissions of the installed app',
  SLACK_APP_TOKEN:
    'use an app-level token (xapp-…) with the connections:write scope, from Basic Information → App-Level Tokens',
} as const;

function field(error: object, name: string): unknown {
  return name in error ? (error as Record<string, unknown>)[name] : undefined;
}

/**
 * What actually went wrong under a failed request: fetch says only "fetch failed" and keeps
 * ECONNREFUSED or ENOTFOUND as its cause; a connection tried on several addresses fails with
 * an AggregateError of each.
 */
function innermostReason(error: unknown): string {
  let current = error;
  while (current instanceof Error) {
    const next: unknown = current instanceof AggregateError ? current.errors[0] : current.cause;
    if (!(next instanceof Error)) break;
    current = next;
  }
  if (!(current instanceof Error)) return String(current);
  return current.message || String(field(current, 'code') ?? current.name);
}

/**
 * A start-up call's failure in words a person acts on, or undefined when it is none of the Web
 * API's own errors. Matched on the SDK's error codes rather than its classes: Bolt and the Socket
 * Mode client may each bring their own copy of @slack/web-api.
 */
export function slackStartError(
  error: unknown,
  variable: keyof typeof TOKEN_HINTS,
  apiUrl: string | undefined,
): AitwsError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const origin = new URL(apiUrl ?? DEFAULT_SLACK_API_URL).origin;
  const data = field(error, 'data');
  const original = field(error, 'original');
  switch (field(error, 'code')) {
    case webApi.ErrorCode.PlatformError: {
      const code = typeof data === 'object' && data !== null ? String(field(data, 'error')) : 'error';
      return new AitwsError('CONFIG', `Slack refused ${variable} (${code}): ${TOKEN_HINTS[variable]}`, {
        cause: error,
      });
    }
    case webApi.ErrorCode.RequestError: {
      const reason = innermostReason(original);
      return new AitwsError('NOT_AVAILABLE', `could not reach Slack at ${origin} (${maskSecrets(reason)})`, {
        cause: error,
        retryable: true,
      });
    }
    case webApi.ErrorCode.HTTPError:
      return new AitwsError(
        'NOT_AVAILABLE',
        `Slack at ${origin} answered HTTP ${String(field(error, 'statusCode'))} ${String(field(error, 'statusMessage') ?? '')}`.trim(),
        { cause: error, retryable: true },
      );
    default:
      return undefined;
  }
}

/** What the start-up line says: the mode, the bot user and the workspace it was installed in. */
function describeConnection(mode: 'http' | 'socket', workspace: Workspace | undefined): string {
  const how = mode === 'socket' ? 'Socket Mode' : `HTTP at POST ${EVENTS_PATH}`;
  if (workspace === undefined) return `Slack (${how})`;
  const team = workspace.team === undefined ? '' : ` in workspace "${workspace.team}"`;
  const id = workspace.teamId === undefined ? '' : ` (${workspace.teamId})`;
  return `Slack (${how}) as @${workspace.user ?? 'unknown'}${team}${id}`;
}

type Receiver = HTTPReceiver | SocketModeReceiver;

/** Where the verified signature rides in Bolt's context. */
const SIGNED_REQUEST = 'aitwsSignedRequest';

function signedIn(context: Readonly<Record<string, unknown>>): SignedRequest | undefined {
  const value = context[SIGNED_REQUEST];
  return isSignedRequest(value) ? value : undefined;
}

function clientOptionsFor(apiUrl: string | undefined): webApi.WebClientOptions {
  return {
    ...(apiUrl === undefined ? {} : { slackApiUrl: apiUrl }),
    timeout: WEB_API_TIMEOUT_MS,
    retryConfig: { retries: 2, factor: 2, minTimeout: 200 },
  };
}

/** Socket Mode when an app token is set, else HTTP on the shared server. */
function createReceiver(
  slack: SlackConfig,
  log: BoltLogger,
  clientOptions: webApi.WebClientOptions,
): Receiver {
  if (slack.appToken !== undefined) {
    return new SocketModeReceiver({
      appToken: slack.appToken,
      logger: log,
      // Bolt hands installerOptions.clientOptions to the socket client's apps.connections.open.
      installerOptions: { clientOptions },
    });
  }
  if (slack.signingSecret === undefined) throw new Error('Slack HTTP mode needs SLACK_SIGNING_SECRET');
  return new HTTPReceiver({
    signingSecret: slack.signingSecret,
    endpoints: EVENTS_PATH,
    logger: log,
    bodyLimit: MAX_SLACK_BODY_BYTES,
    // Called only once the signature is verified: handlers see which signature they answer.
    customPropertiesExtractor: (request) => ({ [SIGNED_REQUEST]: signedRequest(request.headers) }),
  });
}

/** Runs handlers so that stop() can wait for the answers under way; a handler's failure is logged. */
interface Tracker {
  track(what: string, work: () => Promise<void>): Promise<void>;
  /** Resolves when every answer under way has been sent. */
  idle(): Promise<void>;
}

function createTracker(logger: Logger): Tracker {
  const inFlight = new Set<Promise<void>>();
  return {
    track(what: string, work: () => Promise<void>): Promise<void> {
      const running = work().catch((error: unknown) =>
        logger.error({ err: error, what }, 'Slack handler failed'),
      );
      inFlight.add(running);
      void running.finally(() => inFlight.delete(running));
      return running;
    },
    async idle(): Promise<void> {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

function listen(app: App, deps: HandlerDeps, track: Tracker['track'], logger: Logger): void {
  // The command acks itself: with the answer when the core is quick, empty at a deadline if not.
  app.command(SLASH_COMMAND, async ({ ack, body, context }) => {
    const signed = signedIn(context);
    await track('command', () => handleSlashCommand(deps, body, (response) => ack(response), signed));
  });
  app.event('app_mention', async ({ body }) => {
    await track('app_mention', () => handleAppMention(deps, body));
  });
  app.action(BUTTON_ACTION_PATTERN, async ({ ack, body }) => {
    await ack();
    await track('button', () => handleButton(deps, body));
  });
  app.shortcut(LOAD_SHORTCUT_ID, async ({ ack, body }) => {
    await ack();
    await track('shortcut', () => handleLoadShortcut(deps, body));
  });
  app.view(LOAD_MODAL_ID, async ({ ack, body }) => {
    await track('view_submission', () => handleLoadSubmission(deps, body, (response) => ack(response)));
  });
  app.error(async (error) => {
    logger.error({ err: error }, 'Slack request failed');
  });
}

/**
 * Refused from the headers alone, before the body is read: outside the replay window, or too
 * late. A missing signature is left to Bolt, which lets Slack's unsigned ssl_check through.
 */
function refusal(request: IncomingMessage, stopping: boolean): Refusal | undefined {
  if (!withinReplayWindow(request.headers['x-slack-request-timestamp'])) {
    return { status: 401, error: 'invalid request signature' };
  }
  // Once stopping, new work would outlive the store, so Slack is told to retry.
  if (stopping) return { status: 503, error: 'shutting down', headers: { 'retry-after': '1' } };
  return undefined;
}

/** HTTP mode's one route; the shared server has read the body, under MAX_SLACK_BODY_BYTES. */
function eventsRoutes(receiver: Receiver, stopping: () => boolean): HttpRoute[] {
  if (!(receiver instanceof HTTPReceiver)) return [];
  return [
    {
      method: 'POST',
      path: EVENTS_PATH,
      maxBodyBytes: MAX_SLACK_BODY_BYTES,
      refuse: (request) => refusal(request, stopping()),
      handle(request, response, body) {
        // Bolt takes a request with a Buffer rawBody as already read (isBufferedIncomingMessage)
        // and verifies these bytes instead of reading the stream again.
        receiver.requestListener(Object.assign(request, { rawBody: body }), response);
      },
    },
  ];
}

function handlerDeps(
  options: SlackAdapterOptions,
  client: webApi.WebClient,
  apiUrl: string | undefined,
  identity: () => BotIdentity,
): HandlerDeps {
  return {
    client,
    logger: options.logger,
    commandNames: options.dispatcher.commands.map((c) => c.name),
    slashCommand: SLASH_COMMAND,
    dispatcher: options.dispatcher,
    interactions: options.interactions,
    limits: options.limits,
    botToken: options.slack.botToken,
    extraHosts: apiUrl === undefined ? [] : [new URL(apiUrl).host],
    // As long as a response_url POST may take: then the next click's answer goes anyway.
    inOrder: createInOrder(RESPONSE_URL_TIMEOUT_MS),
    identity,
  };
}

export function createSlackAdapter(options: SlackAdapterOptions): SlackAdapter {
  const { slack, logger } = options;
  const apiUrl = slackApiUrl(slack.apiUrl);
  const log = boltLogger(logger);
  const clientOptions = clientOptionsFor(apiUrl);
  const client = new webApi.WebClient(slack.botToken, { ...clientOptions, logger: log });
  const identity = identityCache(client, logger);
  const mode = slack.appToken === undefined ? 'http' : 'socket';
  const receiver = createReceiver(slack, log, clientOptions);
  const authorize = async (): Promise<AuthorizeResult> => ({ botToken: slack.botToken, ...identity.get() });
  const app = new App({ receiver, authorize, logger: log, convoStore: false, clientOptions });
  const tracker = createTracker(logger);
  listen(app, handlerDeps(options, client, apiUrl, identity.get), tracker.track, logger);
  let stopping = false;
  let workspace: Workspace | undefined;
  return {
    name: 'slack',
    mode,
    routes: eventsRoutes(receiver, () => stopping),
    async start() {
      try {
        workspace = await identity.verify();
      } catch (error) {
        throw slackStartError(error, 'SLACK_BOT_TOKEN', apiUrl) ?? error;
      }
      if (receiver instanceof SocketModeReceiver) {
        try {
          await receiver.start();
        } catch (error) {
          // The client gives up by itself on a refused token or an unreachable Slack; stop it anyway.
          await receiver.stop().catch(() => undefined);
          throw slackStartError(error, 'SLACK_APP_TOKEN', apiUrl) ?? error;
        }
      }
    },
    connectedAs: () => describeConnection(mode, workspace),
    async stop() {
      stopping = true;
      if (receiver instanceof SocketModeReceiver) await receiver.stop();
      await within(tracker.idle(), DRAIN_TIMEOUT_MS, undefined);
    },
    idle: tracker.idle,
  };
}
