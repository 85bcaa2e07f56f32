/**
 * A real Runtime for event tests: MemoryRunStore, the in-process queue with a worker, the
 * built-in executors, a chat that records what is posted, a MemoryInteractionStore for the event
 * claims, and an EventRouter wired as RunServices.raise (as the composition root does). Documents
 * are set per channel as the channel's runnable version.
 */
import { parse } from 'smol-toml';
import { z } from 'zod';
import type { AitwsDocument } from '../../src/document/types.js';
import { AitwsError } from '../../src/errors.js';
import { silentLogger } from '../../src/logging.js';
import { EventRouter } from '../../src/runtime/events.js';
import { channelPath } from '../../src/runtime/events-ids.js';
import type { RunnableVersion, VersionSource } from '../../src/runtime/events-version.js';
import { type Executor, executorRegistry } from '../../src/runtime/executor.js';
import { builtinExecutors } from '../../src/runtime/executors/index.js';
import { EmbeddedRunQueue } from '../../src/runtime/queue-embedded.js';
import type { RunChat, RunServices } from '../../src/runtime/run-services.js';
import type { JsonObject, RunRecord } from '../../src/runtime/run-store.js';
import { MemoryRunStore } from '../../src/runtime/run-store-memory.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { environmentSecrets } from '../../src/runtime/secrets.js';
import type { InteractionStore } from '../../src/session/interaction-port.js';
import { MemoryInteractionStore } from '../../src/session/memory-interactions.js';
import type { ChannelKey } from '../../src/session/port.js';

export const CHANNEL: ChannelKey = { platform: 'console', workspace: 'local', channel: 'events' };
export const HEAD = '[metadata]\nname = "Evented"\nversion = "1"\n';

export interface Post {
  readonly channel: ChannelKey;
  readonly text: string;
}

/** `test.fail`: always fails, with a message that says so. */
const failExecutor: Executor<JsonObject> = {
  type: 'test.fail',
  summary: 'fails',
  params: z.record(z.string(), z.any()) as z.ZodType<JsonObject>,
  async run() {
    throw new AitwsError('ACTION_FAILED', 'test.fail failed on purpose');
  },
};

export interface EventsHarness {
  readonly store: MemoryRunStore;
  readonly queue: EmbeddedRunQueue;
  readonly runtime: Runtime;
  readonly router: EventRouter;
  readonly claims: MemoryInteractionStore;
  readonly posts: Post[];
  /**
   * Another router on the same runtime: with claims of its own (another process, say; fresh
   * in-memory ones unless given) or reading versions from elsewhere (the session stores).
   */
  makeRouter(options?: {
    readonly claims?: Pick<InteractionStore, 'claimOnce'>;
    readonly versions?: VersionSource;
  }): EventRouter;
  /** Makes `toml` the runnable version of `channel` (null: none). */
  setDocument(toml: string | null, channel?: ChannelKey): RunnableVersion | null;
  version(channel?: ChannelKey): RunnableVersion | null;
  start(inputs?: JsonObject, id?: string): Promise<RunRecord>;
  /** Resolves once no run is being processed or due soon (runs waiting on events do not count). */
  settle(): Promise<void>;
  runs(channel?: ChannelKey): Promise<RunRecord[]>;
  close(): Promise<void>;
}

export async function createEventsHarness(
  options: { readonly maxDepth?: number } = {},
): Promise<EventsHarness> {
  const store = new MemoryRunStore();
  const queue = new EmbeddedRunQueue({ retryDelayMs: 50 });
  const posts: Post[] = [];
  const chat: RunChat = {
    async post(channel, request) {
      posts.push({ channel, text: request.text });
      return { channel, messageId: String(posts.length) };
    },
    async update() {},
  };
  const versions = new Map<string, RunnableVersion>();
  let router: EventRouter | undefined;
  const services: RunServices = {
    store,
    chat,
    logger: silentLogger,
    raise: async (run, event) => router?.raise(run, event),
    secret: () => undefined,
    now: () => new Date(),
  };
  const executors = executorRegistry([...builtinExecutors(), failExecutor]);
  const runtime = new Runtime({
    store,
    queue,
    executors,
    secrets: environmentSecrets({}),
    services,
    engine: { maxOutputBytes: 100_000, watchMs: 50, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
  });
  const claims = new MemoryInteractionStore();
  const mapped: VersionSource = async (channel) => versions.get(channelPath(channel)) ?? null;
  const routerWith = (
    claimStore: Pick<InteractionStore, 'claimOnce'>,
    source: VersionSource = mapped,
  ): EventRouter =>
    new EventRouter({
      runtime,
      services,
      executors,
      claims: claimStore,
      versions: source,
      ...(options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth }),
    });
  const main = routerWith(claims);
  router = main;
  await runtime.work(4);
  const harness: EventsHarness = {
    store,
    queue,
    runtime,
    router: main,
    claims,
    posts,
    makeRouter: (made = {}) => routerWith(made.claims ?? new MemoryInteractionStore(), made.versions),
    setDocument(toml, channel = CHANNEL) {
      if (toml === null) {
        versions.delete(channelPath(channel));
        return null;
      }
      const document = parse(toml) as AitwsDocument;
      const version = { document, workflow: { name: 'Evented', version: 1, hash: 'sha256:00' } };
      versions.set(channelPath(channel), version);
      return version;
    },
    version: (channel = CHANNEL) => versions.get(channelPath(channel)) ?? null,
    async start(inputs = {}, id) {
      const version = harness.version();
      if (version === null) throw new Error('no document set');
      return runtime.start({
        channel: CHANNEL,
        ...version,
        inputs,
        startedBy: { id: 'ada', name: 'ada' },
        ...(id === undefined ? {} : { id }),
      });
    },
    settle: () => queue.idle({ horizonMs: 5000 }),
    runs: (channel = CHANNEL) => store.list(channel, { limit: 100 }),
    async close() {
      await queue.close();
      await store.close();
    },
  };
  return harness;
}
