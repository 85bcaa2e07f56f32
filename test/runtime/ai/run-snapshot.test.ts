/**
 * Execution snapshots of runs written by hand through the RunStore API (run, journal, AI records
 * in step memos, a replay memo), on the memory and file stores: the snapshot validates against the
 * aiwg schema, is stored once with a stable id, and a replay run records how it matched on the
 * original's snapshot.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AitwsDocument } from '../../../src/document/types.js';
import { canonicalJson } from '../../../src/runtime/ai/canonical.js';
import { aiRecordKey, REPLAY_MEMO_KEY, SNAPSHOT_MEMO_KEY } from '../../../src/runtime/ai/record.js';
import {
  NO_MODEL,
  readRunSnapshot,
  snapshotOfRun,
  writeRunSnapshot,
} from '../../../src/runtime/ai/run-snapshot.js';
import { hashJson } from '../../../src/runtime/ai/snapshot.js';
import type { JsonObject, JsonValue, RunRecord, RunStore } from '../../../src/runtime/run-store.js';
import { FileRunStore } from '../../../src/runtime/run-store-file.js';
import { MemoryRunStore } from '../../../src/runtime/run-store-memory.js';
import { richDocument } from '../../contracts/session-store.fixtures.js';
import { snapshotErrors } from '../../support/snapshot-schema.js';

const at = (second: number): string => new Date(Date.UTC(2026, 11, 6, 12, 0, second)).toISOString();
const NOW = () => new Date('2026-12-06T13:00:00.000Z');

function aiRecord(overrides: JsonObject = {}): JsonObject {
  return {
    action: 'Classify',
    capability: 'language_model.generative',
    provider: 'anthropic',
    model: 'claude-haiku-4-5',
    configured_model: 'claude-sonnet-4-5',
    execution_mode: 'strict',
    control: { max_tokens: 512, temperature: 0, top_p: 1, seed: 7, stop: ['###'] },
    fingerprint: 'sha256:feed',
    input: { system: 'Be brief.', user: 'Classify: printer on fire' },
    system: 'Be brief.',
    response_text: '{"label":"hardware"}',
    value: { label: 'hardware' },
    usage: { input_tokens: 120, output_tokens: 30 },
    cost_usd: 0.002,
    latency_ms: 41.6,
    attempts: [
      { model: 'claude-sonnet-4-5', iteration: 1, ok: false, reasons: ['overloaded'], cached: false },
      { model: 'claude-haiku-4-5', iteration: 1, ok: true, reasons: [], cached: false },
    ],
    repairs: 0,
    switches: [{ from: 'claude-sonnet-4-5', to: 'claude-haiku-4-5', kind: 'provider_error', reason: '529' }],
    cached: false,
    truncations: 0,
    trimmed: [],
    safety: [],
    escalated: false,
    at: at(2),
    ...overrides,
  };
}

interface StepSpec {
  readonly key: string;
  readonly output?: JsonValue;
  readonly failed?: boolean;
  readonly ai?: JsonObject;
}

/** A run through its life as the engine would store it: created, steps journaled, finished. */
async function storeRun(
  store: RunStore,
  id: string,
  steps: readonly StepSpec[],
  end: 'succeeded' | 'failed' | 'running' = 'succeeded',
): Promise<RunRecord> {
  const created = await store.create({
    id,
    channel: { platform: 'console', workspace: 'local', channel: 'snap' },
    workflow: { name: 'triage', version: 3, hash: `sha256:${'ab'.repeat(32)}` },
    document: documentOf(steps),
    inputs: { ticket: 'Printer on fire', tags: ['hardware'] },
    state: 'queued',
    attempt: 0,
    startedBy: { id: 'U1', name: 'Ada' },
    createdAt: at(0),
    updatedAt: at(0),
    deadline: at(59),
  });
  const running = { ...created, state: 'running' as const, attempt: 1, updatedAt: at(1) };
  expect((await store.update(id, 1, running)).ok).toBe(true);
  for (const step of steps) await journal(store, id, step);
  if (end !== 'running') {
    const done = { ...running, state: end, updatedAt: at(5) };
    expect((await store.update(id, 2, done)).ok).toBe(true);
  }
  const stored = await store.read(id);
  if (stored === null) throw new Error(`run ${id} was not stored`);
  return stored;
}

/** The workflow the steps come from: a step with an AI record is an ai.invoke action. */
function documentOf(steps: readonly StepSpec[]): AitwsDocument {
  const stages = new Map<string, { name: string; type: string }[]>();
  for (const step of steps) {
    const [stage = '', action = ''] = step.key.replace(/#\d+$/, '').split('/');
    const actions = stages.get(stage) ?? [];
    actions.push({ name: action, type: step.ai === undefined ? 'transform' : 'ai.invoke' });
    stages.set(stage, actions);
  }
  return {
    ...richDocument(),
    stages: [...stages].map(([name, actions], index) => ({ name, order: index + 1, actions })),
  };
}

async function journal(store: RunStore, id: string, step: StepSpec): Promise<void> {
  const base = { key: step.key, idempotencyKey: `${id}/${step.key}`, startedAt: at(1) };
  await store.recordStep(id, { ...base, state: 'started' });
  if (step.ai !== undefined)
    expect(await store.writeStepMemo(id, aiRecordKey(step.key), 0, step.ai)).toBe(true);
  await store.recordStep(
    id,
    step.failed === true
      ? { ...base, state: 'failed', finishedAt: at(3), error: { code: 'ACTION_FAILED', message: 'no' } }
      : {
          ...base,
          state: 'succeeded',
          finishedAt: at(3),
          ...(step.output === undefined ? {} : { output: step.output }),
        },
  );
}

const TRIAGE: readonly StepSpec[] = [
  { key: 'Read/Fetch#0', output: { body: 'Printer on fire' } },
  { key: 'Think/Classify#0', output: { label: 'hardware' }, ai: aiRecord() },
  {
    key: 'Think/Reply#0',
    output: { text: 'We are on it.' },
    ai: aiRecord({
      action: 'Reply',
      response_text: 'We are on it.',
      repairs: 1,
      usage: { input_tokens: 10, output_tokens: 5 },
    }),
  },
  { key: 'Think/Broken#0', failed: true, ai: aiRecord({ action: 'Broken' }) },
];

async function replayRun(
  store: RunStore,
  id: string,
  of: string,
  memo: { mode: 'cached' | 'live'; threshold?: number },
  steps: readonly StepSpec[],
): Promise<RunRecord> {
  const run = await storeRun(store, id, [], 'running');
  expect(await store.writeStepMemo(id, REPLAY_MEMO_KEY, 0, { of, ...memo })).toBe(true);
  for (const step of steps) await journal(store, id, step);
  expect((await store.update(id, run.revision, { ...run, state: 'succeeded', updatedAt: at(6) })).ok).toBe(
    true,
  );
  const stored = await store.read(id);
  if (stored === null) throw new Error(`run ${id} was not stored`);
  return stored;
}

const answer = (text: JsonValue): StepSpec[] => [{ key: 'Think/Answer#0', output: text, ai: aiRecord() }];

type Factory = () => Promise<{ store: RunStore; cleanup: () => Promise<void> }>;

const STORES: [string, Factory][] = [
  ['MemoryRunStore', async () => ({ store: new MemoryRunStore(), cleanup: async () => {} })],
  [
    'FileRunStore',
    async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'aitws-snapshots-'));
      return {
        store: new FileRunStore({ dataDir: dir }),
        cleanup: () => rm(dir, { recursive: true, force: true }),
      };
    },
  ],
];

describe.each(STORES)('run snapshots on %s', (_name, factory) => {
  let store: RunStore;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ store, cleanup } = await factory());
  });

  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  it("builds a valid snapshot from the journal and the succeeded steps' AI records", async () => {
    const run = await storeRun(store, 'run-1', TRIAGE, 'failed');
    const snapshot = await snapshotOfRun(store, run, { now: NOW });
    expect(snapshotErrors(snapshot)).toEqual([]);
    expect(snapshot).toMatchObject({
      workflow_id: 'triage@3',
      workflow_hash: run.workflow.hash,
      run_id: 'run-1',
      captured_at: '2026-12-06T13:00:00.000Z',
      config: {
        model: { id: 'claude-sonnet-4-5', provider: 'anthropic' },
        execution_mode: 'strict',
        temperature: 0,
        top_p: 1,
        seed: 7,
        max_tokens: 512,
        stop_sequences: ['###'],
        system_prompt_hash: hashJson('Be brief.'),
      },
      inputs: { inputs_hash: hashJson(run.inputs) },
      metrics: { duration_ms: 5000, ai_calls_count: 2, iterations: 4, repairs: 1, tokens_input: 130 },
      replay_status: { replayed: false, replay_count: 0, match_status: 'not_replayed' },
    });
    // The failed step is in neither the outputs nor the AI calls.
    expect(snapshot.outputs.response).toBe(
      canonicalJson({
        'Read/Fetch#0': { body: 'Printer on fire' },
        'Think/Classify#0': { label: 'hardware' },
        'Think/Reply#0': { text: 'We are on it.' },
      }),
    );
    expect(snapshot.ai_calls.map((call) => [call.action, call.model])).toEqual([
      ['Think/Classify#0', 'claude-haiku-4-5'],
      ['Think/Reply#0', 'claude-haiku-4-5'],
    ]);
    expect(snapshot.ai_calls[0]).toMatchObject({
      request_fingerprint: 'sha256:feed',
      envelope_hash: hashJson({ system: 'Be brief.', user: 'Classify: printer on fire' }),
      response_hash: hashJson('{"label":"hardware"}'),
      latency_ms: 42,
      attempts: 2,
    });
    expect(snapshot.snapshot_id).not.toBe((await snapshotOfRun(store, run)).snapshot_id);
  });

  it('still validates for a run that made no AI call', async () => {
    const run = await storeRun(store, 'run-plain', [{ key: 'Only/Step#0' }]);
    const snapshot = await snapshotOfRun(store, run);
    expect(snapshotErrors(snapshot)).toEqual([]);
    expect(snapshot.config).toEqual({ model: { id: NO_MODEL }, execution_mode: 'default' });
    expect(snapshot.outputs.response).toBe('{"Only/Step#0":null}');
    expect(snapshot.ai_calls).toEqual([]);
  });

  it('ignores a step memo that is not an AI record', async () => {
    const run = await storeRun(store, 'run-odd', [{ key: 'A/B#0', output: 1, ai: { votes: [] } }]);
    expect((await snapshotOfRun(store, run)).ai_calls).toEqual([]);
  });

  it('stores the snapshot once: the id stays, an unchanged run is not written again', async () => {
    const run = await storeRun(store, 'run-1', TRIAGE);
    const first = await writeRunSnapshot(store, run);
    expect(first.match).toBeUndefined();
    expect(snapshotErrors(first.snapshot)).toEqual([]);
    const memo = await store.readStepMemo('run-1', SNAPSHOT_MEMO_KEY);
    expect(memo?.revision).toBe(1);
    const again = await writeRunSnapshot(store, run, { now: NOW });
    expect(again.snapshot).toEqual(first.snapshot);
    expect((await store.readStepMemo('run-1', SNAPSHOT_MEMO_KEY))?.revision).toBe(1);
    expect(await readRunSnapshot(store, 'run-1')).toEqual(first.snapshot);
  });

  it('concurrent writers of one run agree on one snapshot id', async () => {
    const run = await storeRun(store, 'run-1', TRIAGE);
    const written = await Promise.all(Array.from({ length: 8 }, () => writeRunSnapshot(store, run)));
    const ids = new Set(written.map((result) => result.snapshot.snapshot_id));
    expect(ids.size).toBe(1);
    expect((await readRunSnapshot(store, 'run-1'))?.snapshot_id).toBe([...ids][0]);
  });

  it('a run retried to success gets new content under the same id and replay history', async () => {
    const failed = await storeRun(
      store,
      'run-1',
      [
        { key: 'A/One#0', output: 1 },
        { key: 'A/Two#0', failed: true },
      ],
      'failed',
    );
    const before = await writeRunSnapshot(store, failed);
    await replayRun(store, 'replay-1', 'run-1', { mode: 'cached' }, [{ key: 'A/One#0', output: 1 }]);
    await writeRunSnapshot(store, (await store.read('replay-1')) as RunRecord);
    // /retry: queued again, the failed step succeeds this time.
    const queued = { ...failed, state: 'queued' as const, updatedAt: at(7) };
    expect((await store.update('run-1', failed.revision, queued)).ok).toBe(true);
    const running = { ...queued, state: 'running' as const, attempt: 2, updatedAt: at(8) };
    expect((await store.update('run-1', failed.revision + 1, running)).ok).toBe(true);
    await journal(store, 'run-1', { key: 'A/Two#0', output: 2 });
    expect(
      (await store.update('run-1', failed.revision + 2, { ...running, state: 'succeeded', updatedAt: at(9) }))
        .ok,
    ).toBe(true);
    const after = await writeRunSnapshot(store, (await store.read('run-1')) as RunRecord);
    expect(after.snapshot.snapshot_id).toBe(before.snapshot.snapshot_id);
    expect(after.snapshot.outputs.response).toBe('{"A/One#0":1,"A/Two#0":2}');
    expect(after.snapshot.metrics.duration_ms).toBe(9000);
    expect(after.snapshot.replay_status).toMatchObject({ replay_count: 1, match_status: 'exact_match' });
    expect(await readRunSnapshot(store, 'run-1')).toEqual(after.snapshot);
  });

  it('readRunSnapshot: null for an unknown or unfinished run, built on the fly for an old finished one', async () => {
    expect(await readRunSnapshot(store, 'nobody')).toBeNull();
    await storeRun(store, 'run-busy', TRIAGE, 'running');
    expect(await readRunSnapshot(store, 'run-busy')).toBeNull();
    await storeRun(store, 'run-old', TRIAGE);
    const built = await readRunSnapshot(store, 'run-old');
    expect(built?.run_id).toBe('run-old');
    expect(snapshotErrors(built)).toEqual([]);
    // Reading changes nothing.
    expect(await store.readStepMemo('run-old', SNAPSHOT_MEMO_KEY)).toBeNull();
  });

  describe('replays', () => {
    async function original(output: JsonValue, stored = true): Promise<RunRecord> {
      const run = await storeRun(store, 'orig', answer(output));
      if (stored) await writeRunSnapshot(store, run);
      return run;
    }

    async function replay(
      id: string,
      memo: { mode: 'cached' | 'live'; threshold?: number },
      output: JsonValue,
    ) {
      return writeRunSnapshot(store, await replayRun(store, id, 'orig', memo, answer(output)), {
        now: () => new Date('2026-12-07T09:00:00.000Z'),
      });
    }

    async function originalStatus() {
      const snapshot = await readRunSnapshot(store, 'orig');
      expect(snapshotErrors(snapshot)).toEqual([]);
      return snapshot?.replay_status;
    }

    it('cached: identical outputs are an exact match, recorded on the original, counted once per replay', async () => {
      await original({ label: 'hardware' });
      const id = (await readRunSnapshot(store, 'orig'))?.snapshot_id;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      const done = await replay('rep-1', { mode: 'cached' }, { label: 'hardware' });
      expect(done.match).toBe('exact_match');
      expect(snapshotErrors(done.snapshot)).toEqual([]);
      expect(await originalStatus()).toEqual({
        replayed: true,
        replay_count: 1,
        last_replay: '2026-12-07T09:00:00.000Z',
        match_status: 'exact_match',
      });
      // Writing the replay's snapshot again does not count the replay twice.
      const rewritten = await writeRunSnapshot(store, (await store.read('rep-1')) as RunRecord);
      expect(rewritten.match).toBe('exact_match');
      expect((await originalStatus())?.replay_count).toBe(1);
      expect((await replay('rep-2', { mode: 'cached' }, { label: 'hardware' })).match).toBe('exact_match');
      expect(await originalStatus()).toMatchObject({ replay_count: 2, match_status: 'exact_match' });
      // The original's own snapshot kept its id through the replays.
      expect((await readRunSnapshot(store, 'orig'))?.snapshot_id).toBe(id);
    });

    it('cached: any difference is no match', async () => {
      await original('The printer is on fire.');
      expect((await replay('rep-1', { mode: 'cached' }, 'The printer is on fire!')).match).toBe('no_match');
      expect(await originalStatus()).toMatchObject({ replay_count: 1, match_status: 'no_match' });
    });

    it('live: semantic above the threshold, else structural (same shape, other words: partial)', async () => {
      await original('The printer on floor two is on fire, call facilities now');
      expect(
        (await replay('rep-1', { mode: 'live' }, 'the PRINTER on floor two is on fire. Call facilities now!'))
          .match,
      ).toBe('semantic_match');
      const reworded = 'The printer on floor two is burning, call facilities now';
      expect((await replay('rep-2', { mode: 'live' }, reworded)).match).toBe('partial_match');
      expect((await replay('rep-3', { mode: 'live', threshold: 0.6 }, reworded)).match).toBe(
        'semantic_match',
      );
      expect(await originalStatus()).toMatchObject({
        replayed: true,
        replay_count: 3,
        match_status: 'semantic_match',
      });
    });

    it('live: same shape with other values is a partial match', async () => {
      await original({ label: 'hardware', score: 0.9 });
      expect((await replay('rep-1', { mode: 'live' }, { label: 'network', score: 0.2 })).match).toBe(
        'partial_match',
      );
      expect((await replay('rep-2', { mode: 'live' }, { category: 'network' })).match).toBe('no_match');
      expect(await originalStatus()).toMatchObject({ replay_count: 2, match_status: 'no_match' });
    });

    it("stores the original's snapshot when it had none, with the replay counted", async () => {
      await original({ label: 'hardware' }, false);
      expect(await store.readStepMemo('orig', SNAPSHOT_MEMO_KEY)).toBeNull();
      expect((await replay('rep-1', { mode: 'cached' }, { label: 'hardware' })).match).toBe('exact_match');
      expect(await originalStatus()).toMatchObject({ replay_count: 1, match_status: 'exact_match' });
      expect((await store.readStepMemo('orig', SNAPSHOT_MEMO_KEY))?.revision).toBe(1);
    });

    it('concurrent replays are all counted', async () => {
      await original({ label: 'hardware' });
      const runs = await Promise.all(
        ['a', 'b', 'c', 'd', 'e'].map((id) =>
          replayRun(store, `rep-${id}`, 'orig', { mode: 'cached' }, answer({ label: 'hardware' })),
        ),
      );
      await Promise.all(runs.map((run) => writeRunSnapshot(store, run)));
      expect(await originalStatus()).toMatchObject({ replay_count: 5, match_status: 'exact_match' });
    });

    it('a replay of a run that is gone records nothing', async () => {
      const done = await writeRunSnapshot(
        store,
        await replayRun(store, 'rep-1', 'vanished', { mode: 'cached' }, answer('x')),
      );
      expect(done.match).toBeUndefined();
      expect(snapshotErrors(done.snapshot)).toEqual([]);
    });
  });
});
