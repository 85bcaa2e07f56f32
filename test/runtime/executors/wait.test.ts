import { describe, expect, it } from 'vitest';
import { AitwsError } from '../../../src/errors.js';
import {
  deliverEventToWait,
  deliverEventToWaitingStep,
  type WaitParams,
  waitExecutor,
} from '../../../src/runtime/executors/wait.js';
import { createActionHarness } from './context.js';

function params(value: Record<string, unknown>): WaitParams {
  return waitExecutor.params.parse(value);
}

async function failure(promise: Promise<unknown>): Promise<AitwsError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (error instanceof AitwsError) return error;
  throw new Error(`expected an AitwsError, got ${String(error)}`);
}

describe('wait: duration', () => {
  it('waits until the duration has passed, across wakes', async () => {
    const harness = await createActionHarness();
    const wait = params({ duration: '30s' });
    expect(await waitExecutor.run(harness.context, wait)).toEqual({
      kind: 'wait',
      waitingFor: { kind: 'delay', until: '2025-01-01T00:00:30.000Z' },
    });
    harness.clock.advance(10_000);
    expect(await waitExecutor.run(harness.wake(), wait)).toEqual({
      kind: 'wait',
      waitingFor: { kind: 'delay', until: '2025-01-01T00:00:30.000Z' },
    });
    harness.clock.advance(20_500);
    expect(await waitExecutor.run(harness.wake(), wait)).toEqual({
      kind: 'done',
      output: { waited_ms: 30_500 },
    });
    const memo = await harness.store.readStepMemo(harness.runId, harness.stepKey);
    expect(memo?.value).toEqual({
      kind: 'delay',
      since: '2025-01-01T00:00:00.000Z',
      until: '2025-01-01T00:00:30.000Z',
    });
  });

  it('a zero duration is done at once', async () => {
    const harness = await createActionHarness();
    expect(await waitExecutor.run(harness.context, params({ duration: '0s' }))).toEqual({
      kind: 'done',
      output: { waited_ms: 0 },
    });
  });

  it('keeps the wait another worker started first (a memo CAS conflict)', async () => {
    let raced = false;
    const harness = await createActionHarness({
      beforeMemoWrite: async (store, runId, key) => {
        if (raced) return;
        raced = true;
        const other = { kind: 'delay', since: '2024-12-31T23:59:50.000Z', until: '2025-01-01T00:00:20.000Z' };
        await store.writeStepMemo(runId, key, 0, other);
      },
    });
    const outcome = await waitExecutor.run(harness.context, params({ duration: '30s' }));
    expect(outcome).toEqual({
      kind: 'wait',
      waitingFor: { kind: 'delay', until: '2025-01-01T00:00:20.000Z' },
    });
    expect(harness.memoConflicts).toBe(1);
  });
});

describe('wait: event', () => {
  const forReady = () => params({ event: 'model_ready', timeout: '1h' });

  it('waits for the event, then outputs its data', async () => {
    const harness = await createActionHarness();
    expect(await waitExecutor.run(harness.context, forReady())).toEqual({
      kind: 'wait',
      waitingFor: { kind: 'event', until: '2025-01-01T01:00:00.000Z' },
    });
    harness.clock.advance(60_000);
    const target = { runId: harness.runId, stepKey: harness.stepKey };
    expect(
      await deliverEventToWaitingStep(harness.store, target, 'other_event', {}, harness.clock.now()),
    ).toBe(false);
    expect(
      await deliverEventToWaitingStep(
        harness.store,
        target,
        'model_ready',
        { score: 1 },
        harness.clock.now(),
      ),
    ).toBe(true);
    expect(
      await deliverEventToWaitingStep(
        harness.store,
        target,
        'model_ready',
        { score: 2 },
        harness.clock.now(),
      ),
    ).toBe(false);
    expect(await waitExecutor.run(harness.wake(), forReady())).toEqual({
      kind: 'done',
      output: { event: 'model_ready', data: { score: 1 } },
    });
  });

  it('fails with WAIT_TIMEOUT when the event does not come, and a retry waits afresh', async () => {
    const harness = await createActionHarness();
    await waitExecutor.run(harness.context, forReady());
    harness.clock.advance(3_600_000);
    const error = await failure(waitExecutor.run(harness.wake(), forReady()));
    expect(error.code).toBe('WAIT_TIMEOUT');
    expect(error.retryable).toBe(false);
    const target = { runId: harness.runId, stepKey: harness.stepKey };
    expect(
      await deliverEventToWaitingStep(harness.store, target, 'model_ready', {}, harness.clock.now()),
    ).toBe(false);
    expect(await waitExecutor.run(harness.wake({ attempt: 2 }), forReady())).toEqual({
      kind: 'wait',
      waitingFor: { kind: 'event', until: '2025-01-01T02:00:00.000Z' },
    });
  });

  it('an event delivered while the timeout is being recorded wins (the CAS loses and reads again)', async () => {
    let deliverOnce = false;
    const harness = await createActionHarness({
      beforeMemoWrite: async (store, runId, key) => {
        if (!deliverOnce) return;
        deliverOnce = false;
        // Written just before the timeout mark: as if it came a moment before the deadline.
        const memo = await store.readStepMemo(runId, key);
        const value = deliverEventToWait(
          memo,
          'model_ready',
          { late: false },
          new Date('2025-01-01T00:59:59.000Z'),
        );
        if (memo === null || value === null) throw new Error('the wait should accept the event');
        await store.writeStepMemo(runId, key, memo.revision, value);
      },
    });
    await waitExecutor.run(harness.context, forReady());
    harness.clock.advance(3_600_000);
    deliverOnce = true;
    expect(await waitExecutor.run(harness.wake(), forReady())).toEqual({
      kind: 'done',
      output: { event: 'model_ready', data: { late: false } },
    });
    expect(harness.memoConflicts).toBe(1);
  });

  it('deliverEventToWait refuses what the memo is not waiting for', async () => {
    const at = new Date('2025-01-01T00:30:00.000Z');
    const memo = {
      revision: 1,
      value: {
        kind: 'event',
        since: '2025-01-01T00:00:00.000Z',
        until: '2025-01-01T01:00:00.000Z',
        event: 'go',
      },
    };
    expect(deliverEventToWait(null, 'go', {}, at)).toBeNull();
    expect(deliverEventToWait(memo, 'stop', {}, at)).toBeNull();
    expect(deliverEventToWait(memo, 'go', {}, new Date('2025-01-01T01:00:00.000Z'))).toBeNull();
    const delay = { revision: 1, value: { ...memo.value, kind: 'delay' } };
    expect(deliverEventToWait(delay, 'go', {}, at)).toBeNull();
    expect(deliverEventToWait(memo, 'go', { a: 1 }, at)).toEqual({
      ...memo.value,
      received: { a: 1 },
      receivedAt: '2025-01-01T00:30:00.000Z',
    });
  });
});

describe('wait: parameters', () => {
  it('parses duration or event with timeout, and refuses the rest', () => {
    expect(params({ duration: '1.5 minutes' })).toEqual({ kind: 'delay', ms: 90_000 });
    expect(params({ event: 'go', timeout: '2h' })).toEqual({
      kind: 'event',
      event: 'go',
      timeoutMs: 7_200_000,
    });
    for (const bad of [
      {},
      { duration: 'soon' },
      { event: 'go' },
      { event: 'go', timeout: '1h', duration: '1s' },
      { duration: '1s', timeout: '1h' },
      { event: 'not a name', timeout: '1h' },
      { duration: '1s', extra: true },
    ]) {
      expect(waitExecutor.params.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('check() names each problem', () => {
    const fields = (parameters: Record<string, string>) =>
      waitExecutor.check?.(parameters, {}).map((p) => p.field);
    expect(fields({})).toEqual(['with.duration']);
    expect(fields({ event: 'go' })).toEqual(['with.timeout']);
    expect(fields({ duration: '5 parsecs' })).toEqual(['with.duration']);
    expect(fields({ duration: '1s', timeout: '1h' })).toEqual(['with.timeout']);
    expect(fields({ event: 'go', timeout: 'later' })).toEqual(['with.timeout']);
    expect(fields({ event: 'go', timeout: '{{ inputs.patience }}' })).toEqual([]);
    expect(fields({ duration: '30s' })).toEqual([]);
  });
});
