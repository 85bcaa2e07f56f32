/**
 * A fake Anthropic Messages API on 127.0.0.1 for the real @anthropic-ai/sdk (pointed at it with
 * baseURL). It records every request as received, answers from a queue of scripted replies (or a
 * default text answer), and fills in `usage` the way the real API reports it: tokens estimated at
 * four characters each, and the prefix up to the last `cache_control` block (tools, then system)
 * written to a simulated prompt cache on first sight and read from it afterwards.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The body exactly as sent. */
  readonly raw: string;
  /** The body parsed (undefined when it was not JSON). */
  readonly body: MessagesBody | undefined;
}

/** The parts of a Messages request the tests look at. */
export interface MessagesBody {
  readonly model: string;
  readonly max_tokens: number;
  readonly system?: readonly { type: string; text: string; cache_control?: { type: string } }[];
  readonly tools?: readonly { name: string; description?: string; input_schema: unknown }[];
  readonly tool_choice?: unknown;
  readonly messages: readonly { role: string; content: unknown }[];
  readonly [key: string]: unknown;
}

export interface FakeReply {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Serialised as JSON; for a 200, `usage` is filled in when absent. */
  readonly body?: Record<string, unknown>;
  /** Sent as is instead of `body` (e.g. a cut-off response). */
  readonly rawBody?: string;
  readonly delayMs?: number;
}

export type FakeHandler = (request: RecordedRequest) => FakeReply;

export interface FakeAnthropic {
  /** Give this to the SDK as baseURL. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Usage reported for each 200 answer, in order. */
  readonly usages: Usage[];
  /** Milliseconds between a request's last byte and our answer, per request (0 delay: our overhead). */
  readonly serverMs: number[];
  /** Replies for the next requests, in order; after them the default handler answers. */
  enqueue(...replies: FakeReply[]): void;
  setDefault(handler: FakeHandler): void;
  /** Forgets the simulated prompt cache. */
  resetCache(): void;
  close(): Promise<void>;
}

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

const MIN_CACHEABLE_TOKENS = 1024;

export const tokensOf = (text: string): number => Math.ceil(text.length / 4);

let messageCounter = 0;

export function answer(text: string, options: { stopReason?: string } = {}): FakeReply {
  return {
    body: {
      content: [{ type: 'text', text }],
      stop_reason: options.stopReason ?? 'end_turn',
    },
  };
}

export function propose(
  commands: unknown,
  explanation: unknown = 'Proposed changes.',
  text?: string,
): FakeReply {
  const content: unknown[] = text === undefined ? [] : [{ type: 'text', text }];
  content.push({
    type: 'tool_use',
    id: 'toolu_fake',
    name: 'propose_commands',
    input: { commands, explanation },
  });
  return { body: { content, stop_reason: 'tool_use' } };
}

export function apiError(
  status: number,
  type: string,
  options: { errorCode?: string; headers?: Record<string, string>; message?: string } = {},
): FakeReply {
  return {
    status,
    headers: { 'request-id': 'req_fake', ...options.headers },
    body: {
      type: 'error',
      error: {
        type,
        message: options.message ?? `${type} (fake)`,
        details: options.errorCode === undefined ? null : { error_code: options.errorCode },
      },
      request_id: 'req_fake',
    },
  };
}

function cachePrefix(body: MessagesBody): string | undefined {
  const system = body.system ?? [];
  const last = system.map((block) => block.cache_control !== undefined).lastIndexOf(true);
  if (last < 0) return undefined;
  return JSON.stringify([body.tools ?? [], system.slice(0, last + 1)]);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      data += chunk;
    });
    request.on('end', () => resolve(data));
    request.on('error', reject);
  });
}

function parse(raw: string): MessagesBody | undefined {
  try {
    return JSON.parse(raw) as MessagesBody;
  } catch {
    return undefined;
  }
}

export async function startFakeAnthropic(): Promise<FakeAnthropic> {
  const requests: RecordedRequest[] = [];
  const usages: Usage[] = [];
  const serverMs: number[] = [];
  const queue: FakeReply[] = [];
  const cached = new Set<string>();
  let fallback: FakeHandler = () => answer('This is the fake answer.');

  function usageFor(body: MessagesBody | undefined, output: string): Usage {
    const all =
      body === undefined ? 0 : tokensOf(JSON.stringify([body.tools ?? [], body.system ?? [], body.messages]));
    const prefix = body === undefined ? undefined : cachePrefix(body);
    const prefixTokens = prefix === undefined ? 0 : tokensOf(prefix);
    const usage: Usage = {
      input_tokens: all,
      output_tokens: tokensOf(output),
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    };
    if (prefix === undefined || prefixTokens < MIN_CACHEABLE_TOKENS) return usage;
    const key = createHash('sha256').update(prefix).digest('hex');
    usage.input_tokens = all - prefixTokens;
    if (cached.has(key)) usage.cache_read_input_tokens = prefixTokens;
    else usage.cache_creation_input_tokens = prefixTokens;
    cached.add(key);
    return usage;
  }

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await readBody(request);
    const started = performance.now();
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers))
      if (typeof value === 'string') headers[name] = value;
    const recorded: RecordedRequest = {
      method: request.method ?? '',
      path: request.url ?? '',
      headers,
      raw,
      body: parse(raw),
    };
    requests.push(recorded);
    const reply = queue.shift() ?? fallback(recorded);
    let payload = reply.rawBody;
    if (payload === undefined) {
      const status = reply.status ?? 200;
      let body = reply.body ?? {};
      if (status === 200) {
        const usage =
          (body.usage as Usage | undefined) ?? usageFor(recorded.body, JSON.stringify(body.content ?? ''));
        usages.push(usage);
        body = {
          id: `msg_fake_${++messageCounter}`,
          type: 'message',
          role: 'assistant',
          model: recorded.body?.model ?? 'unknown',
          stop_sequence: null,
          ...body,
          usage,
        };
      }
      payload = JSON.stringify(body);
    }
    const send = (): void => {
      if (response.destroyed) return;
      serverMs.push(performance.now() - started);
      response.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      response.end(payload);
    };
    if (reply.delayMs === undefined || reply.delayMs === 0) send();
    else setTimeout(send, reply.delayMs);
  }

  const server = createServer((request, response) => {
    serve(request, response).catch(() => {
      if (!response.destroyed) response.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    usages,
    serverMs,
    enqueue: (...replies) => {
      queue.push(...replies);
    },
    setDefault: (handler) => {
      fallback = handler;
    },
    resetCache: () => cached.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
