import { describe, expect, it } from 'vitest';
import { AitwsError } from '../../../src/errors.js';
import { transformExecutor } from '../../../src/runtime/executors/transform.js';
import { createHarness, finalRun } from './harness.js';

const HEAD = '[metadata]\nname = "t"\nversion = "1"\n';

function stage(name: string, order: number, actions: string, extra = ''): string {
  return `[[stages]]\nname = "${name}"\norder = ${order}\n${extra}\n${actions}`;
}

function action(name: string, fields = ''): string {
  return `[[stages.actions]]\nname = "${name}"\ntype = "test.echo"\n${fields}\n`;
}

describe('engine: order, templates, conditions', () => {
  it('runs stages by order and actions in sequence, passing outputs on through templates', async () => {
    const h = createHarness();
    await h.create(
      HEAD +
        stage('Second', 2, action('b', 'with = { got = "{{ steps.a.output.x }}!" }')) +
        stage('First', 1, action('a', 'with = { x = "{{ inputs.x }}" }')),
      { x: 'hello' },
    );
    expect(await h.process('run-1')).toEqual({ kind: 'finished' });
    const run = await finalRun(h);
    expect(run.state).toBe('succeeded');
    expect(h.calls).toEqual(['First/a#1', 'Second/b#1']);
    const steps = await h.store.steps('run-1');
    expect(steps.map((s) => [s.key, s.state, s.output])).toEqual([
      ['First/a#1', 'succeeded', { x: 'hello' }],
      ['Second/b#1', 'succeeded', { got: 'hello!' }],
    ]);
    expect(h.events.map((e) => e.type)).toEqual([
      'run.started',
      'stage.completed',
      'stage.completed',
      'run.succeeded',
    ]);
  });

  it('skips an action and a stage whose condition is false, and journals them as skipped', async () => {
    const h = createHarness();
    await h.create(
      `${HEAD}[[conditions]]\nname = "Big"\nexpression = "inputs.n > 10"\n` +
        stage('S', 1, action('maybe', 'condition = "Big"') + action('always')) +
        stage('T', 2, action('t1'), 'condition = "Big"'),
      { n: 3 },
    );
    await h.process('run-1');
    expect((await finalRun(h)).state).toBe('succeeded');
    expect(h.calls).toEqual(['S/always#1']);
    const states = Object.fromEntries((await h.store.steps('run-1')).map((s) => [s.key, s.state]));
    expect(states).toEqual({ 'S/maybe#1': 'skipped', 'S/always#1': 'succeeded', 'T/t1#1': 'skipped' });
  });

  it('a branch jumps forward; a backward branch loops max_iterations times with new step keys', async () => {
    const h = createHarness();
    await h.create(
      `${HEAD}[[conditions]]\nname = "Again"\nexpression = "true"\n` +
        `[[branches]]\nname = "Loop"\ncondition = "Again"\nafter = "Body"\nif_true = "Body"\nmax_iterations = 2\n` +
        stage('Body', 1, action('work')) +
        stage('End', 2, action('done')),
    );
    await h.process('run-1');
    expect((await finalRun(h)).state).toBe('succeeded');
    expect(h.calls).toEqual(['Body/work#1', 'Body/work#2', 'Body/work#3', 'End/done#1']);
  });

  it('runs a parallel group of actions concurrently, bounded by max_concurrency', async () => {
    const h = createHarness();
    let running = 0;
    let peak = 0;
    for (const name of ['p1', 'p2', 'p3', 'p4']) {
      h.script.set(name, async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 20));
        running -= 1;
        return undefined;
      });
    }
    await h.create(
      `${HEAD}[[parallel_execution]]\nname = "Fan"\ntasks = ["p1", "p2", "p3", "p4"]\nmax_concurrency = 2\n` +
        stage('S', 1, action('p1') + action('p2') + action('p3') + action('p4') + action('after')),
    );
    await h.process('run-1');
    expect((await finalRun(h)).state).toBe('succeeded');
    expect(peak).toBe(2);
    expect(h.calls.at(-1)).toBe('S/after#1');
  });
});

describe('engine: failures', () => {
  it('retries with exponential backoff, then fails the run naming the step', async () => {
    const h = createHarness();
    h.script.set('flaky', async () => {
      throw new Error('boom');
    });
    await h.create(
      HEAD +
        stage('S', 1, action('flaky', 'retry = { max = 2, backoff = "exponential", interval = "100ms" }')),
    );
    await h.process('run-1');
    const run = await finalRun(h);
    expect(run.state).toBe('failed');
    expect(run.error?.message).toContain('S/flaky#1');
    expect(h.sleeps).toEqual([100, 200]);
    expect(h.calls).toHaveLength(3);
    expect(h.events.map((e) => e.type)).toContain('action.failed');
  });

  it('does not retry an error that says retrying cannot help', async () => {
    const h = createHarness();
    h.script.set('bad', async () => {
      throw new AitwsError('PARAMETER', 'nope');
    });
    await h.create(HEAD + stage('S', 1, action('bad', 'retry = { max = 3 }')));
    await h.process('run-1');
    expect(h.calls).toHaveLength(1);
    expect((await finalRun(h)).state).toBe('failed');
  });

  it('on_error = "continue" goes on; conditions can read the failure', async () => {
    const h = createHarness();
    h.script.set('bad', async () => {
      throw new AitwsError('PARAMETER', 'nope');
    });
    await h.create(
      `${HEAD}[[conditions]]\nname = "Failed"\nexpression = "steps.bad.state == 'failed'"\n` +
        stage('S', 1, action('bad', 'on_error = "continue"') + action('cleanup', 'condition = "Failed"')),
    );
    await h.process('run-1');
    expect((await finalRun(h)).state).toBe('succeeded');
    expect(h.calls).toEqual(['S/bad#1', 'S/cleanup#1']);
  });

  it('on_error = "handler:NAME" runs the handler, then fails the run', async () => {
    const h = createHarness();
    h.script.set('bad', async () => {
      throw new AitwsError('PARAMETER', 'nope');
    });
    await h.create(
      `${HEAD}[[handlers]]\nname = "Tell"\naction = "test.echo"\nwith = { note = "failed" }\n` +
        stage('S', 1, action('bad', 'on_error = "handler:Tell"') + action('never')),
    );
    await h.process('run-1');
    expect((await finalRun(h)).state).toBe('failed');
    expect(h.calls).toHaveLength(2);
    expect(h.calls[1]).toMatch(/^handler:Tell\//);
    expect(h.calls).not.toContain('S/never#1');
  });

  it('an action past its timeout is aborted and fails with ACTION_TIMEOUT', async () => {
    const h = createHarness();
    let aborted = false;
    h.script.set('slow', (_attempt, signal) => {
      signal.addEventListener('abort', () => {
        aborted = true;
      });
      return new Promise(() => undefined);
    });
    await h.create(HEAD + stage('S', 1, action('slow', 'timeout = "50ms"')));
    await h.process('run-1');
    const run = await finalRun(h);
    expect(run.state).toBe('failed');
    expect(run.error?.code).toBe('ACTION_TIMEOUT');
    expect(aborted).toBe(true);
  });
});

describe('engine: durability', () => {
  it('a resumed run never repeats a succeeded step; the interrupted one runs again with the same key', async () => {
    const h = createHarness();
    await h.create(HEAD + stage('S', 1, action('a') + action('b')));
    // A worker died during b: a succeeded, b started.
    await h.store.update('run-1', 1, {
      state: 'running',
      attempt: 1,
      updatedAt: '2025-01-01T00:00:00Z',
      deadline: '2025-01-01T00:05:00Z',
    });
    await h.store.recordStep('run-1', {
      key: 'S/a#1',
      state: 'succeeded',
      idempotencyKey: 'run-1/S/a#1',
      startedAt: '2025-01-01T00:00:00Z',
      output: { from: 'journal' },
    });
    await h.store.recordStep('run-1', {
      key: 'S/b#1',
      state: 'started',
      idempotencyKey: 'run-1/S/b#1',
      startedAt: '2025-01-01T00:00:00Z',
    });
    await h.process('run-1');
    expect((await finalRun(h)).state).toBe('succeeded');
    expect(h.calls).toEqual(['S/b#1']);
    const b = (await h.store.steps('run-1')).find((s) => s.key === 'S/b#1');
    expect(b?.attempt).toBe(2);
    expect(b?.idempotencyKey).toBe('run-1/S/b#1');
  });

  it('a waiting step parks the run; a wake while it runs is not lost; opening the gate finishes it', async () => {
    const h = createHarness();
    await h.create(
      HEAD + stage('S', 1, `[[stages.actions]]\nname = "gate"\ntype = "test.gate"\n${action('after')}`),
    );
    const first = await h.process('run-1');
    expect(first.kind).toBe('wait');
    const waiting = await finalRun(h);
    expect(waiting.state).toBe('waiting');
    expect(waiting.waitingFor).toMatchObject({ kind: 'approval', key: 'S/gate#1' });
    const memo = await h.store.readStepMemo('run-1', 'S/gate#1');
    await h.store.writeStepMemo('run-1', 'S/gate#1', memo?.revision ?? 0, { open: true });
    expect(await h.process('run-1')).toEqual({ kind: 'finished' });
    expect((await finalRun(h)).state).toBe('succeeded');
    expect(h.calls).toEqual(['S/gate#1', 'S/gate#1', 'S/after#1']);
    const gate = (await h.store.steps('run-1')).find((s) => s.key === 'S/gate#1');
    expect(gate?.attempt).toBe(1);
  });

  it('a cancel from elsewhere aborts the action under way and the run stays cancelled', async () => {
    const h = createHarness();
    let aborted = false;
    h.script.set('long', (_attempt, signal) => {
      signal.addEventListener('abort', () => {
        aborted = true;
      });
      return new Promise(() => undefined);
    });
    await h.create(HEAD + stage('S', 1, action('long') + action('never')));
    const processing = h.process('run-1');
    await new Promise((resolve) => setTimeout(resolve, 30));
    const running = await finalRun(h);
    await h.store.update('run-1', running.revision, {
      ...running,
      state: 'cancelled',
      updatedAt: running.updatedAt,
    });
    expect(await processing).toEqual({ kind: 'finished' });
    expect(aborted).toBe(true);
    expect((await finalRun(h)).state).toBe('cancelled');
    expect(h.calls).toEqual(['S/long#1']);
  });

  it('a run past its deadline is timed_out without running anything', async () => {
    const h = createHarness();
    await h.create(HEAD + stage('S', 1, action('a')));
    h.clock += 301_000;
    await h.process('run-1');
    expect((await finalRun(h)).state).toBe('timed_out');
    expect(h.calls).toEqual([]);
  });
});

describe('engine: what the journal records before an action runs', () => {
  it('a pure action (transform) writes only its result; one with effects writes started first', async () => {
    const h = createHarness([transformExecutor]);
    const recorded: string[] = [];
    const record = h.store.recordStep.bind(h.store);
    h.store.recordStep = async (id, step) => {
      recorded.push(`${step.key} ${step.state}`);
      return record(id, step);
    };
    await h.create(
      HEAD +
        stage(
          'S',
          1,
          '[[stages.actions]]\nname = "Shape"\ntype = "transform"\nwith = { set = { x = "1" } }\n' +
            action('Effect'),
        ),
    );
    await h.process('run-1');
    expect((await finalRun(h)).state).toBe('succeeded');
    expect(recorded).toEqual(['S/Shape#1 succeeded', 'S/Effect#1 started', 'S/Effect#1 succeeded']);
    const steps = await h.store.steps('run-1');
    expect(steps.map((s) => [s.key, s.attempt])).toEqual([
      ['S/Shape#1', 1],
      ['S/Effect#1', 1],
    ]);
  });

  it('a pure action interrupted before its result simply runs again: nothing of it was journaled', async () => {
    const h = createHarness([transformExecutor]);
    await h.create(
      HEAD +
        stage(
          'S',
          1,
          '[[stages.actions]]\nname = "Shape"\ntype = "transform"\nwith = { set = { x = "{{ inputs.x }}" } }\n',
        ),
      { x: 'a' },
    );
    // What a worker killed mid-transform leaves: the run running, no step recorded.
    const run = await h.store.read('run-1');
    if (run === null) throw new Error('no run');
    await h.store.update('run-1', run.revision, { ...run, state: 'running', attempt: 1 });
    expect(await h.store.steps('run-1')).toEqual([]);
    await h.process('run-1');
    expect((await finalRun(h)).state).toBe('succeeded');
    expect((await h.store.steps('run-1')).map((s) => [s.key, s.state, s.attempt, s.output])).toEqual([
      ['S/Shape#1', 'succeeded', 1, { x: 'a' }],
    ]);
  });
});
