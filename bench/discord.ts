/**
 * Issue 5 benchmark: Discord HTTP interactions mode under `aitws serve` with Redis. 50 concurrent
 * channels each send signed `/add` interactions in a closed loop (the next one when the last is
 * answered); we report interactions per second and p99 time to the HTTP response, beside the cost
 * of Ed25519 signature verification alone, measured in the same run on the same bodies.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'smol-toml';
import { INTERACTIONS_PATH } from '../src/adapters/discord/http.js';
import { discordPlatform } from '../src/adapters/discord/index.js';
import { isValidSignature, publicKeyFromHex } from '../src/adapters/discord/verify.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/logging.js';
import { startServer } from '../src/serve.js';
import type { ChannelKey } from '../src/session/port.js';
import { fmt, median, microsPerOp, percentile } from './lib.js';
import { startBenchRedis } from './redis-server.js';

// Run from dist/bench/ once compiled, from bench/ under tsx: either way the fixture is in the repository.
const SAMPLE = path.resolve(
  import.meta.dirname,
  import.meta.dirname.endsWith(path.join('dist', 'bench')) ? '../..' : '..',
  'test/fixtures/ai.toml',
);
const CONCURRENCY = 50;
const PER_CHANNEL = 40;
const ROUNDS = 5;
const APPLICATION_ID = '800000000000000001';
const GUILD = '100000000000000001';

interface Signed {
  readonly body: string;
  readonly timestamp: string;
  readonly signature: string;
}

let sequence = 0n;
function snowflake(): string {
  sequence = (sequence + 1n) % 4096n;
  return String(((BigInt(Date.now()) - 1420070400000n) << 22n) | sequence);
}

function addInteraction(channel: number, round: number, i: number): object {
  const user = { id: '300000000000000001', username: 'bench', discriminator: '0', global_name: 'Bench' };
  return {
    id: snowflake(),
    application_id: APPLICATION_ID,
    type: 2,
    token: `bench-${round}-${channel}-${i}`,
    version: 1,
    guild_id: GUILD,
    channel_id: String(200000000000000000n + BigInt(channel)),
    member: { user, nick: null, roles: [], permissions: '0' },
    data: {
      id: '700',
      name: 'add',
      type: 1,
      options: [
        { name: 'section', type: 3, value: 'tasks' },
        {
          name: 'params',
          type: 3,
          value: `name="T${i % 20}" priority="high" description="round ${round} op ${i}"`,
        },
      ],
    },
  };
}

/** Deferred answers would post to Discord: a stub that accepts everything keeps them local. */
async function startStubDiscord(): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/api`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function post(agent: Agent, port: number, signed: Signed): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: INTERACTIONS_PATH,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(signed.body),
          'x-signature-ed25519': signed.signature,
          'x-signature-timestamp': signed.timestamp,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(signed.body);
  });
}

export async function benchDiscord(): Promise<void> {
  const redis = await startBenchRedis();
  const stub = await startStubDiscord();
  const keys = generateKeyPairSync('ed25519');
  const publicKeyHex = keys.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  const config = loadConfig({
    REDIS_URL: redis.url,
    AITWS_REDIS_PREFIX: 'bench-discord',
    PORT: '0',
    HOST: '127.0.0.1',
    DISCORD_PUBLIC_KEY: publicKeyHex,
    DISCORD_APPLICATION_ID: APPLICATION_ID,
    DISCORD_API_URL: stub.url,
  });
  const running = await startServer(config, silentLogger, [discordPlatform]);
  if (running === undefined) throw new Error('the Discord adapter did not start');
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const sample = parse(readFileSync(SAMPLE, 'utf8'));
  const signAll = (round: number): Signed[][] =>
    Array.from({ length: CONCURRENCY }, (_, channel) =>
      Array.from({ length: PER_CHANNEL }, (_, i) => {
        const body = JSON.stringify(addInteraction(channel, round, i));
        const timestamp = String(Math.floor(Date.now() / 1000));
        const signature = sign(null, Buffer.from(timestamp + body), keys.privateKey).toString('hex');
        return { body, timestamp, signature };
      }),
    );
  try {
    const actor = { id: 'bench', name: 'bench' };
    for (let channel = 0; channel < CONCURRENCY; channel++) {
      const key: ChannelKey = {
        platform: 'discord',
        workspace: GUILD,
        channel: String(200000000000000000n + BigInt(channel)),
      };
      await running.core.dispatcher.handle({ text: '/create force=true', actor, channel: key });
      const { version } = await running.core.sessions.read(key);
      await running.core.sessions.write(key, version, {
        document: sample,
        at: new Date().toISOString(),
        by: 'bench',
        change: 'load sample',
      });
    }
    const rates: number[] = [];
    const p50s: number[] = [];
    const p99s: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Signing is the client's work, not ours: done before the clock starts.
      const requests = signAll(round);
      const latencies: number[] = [];
      const start = performance.now();
      await Promise.all(
        requests.map(async (loop) => {
          for (const signed of loop) {
            const began = performance.now();
            const status = await post(agent, running.port, signed);
            latencies.push(performance.now() - began);
            if (status !== 200) throw new Error(`bench interaction answered ${status}`);
          }
        }),
      );
      rates.push(latencies.length / ((performance.now() - start) / 1000));
      p50s.push(percentile(latencies, 50));
      p99s.push(percentile(latencies, 99));
    }
    const sampleRequest = signAll(ROUNDS)[0]?.[0];
    if (sampleRequest === undefined) throw new Error('no request to verify');
    const key = publicKeyFromHex(publicKeyHex);
    const body = Buffer.from(sampleRequest.body);
    const verifyMicros = await microsPerOp(
      () => {
        if (!isValidSignature(key, sampleRequest.signature, sampleRequest.timestamp, body))
          throw new Error('bad signature');
      },
      { iterations: 2000, rounds: 5 },
    );
    const rate = median(rates);
    const perRequestMicros = 1e6 / rate;
    console.log(
      `Discord HTTP interactions, /add with Redis, ${CONCURRENCY} concurrent channels (median of ${ROUNDS} rounds)`,
    );
    console.log(`  interactions per s             ${fmt(rate, 0)}`);
    console.log(`  time to response p50 / p99     ${fmt(median(p50s), 2)} / ${fmt(median(p99s), 2)} ms`);
    console.log(`  our cost per interaction       ${fmt(perRequestMicros)} µs (wall time / interactions)`);
    console.log(`  Ed25519 verification alone     ${fmt(verifyMicros)} µs`);
    console.log(
      `  ratio                          ${fmt(perRequestMicros / verifyMicros, 1)}x the bare verification`,
    );
  } finally {
    agent.destroy();
    await running.stop();
    await stub.stop();
    await redis.stop();
  }
}
