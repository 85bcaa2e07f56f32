/**
 * The RunQueue contract: EmbeddedRunQueue and BullRunQueue (standalone Redis and Cluster) run this
 * one suite.
 *
 *   runQueueContract('EmbeddedRunQueue', async () => ({ queue: new EmbeddedRunQueue(...), cleanup }));
 *
 * The factory builds a fresh, empty queue whose processor errors are retried after about
 * RETRY_DELAY_MS; `cleanup` closes it (closing twice is fine) and removes what it left behind.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ProcessResult, RunProcessor, RunQueue } from '../../src/runtime/queue-port.js';

export interface RunQueueFixture {
  readonly queue: RunQueue;
  cleanup(): Promise<void>;
}

export type RunQueueFactory = () => Promise<RunQueueFixture>;

/** What the factory must configure as the queue's retry delay after a processor error. */
export const RETRY_DELAY_MS = 100;

export interface Call {
  readonly runId: string;
  /** 1 for the run's first processing. */
  readonly n: number;
  readonly at: number;
  readonly signal: AbortSignal;
}

/** Records every processing, how many overlap, and whether one run ever overlapped itself. */
export class Recorder {
  readonly calls: Call[] = [];
  maxRunning = 0;
  /** Most processings of one run at the same time: must stay 1. */
  maxSameRun = 0;
  private running = 0;
  private readonly perRun = new Map<string, number>();

  processor(behave: (call: Call) => Promise<ProcessResult>): RunProcessor {
    return async (runId, signal) => {
      const call = { runId, n: this.count(runId) + 1, at: Date.now(), signal };
      this.calls.push(call);
      this.running++;
      this.maxRunning = Math.max(this.maxRunning, this.running);
      const same = (this.perRun.get(runId) ?? 0) + 1;
      this.perRun.set(runId, same);
      this.maxSameRun = Math.max(this.maxSameRun, same);
      try {
        return await behave(call);
      } finally {
        this.running--;
        this.perRun.set(runId, same - 1);
      }
    };
  }

  count(runId: string): number {
    return this.calls.filter((call) => call.runId === runId).length;
  }
}

export function gate(): { readonly promise: Promise<void>; open(): void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}

const FINISHED: ProcessResult = { kind: 'finished' };
const finish = async (): Promise<ProcessResult> => FINISHED;
const waitFor = (ms: number): ProcessResult => ({ kind: 'wait', until: Date.now() + ms });
/** Long enough that only a wake (or a bug) brings the run back within a test. */
const LONG_WAIT_MS = 60_000;
/** Time for a second, unwanted processing to show up before a test says there was none. */
const QUIET_MS = 300;

export function runQueueContract(name: string, factory: RunQueueFactory): void {
  describe(`RunQueue contract: ${name}`, () => {
    let fixture: RunQueueFixture | undefined;
    const open = async (): Promise<RunQueue> => {
      fixture = await factory();
      return fixture.queue;
    };
    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
    });

    it('processes an enqueued run once and forgets it when finished', async () => {
      const queue = await open();
      const recorder = new Recorder();
      await queue.enqueue('run-1');
      await queue.process(recorder.processor(finish), { concurrency: 2 });
      await eventually(() => recorder.count('run-1') === 1);
      await sleep(QUIET_MS);
      expect(recorder.calls.map((call) => call.runId)).toEqual(['run-1']);
      await eventually(async () => equalCounts(await queue.counts(), { waiting: 0, delayed: 0, active: 0 }));
    });

    it('enqueueing a run twice processes it once', async () => {
      const queue = await open();
      const recorder = new Recorder();
      await queue.enqueue('run-1');
      await queue.enqueue('run-1');
      expect(await queue.counts()).toEqual({ waiting: 1, delayed: 0, active: 0 });
      await queue.process(recorder.processor(finish), { concurrency: 2 });
      await eventually(() => recorder.count('run-1') === 1);
      await sleep(QUIET_MS);
      expect(recorder.count('run-1')).toBe(1);
    });

    it('a finished run enqueued again is processed again', async () => {
      const queue = await open();
      const recorder = new Recorder();
      await queue.process(recorder.processor(finish), { concurrency: 1 });
      await queue.enqueue('run-1');
      await eventually(() => recorder.count('run-1') === 1);
      await eventually(async () => (await queue.counts()).active === 0);
      await queue.enqueue('run-1');
      await eventually(() => recorder.count('run-1') === 2);
    });

    it('a waiting run is processed again at its time, not before', async () => {
      const queue = await open();
      const recorder = new Recorder();
      let until = 0;
      await queue.process(
        recorder.processor(async ({ n }) => {
          if (n > 1) return FINISHED;
          until = Date.now() + 500;
          return { kind: 'wait', until };
        }),
        { concurrency: 1 },
      );
      await queue.enqueue('run-1');
      await eventually(async () => (await queue.counts()).delayed === 1);
      expect(recorder.count('run-1')).toBe(1);
      await eventually(() => recorder.count('run-1') === 2);
      expect(recorder.calls[1]?.at).toBeGreaterThanOrEqual(until);
    });

    it('wake brings a waiting run forward', async () => {
      const queue = await open();
      const recorder = new Recorder();
      await queue.process(
        recorder.processor(async ({ n }) => (n > 1 ? FINISHED : waitFor(LONG_WAIT_MS))),
        { concurrency: 1 },
      );
      await queue.enqueue('run-1');
      await eventually(async () => (await queue.counts()).delayed === 1);
      await queue.wake('run-1');
      await eventually(() => recorder.count('run-1') === 2);
      await eventually(async () => equalCounts(await queue.counts(), { waiting: 0, delayed: 0, active: 0 }));
    });

    it('enqueue also brings a waiting run forward', async () => {
      const queue = await open();
      const recorder = new Recorder();
      await queue.process(
        recorder.processor(async ({ n }) => (n > 1 ? FINISHED : waitFor(LONG_WAIT_MS))),
        { concurrency: 1 },
      );
      await queue.enqueue('run-1');
      await eventually(async () => (await queue.counts()).delayed === 1);
      await queue.enqueue('run-1');
      await eventually(() => recorder.count('run-1') === 2);
    });

    it('wake of a run that has no job adds one', async () => {
      const queue = await open();
      const recorder = new Recorder();
      await queue.process(recorder.processor(finish), { concurrency: 1 });
      await queue.wake('run-1');
      await eventually(() => recorder.count('run-1') === 1);
    });

    for (const outcome of ['wait', 'finished'] as const) {
      it(`a wake while the run is processed is not lost (the processing ends with ${outcome})`, async () => {
        const queue = await open();
        const recorder = new Recorder();
        const held = gate();
        await queue.process(
          recorder.processor(async ({ n }) => {
            if (n > 1) return FINISHED;
            await held.promise;
            return outcome === 'wait' ? waitFor(LONG_WAIT_MS) : FINISHED;
          }),
          { concurrency: 1 },
        );
        await queue.enqueue('run-1');
        await eventually(() => recorder.count('run-1') === 1);
        await queue.wake('run-1');
        held.open();
        await eventually(() => recorder.count('run-1') === 2);
        expect(recorder.maxSameRun).toBe(1);
      });
    }

    it('never processes more than `concurrency` runs at once, and processes them all', async () => {
      const queue = await open();
      const recorder = new Recorder();
      const runs = ['a', 'b', 'c', 'd', 'e', 'f'];
      for (const runId of runs) await queue.enqueue(runId);
      await queue.process(
        recorder.processor(async () => {
          await sleep(100);
          return FINISHED;
        }),
        { concurrency: 2 },
      );
      await eventually(() => runs.every((runId) => recorder.count(runId) === 1));
      expect(recorder.maxRunning).toBe(2);
    });

    it('never processes one run twice at the same time, however often it is woken', async () => {
      const queue = await open();
      const recorder = new Recorder();
      await queue.process(
        recorder.processor(async ({ n }) => {
          await sleep(30);
          return n >= 5 ? FINISHED : waitFor(LONG_WAIT_MS);
        }),
        { concurrency: 4 },
      );
      await queue.enqueue('run-1');
      while (recorder.count('run-1') < 5) {
        await Promise.all([queue.wake('run-1'), queue.wake('run-1'), queue.enqueue('run-1')]);
        await sleep(5);
      }
      await eventually(async () => (await queue.counts()).active === 0);
      expect(recorder.maxSameRun).toBe(1);
    });

    it('a processor that throws does not lose the run: it is processed again later', async () => {
      const queue = await open();
      const recorder = new Recorder();
      await queue.process(
        recorder.processor(async ({ n }) => {
          if (n === 1) throw new Error('store unavailable');
          return FINISHED;
        }),
        { concurrency: 1 },
      );
      await queue.enqueue('run-1');
      await eventually(() => recorder.count('run-1') === 2);
      const [first, second] = recorder.calls;
      expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(RETRY_DELAY_MS - 10);
    });

    it('counts waiting, delayed and active jobs', async () => {
      const queue = await open();
      const recorder = new Recorder();
      const held = gate();
      await queue.process(
        recorder.processor(async ({ runId }) => {
          if (runId === 'sleeper') return waitFor(LONG_WAIT_MS);
          await held.promise;
          return FINISHED;
        }),
        { concurrency: 1 },
      );
      await queue.enqueue('sleeper');
      await eventually(async () => (await queue.counts()).delayed === 1);
      await queue.enqueue('busy');
      await eventually(() => recorder.count('busy') === 1);
      await queue.enqueue('next');
      await eventually(async () => equalCounts(await queue.counts(), { waiting: 1, delayed: 1, active: 1 }));
      held.open();
      await eventually(() => recorder.count('next') === 1);
    });

    it('close aborts the processors’ signals and waits for them to return', async () => {
      const queue = await open();
      const recorder = new Recorder();
      let returned = false;
      await queue.process(
        recorder.processor(async ({ signal }) => {
          await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
          await sleep(50);
          returned = true;
          return waitFor(0);
        }),
        { concurrency: 1 },
      );
      await queue.enqueue('run-1');
      await eventually(() => recorder.count('run-1') === 1);
      expect(recorder.calls[0]?.signal.aborted).toBe(false);
      await queue.close();
      expect(recorder.calls[0]?.signal.aborted).toBe(true);
      expect(returned).toBe(true);
      expect(recorder.count('run-1')).toBe(1);
    });
  });
}

type Counts = Awaited<ReturnType<RunQueue['counts']>>;

function equalCounts(actual: Counts, expected: Counts): boolean {
  return (
    actual.waiting === expected.waiting &&
    actual.delayed === expected.delayed &&
    actual.active === expected.active
  );
}
