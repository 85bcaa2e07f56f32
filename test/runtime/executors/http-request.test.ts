import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AitwsDocument } from '../../../src/document/types.js';
import { AitwsError } from '../../../src/errors.js';
import {
  createHttpRequestExecutor,
  type HttpRequestParams,
} from '../../../src/runtime/executors/http-request.js';
import { closedPort } from '../../support/ports.js';
import { type ActionHarness, createActionHarness } from './context.js';
import { json, startServer, type TestServer } from './http-server.js';

/** `${secret:NAME}`, written so it is plainly not a template literal placeholder. */
const ref = (name: string): string => `\${secret:${name}}`;

const TOKEN = 'tok-5ecret-value-1234';
const API_KEY = 'api-key-0f-the-service';
const executor = createHttpRequestExecutor({ maxResponseBytes: 1024 });

let service: TestServer;
let other: TestServer;

beforeEach(async () => {
  service = await startServer();
  other = await startServer();
});

afterEach(async () => {
  await service.close();
  await other.close();
});

function documentFor(url: string): AitwsDocument {
  return {
    external_services: [
      { name: 'Api', type: 'REST', url, api_key: ref('API_KEY') },
      { name: 'Bare', url },
    ],
  };
}

async function harnessFor(url = `${service.origin}/api/v1/`): Promise<ActionHarness> {
  return createActionHarness({ document: documentFor(url), secrets: { TOKEN, API_KEY } });
}

function params(value: Record<string, unknown>): HttpRequestParams {
  return executor.params.parse({ service: 'Api', ...value });
}

async function failure(promise: Promise<unknown>): Promise<AitwsError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (error instanceof AitwsError) return error;
  throw new Error(`expected an AitwsError, got ${String(error)}`);
}

describe('http.request: requests and responses', () => {
  it('GETs under the service base path and outputs status, headers and parsed JSON', async () => {
    service.route('/api/v1/items', (_request, response) =>
      json(response, 200, { items: [1, 2] }, { 'X-Trace': 'abc', 'Set-Cookie': 'session=1' }),
    );
    const harness = await harnessFor();
    const outcome = await executor.run(harness.context, params({ path: '/items?page=2' }));
    expect(outcome).toMatchObject({
      kind: 'done',
      output: {
        status: 200,
        body: { items: [1, 2] },
        headers: { 'x-trace': 'abc', 'content-type': 'application/json' },
      },
    });
    if (outcome.kind !== 'done') throw new Error('not done');
    expect(Object.keys((outcome.output as { headers: object }).headers)).not.toContain('set-cookie');
    expect(service.received.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /api/v1/items?page=2']);
  });

  it('outputs text for a body that is not JSON, and an empty body for HEAD', async () => {
    service.route('/api/v1/hello', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
    });
    const harness = await harnessFor();
    expect(await executor.run(harness.context, params({ path: '/hello' }))).toMatchObject({
      output: { status: 200, body: 'hello' },
    });
    expect(await executor.run(harness.context, params({ path: '/hello', method: 'head' }))).toMatchObject({
      output: { status: 200, body: '' },
    });
  });

  it('sends a table body as JSON, a text body as it is', async () => {
    service.route('/api/v1/things', (_request, response) => json(response, 201, { ok: true }));
    const harness = await harnessFor();
    await executor.run(
      harness.context,
      params({ method: 'POST', path: '/things', body: { n: 3, tags: ['a'] } }),
    );
    await executor.run(harness.context, params({ method: 'PUT', path: '/things', body: 'raw text' }));
    const [first, second] = service.received;
    expect(first?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(first?.body ?? '')).toEqual({ n: 3, tags: ['a'] });
    expect(second?.body).toBe('raw text');
  });

  it('sends the same Idempotency-Key on every attempt of the step', async () => {
    service.route('/api/v1/pay', (_request, response) => json(response, 200, {}));
    const harness = await harnessFor();
    const pay = params({ method: 'POST', path: '/pay', body: { amount: 1 } });
    await executor.run(harness.context, pay);
    await executor.run(harness.wake({ attempt: 2 }), pay);
    const keys = service.received.map((r) => r.headers['idempotency-key']);
    expect(keys).toEqual([`${harness.runId}/${harness.stepKey}`, `${harness.runId}/${harness.stepKey}`]);
  });

  it('fails on a JSON content type whose body is not JSON', async () => {
    service.route('/api/v1/bad', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{not json');
    });
    const harness = await harnessFor();
    expect((await failure(executor.run(harness.context, params({ path: '/bad' })))).code).toBe('HTTP_FAILED');
  });
});

describe('http.request: secrets', () => {
  it('resolves secret references in headers and masks it wherever the service echoes it', async () => {
    service.route('/api/v1/echo', (request, response) =>
      json(
        response,
        200,
        { saw: request.headers['x-token'], auth: request.headers.authorization },
        {
          'X-Echo': String(request.headers['x-token']),
        },
      ),
    );
    const harness = await harnessFor();
    const call = params({ path: '/echo', headers: { 'X-Token': `Token ${ref('TOKEN')}` }, auth: 'bearer' });
    const outcome = await executor.run(harness.context, call);
    expect(service.received[0]?.headers['x-token']).toBe(`Token ${TOKEN}`);
    expect(service.received[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(outcome).toMatchObject({
      output: { body: { saw: 'Token ****', auth: 'Bearer ****' }, headers: { 'x-echo': 'Token ****' } },
    });
    const everything = JSON.stringify([outcome, harness.logs]);
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(API_KEY);
    expect(harness.secretLookups).toEqual(['TOKEN', 'API_KEY']);
  });

  it('masks an echoed secret in the error of a failed request', async () => {
    service.route('/api/v1/echo', (request, response) =>
      json(response, 500, { saw: request.headers['x-token'] }),
    );
    const harness = await harnessFor();
    const error = await failure(
      executor.run(harness.context, params({ path: '/echo', headers: { 'X-Token': ref('TOKEN') } })),
    );
    expect(error.code).toBe('HTTP_STATUS');
    expect(error.details.join(' ')).toContain('****');
    expect(
      JSON.stringify({ message: error.message, details: error.details, logs: harness.logs }),
    ).not.toContain(TOKEN);
  });

  it('fails with SECRET_MISSING (naming it) before sending anything', async () => {
    const harness = await harnessFor();
    const error = await failure(
      executor.run(harness.context, params({ path: '/x', headers: { 'X-Token': ref('NOPE') } })),
    );
    expect(error.code).toBe('SECRET_MISSING');
    expect(error.message).toContain('NOPE');
    expect(service.received).toEqual([]);
  });
});

describe('http.request: only the service origin', () => {
  it('follows a redirect within the origin (303 turns a POST into a GET)', async () => {
    service.route('/api/v1/start', (_request, response) => {
      response.writeHead(303, { location: '/elsewhere/done' }).end();
    });
    service.route('/elsewhere/done', (_request, response) => json(response, 200, { done: true }));
    const harness = await harnessFor();
    const outcome = await executor.run(
      harness.context,
      params({ method: 'POST', path: '/start', body: { a: 1 } }),
    );
    expect(outcome).toMatchObject({ output: { status: 200, body: { done: true } } });
    expect(service.received.map((r) => `${r.method} ${r.url} ${r.body}`)).toEqual([
      'POST /api/v1/start {"a":1}',
      'GET /elsewhere/done ',
    ]);
    expect(service.received[1]?.headers['idempotency-key']).toBe(`${harness.runId}/${harness.stepKey}`);
  });

  it('refuses a redirect to another origin, which never gets a request', async () => {
    other.route('/steal', (_request, response) => json(response, 200, {}));
    service.route('/api/v1/go', (_request, response) => {
      response.writeHead(302, { location: `${other.origin}/steal` }).end();
    });
    const harness = await harnessFor();
    const call = params({ path: '/go', headers: { 'X-Token': ref('TOKEN') } });
    const error = await failure(executor.run(harness.context, call));
    expect(error.code).toBe('HTTP_REDIRECT_REFUSED');
    expect(error.message).toContain(other.origin);
    expect(other.received).toEqual([]);
  });

  it('stops after too many redirects', async () => {
    service.route('/api/v1/loop', (_request, response) => {
      response.writeHead(307, { location: '/api/v1/loop' }).end();
    });
    const harness = await harnessFor();
    const error = await failure(executor.run(harness.context, params({ path: '/loop' })));
    expect(error.code).toBe('HTTP_REDIRECT_REFUSED');
    expect(service.received).toHaveLength(6);
  });

  it.each([
    '/../admin',
    '/a/../../admin',
    '/%2e%2e/admin',
    '/a/%2E%2e%2Fadmin',
    '/a/..%2f..%2fadmin',
    '//evil.example/x',
    `${'http'}://evil.example/x`,
    'admin',
    '/a\\..\\b',
  ])('refuses the path %s and sends nothing', async (path) => {
    const harness = await harnessFor();
    expect(executor.params.safeParse({ service: 'Api', path }).success).toBe(false);
    // The same refusal when the executor is handed the path directly (as a rendered template).
    const call: HttpRequestParams = { service: 'Api', method: 'GET', path, headers: [] };
    expect((await failure(executor.run(harness.context, call))).code).toBe('PATH_FORBIDDEN');
    expect(service.received).toEqual([]);
  });
});

describe('http.request: failures', () => {
  it.each([
    [503, true],
    [429, true],
    [404, false],
    [400, false],
  ])('a %i answer is HTTP_STATUS, retryable: %s', async (status, retryable) => {
    service.route('/api/v1/x', (_request, response) => json(response, status, { error: 'no' }));
    const harness = await harnessFor();
    const error = await failure(executor.run(harness.context, params({ path: '/x' })));
    expect(error.code).toBe('HTTP_STATUS');
    expect(error.retryable).toBe(retryable);
    expect(error.message).toContain(String(status));
  });

  it('caps the response, declared or streamed', async () => {
    service.route('/api/v1/declared', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(2048));
    });
    service.route('/api/v1/streamed', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('y'.repeat(800));
      setTimeout(() => response.end('y'.repeat(800)), 5);
    });
    const harness = await harnessFor();
    for (const path of ['/declared', '/streamed']) {
      expect((await failure(executor.run(harness.context, params({ path })))).code).toBe(
        'HTTP_RESPONSE_TOO_LARGE',
      );
    }
  });

  it('stops when the signal aborts, with its reason', async () => {
    service.route('/api/v1/slow', () => {
      // Never answers: only the abort ends the request.
    });
    const harness = await harnessFor();
    const controller = new AbortController();
    const running = executor.run(harness.wake({ signal: controller.signal }), params({ path: '/slow' }));
    while (service.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const reason = new Error('cancelled by /cancel');
    controller.abort(reason);
    await expect(running).rejects.toBe(reason);
  });

  it('an unreachable service is HTTP_FAILED, retryable', async () => {
    const harness = await harnessFor(`http://127.0.0.1:${await closedPort()}`);
    const error = await failure(executor.run(harness.context, params({ path: '/x' })));
    expect(error.code).toBe('HTTP_FAILED');
    expect(error.retryable).toBe(true);
  });
});
