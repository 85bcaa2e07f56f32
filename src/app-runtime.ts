/**
 * The runtime's half of the composition root: the run store and queue for the configured backend
 * (Redis + BullMQ, or the file store + the in-process queue), the executors (built-ins, the model
 * provider, plugins), secrets, chat and events. app.ts wires the result into the dispatcher.
 */
import path from 'node:path';
import { buildAiServices } from './app-ai.js';
import type { ModelProvider } from './assistant/provider.js';
import { createAnthropicProvider } from './assistant/provider-anthropic.js';
import type { Config } from './config.js';
import type { Logger } from './logging.js';
import type { Metrics } from './metrics.js';
import { writeRunSnapshot } from './runtime/ai/run-snapshot.js';
import type { AiServices } from './runtime/ai/services.js';
import { ChatRelay } from './runtime/chat-relay.js';
import { EventRouter } from './runtime/events.js';
import type { VersionSource } from './runtime/events-version.js';
import { type Executor, executorRegistry } from './runtime/executor.js';
import { createAiInvokeExecutor } from './runtime/executors/ai-invoke.js';
import { humanApprovalExecutor } from './runtime/executors/human-approval.js';
import { builtinExecutors } from './runtime/executors/index.js';
import { loadPlugins } from './runtime/executors/plugins.js';
import { RunProgress } from './runtime/progress.js';
import { BullRunQueue } from './runtime/queue-bullmq.js';
import { EmbeddedRunQueue } from './runtime/queue-embedded.js';
import type { RunQueue } from './runtime/queue-port.js';
import type { RunServices, RuntimeEvent } from './runtime/run-services.js';
import type { RunRecord, RunStore } from './runtime/run-store.js';
import { FileRunStore } from './runtime/run-store-file.js';
import { RedisRunStore } from './runtime/run-store-redis.js';
import { Runtime } from './runtime/runtime.js';
import type { ScheduleFire, Scheduler } from './runtime/schedules.js';
import { BullScheduler } from './runtime/schedules-bullmq.js';
import { TimerScheduler } from './runtime/schedules-timers.js';
import { configuredSecrets, type SecretSource } from './runtime/secrets.js';
import type { InteractionStore } from './session/interaction-port.js';
import { createRedisClient } from './session/redis-client.js';

/**
 * The piped console waits at its end for runs that will go on within this long (a retry backoff,
 * a short wait); a run waiting longer (an approval for an hour) waits on people, not on us.
 */
const SETTLE_HORIZON_MS = 60_000;

export interface RuntimeSetup {
  readonly runtime: Runtime;
  /** Adapters register their chat here so runs can post to their channels. */
  readonly chat: ChatRelay;
  readonly queue: RunQueue;
  readonly kind: 'redis' | 'file';
  /** Cron triggers of the channels' runnable versions (in-process timers, or BullMQ schedulers). */
  readonly scheduler: Scheduler;
  /** Where `${secret:…}` values come from; commands that reach a service use the same source. */
  readonly secrets: SecretSource;
  /**
   * Builds the event router over the stores of the core (dedupe claims, runnable versions) and
   * routes the runs' events (lifecycle and `emit`) and the schedules' ticks to it.
   */
  routeEvents(stores: { readonly claims: InteractionStore; readonly versions: VersionSource }): EventRouter;
  /** Works on runs in this process: the console and `aitws worker` (or `serve --worker`). */
  work(concurrency?: number): Promise<void>;
  /** Readiness: can the run store and queue serve right now? */
  ready(): Promise<boolean>;
  /** Embedded only: resolves when no run is being processed or due (waits for people do not count). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export interface RuntimeSetupOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** Overrides config.dataDir (the console's --data-dir). */
  readonly dataDir?: string;
  /** Tests: a fixed clock. */
  readonly now?: () => Date;
  /** Prometheus metrics of the process (serve, worker); the console has none. */
  readonly metrics?: Metrics;
}

function providers(config: Config, logger: Logger): (model?: string) => ModelProvider | undefined {
  const { apiKey, baseUrl, model: defaultModel } = config.anthropic;
  const byModel = new Map<string, ModelProvider>();
  return (model) => {
    if (apiKey === undefined) return undefined;
    const key = model ?? defaultModel ?? '';
    const known = byModel.get(key);
    if (known !== undefined) return known;
    const provider = createAnthropicProvider({ apiKey, baseUrl, model: model ?? defaultModel, logger });
    byModel.set(key, provider);
    return provider;
  };
}

async function executors(config: Config, ai: AiServices, metrics?: Metrics): Promise<Executor[]> {
  const extra: Executor[] = [
    humanApprovalExecutor,
    createAiInvokeExecutor({
      registry: ai.registry,
      prices: ai.prices,
      maxTokensCap: config.runtime.ai.maxTokensCap,
      cache: ai.cache,
      cacheTtlSeconds: ai.cacheTtlSeconds,
      ...(ai.budget === undefined ? {} : { budget: ai.budget }),
      drift: ai.drift,
      feedback: ai.feedback,
      ...(metrics === undefined ? {} : { metrics }),
    }),
  ];
  const builtins = builtinExecutors({
    http: { maxResponseBytes: config.runtime.httpMaxResponseBytes },
    extra,
  });
  const dir = config.runtime.pluginsDir;
  if (dir === undefined) return builtins;
  const plugins = await loadPlugins(path.resolve(dir), {
    builtinTypes: builtins.map((executor) => executor.type),
  });
  return [...builtins, ...plugins];
}

function backend(options: RuntimeSetupOptions): { store: RunStore; queue: RunQueue; kind: 'redis' | 'file' } {
  const { config, logger } = options;
  if (config.redisUrl !== undefined) {
    const client = createRedisClient(config.redisUrl, {
      commandTimeoutMs: config.redisTimeoutMs,
      connectionName: 'aitws-runs',
    });
    return {
      store: new RedisRunStore(client, {
        prefix: config.redisPrefix,
        commandTimeoutMs: config.redisTimeoutMs,
        ownsClient: true,
      }),
      queue: new BullRunQueue({
        connection: config.redisUrl,
        prefix: `{${config.redisPrefix}-runs}`,
        logger,
      }),
      kind: 'redis',
    };
  }
  return {
    store: new FileRunStore({ dataDir: path.resolve(options.dataDir ?? config.dataDir) }),
    queue: new EmbeddedRunQueue({ logger }),
    kind: 'file',
  };
}

export async function buildRuntime(options: RuntimeSetupOptions): Promise<RuntimeSetup> {
  const { config, logger } = options;
  const now = options.now ?? (() => new Date());
  const { store, queue, kind } = backend(options);
  const secrets = configuredSecrets(config.runtime);
  const chat = new ChatRelay(logger);
  let router: EventRouter | undefined;
  const ai = buildAiServices(config, options.dataDir ?? config.dataDir, providers(config, logger));
  const raise = async (run: RunRecord, event: RuntimeEvent): Promise<void> => {
    if (FINAL_EVENTS.has(event.type)) await snapshot(store, run, logger);
    if (router === undefined) logger.debug({ runId: run.id, event: event.type }, 'runtime event (no router)');
    else await router.raise(run, event);
  };
  const fire: ScheduleFire = async (channel, tick) => router?.fireSchedule(channel, tick);
  const scheduler: Scheduler =
    config.redisUrl !== undefined
      ? new BullScheduler({
          connection: config.redisUrl,
          prefix: `{${config.redisPrefix}-schedules}`,
          logger,
        })
      : new TimerScheduler({ fire, logger });
  const services: RunServices = {
    store,
    chat,
    logger,
    raise,
    secret: (name) => secrets.get(name),
    now,
  };
  const progress = new RunProgress({
    store,
    chat,
    logger,
    now,
    openButton: config.runtime.pages !== undefined,
  });
  const registry = executorRegistry(await executors(config, ai.services, options.metrics));
  const runtime = new Runtime({
    store,
    queue,
    // With Redis any number of worker processes share a group's members; embedded, one process.
    spreadGroups: kind === 'redis',
    executors: registry,
    secrets,
    services,
    ai: ai.services,
    engine: {
      maxOutputBytes: config.runtime.maxOutputBytes,
      watchMs: kind === 'file' ? 250 : 1000,
      progress: (run) => progress.update(run),
      ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
      sleep: (ms, signal) => sleepFor(ms, signal),
    },
  });
  options.metrics?.watchQueue(() => queue.counts());
  let retention: NodeJS.Timeout | undefined;
  return {
    runtime,
    chat,
    queue,
    kind,
    secrets,
    ready: async () => {
      try {
        await queue.counts();
        return true;
      } catch {
        return false;
      }
    },
    scheduler,
    routeEvents: (stores) => {
      router = new EventRouter({ runtime, services, executors: registry, ...stores });
      return router;
    },
    work: async (concurrency) => {
      await runtime.work(concurrency ?? config.runtime.workerConcurrency);
      if (scheduler instanceof BullScheduler) await scheduler.work(fire);
      retention ??= startRetention(store, config.runtime.retentionDays, logger, now);
    },
    settled: () =>
      queue instanceof EmbeddedRunQueue ? queue.idle({ horizonMs: SETTLE_HORIZON_MS }) : Promise.resolve(),
    close: async () => {
      if (retention !== undefined) clearInterval(retention);
      await scheduler.close();
      await queue.close();
      await store.close();
      await ai.close();
    },
  };
}

const FINAL_EVENTS: ReadonlySet<string> = new Set([
  'run.succeeded',
  'run.failed',
  'run.cancelled',
  'run.timed_out',
]);

/** Every finished run leaves its execution snapshot; a failure to write one never fails the run. */
async function snapshot(store: RunStore, run: RunRecord, logger: Logger): Promise<void> {
  try {
    await writeRunSnapshot(store, run);
  } catch (error) {
    logger.warn({ err: error, runId: run.id }, 'the execution snapshot could not be written');
  }
}

const RETENTION_EVERY_MS = 3600_000;

/**
 * Finished runs older than the retention are removed at start and every hour after, by every
 * process that works on runs (removing is idempotent, so several workers doing it is harmless).
 */
function startRetention(store: RunStore, days: number, logger: Logger, now: () => Date): NodeJS.Timeout {
  const sweep = (): void => {
    const before = new Date(now().getTime() - days * 24 * 3600_000);
    store.removeFinishedBefore(before).then(
      (removed) => {
        if (removed > 0) logger.info({ removed, before: before.toISOString() }, 'Old runs removed');
      },
      (error: unknown) =>
        logger.warn({ err: error }, 'Old runs could not be removed; trying again in an hour'),
    );
  };
  sweep();
  const timer = setInterval(sweep, RETENTION_EVERY_MS);
  timer.unref();
  return timer;
}

function sleepFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Slack and Discord, when configured, can be posted to by this process's runs (a worker posts
 * progress and approval requests even though it receives nothing from the platforms).
 */
export async function registerRunChats(runs: RuntimeSetup, config: Config, logger: Logger): Promise<void> {
  // Loaded on demand: the console never needs the chat SDKs.
  const { createSlackRunChat } = await import('./adapters/slack/run-chat.js');
  const { createDiscordRunChat } = await import('./adapters/discord/run-chat.js');
  const slack = createSlackRunChat(config.slack, logger);
  if (slack !== undefined) runs.chat.register('slack', slack);
  const discord = createDiscordRunChat(config.discord, logger);
  if (discord !== undefined) runs.chat.register('discord', discord);
}
