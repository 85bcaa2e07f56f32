/**
 * The run plumbing of the ai bench, done the way the engine does it around a step (run started,
 * step journaled, run finished) so the timed parts are the step itself and the snapshot alone.
 * Every call gets a run of its own: a step that had answered before would be answered from its
 * call journal, not through the path being measured.
 */
import type { ActionContext } from '../src/runtime/executor.js';
import type { JsonValue, RunRecord, RunStore } from '../src/runtime/run-store.js';
import { createActionHarness } from '../test/runtime/executors/context.js';

export interface BenchRun {
  readonly context: ActionContext;
  /** Journals the step as succeeded with `output` and finishes the run; returns the finished run. */
  finish(output: JsonValue): Promise<RunRecord>;
}

const AT = '2025-01-01T00:00:00.000Z';

export async function startRun(store: RunStore, runId: string): Promise<BenchRun> {
  const harness = await createActionHarness({ store, runId, stage: 'Main', action: 'Classify' });
  const created = await store.read(runId);
  if (created === null) throw new Error(`run ${runId} was not stored`);
  const running = { ...created, state: 'running' as const, attempt: 1 };
  await expectUpdated(store.update(runId, created.revision, running));
  const step = { key: harness.stepKey, idempotencyKey: harness.context.idempotencyKey, startedAt: AT };
  await store.recordStep(runId, { ...step, state: 'started' });
  return {
    context: harness.context,
    finish: async (output) => {
      await store.recordStep(runId, { ...step, state: 'succeeded', finishedAt: AT, output });
      await expectUpdated(store.update(runId, created.revision + 1, { ...running, state: 'succeeded' }));
      const finished = await store.read(runId);
      if (finished === null) throw new Error(`run ${runId} disappeared`);
      return finished;
    },
  };
}

async function expectUpdated(result: ReturnType<RunStore['update']>): Promise<void> {
  if (!(await result).ok) throw new Error('a bench run could not be updated');
}
