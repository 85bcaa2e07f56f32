/** The dispatcher's record cache: /add skips the read it can, and two "processes" still agree. */
import { describe, expect, it } from 'vitest';
import { createDispatcher, type Dispatcher } from '../../src/commands/dispatch.js';
import { silentLogger } from '../../src/logging.js';
import { MemoryInteractionStore } from '../../src/session/memory-interactions.js';
import type { MemorySessionStore } from '../../src/session/memory-store.js';
import type { ChannelKey, SessionRecord } from '../../src/session/port.js';
import { DEFAULT_LIMITS } from '../../src/document/types.js';
import { CountingStore } from '../support/counting-store.js';
import { textOf } from '../support/harness.js';

const CHANNEL: ChannelKey = { platform: 'slack', workspace: 'T1', channel: 'C1' };

function dispatcherOn(store: MemorySessionStore): Dispatcher {
  return createDispatcher({
    sessions: store,
    interactions: new MemoryInteractionStore(),
    limits: DEFAULT_LIMITS,
    logger: silentLogger,
  });
}

async function ok(dispatcher: Dispatcher, text: string): Promise<string> {
  const reply = await dispatcher.handle({ text, actor: { id: 'u', name: 'u' }, channel: CHANNEL });
  expect(reply.ok, `${text}\n${textOf(reply)}`).toBe(true);
  return textOf(reply);
}

function taskNames(record: SessionRecord): string[] {
  const tasks = record.document?.tasks;
  if (!Array.isArray(tasks)) return [];
  return tasks.flatMap((task) =>
    typeof task === 'object' && task !== null && !Array.isArray(task) && !(task instanceof Date)
      ? [String(task.name)]
      : [],
  );
}

describe('the dispatcher with its record cache', () => {
  it('runs /add without reading the session once it knows the channel', async () => {
    const store = new CountingStore();
    const dispatcher = dispatcherOn(store);
    await ok(dispatcher, '/create name="Cached"');
    store.reads = 0;
    store.writes = 0;
    for (let i = 0; i < 5; i++) await ok(dispatcher, `/add tasks name="T${i}" description="d"`);
    expect({ reads: store.reads, writes: store.writes }).toEqual({ reads: 0, writes: 5 });
    expect(taskNames(await store.read(CHANNEL))).toEqual(['T0', 'T1', 'T2', 'T3', 'T4']);
  });

  it('keeps two processes on one store consistent: stale caches only cost a retry', async () => {
    const store = new CountingStore();
    const first = dispatcherOn(store);
    const second = dispatcherOn(store);
    await ok(first, '/create name="Shared"');
    const names: string[] = [];
    const runs: Promise<string>[] = [];
    for (let i = 0; i < 20; i++) {
      names.push(`T${i}`);
      runs.push(ok(i % 2 === 0 ? first : second, `/add tasks name="T${i}" description="d"`));
    }
    await Promise.all(runs);
    const record = await store.read(CHANNEL);
    expect(record.version).toBe(21);
    expect(taskNames(record).sort()).toEqual([...names].sort());
    const versions = (await store.history(CHANNEL)).map((entry) => entry.version);
    expect(versions).toEqual(Array.from({ length: 21 }, (_, i) => 21 - i));
  });

  it('shows what another process wrote: display commands read the store', async () => {
    const store = new CountingStore();
    const first = dispatcherOn(store);
    const second = dispatcherOn(store);
    await ok(first, '/create name="Shown"');
    await ok(first, '/add tasks name="Mine" description="d"');
    await ok(second, '/add tasks name="Theirs" description="d"');
    expect(await ok(first, '/show tasks')).toContain('Theirs');
    await ok(first, '/add tasks name="Again" description="d"');
    expect(taskNames(await store.read(CHANNEL))).toEqual(['Mine', 'Theirs', 'Again']);
  });

  it('re-checks a refusal against the store: /create after another process undid the draft', async () => {
    const store = new CountingStore();
    const first = dispatcherOn(store);
    const second = dispatcherOn(store);
    await ok(first, '/create name="Gone"');
    await ok(second, '/undo');
    // first's cache still holds the draft, which alone would refuse /create without force=true.
    expect(await ok(first, '/create name="Back"')).toContain('Created');
    expect((await store.read(CHANNEL)).version).toBe(3);
  });
});
