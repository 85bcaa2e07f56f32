/**
 * The RunStore contract: every implementation (memory, file and Redis) runs this one suite.
 *
 *   runStoreContract('MemoryRunStore', async () => ({ store: new MemoryRunStore(), cleanup }));
 *
 * The factory builds a fresh, empty store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AitwsError } from '../../src/errors.js';
import type {
  JsonObject,
  NewRun,
  RunChange,
  RunRecord,
  RunStore,
  StepInput,
  StepMemo,
} from '../../src/runtime/run-store.js';
import type { ChannelKey } from '../../src/session/port.js';
import { richDocument } from './session-store.fixtures.js';

export interface RunStoreFixture {
  readonly store: RunStore;
  cleanup(): Promise<void>;
}

export type RunStoreFactory = () => Promise<RunStoreFixture>;

export interface RunStoreContractSettings {
  /** Concurrent updates from one revision in the CAS race test. Default 20. */
  readonly concurrentWriters?: number;
}

const CHANNEL: ChannelKey = { platform: 'console', workspace: 'local', channel: 'runs' };
const OTHER: ChannelKey = { platform: 'slack', workspace: 'T1', channel: 'C1' };

function at(minute: number): string {
  return new Date(Date.UTC(2025, 0, 1, 0, minute)).toISOString();
}

function newRun(id: string, overrides: Partial<NewRun> = {}): NewRun {
  return {
    id,
    channel: CHANNEL,
    workflow: { name: 'train', version: 3, hash: `sha256:${'ab'.repeat(32)}` },
    document: richDocument(),
    inputs: { dataset: 'iris', epochs: 3, tags: ['a', 'b'], nested: { ok: true } },
    state: 'queued',
    attempt: 0,
    startedBy: { id: 'U1', name: 'Ada' },
    createdAt: at(0),
    updatedAt: at(0),
    deadline: at(60),
    ...overrides,
  };
}

function change(run: RunRecord, next: Partial<RunChange>): RunChange {
  return { ...run, updatedAt: at(1), ...next };
}

function step(key: string, state: StepInput['state'], extra: Partial<StepInput> = {}): StepInput {
  return { key, state, idempotencyKey: `run-1/${key}`, startedAt: at(2), ...extra };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (error instanceof AitwsError) return error.code;
  throw new Error(`expected an AitwsError, got ${String(error)}`);
}

export function runStoreContract(
  name: string,
  factory: RunStoreFactory,
  settings: RunStoreContractSettings = {},
): void {
  const writers = settings.concurrentWriters ?? 20;

  describe(`RunStore contract: ${name}`, () => {
    let fixture: RunStoreFixture;
    let store: RunStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.store.close();
      await fixture.cleanup();
    });

    /** Creates a run and walks it through `states` (each from the previous revision). */
    async function runIn(
      id: string,
      states: RunChange['state'][],
      overrides: Partial<NewRun> = {},
    ): Promise<RunRecord> {
      let run = await store.create(newRun(id, overrides));
      for (const state of states) {
        const result = await store.update(id, run.revision, change(run, { state, updatedAt: run.updatedAt }));
        expect(result.ok).toBe(true);
        run = (await store.read(id)) as RunRecord;
      }
      return run;
    }

    describe('create and read', () => {
      it('round-trips a run at revision 1, as a copy', async () => {
        const input = newRun('run-1');
        const created = await store.create(input);
        expect(created).toEqual({ ...input, revision: 1 });
        const read = await store.read('run-1');
        expect(read).toEqual(created);
        (read?.inputs as { dataset: string }).dataset = 'changed';
        (created.startedBy as { name: string }).name = 'Mallory';
        (input.inputs as { dataset: string }).dataset = 'changed';
        expect(await store.read('run-1')).toEqual({ ...newRun('run-1'), revision: 1 });
        expect(await store.read('nope')).toBeNull();
      });

      it('refuses a duplicate id and keeps the first run', async () => {
        await store.create(newRun('run-1'));
        expect(await codeOf(store.create(newRun('run-1', { inputs: { other: 1 } })))).toBe('CONFLICT');
        expect((await store.read('run-1'))?.inputs).toEqual(newRun('run-1').inputs);
      });

      it('refuses a new run that is not queued', async () => {
        expect(await codeOf(store.create(newRun('run-1', { state: 'running' })))).toBe('USAGE');
        expect(await store.read('run-1')).toBeNull();
      });
    });

    describe('update (compare-and-set)', () => {
      it('applies a change at the expected revision, bumps it and keeps the fixed fields', async () => {
        const run = await runIn('run-1', ['running']);
        const waitingFor = { kind: 'delay', key: 'd1', until: at(9) } as const;
        const next = { ...change(run, { state: 'waiting', attempt: 2, waitingFor }), id: 'x', inputs: {} };
        expect(await store.update('run-1', run.revision, next)).toEqual({ ok: true, revision: 3 });
        const changed = { state: 'waiting', attempt: 2, updatedAt: at(1), waitingFor, revision: 3 };
        expect(await store.read('run-1')).toEqual({ ...run, ...changed });
      });

      it('clears an optional field the change leaves out', async () => {
        const run = await runIn('run-1', ['running']);
        await store.update(
          'run-1',
          2,
          change(run, { state: 'waiting', waitingFor: { kind: 'event', key: 'e' } }),
        );
        const waiting = (await store.read('run-1')) as RunRecord;
        const { waitingFor: _cleared, ...rest } = waiting;
        expect(
          await store.update('run-1', 3, { ...rest, state: 'running', position: { stage: 'Train' } }),
        ).toEqual({ ok: true, revision: 4 });
        const read = await store.read('run-1');
        expect(read?.waitingFor).toBeUndefined();
        expect(read?.position).toEqual({ stage: 'Train' });
      });

      it('a stale revision (or unknown run) loses, returns the current record, changes nothing', async () => {
        const run = await runIn('run-1', ['running']);
        const result = await store.update(
          'run-1',
          1,
          change(run, { state: 'failed', error: { code: 'X', message: 'late' } }),
        );
        expect(result).toEqual({ ok: false, current: run });
        expect(await store.read('run-1')).toEqual(run);
        const ghost = await store.update('ghost', 1, change(run, {}));
        expect(ghost).toEqual({ ok: false, current: null });
        expect(await store.read('ghost')).toBeNull();
      });

      it(`${writers} concurrent updates from one revision: exactly one wins`, async () => {
        const run = await store.create(newRun('run-1'));
        const results = await Promise.all(
          Array.from({ length: writers }, (_, n) =>
            store.update('run-1', 1, change(run, { state: 'running', attempt: n + 1 })),
          ),
        );
        const winners = results.filter((result) => result.ok);
        expect(winners).toHaveLength(1);
        const read = (await store.read('run-1')) as RunRecord;
        expect(read.revision).toBe(2);
        for (const result of results) if (!result.ok) expect(result.current?.revision).toBe(2);
      });

      it('refuses a disallowed transition (USAGE) and changes nothing', async () => {
        const done = await runIn('run-1', ['running', 'succeeded']);
        for (const state of ['running', 'succeeded'] as const) {
          expect(await codeOf(store.update('run-1', done.revision, change(done, { state })))).toBe('USAGE');
        }
        const queued = await store.create(newRun('run-2'));
        expect(await codeOf(store.update('run-2', 1, change(queued, { state: 'waiting' })))).toBe('USAGE');
        expect(await store.read('run-1')).toEqual(done);
        expect(await store.read('run-2')).toEqual(queued);
      });

      it('goes running ⇄ waiting and ends in any final state', async () => {
        const run = await runIn('run-1', ['running', 'waiting', 'running', 'waiting', 'timed_out']);
        expect(run.state).toBe('timed_out');
        expect(run.revision).toBe(6);
        expect((await runIn('run-2', ['cancelled'])).state).toBe('cancelled');
      });
    });

    describe('step journal', () => {
      it('counts attempts: started, started again, failed, started, succeeded', async () => {
        await store.create(newRun('run-1'));
        const record = (input: StepInput) => store.recordStep('run-1', input);
        const key = 'Prep/Load#0';
        expect((await record(step(key, 'started'))).attempt).toBe(1);
        expect((await record(step(key, 'started'))).attempt).toBe(2);
        const error = { code: 'E', message: 'boom' };
        expect(await record(step(key, 'failed', { error }))).toMatchObject({ attempt: 2, state: 'failed' });
        expect((await record(step(key, 'started'))).attempt).toBe(3);
        const finished = { finishedAt: at(3), output: { rows: 150 } };
        const done = await record(step(key, 'succeeded', finished));
        expect(done).toEqual({ ...step(key, 'succeeded'), attempt: 3, ...finished });
      });

      it('a succeeded step is final: recording it again keeps the first output', async () => {
        await store.create(newRun('run-1'));
        const first = await store.recordStep('run-1', step('a', 'succeeded', { output: { n: 1 } }));
        expect(first.attempt).toBe(1);
        expect(await store.recordStep('run-1', step('a', 'succeeded', { output: { n: 2 } }))).toEqual(first);
        expect(await store.steps('run-1')).toEqual([first]);
      });

      it("'started' (or 'failed') after 'succeeded' or 'skipped' is ignored and returns the stored step", async () => {
        await store.create(newRun('run-1'));
        const done = await store.recordStep('run-1', step('a', 'succeeded', { output: 'ok' }));
        const skipped = await store.recordStep('run-1', step('b', 'skipped'));
        expect(await store.recordStep('run-1', step('a', 'started', { startedAt: at(5) }))).toEqual(done);
        expect(await store.recordStep('run-1', step('b', 'failed'))).toEqual(skipped);
        expect(await store.steps('run-1')).toEqual([done, skipped]);
      });

      it('keeps journal order and returns copies', async () => {
        await store.create(newRun('run-1'));
        for (const key of ['s/c#0', 's/a#0', 's/b#0']) await store.recordStep('run-1', step(key, 'started'));
        await store.recordStep('run-1', step('s/c#0', 'succeeded', { output: { list: [1] } }));
        const steps = await store.steps('run-1');
        expect(steps.map((s) => s.key)).toEqual(['s/c#0', 's/a#0', 's/b#0']);
        expect(steps[0]?.output).toEqual({ list: [1] });
        (steps[0]?.output as { list: number[] } | undefined)?.list.push(2);
        expect(steps[0]?.output).toEqual({ list: [1, 2] });
        expect((await store.steps('run-1'))[0]?.output).toEqual({ list: [1] });
      });

      it('journals are per run; an unknown run has no steps and refuses a step', async () => {
        await store.create(newRun('run-1'));
        await store.create(newRun('run-2'));
        await store.recordStep('run-1', step('a', 'started'));
        expect(await store.steps('run-2')).toEqual([]);
        expect(await store.steps('nope')).toEqual([]);
        expect(await codeOf(store.recordStep('nope', step('a', 'started')))).toBe('USAGE');
      });
    });

    describe('retry transitions (/retry)', () => {
      it('failed and timed_out go back to queued, as a new attempt that can run again', async () => {
        for (const [id, final] of [
          ['run-1', 'failed'],
          ['run-2', 'timed_out'],
        ] as const) {
          const error = { code: 'E', message: 'boom' };
          const ended = await runIn(id, ['running']);
          await store.update(id, ended.revision, change(ended, { state: final, error }));
          const stopped = (await store.read(id)) as RunRecord;
          expect(stopped.state).toBe(final);
          const retried = change(stopped, { state: 'queued', attempt: 2, error: undefined });
          expect(await store.update(id, stopped.revision, retried)).toEqual({
            ok: true,
            revision: stopped.revision + 1,
          });
          const queued = (await store.read(id)) as RunRecord;
          expect(queued).toMatchObject({ state: 'queued', attempt: 2, revision: stopped.revision + 1 });
          expect(queued.error).toBeUndefined();
          const running = change(queued, { state: 'running' });
          expect((await store.update(id, queued.revision, running)).ok).toBe(true);
        }
      });

      it('succeeded and cancelled never go back to queued (USAGE), and stay as they were', async () => {
        const succeeded = await runIn('run-1', ['running', 'succeeded']);
        const cancelled = await runIn('run-2', ['cancelled']);
        for (const run of [succeeded, cancelled]) {
          const retried = change(run, { state: 'queued', attempt: 2 });
          expect(await codeOf(store.update(run.id, run.revision, retried))).toBe('USAGE');
          expect(await store.read(run.id)).toEqual(run);
        }
      });

      it('a stale retry loses to the one that won', async () => {
        const failed = await runIn('run-1', ['running', 'failed']);
        const retried = change(failed, { state: 'queued', attempt: 2 });
        expect((await store.update('run-1', failed.revision, retried)).ok).toBe(true);
        const late = await store.update('run-1', failed.revision, { ...retried, attempt: 3 });
        expect(late).toMatchObject({ ok: false, current: { state: 'queued', attempt: 2 } });
      });
    });

    describe('step memos', () => {
      const KEY = 'Gate/Approve#0';
      const votes: JsonObject = {
        votes: [{ by: 'U1', choice: 'approve', at: at(3) }],
        message: { ts: '1712.0042', text: 'Approve "deploy"? ✓ \\ done' },
        quorum: 2,
        ratio: 0.5,
        none: null,
        empty: {},
        list: [],
      };

      it('is null until written (and for an unknown run)', async () => {
        await store.create(newRun('run-1'));
        expect(await store.readStepMemo('run-1', KEY)).toBeNull();
        expect(await store.readStepMemo('nope', KEY)).toBeNull();
      });

      it('writes from revision 0, then 1, bumping the revision each time', async () => {
        await store.create(newRun('run-1'));
        expect(await store.writeStepMemo('run-1', KEY, 0, { votes: [] })).toBe(true);
        expect(await store.readStepMemo('run-1', KEY)).toEqual({ revision: 1, value: { votes: [] } });
        expect(await store.writeStepMemo('run-1', KEY, 1, votes)).toBe(true);
        expect(await store.readStepMemo('run-1', KEY)).toEqual({ revision: 2, value: votes });
      });

      it('a stale (or future) revision returns false and changes nothing', async () => {
        await store.create(newRun('run-1'));
        await store.writeStepMemo('run-1', KEY, 0, votes);
        for (const revision of [0, 2, 7]) {
          expect(await store.writeStepMemo('run-1', KEY, revision, { late: true })).toBe(false);
        }
        expect(await store.readStepMemo('run-1', KEY)).toEqual({ revision: 1, value: votes });
      });

      it('keeps one memo per step key and per run, and returns copies', async () => {
        await store.create(newRun('run-1'));
        await store.create(newRun('run-2'));
        await store.writeStepMemo('run-1', KEY, 0, votes);
        await store.writeStepMemo('run-1', 'Wait/Delay#1', 0, { until: at(9) });
        expect(await store.readStepMemo('run-2', KEY)).toBeNull();
        expect((await store.readStepMemo('run-1', 'Wait/Delay#1'))?.value).toEqual({ until: at(9) });
        const read = (await store.readStepMemo('run-1', KEY)) as StepMemo;
        (read.value.votes as JsonObject[]).push({ by: 'Mallory' });
        expect(await store.readStepMemo('run-1', KEY)).toEqual({ revision: 1, value: votes });
      });

      it(`${writers} concurrent writers from one revision: exactly one wins`, async () => {
        await store.create(newRun('run-1'));
        await store.writeStepMemo('run-1', KEY, 0, { votes: [] });
        const results = await Promise.all(
          Array.from({ length: writers }, (_, n) => store.writeStepMemo('run-1', KEY, 1, { writer: n })),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect(await store.readStepMemo('run-1', KEY)).toEqual({ revision: 2, value: { writer: winner } });
      });

      it('refuses a memo for an unknown run (USAGE)', async () => {
        expect(await codeOf(store.writeStepMemo('nope', KEY, 0, votes))).toBe('USAGE');
        expect(await store.readStepMemo('nope', KEY)).toBeNull();
      });

      it('goes with its run: retention removes it, and a new run of the same id starts bare', async () => {
        await runIn('run-1', ['running', 'succeeded'], { updatedAt: at(1) });
        await store.recordStep('run-1', step('a', 'succeeded'));
        await store.writeStepMemo('run-1', KEY, 0, votes);
        expect(await store.removeFinishedBefore(new Date(at(10)))).toBe(1);
        expect(await store.readStepMemo('run-1', KEY)).toBeNull();
        await store.create(newRun('run-1'));
        expect(await store.readStepMemo('run-1', KEY)).toBeNull();
        expect(await store.steps('run-1')).toEqual([]);
        expect(await store.writeStepMemo('run-1', KEY, 0, { fresh: true })).toBe(true);
      });
    });

    describe('unfinished', () => {
      it('names every run not in a final state, in any channel, at most `limit`', async () => {
        await runIn('q', []);
        await runIn('r', ['running']);
        await runIn('w', ['running', 'waiting']);
        await runIn('o', [], { channel: OTHER });
        await runIn('done', ['running', 'succeeded']);
        await runIn('stopped', ['cancelled']);
        const failed = await runIn('retried', ['running', 'failed']);
        await store.update('retried', failed.revision, change(failed, { state: 'queued' }));
        const all = ['o', 'q', 'r', 'retried', 'w'];
        expect((await store.unfinished(100)).sort()).toEqual(all);
        const some = await store.unfinished(2);
        expect(some).toHaveLength(2);
        for (const id of some) expect(all).toContain(id);
        expect(await codeOf(store.unfinished(0))).toBe('USAGE');
      });

      it('is empty for an empty store, and forgets a run once it ends', async () => {
        expect(await store.unfinished(10)).toEqual([]);
        const run = await runIn('run-1', ['running']);
        await store.update('run-1', run.revision, change(run, { state: 'failed' }));
        expect(await store.unfinished(10)).toEqual([]);
      });
    });

    describe('list', () => {
      it('lists a channel newest first, with a limit and a state filter; channels are isolated', async () => {
        await runIn('r1', [], { createdAt: at(1) });
        await runIn('r3', ['running', 'succeeded'], { createdAt: at(3) });
        await runIn('r2', ['running'], { createdAt: at(2) });
        await runIn('o1', [], { channel: OTHER, createdAt: at(4) });
        const ids = (runs: RunRecord[]): string[] => runs.map((run) => run.id);
        expect(ids(await store.list(CHANNEL, { limit: 10 }))).toEqual(['r3', 'r2', 'r1']);
        expect(ids(await store.list(CHANNEL, { limit: 2 }))).toEqual(['r3', 'r2']);
        expect(ids(await store.list(CHANNEL, { limit: 10, states: ['queued', 'running'] }))).toEqual([
          'r2',
          'r1',
        ]);
        expect(ids(await store.list(OTHER, { limit: 10 }))).toEqual(['o1']);
        expect(await store.list({ ...CHANNEL, channel: 'empty' }, { limit: 10 })).toEqual([]);
      });

      it('refuses a limit that is not a positive integer', async () => {
        expect(await codeOf(store.list(CHANNEL, { limit: 0 }))).toBe('USAGE');
        expect(await codeOf(store.list(CHANNEL, { limit: 1.5 }))).toBe('USAGE');
      });
    });

    describe('retention', () => {
      it('removes only finished runs last updated before the date, with their steps', async () => {
        await runIn('old-done', ['running', 'failed'], { updatedAt: at(1) });
        await runIn('new-done', ['cancelled'], { updatedAt: at(30) });
        await runIn('old-running', ['running'], { updatedAt: at(1) });
        await runIn('old-queued', [], { updatedAt: at(1) });
        await store.recordStep('old-done', step('a', 'succeeded'));
        expect(await store.removeFinishedBefore(new Date(at(10)))).toBe(1);
        expect(await store.read('old-done')).toBeNull();
        expect(await store.steps('old-done')).toEqual([]);
        for (const id of ['new-done', 'old-running', 'old-queued'])
          expect(await store.read(id)).not.toBeNull();
        expect(await store.removeFinishedBefore(new Date(at(10)))).toBe(0);
        const listed = (await store.list(CHANNEL, { limit: 10 })).map((run) => run.id);
        expect(listed.sort()).toEqual(['new-done', 'old-queued', 'old-running']);
      });

      it('goes by when the run finished, not when it was created', async () => {
        const run = await runIn('run-1', ['running']);
        await store.update('run-1', run.revision, change(run, { state: 'succeeded', updatedAt: at(30) }));
        expect(await store.removeFinishedBefore(new Date(at(10)))).toBe(0);
        expect(await store.read('run-1')).not.toBeNull();
        expect(await store.removeFinishedBefore(new Date(at(40)))).toBe(1);
        expect(await store.read('run-1')).toBeNull();
      });

      it('keeps a failed run that was retried (queued again), however old', async () => {
        const failed = await runIn('run-1', ['running', 'failed'], { updatedAt: at(1) });
        await store.update('run-1', failed.revision, change(failed, { state: 'queued', updatedAt: at(1) }));
        expect(await store.removeFinishedBefore(new Date(at(10)))).toBe(0);
        expect((await store.read('run-1'))?.state).toBe('queued');
      });
    });
  });
}
