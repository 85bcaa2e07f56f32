/**
 * Issue 4 benchmark: `/aitws add …` through the real HTTP receiver (signed requests, Bolt, the
 * shared server, the Redis store, the answer POSTed to a response_url) at 50 concurrent requests,
 * beside a bare Bolt app in the same process that acks a static text, and the same bare app doing
 * one Redis PING per request first (what one Redis round trip alone costs on this machine).
 *
 * The load generator and the stand-in for Slack (Web API + response_url) run in their own
 * processes, as Slack does, so this process does only the bot's work. Its cost per request is the
 * CPU time this process spends per request (robust on a shared machine) and, as a cross-check, the
 * wall-clock rate. "Done" for aitws is the person having the answer: in the ack itself when the
 * core answered before the ack deadline, else at the response_url after an empty ack.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { App, type Logger as BoltLogger, HTTPReceiver, LogLevel } from '@slack/bolt';
import { createSlackAdapter, slackPlatform } from '../src/adapters/slack/index.js';
import type { Dispatcher } from '../src/commands/dispatch.js';
import { COMMANDS } from '../src/commands/registry.js';
import { success } from '../src/commands/reply.js';
import { type Config, loadConfig } from '../src/config.js';
import { silentLogger } from '../src/logging.js';
import { startServer } from '../src/serve.js';
import { MemoryInteractionStore } from '../src/session/memory-interactions.js';
import { closeRedisClient, createRedisClient, type RedisClient } from '../src/session/redis-client.js';
import { fmt, median, verdict } from './lib.js';
import { startBenchRedis } from './redis-server.js';

const SECRET = 'bench-signing-secret';
const CONCURRENCY = 50;
const PER_LOOP = 40;
const ROUNDS = 5;
const ANSWER_TIMEOUT_MS = 60_000;

const quietBolt: BoltLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};

/** Stands in for Slack: auth.test and response_url endpoints; GET /count says how many answers arrived. */
const SINK_SOURCE = `
const http = require('node:http');
let answers = 0;
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.url.startsWith('/response/')) answers += 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(req.url === '/count' ? String(answers) : req.url.startsWith('/api/') ? '{"ok":true,"user_id":"UB","bot_id":"BB"}' : 'ok');
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

/**
 * Signs and sends commands like Slack in a closed loop (each of CONCURRENCY loops sends its next
 * request when the last is acked); prints every time-to-ack, and how many acks had a body (the
 * answer itself, which then never reaches the response_url), as JSON.
 */
const LOAD_SOURCE = `
const http = require('node:http');
const { createHmac } = require('node:crypto');
const [url, secret, concurrency, perLoop, prefix, responseUrl, template] = process.argv.slice(1);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(concurrency) });
function post(body) {
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = 'v0=' + createHmac('sha256', secret).update('v0:' + timestamp + ':' + body).digest('hex');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: {
      'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body),
      'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk) => { bytes += chunk.length; });
      res.on('end', () => res.statusCode === 200 ? resolve({ ms: performance.now() - started, answered: bytes > 0 }) : reject(new Error('HTTP ' + res.statusCode)));
    });
    req.on('error', reject);
    req.end(body);
  });
}
function body(text, channel) {
  return new URLSearchParams({ team_id: 'TBENCH', channel_id: channel, user_id: 'UBENCH', user_name: 'bench',
    command: '/aitws', text, api_app_id: 'ABENCH', response_url: responseUrl, trigger_id: 'bench' }).toString();
}
(async () => {
  const acks = [];
  let inAck = 0;
  await Promise.all(Array.from({ length: Number(concurrency) }, async (_, loop) => {
    for (let i = 0; i < Number(perLoop); i++) {
      const ack = await post(body(template.replaceAll('{i}', String(i)), prefix + loop));
      acks.push(ack.ms);
      if (ack.answered) inAck += 1;
    }
  }));
  process.stdout.write(JSON.stringify({ acks, inAck }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

function runNode(source: string, args: readonly string[]): { child: ChildProcess; output: Promise<string> } {
  const child = spawn(process.execPath, ['-e', source, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const output = new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(text) : reject(new Error(`load generator exited ${code}`)),
    );
  });
  return { child, output };
}

interface Sink {
  readonly url: string;
  answers(): Promise<number>;
  stop(): void;
}

async function startSink(): Promise<Sink> {
  const child = spawn(process.execPath, ['-e', SINK_SOURCE], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    answers: async () => Number(await (await fetch(`${url}/count`)).text()),
    stop: () => child.kill('SIGTERM'),
  };
}

async function waitForAnswers(sink: Sink, count: number): Promise<void> {
  const until = Date.now() + ANSWER_TIMEOUT_MS;
  while ((await sink.answers()) < count) {
    if (Date.now() > until) throw new Error('the answers did not all arrive');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * The Slack adapter exactly as served, over a core that answers at once: what the adapter itself
 * costs (Bolt listeners, rendering, the response_url POST), apart from the core's work.
 */
async function startAdapterOnly(config: Config): Promise<{ url: string; stop: () => Promise<void> }> {
  if (config.slack === undefined) throw new Error('Slack was not configured');
  const dispatcher: Dispatcher = {
    commands: COMMANDS,
    handle: async () => success('Added roles[R] · v2'),
    handleButton: async () => success('Done'),
    checkDocument: () => undefined,
  };
  const adapter = createSlackAdapter({
    slack: config.slack,
    dispatcher,
    interactions: new MemoryInteractionStore(),
    limits: config.limits,
    logger: silentLogger,
  });
  await adapter.start();
  const [route] = adapter.routes;
  if (route === undefined) throw new Error('no Slack route');
  const server = createServer((req, res) => void route.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`,
    stop: async () => {
      await adapter.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A bare Bolt app that acks a static text; with `redis`, it first does one PING on it, the least
 * any bot that keeps its state in Redis does per request.
 */
async function startBareBolt(redis?: RedisClient): Promise<{ url: string; stop: () => Promise<void> }> {
  const receiver = new HTTPReceiver({ signingSecret: SECRET, logger: quietBolt });
  const app = new App({
    receiver,
    authorize: async () => ({ botToken: 'xoxb-bench', botId: 'BB', botUserId: 'UB' }),
    logger: quietBolt,
    convoStore: false,
  });
  app.command('/aitws', async ({ ack }) => {
    if (redis !== undefined) await redis.ping();
    await ack('ok');
  });
  const server = createServer((req, res) => receiver.requestListener(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface LoadResult {
  readonly acks: number[];
  /** Requests whose ack carried the answer: no response_url POST follows for them. */
  readonly inAck: number;
}

async function runLoad(args: readonly string[]): Promise<LoadResult> {
  return JSON.parse(await runNode(LOAD_SOURCE, args).output) as LoadResult;
}

interface Phase {
  /** Requests per wall-clock second, until the last answer (aitws) or ack (bare). */
  readonly perSecond: number;
  /** CPU milliseconds this process spent per request. */
  readonly cpuMs: number;
  readonly p50: number;
  readonly p99: number;
  /** Share of requests answered in the ack. */
  readonly inAck: number;
}

/**
 * Runs one closed-loop phase; `settle` waits for whatever must finish after the acks, given how
 * many answers already came in them.
 */
async function phase(
  url: string,
  args: readonly string[],
  settle: (inAck: number) => Promise<void>,
): Promise<Phase> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const load = await runLoad([url, SECRET, ...args]);
  const acks = load.acks.sort((a, b) => a - b);
  await settle(load.inAck);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const at = (p: number): number =>
    acks[Math.min(acks.length - 1, Math.ceil((p / 100) * acks.length) - 1)] ?? 0;
  return {
    perSecond: acks.length / seconds,
    cpuMs: (used.user + used.system) / 1000 / acks.length,
    p50: at(50),
    p99: at(99),
    inAck: load.inAck / acks.length,
  };
}

function summarise(phases: readonly Phase[]): Phase {
  return {
    perSecond: median(phases.map((p) => p.perSecond)),
    cpuMs: median(phases.map((p) => p.cpuMs)),
    p50: median(phases.map((p) => p.p50)),
    p99: median(phases.map((p) => p.p99)),
    inAck: median(phases.map((p) => p.inAck)),
  };
}

export async function benchSlack(): Promise<void> {
  const redis = await startBenchRedis();
  const sink = await startSink();
  const config = loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: `${sink.url}/api/`,
    REDIS_URL: redis.url,
    AITWS_REDIS_PREFIX: 'bench-slack',
    PORT: '0',
    HOST: '127.0.0.1',
  });
  const running = await startServer(config, silentLogger, [slackPlatform]);
  const bare = await startBareBolt();
  const pingClient = createRedisClient(redis.url);
  const barePing = await startBareBolt(pingClient);
  const adapterOnly = await startAdapterOnly(config);
  if (running === undefined) throw new Error('Slack was not configured');
  const ours = `http://127.0.0.1:${running.port}/slack/events`;
  const responseUrl = `${sink.url}/response/bench`;
  const size = [String(CONCURRENCY), String(PER_LOOP)];
  try {
    const oursPhases: Phase[] = [];
    const barePhases: Phase[] = [];
    const pingPhases: Phase[] = [];
    const adapterPhases: Phase[] = [];
    // Round 0 warms both up and is not counted.
    for (let round = 0; round <= ROUNDS; round++) {
      const prefix = `CB${round}-`;
      const before = await sink.answers();
      const created = await runLoad([
        ours,
        SECRET,
        String(CONCURRENCY),
        '1',
        prefix,
        responseUrl,
        'create name="Bench"',
      ]);
      const posted = before + CONCURRENCY - created.inAck;
      await waitForAnswers(sink, posted);
      const total = CONCURRENCY * PER_LOOP;
      const add = 'add roles name="R{i}" privileges=["read","execute"]';
      const a = await phase(ours, [...size, prefix, responseUrl, add], (inAck) =>
        waitForAnswers(sink, posted + total - inAck),
      );
      const b = await phase(bare.url, [...size, prefix, responseUrl, add], async () => undefined);
      const p = await phase(barePing.url, [...size, prefix, responseUrl, add], async () => undefined);
      const answered = await sink.answers();
      const c = await phase(adapterOnly.url, [...size, prefix, responseUrl, add], (inAck) =>
        waitForAnswers(sink, answered + total - inAck),
      );
      if (round === 0) continue;
      oursPhases.push(a);
      barePhases.push(b);
      pingPhases.push(p);
      adapterPhases.push(c);
    }
    const a = summarise(oursPhases);
    const b = summarise(barePhases);
    const c = summarise(adapterPhases);
    const p = summarise(pingPhases);
    // Each round's phases ran back to back, so a round's ratio is immune to the machine's drift
    // between rounds; the verdict is the median of those paired ratios.
    const paired = (ratio: (round: number) => number): number =>
      median(oursPhases.map((_, round) => ratio(round)));
    const cpuRatio = paired((i) => (oursPhases[i]?.cpuMs ?? 0) / (barePhases[i]?.cpuMs ?? 1));
    const wallRatio = paired((i) => (barePhases[i]?.perSecond ?? 0) / (oursPhases[i]?.perSecond ?? 1));
    const adapterRatio = paired((i) => (adapterPhases[i]?.cpuMs ?? 0) / (barePhases[i]?.cpuMs ?? 1));
    const pingRatio = paired((i) => (pingPhases[i]?.cpuMs ?? 0) / (barePhases[i]?.cpuMs ?? 1));
    const row = (name: string, p: Phase): string =>
      `  ${name.padEnd(18)} ${fmt(p.perSecond, 0).padStart(10)}   ${fmt(p.cpuMs, 3).padStart(10)}   ${fmt(p.p50, 2).padStart(10)}   ${fmt(p.p99, 2).padStart(10)}`;
    console.log(
      `/aitws add through HTTP + Bolt + Redis, ${CONCURRENCY} concurrent (median of ${ROUNDS} rounds)`,
    );
    console.log('                     requests/s   CPU ms/req   ack p50 ms   ack p99 ms');
    console.log(row('aitws (answered)', a));
    console.log(row('bare Bolt (ack)', b));
    console.log(row('bare + Redis PING', p));
    console.log(row('adapter, no core', c));
    console.log(
      `  cost per request: ${fmt(cpuRatio, 2)}x the bare app's CPU (${verdict(cpuRatio, 2)}; median of the rounds' paired ratios)`,
    );
    console.log(`  wall-clock: ${fmt(wallRatio, 2)}x the bare app's time per request`);
    console.log(
      `  of which the adapter (no core): ${fmt(adapterRatio, 2)}x the bare app's CPU; the core's /add: ${fmt(a.cpuMs - c.cpuMs, 3)} ms CPU per request`,
    );
    console.log(
      `  one Redis round trip alone (bare Bolt + PING): ${fmt(pingRatio, 2)}x the bare app's CPU, ${fmt(p.cpuMs - b.cpuMs, 3)} ms per request`,
    );
    console.log(
      `  answered in the ack: ${fmt(a.inAck * 100, 0)}% (aitws), ${fmt(c.inAck * 100, 0)}% (adapter, no core); the rest through response_url`,
    );
    console.log(
      `  p99 time-to-ack: ${fmt(a.p99, 1)} ms (${a.p99 <= 100 ? 'within' : 'OVER'} target <= 100 ms)`,
    );
  } finally {
    await bare.stop();
    await barePing.stop();
    await closeRedisClient(pingClient);
    await adapterOnly.stop();
    await running.stop();
    sink.stop();
    await redis.stop();
  }
}
