/**
 * Issue 3 benchmark: `/add` through the dispatcher with the Redis store at 1, 50 and 200
 * concurrent channels (closed loop: each channel sends its next command when the last one is
 * answered), beside a floor measured the same way on the same Redis: JSON.parse + JSON.stringify
 * of the same document plus one GET and one EVAL round trip.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'smol-toml';
import { createDispatcher } from '../src/commands/dispatch.js';
import { silentLogger } from '../src/logging.js';
import { MemoryInteractionStore } from '../src/session/memory-interactions.js';
import type { ChannelKey } from '../src/session/port.js';
import { closeRedisClient, createRedisClient, type RedisClient } from '../src/session/redis-client.js';
import { createRedisKeys } from '../src/session/redis-keys.js';
import { RedisSessionStore } from '../src/session/redis-store.js';
import { DEFAULT_LIMITS } from '../src/spec/types.js';
import { fmt, median, percentile, verdict } from './lib.js';
import { startBenchRedis } from './redis-server.js';

const SAMPLE = path.resolve(import.meta.dirname, '../../../shared/corpus/ruvnet-AiToml/ai.toml');
const COMMANDS_PER_CHANNEL = { 1: 2000, 50: 40, 200: 12 } as const;
const ROUNDS = 5;

interface LoadResult {
  readonly perSecond: number;
  readonly latencies: number[];
}

/** Runs `concurrency` loops of `perLoop` operations each; records every operation's latency. */
async function closedLoop(
  concurrency: number,
  perLoop: number,
  operation: (loop: number, i: number) => Promise<void>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      for (let i = 0; i < perLoop; i++) {
        const began = performance.now();
        await operation(loop, i);
        latencies.push(performance.now() - began);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  return { perSecond: latencies.length / seconds, latencies };
}

function summarise(results: LoadResult[]): { perSecond: number; p50: number; p99: number } {
  return {
    perSecond: median(results.map((r) => r.perSecond)),
    p50: median(results.map((r) => percentile(r.latencies, 50))),
    p99: median(results.map((r) => percentile(r.latencies, 99))),
  };
}

/** Bytes Redis uses for one channel holding the original sample: the record plus one history entry. */
async function reportSessionMemory(
  client: RedisClient,
  store: RedisSessionStore,
  text: string,
): Promise<void> {
  const channel: ChannelKey = { platform: 'slack', workspace: 'TBENCH', channel: 'memory' };
  await store.write(channel, 0, {
    document: parse(text),
    at: new Date().toISOString(),
    by: 'bench',
    change: '/load ai.toml',
  });
  const keys = createRedisKeys('bench').channel(channel);
  const session = (await client.memory('USAGE', keys.session)) ?? 0;
  const history = (await client.memory('USAGE', keys.history)) ?? 0;
  console.log(
    `  memory per session (original sample, 1 version): ${session + history} bytes (record ${session} + history ${history}); each further retained version adds about ${history} bytes`,
  );
}

export async function benchRedisAdd(): Promise<void> {
  const redis = await startBenchRedis();
  const client = createRedisClient(redis.url);
  const store = new RedisSessionStore(client, { prefix: 'bench' });
  const dispatcher = createDispatcher({
    sessions: store,
    interactions: new MemoryInteractionStore(),
    limits: DEFAULT_LIMITS,
    logger: silentLogger,
  });
  const text = readFileSync(SAMPLE, 'utf8');
  const sampleJson = JSON.stringify(parse(text));
  const actor = { id: 'bench', name: 'bench' };
  try {
    await client.set('bench:floor', sampleJson);
    console.log('/add with the Redis store, closed loop per channel (median of rounds)');
    console.log('  channels   /add per s   p50 ms   p99 ms  | floor per s  floor p99 ms | cost ratio');
    for (const concurrency of [1, 50, 200] as const) {
      const perLoop = COMMANDS_PER_CHANNEL[concurrency];
      const channels: ChannelKey[] = Array.from({ length: concurrency }, (_, i) => ({
        platform: 'slack',
        workspace: 'TBENCH',
        channel: `C${concurrency}-${i}`,
      }));
      await Promise.all(
        channels.map(async (channel) => {
          await dispatcher.handle({ text: '/create force=true', actor, channel });
          // Start every channel from the original sample, the document the floor handles too.
          await store.write(channel, (await store.read(channel)).version, {
            document: parse(text),
            at: new Date().toISOString(),
            by: 'bench',
            change: 'load sample',
          });
        }),
      );
      const ours: LoadResult[] = [];
      const floor: LoadResult[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        ours.push(
          await closedLoop(concurrency, perLoop, async (loop, i) => {
            const channel = channels[loop] ?? channels[0];
            if (channel === undefined) return;
            const reply = await dispatcher.handle({
              text: `/add tasks name="T${i % 20}" priority="high" description="round ${round} op ${i}"`,
              actor,
              channel,
            });
            if (!reply.ok) throw new Error(`bench /add failed: ${JSON.stringify(reply.blocks)}`);
          }),
        );
        floor.push(
          await closedLoop(concurrency, perLoop, async () => {
            const raw = await client.get('bench:floor');
            const document: unknown = JSON.parse(raw ?? '{}');
            await client.eval(
              "return redis.call('SET', KEYS[1], ARGV[1])",
              1,
              'bench:floor',
              JSON.stringify(document),
            );
          }),
        );
      }
      const a = summarise(ours);
      const f = summarise(floor);
      const ratio = f.perSecond / a.perSecond;
      console.log(
        `  ${String(concurrency).padStart(8)}   ${fmt(a.perSecond, 0).padStart(10)}   ${fmt(a.p50, 2).padStart(6)}   ${fmt(a.p99, 2).padStart(6)}  | ${fmt(f.perSecond, 0).padStart(11)}  ${fmt(f.p99, 2).padStart(11)} | ${fmt(ratio, 2)}x (${verdict(ratio, 2)})`,
      );
    }
    await reportSessionMemory(client, store, text);
  } finally {
    await store.close();
    await closeRedisClient(client);
    await redis.stop();
  }
}
