/**
 * The engine's writes to a run record: each a compare-and-set from the revision it read, and the
 * events a final state raises.
 */
import { createHash } from 'node:crypto';
import type { EngineOptions } from './engine.js';
import {
  changedFields,
  isFinal,
  type JsonObject,
  type RunChange,
  type RunRecord,
  type RunState,
} from './run-store.js';

/** Writes a final state (re-reading on a lost CAS, unless the run finished meanwhile). */
export async function settle(
  options: EngineOptions,
  run: RunRecord,
  state: RunState,
  error?: { code: string; message: string },
): Promise<void> {
  let current: RunRecord | null = run;
  while (current !== null && !isFinal(current.state)) {
    const change = changeOf(options, current, { state, ...(error === undefined ? {} : { error }) });
    const result = await options.services.store.update(current.id, current.revision, change);
    if (result.ok) {
      const done = applied(current, change, result.revision);
      options.metrics?.runSettled(state);
      const event =
        state === 'succeeded' ? 'run.succeeded' : state === 'failed' ? 'run.failed' : `run.${state}`;
      await raise(
        options,
        done,
        event,
        error === undefined ? {} : { code: error.code, message: error.message },
      );
      await options.progress?.(done);
      return;
    }
    current = result.current;
  }
}

/** A CAS write from `run`'s revision; undefined when it lost (the caller re-reads and decides). */
export async function write(
  options: EngineOptions,
  run: RunRecord,
  fields: Partial<RunChange> & { state: RunState },
): Promise<RunRecord | undefined> {
  const change = changeOf(options, run, fields);
  const result = await options.services.store.update(run.id, run.revision, change);
  return result.ok ? applied(run, change, result.revision) : undefined;
}

function applied(run: RunRecord, change: RunChange, revision: number): RunRecord {
  const { position: _position, error: _error, waitingFor: _waitingFor, ...fixed } = run;
  return { ...fixed, ...changedFields(change), revision };
}

function changeOf(
  options: EngineOptions,
  run: RunRecord,
  fields: Partial<RunChange> & { state: RunState },
): RunChange {
  return {
    state: fields.state,
    attempt: fields.attempt ?? run.attempt,
    updatedAt: options.services.now().toISOString(),
    deadline: run.deadline,
    position: fields.position ?? run.position,
    error: fields.error,
    waitingFor: fields.waitingFor,
  };
}

export async function raise(
  options: EngineOptions,
  run: RunRecord,
  type: string,
  data: JsonObject,
): Promise<void> {
  // What happened is part of which occurrence it is: two stages completed in one pass differ.
  const digest = createHash('sha256').update(JSON.stringify(data)).digest('hex').slice(0, 12);
  const id = `${run.id}/${type}/${run.revision}/${digest}`;
  try {
    await options.services.raise(run, { type, id, data: { run_id: run.id, ...data } });
  } catch (error) {
    options.services.logger.warn(
      { runId: run.id, event: type, err: error },
      'A runtime event could not be delivered',
    );
  }
}
