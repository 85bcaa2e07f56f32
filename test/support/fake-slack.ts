/**
 * A fake Slack on 127.0.0.1 for the real Bolt/WebClient to talk to (SLACK_API_URL): the Web API
 * methods the adapter calls, the upload URL files.getUploadURLExternal hands out, response_url
 * endpoints, private file downloads, and Socket Mode (apps.connections.open + a WebSocket). Every
 * request is recorded; answers have Slack's shape.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { waitFor } from './redis.js';

export const BOT_TOKEN = 'xoxb-test-token';
export const APP_TOKEN = 'xapp-test-token';
export const BOT_USER_ID = 'UBOTAITWS';
export const BOT_ID = 'BBOTAITWS';

export interface ApiCall {
  readonly method: string;
  readonly args: Record<string, unknown>;
  readonly token: string | undefined;
  /** When the fake received it (Date.now()). */
  readonly at: number;
  /** Answered 429 (see rateLimitNext). */
  readonly rateLimited?: boolean;
}

export interface ResponsePost {
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly at: number;
}

export interface HostedFile {
  readonly id: string;
  readonly name: string;
  readonly size: number;
  readonly url_private: string;
}

export interface SocketAck {
  readonly envelope_id: string;
  readonly payload?: Record<string, unknown>;
}

export interface FakeSlack {
  readonly url: string;
  readonly apiUrl: string;
  readonly calls: ApiCall[];
  readonly responses: ResponsePost[];
  readonly uploads: Map<string, string>;
  /** The same uploads as bytes, for files that are not text (a PNG). */
  readonly uploadBytes: Map<string, Buffer>;
  /** A fresh response_url on the fake. */
  responseUrl(): string;
  /** Posts made to one response_url. */
  postsTo(url: string): ResponsePost[];
  /** Serves `content` as a private file (bot token required); size may be declared otherwise. */
  hostFile(name: string, content: string, declaredSize?: number): HostedFile;
  /** The next call of `method` fails with Slack's `error` code. */
  failNext(method: string, error: string): void;
  /** The next call of `method` is answered HTTP 429 with `Retry-After: seconds`. */
  rateLimitNext(method: string, retryAfterSeconds: number): void;
  callsOf(method: string): ApiCall[];
  waitForCalls(method: string, count: number, timeoutMs?: number): Promise<ApiCall[]>;
  waitForPosts(url: string, count: number, timeoutMs?: number): Promise<ResponsePost[]>;
  /** Socket Mode: resolves once the bot has connected and been greeted. */
  socketConnected(timeoutMs?: number): Promise<void>;
  /** Sends an envelope over Socket Mode and resolves with the bot's ack and how long it took. */
  sendEnvelope(
    type: string,
    payload: unknown,
    extra?: Record<string, unknown>,
  ): Promise<{ ack: SocketAck; ms: number }>;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function decodeArgs(request: IncomingMessage, body: string): Record<string, unknown> {
  if ((request.headers['content-type'] ?? '').includes('application/json')) {
    return body === '' ? {} : (JSON.parse(body) as Record<string, unknown>);
  }
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    // WebClient form-encodes structured arguments (blocks, files, view) as JSON strings.
    args[key] = /^[[{]/.test(value) ? JSON.parse(value) : value;
  }
  return args;
}

function json(response: ServerResponse, value: unknown, status = 200): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(value));
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const calls: ApiCall[] = [];
  const responses: ResponsePost[] = [];
  const uploads = new Map<string, string>();
  const uploadBytes = new Map<string, Buffer>();
  const files = new Map<string, { file: HostedFile; content: string }>();
  const failures = new Map<string, string[]>();
  const rateLimits = new Map<string, number[]>();
  const sockets = new Set<WebSocket>();
  const pendingAcks = new Map<string, (ack: SocketAck) => void>();
  let counter = 0;
  let base = '';
  const next = (): number => ++counter;

  function answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const queued = failures.get(method);
    const error = queued?.shift();
    if (error !== undefined) return { ok: false, error };
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://test.slack.com/',
          team: 'Test',
          user: 'aitws',
          team_id: 'T1',
          user_id: BOT_USER_ID,
          bot_id: BOT_ID,
        };
      case 'chat.postMessage':
        return {
          ok: true,
          channel: args.channel,
          ts: `1700000000.${String(next()).padStart(6, '0')}`,
          message: { text: args.text },
        };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: `1700000000.${String(next()).padStart(6, '0')}` };
      case 'chat.update':
        return { ok: true, channel: args.channel, ts: args.ts };
      case 'views.open':
        return { ok: true, view: { id: `V${next()}` } };
      case 'files.getUploadURLExternal': {
        const id = `F${next()}`;
        return { ok: true, upload_url: `${base}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal':
        return { ok: true, files: args.files };
      case 'files.info': {
        const hosted = typeof args.file === 'string' ? files.get(args.file) : undefined;
        return hosted === undefined
          ? { ok: false, error: 'file_not_found' }
          : { ok: true, file: hosted.file };
      }
      case 'apps.connections.open':
        return { ok: true, url: `${base.replace(/^http/, 'ws')}/socket-mode` };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://fake');
    const raw = await readBody(request);
    const body = raw.toString('utf8');
    if (request.method === 'POST' && url.pathname.startsWith('/api/')) {
      const method = url.pathname.slice('/api/'.length);
      const args = decodeArgs(request, body);
      const auth = request.headers.authorization;
      const token = auth?.startsWith('Bearer ')
        ? auth.slice(7)
        : typeof args.token === 'string'
          ? args.token
          : undefined;
      const retryAfter = rateLimits.get(method)?.shift();
      if (retryAfter !== undefined) {
        calls.push({ method, args, token, at: Date.now(), rateLimited: true });
        response.writeHead(429, {
          'content-type': 'application/json; charset=utf-8',
          'retry-after': String(retryAfter),
        });
        response.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
        return;
      }
      calls.push({ method, args, token, at: Date.now() });
      json(response, answer(method, args));
      return;
    }
    if (request.method === 'POST' && url.pathname.startsWith('/upload/')) {
      uploads.set(url.pathname.slice('/upload/'.length), body);
      uploadBytes.set(url.pathname.slice('/upload/'.length), raw);
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(`OK - ${Buffer.byteLength(body)}`);
      return;
    }
    if (request.method === 'POST' && url.pathname.startsWith('/response/')) {
      responses.push({
        path: url.pathname,
        body: JSON.parse(body) as Record<string, unknown>,
        at: Date.now(),
      });
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('ok');
      return;
    }
    if (request.method === 'GET' && url.pathname.startsWith('/files/')) {
      const hosted = files.get(url.pathname.slice('/files/'.length));
      if (hosted === undefined || request.headers.authorization !== `Bearer ${BOT_TOKEN}`) {
        // What Slack does without a valid token: a login page, not the file.
        response.writeHead(302, { location: 'https://slack.com/signin', 'content-type': 'text/html' });
        response.end('<html>sign in</html>');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      response.end(hosted.content);
      return;
    }
    json(response, { ok: false, error: 'not_found' }, 404);
  });
  const wss = new WebSocketServer({ server, path: '/socket-mode' });
  wss.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('message', (data: Buffer) => {
      const ack = JSON.parse(data.toString('utf8')) as SocketAck;
      pendingAcks.get(ack.envelope_id)?.(ack);
      pendingAcks.delete(ack.envelope_id);
    });
    socket.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const collect = async <T>(read: () => T[], count: number, timeoutMs: number): Promise<T[]> => {
    await waitFor(async () => read().length >= count, timeoutMs);
    return read();
  };

  return {
    url: base,
    apiUrl: `${base}/api/`,
    calls,
    responses,
    uploads,
    uploadBytes,
    responseUrl: () => `${base}/response/${next()}-${randomBytes(4).toString('hex')}`,
    postsTo: (target) => responses.filter((r) => `${base}${r.path}` === target),
    hostFile(name, content, declaredSize) {
      const id = `F${next()}`;
      const file = {
        id,
        name,
        size: declaredSize ?? Buffer.byteLength(content),
        url_private: `${base}/files/${id}`,
      };
      files.set(id, { file, content });
      return file;
    },
    failNext(method, error) {
      failures.set(method, [...(failures.get(method) ?? []), error]);
    },
    rateLimitNext(method, retryAfterSeconds) {
      rateLimits.set(method, [...(rateLimits.get(method) ?? []), retryAfterSeconds]);
    },
    callsOf: (method) => calls.filter((c) => c.method === method),
    waitForCalls(method, count, timeoutMs = 5000) {
      return collect(() => calls.filter((c) => c.method === method), count, timeoutMs);
    },
    waitForPosts(target, count, timeoutMs = 5000) {
      return collect(() => responses.filter((r) => `${base}${r.path}` === target), count, timeoutMs);
    },
    socketConnected: (timeoutMs = 5000) => waitFor(async () => sockets.size > 0, timeoutMs),
    sendEnvelope(type, payload, extra = {}) {
      const [socket] = sockets;
      if (socket === undefined) return Promise.reject(new Error('no Socket Mode connection'));
      const envelopeId = randomBytes(8).toString('hex');
      const started = performance.now();
      return new Promise((resolve) => {
        pendingAcks.set(envelopeId, (ack) => resolve({ ack, ms: performance.now() - started }));
        socket.send(
          JSON.stringify({
            envelope_id: envelopeId,
            type,
            payload,
            accepts_response_payload: true,
            ...extra,
          }),
        );
      });
    },
    async close() {
      for (const socket of sockets) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
