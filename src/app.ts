/**
 * The composition root: config in, ports built and wired, nothing else. Adapters and CLI
 * subcommands receive what they need from here.
 */
import path from 'node:path';
import { createConfinedFiles, isInside } from './adapters/console/files.js';
import type { RuntimeSetup } from './app-runtime.js';
import { type Assistant, createAssistant } from './assistant/assistant.js';
import type { AssistantLimits } from './assistant/guard.js';
import { createAnthropicProvider } from './assistant/provider-anthropic.js';
import { createDispatcher, type Dispatcher } from './commands/dispatch.js';
import type { FileAccess, Invocation } from './commands/types.js';
import type { Config } from './config.js';
import type { PageLinks } from './http/page-links.js';
import type { Logger } from './logging.js';
import type { CommandMetrics } from './metrics.js';
import { AI_FILE_FOLDERS } from './runtime/ai/store-file.js';
import type { EventRouter } from './runtime/events.js';
import { storedVersions, type VersionSource } from './runtime/events-version.js';
import { RUN_FILE_FOLDERS } from './runtime/run-store-file.js';
import type { Scheduler } from './runtime/schedules.js';
import { configuredSecrets } from './runtime/secrets.js';
import { ACCESS_FILE_FOLDERS, FileAccessStore } from './session/access-file.js';
import type { AccessStore } from './session/access-port.js';
import { RedisAccessStore } from './session/access-redis.js';
import { FILE_STORE_FOLDERS, FileSessionStore } from './session/file-store.js';
import type { InteractionStore } from './session/interaction-port.js';
import { MemoryInteractionStore } from './session/memory-interactions.js';
import type { SessionStore } from './session/port.js';
import { createRedisClient, isRedisReady, type RedisClient } from './session/redis-client.js';
import { RedisInteractionStore } from './session/redis-interactions.js';
import { RedisSessionStore } from './session/redis-store.js';

export interface Core {
  readonly dispatcher: Dispatcher;
  /** The version /run would run in a channel (the webhook and schedules start that one). */
  readonly versions: VersionSource;
  /** Events to triggers: present when the core runs workflows. */
  readonly events?: EventRouter;
  readonly sessions: SessionStore;
  /** Button actions, event dedupe and counters (Redis when REDIS_URL is set, else in-process). */
  readonly interactions: InteractionStore;
  /** Grants, reviews and the audit trail, beside the sessions. */
  readonly access: AccessStore;
  /** 'redis' or 'file': which session store is in use. */
  readonly storeKind: 'redis' | 'file';
  /** Readiness: can the session store serve a command right now? */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

export interface CoreOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** The console's working directory: /load and /save paths are confined to it. */
  readonly fileRoot?: string;
  /** Overrides config.dataDir (the console's --data-dir). */
  readonly dataDir?: string;
  readonly metrics?: CommandMetrics;
  /** Overrides the assistant's default rate limits and daily budget. */
  readonly assistantLimits?: Partial<AssistantLimits>;
  /** Runs workflows for the job commands, with events and schedules (src/app-runtime.ts builds it). */
  readonly runs?: RuntimeSetup;
  /** Signed links to the run and workflow pages (`aitws serve` with AITWS_PAGE_SECRET). */
  readonly pageLinks?: PageLinks;
}

interface BuiltStore {
  readonly sessions: SessionStore;
  readonly interactions: InteractionStore;
  readonly access: AccessStore;
  readonly kind: 'redis' | 'file';
  ready(): Promise<boolean>;
}

/** Logs a Redis outage once when it starts and once when it ends, not at every reconnect attempt. */
function watchRedis(client: RedisClient, logger: Logger): void {
  let healthy = true;
  client.on('error', (error: Error) => {
    if (!healthy) return;
    healthy = false;
    logger.warn({ err: error }, 'Redis is unavailable; commands will fail until it is back');
  });
  client.on('ready', () => {
    if (healthy) return;
    healthy = true;
    logger.info({}, 'Redis is available again');
  });
}

function buildRedisStore(url: string, config: Config, logger: Logger): BuiltStore {
  const client = createRedisClient(url, { commandTimeoutMs: config.redisTimeoutMs, connectionName: 'aitws' });
  watchRedis(client, logger);
  const sessions = new RedisSessionStore(client, {
    prefix: config.redisPrefix,
    historyLimit: config.historyLimit,
    idleTtlSeconds: config.sessionTtlSeconds,
    commandTimeoutMs: config.redisTimeoutMs,
    ownsClient: true,
    library: config.library,
  });
  const interactions = new RedisInteractionStore(client, {
    prefix: config.redisPrefix,
    commandTimeoutMs: config.redisTimeoutMs,
  });
  const access = new RedisAccessStore(client, {
    prefix: config.redisPrefix,
    commandTimeoutMs: config.redisTimeoutMs,
    auditMaxLength: config.auditMaxLength,
  });
  return {
    sessions,
    interactions,
    access,
    kind: 'redis',
    ready: () => isRedisReady(client, config.redisTimeoutMs),
  };
}

export function buildSessionStore(config: Config, logger: Logger, dataDir?: string): BuiltStore {
  if (config.redisUrl !== undefined) return buildRedisStore(config.redisUrl, config, logger);
  const root = path.resolve(dataDir ?? config.dataDir);
  const sessions = new FileSessionStore({
    dataDir: root,
    historyLimit: config.historyLimit,
    library: config.library,
  });
  return {
    sessions,
    interactions: new MemoryInteractionStore(),
    access: new FileAccessStore({ dataDir: root }),
    kind: 'file',
    ready: async () => true,
  };
}

/** Online with ANTHROPIC_API_KEY; without it /ask searches the built-in reference. */
function buildAssistant(options: CoreOptions, interactions: InteractionStore): Assistant {
  const { apiKey, baseUrl, model, askPerUserPerMinute, askPerChannelPerHour, dailyTokens } =
    options.config.anthropic;
  const provider =
    apiKey === undefined
      ? undefined
      : createAnthropicProvider({ apiKey, baseUrl, model, logger: options.logger });
  return createAssistant({
    provider,
    interactions,
    logger: options.logger,
    limits: {
      perUser: { max: askPerUserPerMinute, windowSeconds: 60 },
      perChannel: { max: askPerChannelPerHour, windowSeconds: 3600 },
      dailyTokens,
      ...options.assistantLimits,
    },
  });
}

/**
 * /load and /save PATH for the console, kept out of the file store's folders: a draft saved over
 * a channel's current.json would break that channel for good. With Redis the data dir holds
 * nothing, but refusing it costs nothing either.
 */
function consoleFiles(fileRoot: string, options: CoreOptions): FileAccess {
  const dataDir = path.resolve(options.dataDir ?? options.config.dataDir);
  const root = path.resolve(fileRoot);
  // A data dir that holds the working directory itself (--data-dir .) keeps only its own
  // folders off limits; everything else there is the user's.
  const reserved = isInside(dataDir, root)
    ? [...FILE_STORE_FOLDERS, ...ACCESS_FILE_FOLDERS, ...RUN_FILE_FOLDERS, ...AI_FILE_FOLDERS].map((folder) =>
        path.join(dataDir, folder),
      )
    : [dataDir];
  return createConfinedFiles(root, options.config.limits.documentBytes, { reserved });
}

export function buildCore(options: CoreOptions): Core {
  const { config, logger } = options;
  const store = buildSessionStore(config, logger, options.dataDir);
  const versions = storedVersions({ sessions: store.sessions, access: store.access });
  const events =
    options.runs === undefined
      ? undefined
      : {
          runtime: options.runs.runtime,
          scheduler: options.runs.scheduler,
          router: options.runs.routeEvents({ claims: store.interactions, versions }),
        };
  const created = createDispatcher({
    sessions: store.sessions,
    interactions: store.interactions,
    accessStore: store.access,
    accessPolicy: config.access,
    limits: config.limits,
    logger,
    assistant: buildAssistant(options, store.interactions),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    ...(events === undefined ? {} : { runtime: events.runtime, events: events.router }),
    ...(config.runtime.webhooks === undefined ? {} : { webhooks: config.runtime.webhooks }),
    packaging: config.runtime.packaging,
    ...(options.pageLinks === undefined ? {} : { pageLinks: options.pageLinks }),
    secrets: options.runs?.secrets ?? configuredSecrets(config.runtime),
    ...(options.fileRoot === undefined ? {} : { files: consoleFiles(options.fileRoot, options) }),
  });
  const dispatcher =
    events === undefined ? created : keepingSchedules(created, events.scheduler, versions, logger);
  return {
    dispatcher,
    versions,
    ...(events === undefined ? {} : { events: events.router }),
    sessions: store.sessions,
    interactions: store.interactions,
    access: store.access,
    storeKind: store.kind,
    ready: store.ready,
    close: async () => {
      await store.interactions.close();
      await store.access.close();
      await store.sessions.close();
    },
  };
}

/** Commands that may change what a channel runs: after one succeeds its schedules are synced. */
const CHANGING_GROUPS: ReadonlySet<string> = new Set(['draft', 'files', 'history', 'access']);

/**
 * A channel's cron triggers follow its runnable version: after a command that may have changed
 * the draft or its approval, the channel's schedules are synced, off the reply's path (a failure
 * is logged and the next change syncs again).
 */
function keepingSchedules(
  dispatcher: Dispatcher,
  scheduler: Scheduler,
  versions: VersionSource,
  logger: Logger,
): Dispatcher {
  const changing = new Set(
    dispatcher.commands.filter((c) => CHANGING_GROUPS.has(c.group)).map((c) => c.name),
  );
  const sync = (channel: Invocation['channel']): void => {
    versions(channel)
      .then((version) => scheduler.sync(channel, version?.document ?? null))
      .catch((error: unknown) => logger.warn({ err: error }, "The channel's schedules could not be synced"));
  };
  return {
    ...dispatcher,
    checkDocument: (text) => dispatcher.checkDocument(text),
    async handle(invocation) {
      const reply = await dispatcher.handle(invocation);
      const name = /^\s*\/?([A-Za-z][A-Za-z0-9_-]*)/.exec(invocation.text)?.[1]?.toLowerCase();
      if (reply.ok && name !== undefined && changing.has(name)) sync(invocation.channel);
      return reply;
    },
    async handleButton(click) {
      const reply = await dispatcher.handleButton(click);
      if (reply.ok) sync(click.channel);
      return reply;
    },
  };
}
