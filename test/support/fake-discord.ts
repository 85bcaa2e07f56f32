/**
 * A fake Discord on 127.0.0.1 for the real discord.js: the REST endpoints the bot uses (gateway
 * discovery, interaction callbacks, webhook follow-ups and edits, channel messages, command
 * registration), attachment downloads, and the gateway WebSocket (fake-discord-gateway.ts).
 * Every REST call is recorded, multipart bodies included, for assertions.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { FakeGateway, GATEWAY_PATH } from './fake-discord-gateway.js';
import { botMessage } from './fake-discord-payloads.js';

export interface RecordedFile {
  readonly name: string;
  readonly contentType: string;
  readonly text: string;
  readonly bytes: Uint8Array;
}

export type CallKind =
  | 'gateway'
  | 'callback'
  | 'edit'
  | 'delete'
  | 'followup'
  | 'channel'
  | 'channel-edit'
  | 'commands';

export interface RecordedCall {
  readonly kind: CallKind;
  readonly method: string;
  readonly path: string;
  /** The interaction token (callbacks and webhooks), the channel id or the guild id. */
  readonly target: string | undefined;
  readonly authorization: string | undefined;
  /** The JSON body (or multipart payload_json); `{}` when it was not an object. */
  readonly body: Record<string, unknown>;
  /** The JSON body as sent, arrays included (command registration). */
  readonly json: unknown;
  readonly files: readonly RecordedFile[];
  readonly at: number;
  /** Answered 429 (see rateLimitNext). */
  readonly rateLimited?: boolean;
}

export interface FakeDiscordOptions {
  readonly token?: string;
  readonly applicationId?: string;
  readonly heartbeatMs?: number;
}

const ROUTES: readonly { kind: CallKind; method: string; pattern: RegExp }[] = [
  { kind: 'gateway', method: 'GET', pattern: /^\/gateway\/bot$/ },
  { kind: 'callback', method: 'POST', pattern: /^\/interactions\/\d+\/([^/]+)\/callback$/ },
  { kind: 'edit', method: 'PATCH', pattern: /^\/webhooks\/\d+\/([^/]+)\/messages\/@original$/ },
  { kind: 'delete', method: 'DELETE', pattern: /^\/webhooks\/\d+\/([^/]+)\/messages\/@original$/ },
  { kind: 'followup', method: 'POST', pattern: /^\/webhooks\/\d+\/([^/]+)$/ },
  { kind: 'channel', method: 'POST', pattern: /^\/channels\/(\d+)\/messages$/ },
  { kind: 'channel-edit', method: 'PATCH', pattern: /^\/channels\/(\d+)\/messages\/(\d+)$/ },
  { kind: 'commands', method: 'PUT', pattern: /^\/applications\/\d+\/commands$/ },
  { kind: 'commands', method: 'PUT', pattern: /^\/applications\/\d+\/guilds\/(\d+)\/commands$/ },
];

/** Kinds that need the bot token; the rest are authorised by the interaction token in the path. */
const BOT_AUTH: ReadonlySet<CallKind> = new Set(['gateway', 'channel', 'channel-edit', 'commands']);

async function readAll(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function parseBody(request: IncomingMessage): Promise<{ json: unknown; files: RecordedFile[] }> {
  const raw = await readAll(request);
  const type = request.headers['content-type'] ?? '';
  if (type.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
    const files: RecordedFile[] = [];
    let json: unknown = {};
    for (const [key, value] of form.entries()) {
      if (key === 'payload_json' && typeof value === 'string') json = JSON.parse(value);
      else if (typeof value !== 'string') {
        const bytes = new Uint8Array(await value.arrayBuffer());
        files.push({
          name: value.name,
          contentType: value.type,
          text: new TextDecoder().decode(bytes),
          bytes,
        });
      }
    }
    return { json, files };
  }
  return { json: raw.length === 0 ? {} : JSON.parse(raw.toString('utf8')), files: [] };
}

export class FakeDiscord {
  readonly token: string;
  readonly applicationId: string;
  readonly botUserId = '900000000000000001';
  readonly calls: RecordedCall[] = [];
  readonly gateway: FakeGateway;
  /** Extra latency before answering REST calls of a kind, to simulate a slow Discord. */
  readonly delays = new Map<CallKind, number>();
  private readonly rateLimits = new Map<CallKind, number[]>();
  private readonly server: Server;
  private readonly attachments = new Map<string, { body: Buffer; contentType: string }>();
  private waiters: (() => void)[] = [];
  private port = 0;

  private constructor(options: FakeDiscordOptions) {
    this.token = options.token ?? `fake.${randomBytes(8).toString('hex')}`;
    this.applicationId = options.applicationId ?? '800000000000000001';
    this.server = createServer((request, response) => {
      this.route(request, response).catch((error: unknown) => {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ message: String(error), code: 0 }));
      });
    });
    this.gateway = new FakeGateway(this.server, {
      token: this.token,
      applicationId: this.applicationId,
      botUserId: this.botUserId,
      url: () => `ws://127.0.0.1:${this.port}${GATEWAY_PATH}`,
      heartbeatMs: options.heartbeatMs ?? 45_000,
    });
  }

  static async start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const fake = new FakeDiscord(options);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    const address = fake.server.address();
    fake.port = typeof address === 'object' && address !== null ? address.port : 0;
    return fake;
  }

  /** The REST base for DISCORD_API_URL (discord.js appends /v10/...). */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  /** Serves `body` at a CDN-like URL for an interaction's resolved attachment. */
  addAttachment(filename: string, body: string | Buffer, contentType = 'application/toml'): string {
    const id = randomBytes(6).toString('hex');
    this.attachments.set(id, { body: Buffer.from(body), contentType });
    return `http://127.0.0.1:${this.port}/attachments/${id}/${encodeURIComponent(filename)}`;
  }

  /** The next call of `kind` is answered 429 with `Retry-After: seconds` (a per-route limit). */
  rateLimitNext(kind: CallKind, retryAfterSeconds: number): void {
    this.rateLimits.set(kind, [...(this.rateLimits.get(kind) ?? []), retryAfterSeconds]);
  }

  callsFor(token: string): RecordedCall[] {
    return this.calls.filter((c) => c.target === token);
  }

  /** Resolves with the first recorded call that matches, waiting for it if need be. */
  async waitForCall(match: (call: RecordedCall) => boolean, timeoutMs = 10_000): Promise<RecordedCall> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.calls.find(match);
      if (found !== undefined) return found;
      const left = until - Date.now();
      if (left <= 0) throw new Error(`fake Discord: no matching call within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    await this.gateway.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const attachment = /^\/attachments\/([0-9a-f]+)\//.exec(url.pathname);
    if (request.method === 'GET' && attachment !== null) {
      const found = this.attachments.get(attachment[1] ?? '');
      if (found === undefined) return this.json(response, 404, { message: 'Not Found', code: 0 });
      response.writeHead(200, { 'content-type': found.contentType, 'content-length': found.body.length });
      response.end(found.body);
      return;
    }
    const path = decodeURIComponent(url.pathname).replace(/^\/api\/v10/, '');
    const route = ROUTES.find((r) => r.method === request.method && r.pattern.test(path));
    if (route === undefined) return this.json(response, 404, { message: '404: Not Found', code: 0 });
    const authorization = request.headers.authorization;
    if (BOT_AUTH.has(route.kind) && authorization !== `Bot ${this.token}`) {
      return this.json(response, 401, { message: '401: Unauthorized', code: 0 });
    }
    const { json, files } = await parseBody(request);
    const body = isRecord(json) ? json : {};
    const match = route.pattern.exec(path);
    const target = match?.[1];
    const retryAfter = this.rateLimits.get(route.kind)?.shift();
    this.record({
      kind: route.kind,
      method: request.method ?? '',
      path,
      target,
      authorization,
      body,
      json,
      files,
      at: Date.now(),
      ...(retryAfter === undefined ? {} : { rateLimited: true }),
    });
    if (retryAfter !== undefined) return this.rateLimited(response, retryAfter);
    const delay = this.delays.get(route.kind) ?? 0;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    switch (route.kind) {
      case 'gateway':
        return this.json(response, 200, {
          url: `ws://127.0.0.1:${this.port}${GATEWAY_PATH}`,
          shards: 1,
          session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 },
        });
      case 'callback':
      case 'delete':
        response.writeHead(204);
        response.end();
        return;
      case 'commands':
        return this.json(
          response,
          200,
          (Array.isArray(json) ? json : []).map((c: unknown, i) => ({
            ...(isRecord(c) ? c : {}),
            id: String(700 + i),
            version: '1',
          })),
        );
      case 'channel-edit':
        return this.json(response, 200, { ...this.message(body, target), id: match?.[2] });
      default:
        return this.json(response, 200, this.message(body, target));
    }
  }

  /** Discord's answer to a request over a route's limit, as discord.js reads it. */
  private rateLimited(response: ServerResponse, seconds: number): void {
    const text = JSON.stringify({
      message: 'You are being rate limited.',
      retry_after: seconds,
      global: false,
    });
    response.writeHead(429, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'retry-after': String(seconds),
      'x-ratelimit-scope': 'user',
    });
    response.end(text);
  }

  private message(body: Record<string, unknown>, channel: string | undefined): object {
    return botMessage({
      channelId: channel ?? '0',
      authorId: this.botUserId,
      content: typeof body.content === 'string' ? body.content : '',
      type: 0,
      flags: typeof body.flags === 'number' ? body.flags : 0,
    });
  }

  private record(call: RecordedCall): void {
    this.calls.push(call);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private json(response: ServerResponse, status: number, value: unknown): void {
    const text = JSON.stringify(value);
    response.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    response.end(text);
  }
}
