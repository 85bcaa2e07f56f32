/**
 * The HTTP front refuses before it reads, through the real `aitws serve` server and the real
 * platform routes: a body over the cap is refused with 413 from its Content-Length (no byte read,
 * the handler never runs, memory does not grow by the body) or as soon as a chunked body passes
 * the cap; a connection that dribbles its header is closed; Discord's 413 reaches the client; a
 * replayed signed slash command is applied once, across processes sharing Redis; METRICS_PORT
 * moves /metrics off PORT.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERACTIONS_PATH } from '../../src/adapters/discord/http.js';
import type { PlatformFactory } from '../../src/adapters/platform.js';
import { slackPlatform } from '../../src/adapters/slack/index.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logging.js';
import { type RunningServer, startServer } from '../../src/serve.js';
import { startBot } from '../discord/bot.js';
import { FakeDiscord } from '../support/fake-discord.js';
import { pingPayload } from '../support/fake-discord-payloads.js';
import { BOT_TOKEN, type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { type RedisServer, startRedis } from '../support/redis.js';
import { messageText, shortPrefix, startSlackBot } from '../support/slack-bot.js';
import { CHANNEL, commandBody, SIGNING_SECRET, signature, TEAM } from '../support/slack-requests.js';

const BODY_BYTES = 3_900_000;
const HEADERS_TIMEOUT_MS = 500;

let fake: FakeSlack;
let redis: RedisServer;

beforeAll(async () => {
  [fake, redis] = await Promise.all([startFakeSlack(), startRedis()]);
});

afterAll(async () => {
  await Promise.all([fake?.close(), redis?.stop()]);
});

/** Slack as `aitws serve` builds it, with every call of its route's handler counted. */
function countingSlack(counter: { calls: number }): PlatformFactory {
  return (deps) => {
    const platform = slackPlatform(deps);
    if (platform === undefined) return undefined;
    const routes = platform.routes.map((route) => ({
      ...route,
      handle: (...args: Parameters<typeof route.handle>) => {
        counter.calls++;
        return route.handle(...args);
      },
    }));
    return { ...platform, routes };
  };
}

async function slackServer(counter: { calls: number }, env: Record<string, string> = {}) {
  const config = loadConfig({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: redis.url,
    AITWS_REDIS_PREFIX: shortPrefix(),
    AITWS_HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    AITWS_HTTP_REQUEST_TIMEOUT_MS: '2000',
    ...env,
  });
  const running = await startServer(config, silentLogger, [countingSlack(counter)]);
  if (running === undefined) throw new Error('Slack did not start');
  return running;
}

interface Exchange {
  /** Everything the server sent before it closed the connection. */
  readonly received: string;
  /** Milliseconds from connecting until the first byte of the answer. */
  readonly answeredAfterMs: number;
  /** Milliseconds from connecting until the server closed. */
  readonly closedAfterMs: number;
}

/** A raw connection: `send` writes to it; resolves when the server has closed it. */
function exchange(port: number, send: (socket: net.Socket) => void): Promise<Exchange> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = net.connect({ port, host: '127.0.0.1' });
    let received = '';
    let answeredAfterMs = Number.POSITIVE_INFINITY;
    socket.on('data', (chunk: Buffer) => {
      if (received === '') answeredAfterMs = performance.now() - started;
      received += chunk.toString('latin1');
    });
    // Writes after the server closed fail; what it answered before is what counts.
    socket.on('error', () => undefined);
    socket.on('close', () =>
      resolve({ received, answeredAfterMs, closedAfterMs: performance.now() - started }),
    );
    socket.on('connect', () => send(socket));
  });
}

function slackHead(length: number): string {
  const timestamp = Math.floor(Date.now() / 1000);
  return [
    'POST /slack/events HTTP/1.1',
    'Host: 127.0.0.1',
    'Content-Type: application/json',
    `Content-Length: ${length}`,
    `X-Slack-Request-Timestamp: ${timestamp}`,
    'X-Slack-Signature: v0=0000',
    '',
    '',
  ].join('\r\n');
}

describe('the HTTP front', () => {
  it('refuses an oversized Content-Length with 413 before reading a byte; the handler never runs', async () => {
    const counter = { calls: 0 };
    const running = await slackServer(counter);
    try {
      // Only the header is sent: the answer cannot have waited for the body.
      const refused = await exchange(running.port, (socket) => socket.write(slackHead(BODY_BYTES)));
      expect(refused.received).toMatch(/^HTTP\/1\.1 413 /);
      expect(refused.received).toMatch(/request body too large/);
      expect(refused.answeredAfterMs).toBeLessThan(500);

      // A client that asks first (Expect: 100-continue) is refused instead of invited to send.
      const asked = await exchange(running.port, (socket) =>
        socket.write(slackHead(BODY_BYTES).replace('\r\n\r\n', '\r\nExpect: 100-continue\r\n\r\n')),
      );
      expect(asked.received).toMatch(/^HTTP\/1\.1 413 /);

      // Twenty whole 3.9 MB bodies at once (one shared buffer, so the client allocates nothing).
      const body = Buffer.alloc(BODY_BYTES, 97);
      global.gc?.();
      const before = process.memoryUsage().rss;
      const all = await Promise.all(
        Array.from({ length: 20 }, () =>
          exchange(running.port, (socket) => {
            socket.write(slackHead(BODY_BYTES));
            socket.write(body);
          }),
        ),
      );
      const grown = process.memoryUsage().rss - before;
      expect(all.every((e) => e.received.startsWith('HTTP/1.1 413 '))).toBe(true);
      expect(grown).toBeLessThan((20 * BODY_BYTES) / 4);
      expect(counter.calls).toBe(0);
    } finally {
      await running.stop();
    }
  });

  it('invites a body within the cap that asks first (Expect: 100-continue) and handles it', async () => {
    const counter = { calls: 0 };
    const running = await slackServer(counter);
    try {
      const body = commandBody({ text: 'help', channel: CHANNEL, responseUrl: fake.responseUrl() });
      const timestamp = Math.floor(Date.now() / 1000);
      const head = [
        'POST /slack/events HTTP/1.1',
        'Host: 127.0.0.1',
        'Connection: close',
        'Content-Type: application/x-www-form-urlencoded',
        `Content-Length: ${Buffer.byteLength(body)}`,
        `X-Slack-Request-Timestamp: ${timestamp}`,
        `X-Slack-Signature: ${signature(SIGNING_SECRET, timestamp, body)}`,
        'Expect: 100-continue',
        '',
        '',
      ].join('\r\n');
      const answered = await exchange(running.port, (socket) => {
        socket.write(head);
        // The body goes only after the server said to send it.
        socket.once('data', () => socket.write(body));
      });
      expect(answered.received).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
      expect(answered.received).toMatch(/Commands:/);
      expect(counter.calls).toBe(1);
    } finally {
      await running.stop();
    }
  });

  it('stops reading a chunked body once it passes the cap: 413, connection closed', async () => {
    const counter = { calls: 0 };
    const running = await slackServer(counter);
    try {
      const chunk = Buffer.alloc(64 * 1024, 97);
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          sent += chunk.length;
          if (sent > BODY_BYTES) controller.close();
          else controller.enqueue(chunk);
        },
      });
      const timestamp = String(Math.floor(Date.now() / 1000));
      const response = await fetch(`http://127.0.0.1:${running.port}/slack/events`, {
        method: 'POST',
        headers: { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': 'v0=00' },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      expect(response.status).toBe(413);
      expect(response.headers.get('connection')).toBe('close');
      expect(await response.json()).toEqual({ error: 'request body too large' });
      expect(counter.calls).toBe(0);
    } finally {
      await running.stop();
    }
  });

  it('closes a connection that dribbles its header (slow-loris) after the header timeout', async () => {
    const counter = { calls: 0 };
    const running = await slackServer(counter);
    try {
      let timer: NodeJS.Timeout | undefined;
      const slow = await exchange(running.port, (socket) => {
        socket.write('POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n');
        // A header line every 100 ms keeps the socket busy, so only the header timeout can end it.
        let line = 0;
        timer = setInterval(() => socket.write(`X-Slow-${line++}: 1\r\n`), 100);
      });
      clearInterval(timer);
      expect(slow.closedAfterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
      expect(slow.closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + 1500);
      expect(counter.calls).toBe(0);
    } finally {
      await running.stop();
    }
  });

  it('closes connections beyond AITWS_HTTP_MAX_CONNECTIONS as they arrive', async () => {
    const running = await slackServer({ calls: 0 }, { AITWS_HTTP_MAX_CONNECTIONS: '2' });
    const held: net.Socket[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const socket = net.connect({ port: running.port, host: '127.0.0.1' });
        socket.on('error', () => undefined);
        await new Promise((resolve) => socket.once('connect', resolve));
        held.push(socket);
      }
      const third = await exchange(running.port, (socket) =>
        socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
      );
      expect(third.received).toBe('');
      expect(third.closedAfterMs).toBeLessThan(1000);
    } finally {
      for (const socket of held) socket.destroy();
      await running.stop();
    }
  });
});

describe('Discord over HTTP', () => {
  let discord: FakeDiscord;
  let privateKey: ReturnType<typeof generateKeyPairSync>['privateKey'];
  let bot: Awaited<ReturnType<typeof startBot>>;

  beforeAll(async () => {
    const pair = generateKeyPairSync('ed25519');
    privateKey = pair.privateKey;
    const publicKeyHex = pair.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
    discord = await FakeDiscord.start();
    bot = await startBot({ fake: discord, publicKeyHex });
  });

  afterAll(async () => {
    await bot?.stop();
    await discord?.stop();
  });

  function signed(body: Buffer): Record<string, string> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const bytes = Buffer.concat([Buffer.from(timestamp), body]);
    return {
      'content-type': 'application/json',
      'x-signature-timestamp': timestamp,
      'x-signature-ed25519': sign(null, bytes, privateKey).toString('hex'),
    };
  }

  it('answers an oversized interaction with a 413 the client receives', async () => {
    const body = Buffer.from(JSON.stringify({ type: 1, padding: 'x'.repeat(BODY_BYTES) }));
    const response = await fetch(`${bot.baseUrl}${INTERACTIONS_PATH}`, {
      method: 'POST',
      headers: signed(body),
      body,
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: 'request body too large' });
    // The server is still answering on a new connection.
    const ping = Buffer.from(JSON.stringify(pingPayload(discord.applicationId)));
    const pong = await fetch(`${bot.baseUrl}${INTERACTIONS_PATH}`, {
      method: 'POST',
      headers: signed(ping),
      body: ping,
    });
    expect(pong.status).toBe(200);
  });
});

describe('replayed Slack slash commands', () => {
  it('applies a signed /aitws command once, however often and wherever it is replayed', async () => {
    const prefix = shortPrefix();
    const first = await startSlackBot({ fake, redisUrl: redis.url, prefix });
    const second = await startSlackBot({ fake, redisUrl: redis.url, prefix });
    const channel = { platform: 'slack', workspace: TEAM, channel: 'CREPLAY' } as const;
    try {
      for (const text of ['create name="Replay"', 'add roles name="A"', 'add roles name="B"']) {
        await first.command({ text, channel: 'CREPLAY' });
      }
      expect((await first.running.core.sessions.read(channel)).version).toBe(3);
      const body = commandBody({ text: 'undo', channel: 'CREPLAY', responseUrl: fake.responseUrl() });
      const timestamp = Math.floor(Date.now() / 1000);
      const headers = {
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': signature(SIGNING_SECRET, timestamp, body),
      };
      const post = (url: string) =>
        fetch(url, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
          body,
        });
      const applied = await post(first.eventsUrl);
      expect(applied.status).toBe(200);
      expect(messageText(JSON.parse(await applied.text()) as Record<string, unknown>)).toMatch(/undo|Undid/i);
      const version = (await first.running.core.sessions.read(channel)).version;
      expect(version).toBe(4);
      for (const url of [first.eventsUrl, second.eventsUrl, first.eventsUrl]) {
        const replayed = await post(url);
        expect(replayed.status).toBe(200);
        expect(await replayed.text()).toBe('');
      }
      expect((await second.running.core.sessions.read(channel)).version).toBe(version);
      // A fresh signature of the same command is a new request, and applied.
      expect((await first.command({ text: 'help', channel: CHANNEL })).status).toBe(200);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});

describe('METRICS_PORT', () => {
  let running: RunningServer;

  beforeAll(async () => {
    running = await slackServer({ calls: 0 }, { METRICS_PORT: '0' });
  });

  afterAll(async () => {
    await running?.stop();
  });

  it('serves /metrics only on its own port, and PORT answers 404 for it', async () => {
    expect(running.metricsPort).not.toBe(running.port);
    const scraped = await fetch(`http://127.0.0.1:${running.metricsPort}/metrics`);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toMatch(/process_cpu_user_seconds_total/);
    expect((await fetch(`http://127.0.0.1:${running.port}/metrics`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${running.port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${running.metricsPort}/healthz`)).status).toBe(404);
    expect(
      (await fetch(`http://127.0.0.1:${running.metricsPort}/slack/events`, { method: 'POST' })).status,
    ).toBe(404);
  });
});
