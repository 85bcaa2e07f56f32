/**
 * The engine on real parts without a queue: a MemoryRunStore, executors defined by the test (real
 * zod schemas), recording chat and events, a controllable clock. `drive` calls processRun the way
 * a queue would: again after a wait once the test says so.
 */

import { parse } from 'smol-toml';
import { z } from 'zod';
import type { AitwsDocument } from '../../../src/document/types.js';
import { AitwsError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/logging.js';
import { type EngineOptions, processRun } from '../../../src/runtime/engine.js';
import { type Executor, executorRegistry } from '../../../src/runtime/executor.js';
import type { ProcessResult } from '../../../src/runtime/queue-port.js';
import type { RunServices, RuntimeEvent } from '../../../src/runtime/run-services.js';
import type { JsonObject, RunRecord } from '../../../src/runtime/run-store.js';
import { MemoryRunStore } from '../../../src/runtime/run-store-memory.js';
import type { ChannelKey } from '../../../src/session/port.js';

export const CHANNEL: ChannelKey = { platform: 'console', workspace: 'local', channel: 'engine' };

export interface Harness {
  readonly store: MemoryRunStore;
  readonly calls: string[];
  readonly events: RuntimeEvent[];
  readonly sleeps: number[];
  readonly options: EngineOptions;
  /** Behaviour per action name: throw, hang, wait. */
  readonly script: Map<string, (attempt: number, signal: AbortSignal) => Promise<unknown>>;
  clock: number;
  create(toml: string, inputs?: JsonObject, id?: string): Promise<RunRecord>;
  process(id: string): Promise<ProcessResult>;
}

/** `test.echo`: records the call and returns `with` (or what the script says). */
function echoExecutor(harness: () => Harness): Executor<JsonObject> {
  return {
    type: 'test.echo',
    summary: 'echo',
    params: z.record(z.string(), z.any()) as z.ZodType<JsonObject>,
    async run(context, params) {
      const h = harness();
      h.calls.push(context.stepKey);
      const scripted = h.script.get(context.action);
      if (scripted !== undefined) {
        const result = await scripted(context.attempt, context.signal);
        if (result !== undefined) return result as never;
      }
      return { kind: 'done', output: params };
    },
  };
}

/** `test.gate`: waits until its memo says open (the test writes it, then wakes the run). */
function gateExecutor(harness: () => Harness): Executor<JsonObject> {
  return {
    type: 'test.gate',
    summary: 'gate',
    params: z.record(z.string(), z.any()) as z.ZodType<JsonObject>,
    async run(context) {
      harness().calls.push(context.stepKey);
      const memo = await context.readMemo();
      if (memo === null) {
        await context.writeMemo(0, { open: false });
        return { kind: 'wait', waitingFor: { kind: 'approval' } };
      }
      if (memo.value.open === true) return { kind: 'done', output: { opened: true } };
      return { kind: 'wait', waitingFor: { kind: 'approval' } };
    },
  };
}

export function createHarness(extra: readonly Executor[] = []): Harness {
  const store = new MemoryRunStore();
  let self: Harness | undefined;
  const get = (): Harness => self as Harness;
  const services: RunServices = {
    store,
    chat: { post: async () => undefined, update: async () => undefined },
    logger: silentLogger,
    raise: async (_run, event) => {
      get().events.push(event);
    },
    secret: () => undefined,
    now: () => new Date(get().clock),
  };
  const options: EngineOptions = {
    services,
    executors: executorRegistry([echoExecutor(get), gateExecutor(get), ...extra]),
    maxOutputBytes: 10_000,
    watchMs: 20,
    sleep: async (ms) => {
      get().sleeps.push(ms);
    },
  };
  self = {
    store,
    calls: [],
    events: [],
    sleeps: [],
    options,
    script: new Map(),
    clock: Date.parse('2025-01-01T00:00:00Z'),
    async create(toml, inputs = {}, id = 'run-1') {
      const document = parse(toml) as AitwsDocument;
      const at = new Date(get().clock).toISOString();
      return store.create({
        id,
        channel: CHANNEL,
        workflow: { name: 'test', version: 1, hash: 'sha256:00' },
        document,
        inputs,
        state: 'queued',
        attempt: 0,
        startedBy: { id: 'alice', name: 'alice' },
        createdAt: at,
        updatedAt: at,
        deadline: new Date(get().clock + 300_000).toISOString(),
      });
    },
    process: (id) => processRun(options, id, new AbortController().signal),
  };
  return self;
}

export async function finalRun(harness: Harness, id = 'run-1'): Promise<RunRecord> {
  const run = await harness.store.read(id);
  if (run === null) throw new AitwsError('NO_RUN', `no run ${id}`);
  return run;
}
