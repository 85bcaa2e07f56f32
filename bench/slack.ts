/**
 * `/aitws add …` through the real HTTP receiver (signed requests, Bolt, the shared server, the
 * Redis store, the answer POSTed to a response_url) at 50 concurrent requests, beside a bare Bolt
 * app in the same process that acks a static text: requests per wall-clock second, and the time to
 * ack a person waits for (Slack gives up after 3 s).
 *
 * The load generator and the stand-in for Slack (Web API + response_url) run in their own
 * processes, as Slack does, so this process does only the bot's work. "Done" for aitws is the
 * person having the answer: in the ack itself when the core answered before the ack deadline,
 * else at the response_url after an empty ack. CPU per request is not reported: on this VM every
 * idle wake costs ~45 µs of CPU, so it measures the machine rather than the code.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { App, type Logger as BoltLogger, HTTPReceiver, LogLevel } from '@slack/bolt';
import { slackPlatform } from '../src/adapters/slack/index.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/logging.js';
import { startServer } from '../src/serve.js';
import { fmt, median } from './lib.js';
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

/** A bare Bolt app that acks a static text: the least a Slack app can do per request. */
async function startBareBolt(): Promise<{ url: string; stop: () => Promise<void> }> {
  const receiver = new HTTPReceiver({ signingSecret: SECRET, logger: quietBolt });
  const app = new App({
    receiver,
    authorize: async () => ({ botToken: 'xoxb-bench', botId: 'BB', botUserId: 'UB' }),
    logger: quietBolt,
    convoStore: false,
  });
  app.command('/aitws', async ({ ack }) => {
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
  const started = performance.now();
  const load = await runLoad([url, SECRET, ...args]);
  const acks = load.acks.sort((a, b) => a - b);
  await settle(load.inAck);
  const seconds = (performance.now() - started) / 1000;
  const at = (p: number): number =>
    acks[Math.min(acks.length - 1, Math.ceil((p / 100) * acks.length) - 1)] ?? 0;
  return {
    perSecond: acks.length / seconds,
    p50: at(50),
    p99: at(99),
    inAck: load.inAck / acks.length,
  };
}

function summarise(phases: readonly Phase[]): Phase {
  return {
    perSecond: median(phases.map((p) => p.perSecond)),
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
  if (running === undefined) throw new Error('Slack was not configured');
  const ours = `http://127.0.0.1:${running.port}/slack/events`;
  const responseUrl = `${sink.url}/response/bench`;
  const size = [String(CONCURRENCY), String(PER_LOOP)];
  try {
    const oursPhases: Phase[] = [];
    const barePhases: Phase[] = [];
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
      if (round === 0) continue;
      oursPhases.push(a);
      barePhases.push(b);
    }
    const a = summarise(oursPhases);
    const b = summarise(barePhases);
    // Each round's phases ran back to back, so a round's ratio is immune to the machine's drift
    // between rounds; the figure is the median of those paired ratios.
    const wallRatio = median(oursPhases.map((o, i) => (barePhases[i]?.perSecond ?? 0) / o.perSecond));
    const row = (name: string, p: Phase): string =>
      `  ${name.padEnd(18)} ${fmt(p.perSecond, 0).padStart(10)}   ${fmt(p.p50, 2).padStart(10)}   ${fmt(p.p99, 2).padStart(10)}`;
    console.log(
      `/aitws add through HTTP + Bolt + Redis, ${CONCURRENCY} concurrent (median of ${ROUNDS} rounds)`,
    );
    console.log('                     requests/s   ack p50 ms   ack p99 ms');
    console.log(row('aitws (answered)', a));
    console.log(row('bare Bolt (ack)', b));
    console.log(`  wall-clock: ${fmt(wallRatio, 2)}x the bare app's time per request`);
    console.log(`  answered in the ack: ${fmt(a.inAck * 100, 0)}%; the rest through response_url`);
    console.log(
      `  p99 time-to-ack: ${fmt(a.p99, 1)} ms (${a.p99 <= 100 ? 'within' : 'OVER'} target <= 100 ms)`,
    );
  } finally {
    await bare.stop();
    await running.stop();
    sink.stop();
    await redis.stop();
  }
}
