import { describe, expect, it } from 'vitest';
import { nodeStatesOf, stateKey } from '../../src/graph/index.js';
import type { RunRecord, StepRecord } from '../../src/runtime/run-store.js';
import { sample } from './helpers.js';

function run(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id: 'r1',
    channel: { platform: 'console', workspace: 'local', channel: 'c' },
    workflow: { name: 'w', version: 1, hash: `sha256:${'ab'.repeat(32)}` },
    document: sample(),
    inputs: {},
    state: 'running',
    revision: 3,
    attempt: 1,
    startedBy: { id: 'U1', name: 'Ada' },
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    deadline: '2025-01-01T01:00:00.000Z',
    ...overrides,
  };
}

const step = (key: string, state: StepRecord['state']): StepRecord => ({
  key,
  attempt: 1,
  state,
  idempotencyKey: key,
  startedAt: '2025-01-01T00:00:00.000Z',
});

describe('nodeStatesOf', () => {
  it('maps journal states, the latest iteration winning', () => {
    const states = nodeStatesOf(run(), [
      step('A/a#1', 'succeeded'),
      step('A/b#1', 'skipped'),
      step('B/c#2', 'failed'),
      step('B/c#1', 'succeeded'),
      step('B/d#1', 'failed'),
      step('B/d#2', 'started'),
    ]);
    expect(Object.fromEntries(states)).toEqual({
      'A/a': 'done',
      'A/b': 'skipped',
      'B/c': 'failed',
      'B/d': 'running',
    });
  });

  it('says waiting for the step a waiting run is at, and running for its position before any journal', () => {
    const waiting = nodeStatesOf(run({ state: 'waiting', position: { stage: 'A', action: 'ok' } }), [
      step('A/ok#1', 'started'),
    ]);
    expect(waiting.get('A/ok')).toBe('waiting');
    const running = nodeStatesOf(run({ position: { stage: 'Stage/1', action: 'x#y' } }), []);
    expect(running.get(stateKey('Stage/1', 'x#y'))).toBe('running');
    expect(stateKey('Stage/1', 'x#y')).toBe('Stage%2F1/x%23y');
  });

  it('calls a started step of a run that failed failed', () => {
    expect(nodeStatesOf(run({ state: 'timed_out' }), [step('A/a#1', 'started')]).get('A/a')).toBe('failed');
  });
});
