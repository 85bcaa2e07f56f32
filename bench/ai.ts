/**
 * Issue #17 benchmark: what the engine adds to one `ai.invoke`. The fake Messages API answers with
 * zero delay and its own time per request is taken off, so what remains is ours: parameters, the
 * prompt plan, envelope and fingerprint, the SDK and the loopback HTTP round trip, the step's AI
 * record and journal in a MemoryRunStore. The floor is the bare SDK call (`client.messages.create`
 * of @anthropic-ai/sdk, configured as our provider configures it) with the same body the plain step
 * sends, measured in the same loop: the variants take turns call by call, so drift hits them alike.
 */

import { performance } from 'node:perf_hooks';
import Anthropic from '@anthropic-ai/sdk';
import { createAnthropicProvider, DEFAULT_MODEL } from '../src/assistant/provider-anthropic.js';
import { writeRunSnapshot } from '../src/runtime/ai/run-snapshot.js';
import { MemoryAiResponseCache, MemoryDriftStore } from '../src/runtime/ai/store-memory.js';
import type { ActionParameters } from '../src/runtime/executor.js';
import { createAiInvokeExecutor } from '../src/runtime/executors/ai-invoke.js';
import type { JsonValue } from '../src/runtime/run-store.js';
import { MemoryRunStore } from '../src/runtime/run-store-memory.js';
import { answer, type FakeAnthropic, startFakeAnthropic } from '../test/support/fake-anthropic.js';
import { type BenchRun, startRun } from './ai-runs.js';
import { fmt, percentile } from './lib.js';

const ROUNDS = 1000;
const WARMUP = 100;
const API_KEY = 'bench-key';
const PROMPT = 'Classify this ticket: the printer on floor 3 is on fire.';
const MAX_TOKENS = 1024;
const ANSWER = '{"label":"hardware","confidence":0.9}';

const PLAIN: ActionParameters = { prompt: PROMPT, max_tokens: MAX_TOKENS };
const CHECKED: ActionParameters = {
  ...PLAIN,
  output: {
    schema: {
      type: 'object',
      required: ['label', 'confidence'],
      properties: {
        label: { type: 'string', enum: ['hardware', 'software', 'access'] },
        confidence: { type: 'number', minimum: 0, maximum: 1 },
      },
    },
  },
};
const CACHED: ActionParameters = { ...PLAIN, cache: true };

/** What the plain step sends, as our provider builds it (checked below against the request seen). */
const FLOOR_BODY: Anthropic.Messages.MessageCreateParamsNonStreaming = {
  model: DEFAULT_MODEL,
  max_tokens: MAX_TOKENS,
  system: [],
  tools: [],
  messages: [{ role: 'user', content: PROMPT }],
};

interface Variant {
  readonly label: string;
  readonly samples: number[];
  /** One call; resolves to the milliseconds it spent on our side. */
  readonly call: (index: number) => Promise<number>;
}

/** Milliseconds of `operation` minus the fake model's own time for the requests it made. */
async function ourSide(fake: FakeAnthropic, operation: () => Promise<unknown>): Promise<number> {
  const before = fake.serverMs.length;
  const started = performance.now();
  await operation();
  const total = performance.now() - started;
  return total - fake.serverMs.slice(before).reduce((sum, ms) => sum + ms, 0);
}

function stats(label: string, samples: readonly number[]): string {
  return `  ${label.padEnd(46)} p50 ${fmt(percentile(samples, 50), 3)} ms   p99 ${fmt(percentile(samples, 99), 3)} ms`;
}

function ratio(label: string, samples: readonly number[], floor: readonly number[]): string {
  const at = (p: number) => fmt(percentile(samples, p) / percentile(floor, p), 2);
  const added = percentile(samples, 50) - percentile(floor, 50);
  return `  ${label.padEnd(46)} ${at(50)}x at p50 (${added < 0 ? '' : '+'}${fmt(added, 3)} ms), ${at(99)}x at p99`;
}

export async function benchAi(): Promise<void> {
  const fake = await startFakeAnthropic();
  try {
    fake.setDefault(() => answer(ANSWER));
    const client = new Anthropic({ apiKey: API_KEY, baseURL: fake.url, maxRetries: 0, logLevel: 'off' });
    const provider = createAnthropicProvider({ apiKey: API_KEY, baseUrl: fake.url });
    const executor = createAiInvokeExecutor({
      providerFor: () => provider,
      cache: new MemoryAiResponseCache(),
      drift: new MemoryDriftStore(),
    });
    const store = new MemoryRunStore();
    // As the engine does: the `with` table parsed, then the executor run, for every step.
    const invoke = async (run: BenchRun, parameters: ActionParameters): Promise<JsonValue> => {
      const outcome = await executor.run(run.context, executor.params.parse(parameters));
      if (outcome.kind !== 'done') throw new Error('ai.invoke did not finish');
      return outcome.output;
    };
    const variants = variantsOf(fake, client, store, invoke);
    for (let i = 0; i < WARMUP + ROUNDS; i++) {
      // Each call in turn goes first, so none always runs on a cache-cold or GC-heavy slot.
      for (let turn = 0; turn < variants.length; turn++) {
        const variant = variants[(i + turn) % variants.length];
        if (variant === undefined) continue;
        const ms = await variant.call(i);
        if (i >= WARMUP) variant.samples.push(ms);
      }
    }
    report(fake, variants);
  } finally {
    await fake.close();
  }
}

function variantsOf(
  fake: FakeAnthropic,
  client: Anthropic,
  store: MemoryRunStore,
  invoke: (run: BenchRun, parameters: ActionParameters) => Promise<JsonValue>,
): Variant[] {
  return [
    {
      label: 'floor: bare SDK messages.create',
      samples: [],
      call: () => ourSide(fake, () => client.messages.create(FLOOR_BODY)),
    },
    {
      label: 'ai.invoke, prompt only',
      samples: [],
      call: async (i) => {
        const run = await startRun(store, `plain-${i}`);
        return ourSide(fake, () => invoke(run, PLAIN));
      },
    },
    {
      label: 'ai.invoke, output schema + run snapshot',
      samples: [],
      call: async (i) => {
        const run = await startRun(store, `checked-${i}`);
        let output: JsonValue = null;
        const step = await ourSide(fake, async () => {
          output = await invoke(run, CHECKED);
        });
        // Journaling the step and finishing the run are the engine's for every action: not timed.
        const finished = await run.finish(output);
        return step + (await ourSide(fake, () => writeRunSnapshot(store, finished)));
      },
    },
    {
      label: 'ai.invoke, cache = true, answered from cache',
      samples: [],
      call: async (i) => {
        const run = await startRun(store, `cached-${i}`);
        const before = fake.requests.length;
        const ms = await ourSide(fake, () => invoke(run, CACHED));
        // The first call fills the cache; every later one must be a hit that asks nothing.
        if (i > 0 && fake.requests.length !== before) throw new Error('a cached ai.invoke made a request');
        return ms;
      },
    },
  ];
}

function report(fake: FakeAnthropic, variants: readonly Variant[]): void {
  const [floor, plain, checked, cached] = variants;
  if (floor === undefined || plain === undefined || checked === undefined || cached === undefined)
    throw new Error('missing variant');
  const plainBody = fake.requests.find((request) => request.body?.system?.length === 0)?.raw;
  const sameBody = plainBody === JSON.stringify(FLOOR_BODY);
  console.log(
    `ai: per-call latency on our side of a zero-delay fake Messages API (${ROUNDS} calls each, interleaved; fresh run per call; floor body ${sameBody ? 'identical to' : 'DIFFERENT from'} the plain step's)`,
  );
  for (const variant of variants) console.log(stats(variant.label, variant.samples));
  console.log(ratio('prompt only vs floor', plain.samples, floor.samples));
  console.log(ratio('output schema + snapshot vs floor', checked.samples, floor.samples));
  console.log(ratio('cache hit vs floor', cached.samples, floor.samples));
}
