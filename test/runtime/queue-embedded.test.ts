/** The RunQueue contract on the in-process queue, and what only it does: idle() for the console. */
import { describe, expect, it } from 'vitest';
import { EmbeddedRunQueue } from '../../src/runtime/queue-embedded.js';
import {
  eventually,
  gate,
  RETRY_DELAY_MS,
  Recorder,
  runQueueContract,
  sleep,
} from '../contracts/run-queue.contract.js';

runQueueContract('EmbeddedRunQueue', async () => {
  const queue = new EmbeddedRunQueue({ retryDelayMs: RETRY_DELAY_MS });
  return { queue, cleanup: () => queue.close() };
});

describe('EmbeddedRunQueue.idle', () => {
  it('resolves once no run is active or due; a waiting run does not count', async () => {
    const queue = new EmbeddedRunQueue();
    const recorder = new Recorder();
    const held = gate();
    await queue.process(
      recorder.processor(async ({ runId }) => {
        if (runId === 'waits') return { kind: 'wait', until: Date.now() + 60_000 };
        await held.promise;
        return { kind: 'finished' };
      }),
      { concurrency: 2 },
    );
    await queue.enqueue('waits');
    await queue.enqueue('works');
    let idle = false;
    const settled = queue.idle().then(() => {
      idle = true;
    });
    await eventually(() => recorder.count('works') === 1);
    await sleep(20);
    expect(idle).toBe(false);
    held.open();
    await settled;
    expect(await queue.counts()).toEqual({ waiting: 0, delayed: 1, active: 0 });
    await queue.close();
  });

  it('waits for delayed runs due within the horizon, not for later ones', async () => {
    const queue = new EmbeddedRunQueue();
    const recorder = new Recorder();
    await queue.process(
      recorder.processor(async ({ runId, n }) => {
        if (n > 1) return { kind: 'finished' };
        return { kind: 'wait', until: Date.now() + (runId === 'soon' ? 200 : 60_000) };
      }),
      { concurrency: 2 },
    );
    await queue.enqueue('soon');
    await queue.enqueue('later');
    await queue.idle({ horizonMs: 5_000 });
    expect(recorder.count('soon')).toBe(2);
    expect(recorder.count('later')).toBe(1);
    await queue.close();
  });

  it('counts runs enqueued before process() as due', async () => {
    const queue = new EmbeddedRunQueue();
    await queue.enqueue('run-1');
    let idle = false;
    void queue.idle().then(() => {
      idle = true;
    });
    await sleep(20);
    expect(idle).toBe(false);
    await queue.process(async () => ({ kind: 'finished' }), { concurrency: 1 });
    await eventually(() => idle);
    await queue.close();
  });

  it('a run waiting on a timer does not keep the process alive', async () => {
    // Checked in a child process: only there can "the event loop has nothing left" be observed.
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const source = new URL('../../src/runtime/queue-embedded.ts', import.meta.url).href;
    const script = `
      const { EmbeddedRunQueue } = await import(${JSON.stringify(source)});
      const queue = new EmbeddedRunQueue();
      await queue.process(async () => ({ kind: 'wait', until: Date.now() + 60_000 }), { concurrency: 1 });
      await queue.enqueue('run-1');
      await queue.idle();
      console.log(JSON.stringify(await queue.counts()));
    `;
    const started = Date.now();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { timeout: 15_000 },
    );
    expect(JSON.parse(stdout)).toEqual({ waiting: 0, delayed: 1, active: 0 });
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
