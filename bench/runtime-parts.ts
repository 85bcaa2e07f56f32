/** The Redis runtime the `runtime` bench and its worker processes share, assembled as app-runtime.ts does. */
import { parse } from 'smol-toml';
import type { AitwsDocument } from '../src/document/types.js';
import { silentLogger } from '../src/logging.js';
import { executorRegistry } from '../src/runtime/executor.js';
import { humanApprovalExecutor } from '../src/runtime/executors/human-approval.js';
import { builtinExecutors } from '../src/runtime/executors/index.js';
import { BullRunQueue } from '../src/runtime/queue-bullmq.js';
import type { RunServices } from '../src/runtime/run-services.js';
import type { RunStore } from '../src/runtime/run-store.js';
import { RedisRunStore } from '../src/runtime/run-store-redis.js';
import { Runtime } from '../src/runtime/runtime.js';
import { environmentSecrets } from '../src/runtime/secrets.js';
import type { ChannelKey } from '../src/session/port.js';
import { createRedisClient } from '../src/session/redis-client.js';

export const CHANNEL: ChannelKey = { platform: 'console', workspace: 'local', channel: 'bench' };
export const ADA = { id: 'U1', name: 'Ada' } as const;

export interface BenchRuntime {
  readonly runtime: Runtime;
  readonly store: RedisRunStore;
  readonly queue: BullRunQueue;
  close(): Promise<void>;
}

export function benchRuntime(url: string, prefix: string): BenchRuntime {
  const store = new RedisRunStore(createRedisClient(url), {
    prefix,
    commandTimeoutMs: 5000,
    ownsClient: true,
  });
  const queue = new BullRunQueue({ connection: url, prefix: `{${prefix}-runs}` });
  const services: RunServices = {
    store,
    chat: {
      post: async (channel) => ({ channel, messageId: '1' }),
      update: async () => undefined,
    },
    logger: silentLogger,
    raise: async () => undefined,
    secret: () => undefined,
    now: () => new Date(),
  };
  const runtime = new Runtime({
    store,
    queue,
    executors: executorRegistry(builtinExecutors({ extra: [humanApprovalExecutor] })),
    secrets: environmentSecrets({}, undefined),
    services,
    engine: { maxOutputBytes: 64 * 1024, watchMs: 1000, sleep: sleepFor },
  });
  return {
    runtime,
    store,
    queue,
    close: async () => {
      await queue.close();
      await store.close();
    },
  };
}

function sleepFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

const HEAD = '[metadata]\nname = "bench"\nversion = "1"\n[[roles]]\nname = "Lead"\nprivileges = ["read"]\n';

function action(name: string, type: string, fields: string): string {
  return `[[stages.actions]]\nname = "${name}"\ntype = "${type}"\n${fields}\n`;
}

/** One stage of `count` no-op transform actions. */
export function transforms(count: number): AitwsDocument {
  let actions = '';
  for (let i = 0; i < count; i++) actions += action(`T${i}`, 'transform', 'with = { set = { n = "1" } }');
  return parse(`${HEAD}[[stages]]\nname = "S"\norder = 1\n${actions}`) as AitwsDocument;
}

/** An approval (quorum 1) followed by one transform. */
export function approvalThenTransform(): AitwsDocument {
  const actions =
    action('Approve', 'human.approval', 'with = { approvers = ["Lead"] }') +
    action('After', 'transform', 'with = { set = { ok = "yes" } }');
  return parse(`${HEAD}[[stages]]\nname = "S"\norder = 1\n${actions}`) as AitwsDocument;
}

export async function startRuns(runtime: Runtime, document: AitwsDocument, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const run = await runtime.start({
      channel: CHANNEL,
      document,
      workflow: { name: 'bench', version: 1, hash: 'sha256:00' },
      inputs: {},
      startedBy: ADA,
    });
    ids.push(run.id);
  }
  return ids;
}

/** Resolves once every run satisfies `check`, polling in parallel chunks. */
export async function allRuns(
  store: RunStore,
  ids: readonly string[],
  check: (state: string) => boolean,
  timeoutMs = 120_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  let pending = [...ids];
  while (pending.length > 0) {
    if (Date.now() > until) throw new Error(`${pending.length} runs not done within ${timeoutMs} ms`);
    const next: string[] = [];
    for (let i = 0; i < pending.length; i += 500) {
      const chunk = pending.slice(i, i + 500);
      const runs = await Promise.all(chunk.map((id) => store.read(id)));
      runs.forEach((run, j) => {
        if (run === null || !check(run.state)) next.push(chunk[j] ?? '');
      });
    }
    pending = next;
    // Reading every pending run competes with the worker for this process and Redis: with
    // thousands pending, look less often (the figure is then late by at most a second).
    const pause = Math.min(1000, 20 + pending.length / 10);
    if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, pause));
  }
}
