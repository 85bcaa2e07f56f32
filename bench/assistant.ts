/**
 * Issue 6 benchmark: what one /ask on the original sample sends to the model (tokens, with and
 * without the cached reference, as the fake Messages API counts and reports them), and the latency
 * the bot adds on top of the model's: the fake answers with zero delay, so everything measured is
 * ours — prompt building, masking, validation, the SDK and the loopback HTTP round trip — beside a
 * floor of the same SDK call with a prebuilt request.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_ACCESS_POLICY } from '../src/access/privileges.js';
import { createAssistant } from '../src/assistant/assistant.js';
import { buildRequest } from '../src/assistant/prompt.js';
import { createAnthropicProvider } from '../src/assistant/provider-anthropic.js';
import { buildReference } from '../src/assistant/reference.js';
import { createDispatcher } from '../src/commands/dispatch.js';
import { COMMANDS } from '../src/commands/registry.js';
import { parseDocument } from '../src/document/index.js';
import { DEFAULT_LIMITS } from '../src/document/types.js';
import { silentLogger } from '../src/logging.js';
import { MemoryAccessStore } from '../src/session/access-memory.js';
import { MemoryInteractionStore } from '../src/session/memory-interactions.js';
import { MemorySessionStore } from '../src/session/memory-store.js';
import type { ChannelKey } from '../src/session/port.js';
import {
  answer,
  type FakeAnthropic,
  propose,
  startFakeAnthropic,
  type Usage,
} from '../test/support/fake-anthropic.js';
import { fmt, percentile } from './lib.js';

// Run from dist/bench/ once compiled, from bench/ under tsx: either way the fixture is in the repository.
const SAMPLE = path.resolve(
  import.meta.dirname,
  import.meta.dirname.endsWith(path.join('dist', 'bench')) ? '../..' : '..',
  'test/fixtures/ai.toml',
);
const ROUNDS = 300;
const WARMUP = 30;
const UNLIMITED = { max: Number.MAX_SAFE_INTEGER, windowSeconds: 60 };

/** Input tokens of one request in the units Anthropic bills: cache writes 1.25x, cache reads 0.1x. */
function billedInput(usage: Usage): number {
  return usage.input_tokens + 1.25 * usage.cache_creation_input_tokens + 0.1 * usage.cache_read_input_tokens;
}

function sent(usage: Usage): number {
  return usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens;
}

function line(label: string, usage: Usage): string {
  return `  ${label.padEnd(34)} ${String(sent(usage)).padStart(6)} sent  (uncached ${usage.input_tokens}, cache write ${usage.cache_creation_input_tokens}, cache read ${usage.cache_read_input_tokens})  billed as ${fmt(billedInput(usage), 0)}`;
}

/** Milliseconds of `operation` minus the fake model's own time for the requests it made. */
async function botSide(
  fake: FakeAnthropic,
  samples: number[],
  operation: () => Promise<unknown>,
): Promise<void> {
  const before = fake.serverMs.length;
  const started = performance.now();
  await operation();
  const total = performance.now() - started;
  const model = fake.serverMs.slice(before).reduce((sum, ms) => sum + ms, 0);
  samples.push(total - model);
}

function stats(label: string, samples: readonly number[]): string {
  return `  ${label.padEnd(34)} p50 ${fmt(percentile(samples, 50), 2)} ms   p99 ${fmt(percentile(samples, 99), 2)} ms`;
}

export async function benchAssistant(): Promise<void> {
  const fake = await startFakeAnthropic();
  try {
    const sessions = new MemorySessionStore();
    const interactions = new MemoryInteractionStore();
    const provider = createAnthropicProvider({ apiKey: 'bench-key', baseUrl: fake.url });
    const assistant = createAssistant({
      provider,
      interactions,
      limits: { perUser: UNLIMITED, perChannel: UNLIMITED, dailyTokens: Number.MAX_SAFE_INTEGER },
    });
    const dispatcher = createDispatcher({
      sessions,
      interactions,
      accessStore: new MemoryAccessStore(),
      accessPolicy: DEFAULT_ACCESS_POLICY,
      limits: DEFAULT_LIMITS,
      logger: silentLogger,
      assistant,
    });
    const channel: ChannelKey = { platform: 'slack', workspace: 'bench', channel: 'bench' };
    const actor = { id: 'U1', name: 'bench' };
    const document = parseDocument(readFileSync(SAMPLE, 'utf8'), DEFAULT_LIMITS);
    await sessions.write(channel, 0, { document, at: new Date().toISOString(), by: 'bench', change: 'load' });
    const ask = (text: string) => dispatcher.handle({ text, actor, channel, supportsButtons: true });

    // Tokens: a first question writes the reference to the cache, the next ones read it.
    fake.setDefault(() => answer('An answer of a typical length: two sentences about the section asked.'));
    await ask('/ask what does the keys section hold?');
    await ask('/ask how do I add a read-only role?');
    const reference = buildReference(COMMANDS);
    const uncachedRequest = buildRequest(
      { question: 'how do I add a read-only role?', document, version: 1 },
      reference,
      4096,
    );
    await provider.complete({
      ...uncachedRequest,
      system: uncachedRequest.system.map((block) => ({ text: block.text })),
    });
    const [first, repeat, uncached] = fake.usages;
    if (first === undefined || repeat === undefined || uncached === undefined)
      throw new Error('missing usage');
    console.log('assistant: input tokens per /ask on the original sample (fake API: 4 characters a token)');
    console.log(line('first /ask (writes the cache)', first));
    console.log(line('repeated /ask (reads the cache)', repeat));
    console.log(line('same request without cache_control', uncached));
    console.log(
      `  repeated /ask costs ${fmt(billedInput(repeat) / billedInput(uncached), 2)}x the input of an uncached one (${fmt(
        (100 * repeat.cache_read_input_tokens) / sent(repeat),
        0,
      )}% of its tokens are cached reads)`,
    );

    // Latency: the fake answers at once, so what remains after its own time is on our side.
    const floor: number[] = [];
    const answers: number[] = [];
    const proposals: number[] = [];
    const floorRequest = buildRequest(
      { question: 'how many stages are there?', document, version: 1 },
      reference,
      4096,
    );
    for (let i = 0; i < WARMUP + ROUNDS; i++) {
      const keep = i >= WARMUP;
      fake.setDefault(() => answer('There are eight stages.'));
      await botSide(fake, keep ? floor : [], () => provider.complete(floorRequest));
      await botSide(fake, keep ? answers : [], () => ask(`/ask how many stages are there? (${i})`));
      fake.setDefault(() =>
        propose(
          ['/add roles name="Auditor" privileges=["read"]', '/add logging level="debug"'],
          'An auditor.',
        ),
      );
      await botSide(fake, keep ? proposals : [], () => ask(`/ask add an auditor role (${i})`));
    }
    console.log(`assistant: bot-side latency on top of a zero-delay model (${ROUNDS} rounds)`);
    console.log(stats('floor: SDK call, prebuilt request', floor));
    console.log(stats('/ask answered', answers));
    console.log(stats('/ask with a 2-command proposal', proposals));
    const ratio = percentile(answers, 50) / percentile(floor, 50);
    console.log(`  /ask answered vs floor (p50)        ${fmt(ratio, 2)}x`);
  } finally {
    await fake.close();
  }
}
