/**
 * A Runtime assembled in a test from real pieces, the way src/app-runtime.ts assembles it, minus
 * config: the store and queue the test chose, the built-in executors with human.approval, a chat
 * that records what runs post, and workflows written as TOML.
 */
import { parse } from 'smol-toml';
import type { AitwsDocument } from '../../src/document/types.js';
import { silentLogger } from '../../src/logging.js';
import { type Executor, executorRegistry, type NotifyRequest } from '../../src/runtime/executor.js';
import { humanApprovalExecutor } from '../../src/runtime/executors/human-approval.js';
import { builtinExecutors } from '../../src/runtime/executors/index.js';
import type { RunQueue } from '../../src/runtime/queue-port.js';
import type { RunChat, RunServices } from '../../src/runtime/run-services.js';
import { isFinal, type RunRecord, type RunStore } from '../../src/runtime/run-store.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { environmentSecrets } from '../../src/runtime/secrets.js';
import type { ChannelKey } from '../../src/session/port.js';

export const RUN_CHANNEL: ChannelKey = { platform: 'console', workspace: 'local', channel: 'runtime' };
export const ADA = { id: 'U1', name: 'Ada' } as const;

export interface RecordingChat extends RunChat {
  readonly posts: NotifyRequest[];
}

export function recordingChat(): RecordingChat {
  const posts: NotifyRequest[] = [];
  let next = 0;
  return {
    posts,
    post: async (channel, request) => {
      posts.push(request);
      next += 1;
      return { channel, messageId: String(next) };
    },
    update: async () => undefined,
  };
}

export interface AssembleOptions {
  readonly store: RunStore;
  readonly queue: RunQueue;
  /** Plugin executors, beside the built-ins and human.approval. */
  readonly plugins?: readonly Executor[];
  readonly chat?: RunChat;
  /** How often a worker looks for a cancel made elsewhere. */
  readonly watchMs?: number;
  /** Parallel groups as jobs of their own (as with BullMQ in the app). */
  readonly spreadGroups?: boolean;
}

export function builtinTypes(): string[] {
  return builtinExecutors({ extra: [humanApprovalExecutor] }).map((executor) => executor.type);
}

export function assembleRuntime(options: AssembleOptions): Runtime {
  const { store, queue } = options;
  const services: RunServices = {
    store,
    chat: options.chat ?? recordingChat(),
    logger: silentLogger,
    raise: async () => undefined,
    secret: () => undefined,
    now: () => new Date(),
  };
  const executors = [...builtinExecutors({ extra: [humanApprovalExecutor] }), ...(options.plugins ?? [])];
  return new Runtime({
    store,
    queue,
    executors: executorRegistry(executors),
    secrets: environmentSecrets({}, undefined),
    services,
    engine: { maxOutputBytes: 64 * 1024, watchMs: options.watchMs ?? 50, sleep: sleepFor },
    ...(options.spreadGroups === undefined ? {} : { spreadGroups: options.spreadGroups }),
  });
}

export function sleepFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Starts `toml` in the test channel, as Ada. */
export function startRun(
  runtime: Runtime,
  toml: string,
  inputs: Record<string, string> = {},
): Promise<RunRecord> {
  return runtime.start({
    channel: RUN_CHANNEL,
    document: parse(toml) as AitwsDocument,
    workflow: { name: 'test', version: 1, hash: 'sha256:00' },
    inputs,
    startedBy: ADA,
  });
}

/** The run once `check` holds, polling the store; fails naming the state it was left in. */
export async function runWhen(
  store: RunStore,
  id: string,
  check: (run: RunRecord) => boolean,
  timeoutMs = 10_000,
): Promise<RunRecord> {
  const until = Date.now() + timeoutMs;
  let last: RunRecord | null = null;
  while (Date.now() < until) {
    // A store that is briefly unreachable (Redis restarting) is asked again.
    last = await store.read(id).catch(() => last);
    if (last !== null && check(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`run ${id} not as expected within ${timeoutMs} ms; last: ${JSON.stringify(last?.state)}`);
}

export function finished(store: RunStore, id: string, timeoutMs?: number): Promise<RunRecord> {
  return runWhen(store, id, (run) => isFinal(run.state), timeoutMs);
}

/** `[metadata]` plus one `[[external_services]]` entry named Api at `origin`. */
export function head(origin?: string): string {
  const service = origin === undefined ? '' : `[[external_services]]\nname = "Api"\nurl = "${origin}"\n`;
  return `[metadata]\nname = "t"\nversion = "1"\n${service}`;
}

export function stage(name: string, order: number, actions: string, extra = ''): string {
  return `[[stages]]\nname = "${name}"\norder = ${order}\n${extra}\n${actions}`;
}

export function action(name: string, type: string, fields = ''): string {
  return `[[stages.actions]]\nname = "${name}"\ntype = "${type}"\n${fields}\n`;
}

/** An http.request action to the Api service. */
export function call(name: string, path: string, fields = ''): string {
  return action(
    name,
    'http.request',
    `with = { service = "Api", method = "POST", path = "${path}" }\n${fields}`,
  );
}
