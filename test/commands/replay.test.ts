/**
 * /replay through a real dispatcher and runtime (memory run store, in-process queue): it starts a
 * run of the original's version and inputs carrying the `::replay` memo, and once that run's
 * snapshot is written (as the engine does when a run finishes) the match is on the original's.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replayCommand } from '../../src/commands/builtin/replay.js';
import { createDispatcher, type Dispatcher } from '../../src/commands/dispatch.js';
import { COMMANDS } from '../../src/commands/registry.js';
import type { Reply } from '../../src/commands/reply.js';
import { DEFAULT_LIMITS } from '../../src/document/types.js';
import { silentLogger } from '../../src/logging.js';
import { REPLAY_MEMO_KEY } from '../../src/runtime/ai/record.js';
import { readRunSnapshot, writeRunSnapshot } from '../../src/runtime/ai/run-snapshot.js';
import { EmbeddedRunQueue } from '../../src/runtime/queue-embedded.js';
import type { RunRecord } from '../../src/runtime/run-store.js';
import { MemoryRunStore } from '../../src/runtime/run-store-memory.js';
import { MemoryAccessStore } from '../../src/session/access-memory.js';
import { MemoryInteractionStore } from '../../src/session/memory-interactions.js';
import { MemorySessionStore } from '../../src/session/memory-store.js';
import type { ChannelKey } from '../../src/session/port.js';
import { richDocument } from '../contracts/session-store.fixtures.js';
import { assembleRuntime, finished } from '../support/runtime-parts.js';
import { snapshotErrors } from '../support/snapshot-schema.js';

const CHANNEL: ChannelKey = { platform: 'console', workspace: 'local', channel: 'replays' };

const WORKFLOW = [
  '/create name="Greeter" version="1.0.0"',
  '/add stages name="Compose" order=1',
  '/add stages.actions stage="Compose" name="Greeting" type="transform" with={ set = { text = "Hello {{ inputs.who }}" } }',
];

let store: MemoryRunStore;
let queue: EmbeddedRunQueue;
let dispatcher: Dispatcher;

beforeEach(async () => {
  store = new MemoryRunStore();
  queue = new EmbeddedRunQueue();
  const runtime = assembleRuntime({ store, queue });
  await runtime.work(2);
  dispatcher = createDispatcher({
    sessions: new MemorySessionStore(),
    interactions: new MemoryInteractionStore(),
    accessStore: new MemoryAccessStore(),
    // Ada and Bob may run; Carol holds only the defaults (read, write).
    accessPolicy: { admins: new Set(['console:ada', 'console:bob']), defaultPrivileges: ['read', 'write'] },
    limits: DEFAULT_LIMITS,
    logger: silentLogger,
    commands: [...COMMANDS, replayCommand],
    runtime,
  });
});

afterEach(async () => {
  await queue.close();
  await store.close();
});

function send(text: string, user = 'ada'): Promise<Reply> {
  return dispatcher.handle({ text, actor: { id: user, name: user }, channel: CHANNEL });
}

function textOf(reply: Reply): string {
  return reply.blocks.map((block) => (block.kind === 'text' ? block.text : '')).join('\n');
}

function runIdOf(reply: Reply): string {
  expect(reply.ok, textOf(reply)).toBe(true);
  return (reply.data as { run_id: string }).run_id;
}

function errorOf(reply: Reply): string {
  expect(reply.ok).toBe(false);
  return (reply.data as { error: { code: string } }).error.code;
}

async function finishedRun(): Promise<RunRecord> {
  for (const line of WORKFLOW) expect((await send(line)).ok).toBe(true);
  const run = await finished(store, runIdOf(await send('/run who="Ada"')));
  expect(run.state).toBe('succeeded');
  await writeRunSnapshot(store, run);
  return run;
}

describe('/replay', () => {
  it('runs the original again as the person asking, and the cached match lands on the original', async () => {
    const original = await finishedRun();
    const reply = await send(`/replay ${original.id}`, 'bob');
    const id = runIdOf(reply);
    expect(id).not.toBe(original.id);
    expect(textOf(reply)).toContain(`replays ${original.id} (cached)`);
    expect(reply.data).toMatchObject({ replay_of: original.id, mode: 'cached' });
    expect((await store.readStepMemo(id, REPLAY_MEMO_KEY))?.value).toEqual({
      of: original.id,
      mode: 'cached',
    });
    const replayed = await finished(store, id);
    expect(replayed).toMatchObject({
      state: 'succeeded',
      channel: original.channel,
      workflow: original.workflow,
      inputs: original.inputs,
      document: original.document,
      startedBy: { id: 'bob', name: 'bob' },
    });
    expect((await writeRunSnapshot(store, replayed)).match).toBe('exact_match');
    const snapshot = await readRunSnapshot(store, original.id);
    expect(snapshotErrors(snapshot)).toEqual([]);
    expect(snapshot?.replay_status).toMatchObject({
      replayed: true,
      replay_count: 1,
      match_status: 'exact_match',
    });
  });

  it('passes a live replay its threshold', async () => {
    const original = await finishedRun();
    const id = runIdOf(await send(`/replay ${original.id} mode=live threshold=0.9`));
    expect((await store.readStepMemo(id, REPLAY_MEMO_KEY))?.value).toEqual({
      of: original.id,
      mode: 'live',
      threshold: 0.9,
    });
    expect((await writeRunSnapshot(store, await finished(store, id))).match).toBe('exact_match');
  });

  it('refuses a bad mode or threshold, an unknown run and a run not finished, starting nothing', async () => {
    const original = await finishedRun();
    const before = await store.list(CHANNEL, { limit: 10 });
    expect(errorOf(await send(`/replay ${original.id} mode=fast`))).toBe('USAGE');
    expect(errorOf(await send(`/replay ${original.id} mode=live threshold=1.5`))).toBe('USAGE');
    expect(errorOf(await send(`/replay ${original.id} threshold=0.9`))).toBe('USAGE');
    expect(errorOf(await send('/replay rnope'))).toBe('NO_RUN');
    expect(errorOf(await send(`/replay ${original.id}`, 'carol'))).toBe('FORBIDDEN');
    // Never queued: it stays queued.
    await store.create({
      ...original,
      id: 'r-queued',
      document: richDocument(),
      state: 'queued',
      attempt: 0,
    });
    const refused = await send('/replay r-queued');
    expect(errorOf(refused)).toBe('USAGE');
    expect(textOf(refused)).toContain('r-queued is queued');
    expect(await store.list(CHANNEL, { limit: 10 })).toHaveLength(before.length + 1);
  });
});
