/**
 * The signed webhook through a real HTTP server on 127.0.0.1 (the route as `aitws serve` mounts
 * it, over the real body reader and refusals), on a real Runtime: good, bad, stale and replayed
 * signatures, the platform found from the signature, unknown channels and events. Then /hooks and
 * /emit through the dispatcher: the curl example /hooks shows is run as is and raises the event.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDispatcher } from '../../src/commands/dispatch.js';
import { DEFAULT_LIMITS } from '../../src/document/types.js';
import { readBody, refuseAndClose } from '../../src/http/body.js';
import { type HooksRouteOptions, hooksRoute, type PrefixRoute } from '../../src/http/hooks.js';
import { channelSecret, signature, webhookUrl } from '../../src/http/hooks-sign.js';
import { json } from '../../src/http/server.js';
import { silentLogger } from '../../src/logging.js';
import { storedVersions } from '../../src/runtime/events-version.js';
import { FileAccessStore } from '../../src/session/access-file.js';
import { FileSessionStore } from '../../src/session/file-store.js';
import { MemoryInteractionStore } from '../../src/session/memory-interactions.js';
import type { ChannelKey } from '../../src/session/port.js';
import { CHANNEL, createEventsHarness, type EventsHarness, HEAD } from '../runtime/events-harness.js';

const MASTER = 'master-webhook-secret-for-tests-0123456789';
const run = promisify(execFile);

const WORKFLOW =
  HEAD +
  '[[stages]]\nname = "Greet"\norder = 1\n' +
  '[[stages.actions]]\nname = "Post"\ntype = "chat.notify"\nwith = { text = "Hello {{ inputs.who }}" }\n' +
  '[[events]]\nname = "Created"\ntype = "resource_creation"\n' +
  '[[triggers]]\nname = "OnCreated"\nevent = "Created"\nhandler = "Start"\n' +
  '[[handlers]]\nname = "Start"\naction = "run"\n';

interface Listening {
  readonly base: string;
  close(): Promise<void>;
}

/** What server.ts does for a route, with the prefix match serve.ts gets for /hooks/. */
async function serve(route: PrefixRoute): Promise<Listening> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '';
    if (request.method !== route.method || !path.startsWith(route.path)) {
      json(response, 404, { error: 'not found' });
      return;
    }
    const refusal = route.refuse?.(request);
    if (refusal !== undefined) {
      refuseAndClose(request, response, refusal);
      return;
    }
    readBody(request, route.maxBodyBytes ?? 65_536)
      .then((body) => route.handle(request, response, body))
      .catch(() => json(response, 500, { error: 'internal error' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function signedHeaders(
  channel: ChannelKey,
  body: string,
  options: { readonly at?: number; readonly id?: string; readonly secret?: string } = {},
): Record<string, string> {
  const timestamp = String(options.at ?? Math.floor(Date.now() / 1000));
  const secret = options.secret ?? channelSecret(MASTER, channel);
  return {
    'x-aitws-timestamp': timestamp,
    'x-aitws-signature': signature(secret, timestamp, body),
    ...(options.id === undefined ? {} : { 'x-aitws-event-id': options.id }),
  };
}

let h: EventsHarness;
let server: Listening;

async function start(options: Partial<HooksRouteOptions> = {}): Promise<void> {
  server = await serve(
    hooksRoute({
      secret: MASTER,
      router: h.router,
      versions: async (channel) => h.version(channel),
      logger: silentLogger,
      ...options,
    }),
  );
}

beforeEach(async () => {
  h = await createEventsHarness();
});
afterEach(async () => {
  await server.close();
  await h.close();
});

describe('POST /hooks/<workspace>/<channel>/<event>', () => {
  it('a signed event is accepted (202) and starts its run with the body as inputs; a replay of its id starts nothing (200)', async () => {
    h.setDocument(WORKFLOW);
    await start();
    const url = webhookUrl(server.base, CHANNEL, 'Created');
    const body = JSON.stringify({ who: 'Hook' });
    const first = await post(url, body, signedHeaders(CHANNEL, body, { id: 'delivery-1' }));
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({
      id: 'delivery-1',
      event: 'resource_creation',
      triggers: [{ trigger: 'OnCreated', outcome: 'run' }],
    });
    const runs = first.body.runs as string[];
    expect(runs).toHaveLength(1);

    const replay = await post(url, body, signedHeaders(CHANNEL, body, { id: 'delivery-1' }));
    expect(replay).toEqual({ status: 200, body: { duplicate: true, id: 'delivery-1' } });
    await h.settle();
    const stored = await h.runs();
    expect(stored.map((r) => [r.id, r.state, r.inputs])).toEqual([[runs[0], 'succeeded', { who: 'Hook' }]]);
    expect(h.posts.map((p) => p.text)).toEqual(['Hello Hook']);
  });

  it('takes the event id from the body, and without one catches a byte-for-byte replay', async () => {
    h.setDocument(WORKFLOW);
    await start();
    const url = webhookUrl(server.base, CHANNEL, 'resource_creation');
    const withId = JSON.stringify({ id: 'body-id', who: 'A' });
    expect((await post(url, withId, signedHeaders(CHANNEL, withId))).status).toBe(202);
    expect((await post(url, withId, signedHeaders(CHANNEL, withId))).body).toEqual({
      duplicate: true,
      id: 'body-id',
    });
    const bare = JSON.stringify({ who: 'B' });
    const headers = signedHeaders(CHANNEL, bare);
    expect((await post(url, bare, headers)).status).toBe(202);
    expect((await post(url, bare, headers)).body).toMatchObject({ duplicate: true });
    await h.settle();
    expect(await h.runs()).toHaveLength(2);
  });

  it('refuses a wrong signature, a tampered body, another channel’s key and a missing signature with 401', async () => {
    h.setDocument(WORKFLOW);
    await start();
    const url = webhookUrl(server.base, CHANNEL, 'Created');
    const body = JSON.stringify({ who: 'Mallory' });
    const wrongKey = await post(url, body, signedHeaders(CHANNEL, body, { secret: 'guessed' }));
    expect(wrongKey).toEqual({ status: 401, body: { error: 'bad signature' } });
    const tampered = await post(url, JSON.stringify({ who: 'Eve' }), signedHeaders(CHANNEL, body));
    expect(tampered.status).toBe(401);
    const otherChannel = signedHeaders({ ...CHANNEL, channel: 'other' }, body);
    expect((await post(url, body, otherChannel)).status).toBe(401);
    const unsigned = await post(url, body, { 'x-aitws-timestamp': String(Math.floor(Date.now() / 1000)) });
    expect(unsigned).toEqual({ status: 401, body: { error: 'missing x-aitws-signature header' } });
    expect(await h.runs()).toEqual([]);
  });

  it('refuses a stale or future timestamp with 401 and the reason, before reading the body', async () => {
    h.setDocument(WORKFLOW);
    await start();
    const url = webhookUrl(server.base, CHANNEL, 'Created');
    const body = JSON.stringify({ who: 'Late' });
    const now = Math.floor(Date.now() / 1000);
    const stale = await post(url, body, signedHeaders(CHANNEL, body, { at: now - 301, id: 'late' }));
    expect(stale.status).toBe(401);
    expect(String(stale.body.error)).toMatch(/^stale request: its timestamp is 30\d s from ours/);
    const future = await post(url, body, signedHeaders(CHANNEL, body, { at: now + 400, id: 'early' }));
    expect(future.status).toBe(401);
    const missing = await post(url, body, { 'x-aitws-signature': 'v1=00' });
    expect(String(missing.body.error)).toMatch(/missing or malformed x-aitws-timestamp/);
    // Within the window is fine.
    const recent = await post(url, body, signedHeaders(CHANNEL, body, { at: now - 200, id: 'recent' }));
    expect(recent.status).toBe(202);
  });

  it('finds the platform from the signature: the path holds only workspace, channel and event', async () => {
    const slack: ChannelKey = { platform: 'slack', workspace: 'T0001', channel: 'C0001' };
    h.setDocument(WORKFLOW, slack);
    await start();
    const url = webhookUrl(server.base, slack, 'Created');
    const body = JSON.stringify({ who: 'Slacker' });
    const asConsole = signedHeaders({ ...slack, platform: 'console' }, body, { id: 'p1' });
    expect((await post(url, body, asConsole)).status).toBe(404);
    const answer = await post(url, body, signedHeaders(slack, body, { id: 'p2' }));
    expect(answer.status).toBe(202);
    await h.settle();
    expect((await h.runs(slack)).map((r) => r.channel)).toEqual([slack]);
  });

  it('answers 404 for a channel without a workflow or an event the workflow does not have, 400 for a body that is not an object', async () => {
    h.setDocument(WORKFLOW);
    await start();
    const body = JSON.stringify({ who: 'X' });
    const nowhere = { ...CHANNEL, channel: 'empty' };
    const none = await post(webhookUrl(server.base, nowhere, 'Created'), body, signedHeaders(nowhere, body));
    expect(none).toEqual({ status: 404, body: { error: 'this channel has no workflow to run' } });
    const unknown = await post(
      webhookUrl(server.base, CHANNEL, 'Deleted'),
      body,
      signedHeaders(CHANNEL, body),
    );
    expect(unknown).toEqual({ status: 404, body: { error: 'the workflow has no event "Deleted"' } });
    const list = '[1,2]';
    const notObject = await post(
      webhookUrl(server.base, CHANNEL, 'Created'),
      list,
      signedHeaders(CHANNEL, list),
    );
    expect(notObject).toEqual({ status: 400, body: { error: 'the body must be a JSON object' } });
    const short = await post(`${server.base}/hooks/local/events`, body, signedHeaders(CHANNEL, body));
    expect(short.status).toBe(404);
    expect(await h.runs()).toEqual([]);
  });

  it('caps the body (the server refuses more with 413 before the route sees it)', async () => {
    await start();
    const options = { secret: MASTER, router: h.router, versions: async () => null, logger: silentLogger };
    expect(hooksRoute(options).maxBodyBytes).toBe(64 * 1024);
    expect(hooksRoute({ ...options, maxBodyBytes: 1024 })).toMatchObject({
      maxBodyBytes: 1024,
      prefix: true,
      path: '/hooks/',
    });
  });
});

describe('/hooks and /emit', () => {
  const channel: ChannelKey = { platform: 'console', workspace: 'local', channel: 'hooked' };
  let dataDir: string;

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('/hooks shows an admin the key and a curl example that signs correctly; /emit raises the event', async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'aitws-hooks-'));
    const sessions = new FileSessionStore({ dataDir });
    const access = new FileAccessStore({ dataDir });
    const versions = storedVersions({ sessions, access });
    const router = h.makeRouter({ claims: new MemoryInteractionStore(), versions });
    await start({ router, versions });
    const dispatcher = createDispatcher({
      sessions,
      interactions: new MemoryInteractionStore(),
      accessStore: access,
      accessPolicy: { admins: new Set(['console:alice']), defaultPrivileges: ['read', 'write'] },
      limits: DEFAULT_LIMITS,
      logger: silentLogger,
      runtime: h.runtime,
      events: router,
      webhooks: { secret: MASTER, baseUrl: server.base },
    });
    const as = (user: string, text: string) =>
      dispatcher.handle({ text, actor: { id: user, name: user }, channel });
    for (const line of [
      '/create name="Hooked" version="1"',
      '/add roles name="Administrator" privileges=["all"]',
      '/add stages name="Greet" order=1',
      '/add stages.actions stage="Greet" name="Post" type="chat.notify" with={ text = "Hello {{ inputs.key }}" }',
      '/add events name="ResourceCreationEvent" type="resource_creation"',
      '/add triggers name="Tell" event="ResourceCreationEvent" handler="NotifyAdmins"',
      '/add triggers name="Start" event="ResourceCreationEvent" handler="StartRun"',
      '/add handlers name="NotifyAdmins" action="NotifyAdministrator"',
      '/add handlers name="StartRun" action="run"',
    ])
      expect((await as('alice', line)).ok, line).toBe(true);

    expect((await as('bob', '/hooks')).ok).toBe(false);
    const hooks = await as('alice', '/hooks');
    expect(hooks).toMatchObject({ ok: true, visibility: 'ephemeral' });
    const key = channelSecret(MASTER, channel);
    const code = hooks.blocks.find((block) => block.kind === 'code');
    if (code?.kind !== 'code') throw new Error('no curl example');
    expect(code.code).toContain(`HOOK_KEY='${key}'`);
    expect(code.code).not.toContain('****');
    const list = hooks.blocks.find((block) => block.kind === 'list');
    expect(list?.kind === 'list' && list.items[0]).toMatch(
      new RegExp(
        `^ResourceCreationEvent \\(type resource_creation\\): ${server.base}/hooks/local/hooked/%52esourceCreationEvent$`,
      ),
    );

    const { stdout } = await run('sh', ['-c', code.code], { timeout: 10_000 });
    const answer = JSON.parse(stdout) as { runs: string[]; triggers: { trigger: string; ok?: boolean }[] };
    expect(answer.triggers.map((t) => t.trigger)).toEqual(['Tell', 'Start']);
    expect(answer.runs).toHaveLength(1);

    expect((await as('bob', '/emit ResourceCreationEvent key="nope"')).ok).toBe(false);
    const emitted = await as('alice', '/emit ResourceCreationEvent key="from emit"');
    expect(emitted.ok).toBe(true);
    const items = emitted.blocks.find((block) => block.kind === 'list');
    expect(items?.kind === 'list' && items.items[0]).toBe('Tell → NotifyAdmins: ran (chat.notify)');
    const data = emitted.data as { event: string; runs: string[] };
    expect(data.event).toBe('resource_creation');
    expect(data.runs).toHaveLength(1);
    await h.settle();
    const texts = h.posts.map((p) => p.text);
    expect(texts).toContain('Hello value');
    expect(texts).toContain('Hello from emit');
    expect(texts.filter((t) => t.startsWith('Workflow event resource_creation'))).toHaveLength(2);

    // Once review is required and nothing is approved, the webhook has no version to read.
    expect((await as('alice', '/add change_management review_required=true')).ok).toBe(true);
    const pending = await as('alice', '/hooks');
    expect(pending.ok).toBe(true);
    expect(pending.warnings.join(' ')).toMatch(/Until a version is approved the webhook answers 404/);
    const again = await run('sh', ['-c', code.code], { timeout: 10_000 });
    expect(JSON.parse(again.stdout)).toEqual({ error: 'this channel has no workflow to run' });
  });
});
